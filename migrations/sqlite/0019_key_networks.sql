-- The networks each key has been used from (a /24 of IPv4, a /64 of IPv6), learnt by the
-- bookkeeping writer: the first use from a new one, for a key used before from elsewhere, is
-- an alert.
CREATE TABLE key_networks (
    key_row_id TEXT NOT NULL REFERENCES api_keys(id) ON DELETE CASCADE,
    network TEXT NOT NULL,
    first_seen INTEGER NOT NULL,
    PRIMARY KEY (key_row_id, network)
);
