-- Which routes each key has called, and when last: what "narrow to what it used" reads. The
-- bookkeeping writer keeps it (one upsert per key and route per batch), so the answer is a
-- handful of rows per key, never a scan of its access log.
CREATE TABLE key_route_use (
    key_row_id TEXT NOT NULL REFERENCES api_keys(id) ON DELETE CASCADE,
    method TEXT NOT NULL,
    route TEXT NOT NULL,
    last_at INTEGER NOT NULL,
    PRIMARY KEY (key_row_id, method, route)
);
-- What the access log already holds.
INSERT INTO key_route_use (key_row_id, method, route, last_at)
    SELECT key_row_id, method, route, MAX(at) FROM key_access_log GROUP BY key_row_id, method, route;
