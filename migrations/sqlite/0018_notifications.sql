-- The console's notifications: what a member should know about keys (expiring, expired,
-- leaked), one row per recipient, unread until they open the page.
CREATE TABLE notifications (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    text TEXT NOT NULL,
    key_id TEXT,
    created_at INTEGER NOT NULL,
    read_at INTEGER
);
CREATE INDEX notifications_recipient ON notifications(user_id, workspace_id, created_at);
CREATE INDEX notifications_unread ON notifications(user_id, workspace_id) WHERE read_at IS NULL;
