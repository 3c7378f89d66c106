-- What a member sees of their sessions (Settings → Account), kept beside the session data:
-- a public handle (SHA-256 of the secret id), the user, when it began and was last used,
-- and from where.
ALTER TABLE sessions ADD COLUMN handle TEXT;
ALTER TABLE sessions ADD COLUMN user_id TEXT;
ALTER TABLE sessions ADD COLUMN created_at INTEGER;
ALTER TABLE sessions ADD COLUMN last_seen_at INTEGER;
ALTER TABLE sessions ADD COLUMN address TEXT;
ALTER TABLE sessions ADD COLUMN user_agent TEXT;
CREATE INDEX sessions_user ON sessions(user_id);
CREATE INDEX sessions_handle ON sessions(handle);
