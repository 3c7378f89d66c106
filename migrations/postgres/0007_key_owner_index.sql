-- A member's own keys are read by owner (the user API's list), not found among the workspace's.
CREATE INDEX api_keys_owner ON api_keys(workspace_id, owner_id, created_at);
