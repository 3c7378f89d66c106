-- Workspace webhooks and their deliveries. A delivery is written in the transaction of the
-- change it reports (an outbox), then sent and retried with backoff by a background worker,
-- so a committed change is never left unreported and an uncommitted one never reported.
CREATE TABLE webhooks (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    url TEXT NOT NULL,
    -- The events it receives, separated by spaces.
    events TEXT NOT NULL,
    -- The signing secret (shown once, at creation).
    secret TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX webhooks_workspace ON webhooks(workspace_id, created_at);

CREATE TABLE webhook_deliveries (
    id TEXT PRIMARY KEY,
    webhook_id TEXT NOT NULL REFERENCES webhooks(id) ON DELETE CASCADE,
    event TEXT NOT NULL,
    payload TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    -- When to try next; NULL once delivered or given up.
    next_attempt_at BIGINT,
    delivered_at BIGINT,
    last_status BIGINT,
    last_error TEXT NOT NULL DEFAULT ''
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries(next_attempt_at) WHERE next_attempt_at IS NOT NULL;
CREATE INDEX webhook_deliveries_webhook ON webhook_deliveries(webhook_id, created_at);
