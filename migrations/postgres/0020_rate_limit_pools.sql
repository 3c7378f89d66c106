-- Rate limits per route class for each pool (key, application, workspace), beside the
-- per-key default of rate_limit_per_minute: "pool.class=N" pairs (domain::limits).
ALTER TABLE workspaces ADD COLUMN rate_limits TEXT NOT NULL DEFAULT '';

-- Every instance's admitted requests per counter and one-minute window, reconciled by each
-- instance a few times a second; windows that ended are deleted.
CREATE TABLE rate_limit_counts (
    counter TEXT NOT NULL,
    window_start BIGINT NOT NULL,
    hits BIGINT NOT NULL,
    PRIMARY KEY (counter, window_start)
);
CREATE INDEX rate_limit_counts_window ON rate_limit_counts (window_start);
