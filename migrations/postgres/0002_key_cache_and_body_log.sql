-- Instances learn of credential changes by LISTEN/NOTIFY; the counter keeps both schemas alike.
CREATE TABLE credential_changes (
    id BIGINT PRIMARY KEY CHECK (id = 1),
    counter BIGINT NOT NULL
);
INSERT INTO credential_changes (id, counter) VALUES (1, 0);

-- Optional per-key logging of request and response bodies (off by default).
ALTER TABLE api_keys ADD COLUMN log_bodies BIGINT NOT NULL DEFAULT 0;

-- The access log keyed by an integer: appending is the hot path.
CREATE TABLE key_access_log_v2 (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    key_row_id TEXT NOT NULL REFERENCES api_keys(id) ON DELETE CASCADE,
    at BIGINT NOT NULL,
    method TEXT NOT NULL,
    route TEXT NOT NULL,
    status BIGINT NOT NULL,
    latency_ms BIGINT NOT NULL,
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
