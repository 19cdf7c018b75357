-- Budgets defined through the API (source 'api') and the last configuration seen (source 'config', so a changed
-- configured budget is noticed at start). definition_json is the budget as the API writes it (snake_case).
CREATE TABLE budgets (
    id              TEXT    NOT NULL PRIMARY KEY,
    source          TEXT    NOT NULL,                -- 'api' or 'config'
    definition_json TEXT    NOT NULL,
    updated_at_ms   INTEGER NOT NULL
);

-- Spend per budget and calendar period, charged in the transaction that stores the records (never by rescanning).
-- A budget's current period is computed once from the stored calls when the budget is created or its scope, period
-- or time zone change.
CREATE TABLE budget_spend (
    budget_id       TEXT    NOT NULL,
    period_start_ms INTEGER NOT NULL,                -- the period's start, epoch ms UTC
    spent_units     INTEGER NOT NULL,                -- 1e-10 USD, like calls.cost_units
    PRIMARY KEY (budget_id, period_start_ms)
) WITHOUT ROWID;
