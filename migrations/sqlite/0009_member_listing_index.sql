-- The members list pages in the order members joined.
CREATE INDEX memberships_listing ON memberships(workspace_id, created_at, user_id);
