-- Which routes each key has called, and when last: what "narrow to what it used" reads. The
-- bookkeeping writer keeps it (one upsert per key and route per batch), so the answer is a
-- handful of rows per key, never a scan of its access log. No foreign key, as for the access
-- log: deleting a key deletes its rows by the same trigger.
CREATE TABLE key_route_use (
    key_row_id TEXT NOT NULL,
    method TEXT NOT NULL,
    route TEXT NOT NULL,
    last_at BIGINT NOT NULL,
    PRIMARY KEY (key_row_id, method, route)
);
INSERT INTO key_route_use (key_row_id, method, route, last_at)
    SELECT key_row_id, method, route, MAX(at) FROM key_access_log GROUP BY key_row_id, method, route;

CREATE OR REPLACE FUNCTION key_access_log_follow_key() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM key_access_log WHERE key_row_id = OLD.id;
    DELETE FROM key_route_use WHERE key_row_id = OLD.id;
    RETURN OLD;
END
$$;
