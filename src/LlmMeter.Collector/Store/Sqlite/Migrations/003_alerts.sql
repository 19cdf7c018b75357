-- The alert outbox. An event is stored once per dedupe key (budget, period, threshold...), with its JSON payload
-- frozen at enqueue time; each subscribed webhook gets one delivery row, written in the same transaction.
-- Times are epoch milliseconds (UTC).
CREATE TABLE alert_events (
    id             TEXT    NOT NULL PRIMARY KEY,     -- GUID v7, also the payload's "id"
    dedupe_key     TEXT    NOT NULL UNIQUE,
    type           TEXT    NOT NULL,                 -- threshold_crossed, budget_exhausted, ...
    budget_id      TEXT    NOT NULL,
    occurred_at_ms INTEGER NOT NULL,
    created_at_ms  INTEGER NOT NULL,
    payload_json   TEXT    NOT NULL
);

-- The endpoint is known by the SHA-256 of its URL (the URL may carry a token, so only a redacted form is kept).
CREATE TABLE alert_deliveries (
    id               INTEGER PRIMARY KEY,
    event_id         TEXT    NOT NULL REFERENCES alert_events (id),
    endpoint_index   INTEGER NOT NULL,               -- Alerts:Webhooks:N at enqueue time
    url_hash         TEXT    NOT NULL,
    endpoint_url     TEXT    NOT NULL,               -- redacted: no user info, query or Slack token
    format           TEXT    NOT NULL,               -- json | slack
    status           TEXT    NOT NULL CHECK (status IN ('pending', 'delivered', 'failed', 'expired')),
    attempts         INTEGER NOT NULL DEFAULT 0,
    created_at_ms    INTEGER NOT NULL,
    next_attempt_ms  INTEGER,                        -- NULL once no longer pending
    last_attempt_ms  INTEGER,
    last_status_code INTEGER,
    last_error       TEXT,
    delivered_at_ms  INTEGER,
    UNIQUE (event_id, url_hash)
);

-- The worker's due scan, and the newest-first delivery log.
CREATE INDEX ix_alert_deliveries_due ON alert_deliveries (next_attempt_ms) WHERE status = 'pending';
CREATE INDEX ix_alert_deliveries_created ON alert_deliveries (created_at_ms DESC, id DESC);
