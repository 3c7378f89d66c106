-- Which expiry warnings each key has had (`7d`, `1d`, `expired`): each is sent once, by
-- whichever instance records it first.
CREATE TABLE key_expiry_notices (
    key_row_id TEXT NOT NULL REFERENCES api_keys(id) ON DELETE CASCADE,
    threshold TEXT NOT NULL,
    at INTEGER NOT NULL,
    PRIMARY KEY (key_row_id, threshold)
);
-- Live keys by expiry, for the scan that finds what is about to expire.
CREATE INDEX api_keys_expiry ON api_keys(expires_at) WHERE revoked_at IS NULL AND expires_at IS NOT NULL;
