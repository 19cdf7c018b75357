-- Sums that can neither overflow nor turn REAL (SQLite silently makes an overflowing integer + a REAL, and SUM() throws
-- on overflow). Every cost and token sum of the rollups and the budget ledger becomes a pair: x keeps the low 62 bits
-- (0 <= x < 2^62) and x_high the rest, floor(value / 2^62); see Store/Sqlite/WideSum.cs. Below 2^62, x is the value
-- and x_high 0. Counts (requests, fallbacks, errors) grow by one a record and stay single columns.
ALTER TABLE spend_hourly ADD COLUMN cost_units_high INTEGER NOT NULL DEFAULT 0;
ALTER TABLE spend_hourly ADD COLUMN input_tokens_high INTEGER NOT NULL DEFAULT 0;
ALTER TABLE spend_hourly ADD COLUMN output_tokens_high INTEGER NOT NULL DEFAULT 0;
ALTER TABLE spend_hourly ADD COLUMN cached_input_tokens_high INTEGER NOT NULL DEFAULT 0;
ALTER TABLE spend_hourly ADD COLUMN reasoning_tokens_high INTEGER NOT NULL DEFAULT 0;

ALTER TABLE spend_daily ADD COLUMN cost_units_high INTEGER NOT NULL DEFAULT 0;
ALTER TABLE spend_daily ADD COLUMN input_tokens_high INTEGER NOT NULL DEFAULT 0;
ALTER TABLE spend_daily ADD COLUMN output_tokens_high INTEGER NOT NULL DEFAULT 0;
ALTER TABLE spend_daily ADD COLUMN cached_input_tokens_high INTEGER NOT NULL DEFAULT 0;
ALTER TABLE spend_daily ADD COLUMN reasoning_tokens_high INTEGER NOT NULL DEFAULT 0;

ALTER TABLE budget_spend ADD COLUMN spent_units_high INTEGER NOT NULL DEFAULT 0;

-- The rollups are rebuilt from the calls after this script (SqliteRollupRebuild): an old sum may have wrapped (batch
-- sums were added unchecked) or turned REAL, and the calls are where they come from. Ledger rows cannot be rebuilt
-- here (budget scopes are matched in C#), and their cost sums only ever turned REAL, never wrapped: a REAL keeps its
-- value as closely as the old store had it, then every row is split into its pair.
UPDATE budget_spend SET
    spent_units_high = CAST(spent_units / 4611686018427387904.0 AS INTEGER),
    spent_units = CAST(spent_units - CAST(spent_units / 4611686018427387904.0 AS INTEGER) * 4611686018427387904.0 AS INTEGER)
WHERE typeof(spent_units) = 'real';

UPDATE budget_spend SET
    spent_units_high = spent_units_high + (spent_units >> 62),
    spent_units = spent_units & 4611686018427387903
WHERE spent_units < 0 OR spent_units > 4611686018427387903;
