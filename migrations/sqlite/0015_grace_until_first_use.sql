-- A rotated-out key whose grace ends when its successor's secret is first used (at most at
-- grace_until): 1, else 0.
ALTER TABLE api_keys ADD COLUMN grace_until_first_use INTEGER NOT NULL DEFAULT 0;
