-- A counter every audited change moves: instances sharing this file read it to drop what
-- they remember of verified keys.
CREATE TABLE credential_changes (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    counter INTEGER NOT NULL
);
INSERT INTO credential_changes (id, counter) VALUES (1, 0);

-- Optional per-key logging of request and response bodies (off by default).
ALTER TABLE api_keys ADD COLUMN log_bodies INTEGER NOT NULL DEFAULT 0;

-- The access log keyed by an integer: appending is the hot path, a random text key made
-- every insert update a second index.
CREATE TABLE key_access_log_v2 (
    id INTEGER PRIMARY KEY,
    key_row_id TEXT NOT NULL REFERENCES api_keys(id) ON DELETE CASCADE,
    at INTEGER NOT NULL,
    method TEXT NOT NULL,
    route TEXT NOT NULL,
    status INTEGER NOT NULL,
    latency_ms INTEGER NOT NULL,
    address TEXT NOT NULL,
    user_agent TEXT NOT NULL,
    request_body TEXT,
    response_body TEXT
);
INSERT INTO key_access_log_v2 (key_row_id, at, method, route, status, latency_ms, address, user_agent)
    SELECT key_row_id, at, method, route, status, latency_ms, address, user_agent FROM key_access_log ORDER BY at;
DROP TABLE key_access_log;
ALTER TABLE key_access_log_v2 RENAME TO key_access_log;
CREATE INDEX key_access_log_key ON key_access_log(key_row_id, at);
