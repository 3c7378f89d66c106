-- Keys whose secret was brought from elsewhere rather than generated: their digest is looked
-- up directly (the secret carries no key id), so it is indexed and unique among imported keys.
ALTER TABLE api_keys ADD COLUMN imported INTEGER NOT NULL DEFAULT 0;
CREATE UNIQUE INDEX api_keys_imported_digest ON api_keys (digest) WHERE imported = 1;

-- Whether members may import existing secrets (off by default).
ALTER TABLE workspaces ADD COLUMN allow_import INTEGER NOT NULL DEFAULT 0;
