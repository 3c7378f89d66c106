-- Creating workspaces is an instance-level right: instance admins (the first owner is one)
-- decide whether every signed-in member may.
ALTER TABLE users ADD COLUMN instance_admin BIGINT NOT NULL DEFAULT 0;
UPDATE users SET instance_admin = 1 WHERE id = (SELECT id FROM users ORDER BY created_at, id LIMIT 1);
CREATE TABLE instance_settings (
    id BIGINT PRIMARY KEY CHECK (id = 1),
    members_create_workspaces BIGINT NOT NULL
);
INSERT INTO instance_settings (id, members_create_workspaces) VALUES (1, 0);

-- The role an invitation offers: an existing account joins only when it accepts.
ALTER TABLE invitations ADD COLUMN role TEXT;
