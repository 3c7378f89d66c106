-- Each workspace's audit events form a hash chain: an event's place (`seq`, 1, 2, 3, … per
-- workspace), the hash of the event before it, and its own hash over both and its fields.
-- An edited, removed, inserted or reordered event no longer fits, and `keyward audit verify`
-- names the first that does not. Events recorded before the chain began are sealed into it
-- once, at the next start-up (while `audit_chain_unsealed` holds its row): that is the one
-- update the log allows. An event written later without a hash is never sealed: the check
-- reports it.
ALTER TABLE audit_events ADD COLUMN seq BIGINT;
ALTER TABLE audit_events ADD COLUMN previous_hash TEXT;
ALTER TABLE audit_events ADD COLUMN hash TEXT;

CREATE TABLE audit_chain_unsealed (pending INTEGER NOT NULL);
INSERT INTO audit_chain_unsealed (pending) SELECT 1 WHERE EXISTS (SELECT 1 FROM audit_events);

-- The last place and hash of each chain (a workspace id; '' for instance events). Taking the
-- next place updates this row, which orders concurrent writers of one workspace.
CREATE TABLE audit_chain_heads (
    chain TEXT PRIMARY KEY,
    seq BIGINT NOT NULL,
    hash TEXT NOT NULL
);

CREATE OR REPLACE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.hash IS NULL
       AND (NEW.id, NEW.workspace_id, NEW.actor_user_id, NEW.actor_key_id, NEW.action,
            NEW.target, NEW.detail, NEW.address, NEW.created_at)
           IS NOT DISTINCT FROM
           (OLD.id, OLD.workspace_id, OLD.actor_user_id, OLD.actor_key_id, OLD.action,
            OLD.target, OLD.detail, OLD.address, OLD.created_at) THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'audit_events is append-only';
END $$;

-- Pages of the log walk its places; each filter has an index in the same order.
CREATE UNIQUE INDEX audit_events_place ON audit_events(workspace_id, seq);
CREATE INDEX audit_events_action ON audit_events(workspace_id, action, seq);
CREATE INDEX audit_events_target ON audit_events(workspace_id, target, seq);
CREATE INDEX audit_events_actor ON audit_events(workspace_id, actor_user_id, seq);
CREATE INDEX audit_events_actor_key ON audit_events(workspace_id, actor_key_id, seq);
