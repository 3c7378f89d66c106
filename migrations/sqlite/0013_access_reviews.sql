-- Access reviews: campaigns in which every key that was live when the review began is
-- confirmed as still needed (with a note) or revoked. Each item keeps what its key was at the
-- start, so the evidence shows what was reviewed even after the key changed or was deleted
-- (hence no foreign key to the key).
CREATE TABLE access_reviews (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    started_by TEXT NOT NULL,
    started_at INTEGER NOT NULL,
    closed_by TEXT,
    closed_at INTEGER,
    -- Kept with every decision, so progress is one row whatever the review's size.
    total INTEGER NOT NULL DEFAULT 0,
    kept INTEGER NOT NULL DEFAULT 0,
    revoked INTEGER NOT NULL DEFAULT 0
);
-- At most one open review per workspace.
CREATE UNIQUE INDEX access_reviews_open ON access_reviews(workspace_id) WHERE closed_at IS NULL;
CREATE INDEX access_reviews_workspace ON access_reviews(workspace_id, started_at);

CREATE TABLE access_review_items (
    review_id TEXT NOT NULL REFERENCES access_reviews(id) ON DELETE CASCADE,
    key_row_id TEXT NOT NULL,
    key_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    owner_id TEXT NOT NULL,
    owner_email TEXT NOT NULL,
    purpose TEXT NOT NULL,
    permissions TEXT NOT NULL,
    application_id TEXT,
    expires_at INTEGER,
    last_used_at INTEGER,
    -- 'keep' or 'revoke'; NULL while undecided.
    decision TEXT,
    note TEXT NOT NULL DEFAULT '',
    decided_by TEXT,
    decided_at INTEGER,
    PRIMARY KEY (review_id, key_row_id)
);
-- Pages in name order, whole or by decision or by owner; the public key id is the cursor.
CREATE UNIQUE INDEX access_review_items_key ON access_review_items(review_id, key_id);
CREATE INDEX access_review_items_order ON access_review_items(review_id, name, key_id);
CREATE INDEX access_review_items_decision ON access_review_items(review_id, decision, name, key_id);
CREATE INDEX access_review_items_owner ON access_review_items(review_id, owner_id, name, key_id);
