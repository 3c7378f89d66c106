-- The networks a key may be used from, as CIDR ranges separated by spaces; empty: anywhere.
ALTER TABLE api_keys ADD COLUMN allowed_networks TEXT NOT NULL DEFAULT '';
