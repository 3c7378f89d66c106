-- The key list pages by (created, id) newest first, under the viewer's visibility and the
-- filters: each listing reads one of these indexes in order instead of sorting the workspace.
DROP INDEX api_keys_workspace;
CREATE INDEX api_keys_listing ON api_keys(workspace_id, created_at, id);
DROP INDEX api_keys_owner;
CREATE INDEX api_keys_owner ON api_keys(workspace_id, owner_id, created_at, id);
CREATE INDEX api_keys_application ON api_keys(workspace_id, application_id, created_at, id);
