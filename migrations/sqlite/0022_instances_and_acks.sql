-- Each serving instance, heard from by its heartbeat; and which credential changes each one
-- applied (dropped what it remembered) and when, so a revocation can say where it is in effect.
CREATE TABLE instances (
    id TEXT PRIMARY KEY,
    started_at_ms INTEGER NOT NULL,
    heartbeat_at_ms INTEGER NOT NULL
);
CREATE TABLE change_acks (
    change INTEGER NOT NULL,
    instance_id TEXT NOT NULL,
    applied_at_ms INTEGER NOT NULL,
    PRIMARY KEY (change, instance_id)
);
CREATE INDEX change_acks_applied ON change_acks (applied_at_ms);

-- The credential change that revoked a key.
ALTER TABLE api_keys ADD COLUMN revoked_change INTEGER;
