-- One row per metered call. Times are epoch milliseconds (UTC). team/model/provider are '' when absent so
-- they can key the rollups and be matched exactly; record_json rebuilds the record byte for byte.
CREATE TABLE calls (
    id              TEXT    NOT NULL PRIMARY KEY,
    started_at_ms   INTEGER NOT NULL,
    app             TEXT    NOT NULL,
    team            TEXT    NOT NULL,                -- tags["team"], '' when absent
    model           TEXT    NOT NULL,                -- served_model ?? requested_model, '' when none
    requested_model TEXT,
    served_model    TEXT,
    provider        TEXT    NOT NULL,                -- '' when unknown
    outcome         TEXT    NOT NULL,                -- snake_case LlmCallOutcome
    cost_usd        TEXT,                            -- the exact decimal, invariant culture; NULL when unknown
    cost_units      INTEGER,                         -- cost in 1e-10 USD, for sums
    cost_source     TEXT    NOT NULL,                -- snake_case LlmCostSource
    reconcile_state INTEGER NOT NULL,                -- 0 not needed, 1 pending, 2 reconciled, 3 gave up
    record_json     TEXT    NOT NULL
);

-- Keyset paging, newest first, unfiltered and by team or model. Every index costs each insert a B-tree write,
-- so app, provider and outcome filters walk the time index instead: they match large shares of the calls, so
-- a page fills quickly; a rare value on a huge table is the slow case.
CREATE INDEX ix_calls_started ON calls (started_at_ms DESC, id DESC);
CREATE INDEX ix_calls_team ON calls (team, started_at_ms, id);
CREATE INDEX ix_calls_model ON calls (model, started_at_ms, id);

-- Only the records still waiting for an authoritative cost, oldest first.
CREATE INDEX ix_calls_reconcile_pending ON calls (started_at_ms, id) WHERE reconcile_state = 1;

-- Spend per hour and per UTC day and combination, maintained in the insert's transaction; spend queries read
-- only these: whole days from spend_daily (24 times fewer rows), the partial days at the edges from spend_hourly.
CREATE TABLE spend_hourly (
    hour_ms             INTEGER NOT NULL,
    app                 TEXT    NOT NULL,
    team                TEXT    NOT NULL,
    model               TEXT    NOT NULL,
    provider            TEXT    NOT NULL,
    cost_units          INTEGER NOT NULL,            -- 1e-10 USD
    requests            INTEGER NOT NULL,
    input_tokens        INTEGER NOT NULL,
    output_tokens       INTEGER NOT NULL,
    cached_input_tokens INTEGER NOT NULL,
    reasoning_tokens    INTEGER NOT NULL,
    fallbacks           INTEGER NOT NULL,
    errors              INTEGER NOT NULL,
    PRIMARY KEY (hour_ms, app, team, model, provider)
) WITHOUT ROWID;

CREATE TABLE spend_daily (
    day_ms              INTEGER NOT NULL,
    app                 TEXT    NOT NULL,
    team                TEXT    NOT NULL,
    model               TEXT    NOT NULL,
    provider            TEXT    NOT NULL,
    cost_units          INTEGER NOT NULL,
    requests            INTEGER NOT NULL,
    input_tokens        INTEGER NOT NULL,
    output_tokens       INTEGER NOT NULL,
    cached_input_tokens INTEGER NOT NULL,
    reasoning_tokens    INTEGER NOT NULL,
    fallbacks           INTEGER NOT NULL,
    errors              INTEGER NOT NULL,
    PRIMARY KEY (day_ms, app, team, model, provider)
) WITHOUT ROWID;
