-- Routing overrides created by firing Alertmanager/Grafana alerts (and removed when they resolve or by hand), kept
-- so a restart does not drop a block or downgrade that is still in force. Scope columns are NULL for "any".
CREATE TABLE routing_overrides (
    id            TEXT    NOT NULL PRIMARY KEY,  -- '<source>:<fingerprint>'
    source        TEXT    NOT NULL,              -- alertmanager | grafana
    name          TEXT,                          -- the alert's alertname
    action        TEXT    NOT NULL,              -- downgrade | route_free | block
    scope_app     TEXT,
    scope_team    TEXT,
    scope_model   TEXT,                          -- model id or glob
    downgrade_to  TEXT,
    free_model    TEXT,
    created_at_ms INTEGER NOT NULL,              -- first firing notification
    updated_at_ms INTEGER NOT NULL               -- last change
) WITHOUT ROWID;
