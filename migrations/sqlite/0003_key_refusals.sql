-- Refused machine requests of a stored key, coalesced: one row per key, reason, address and
-- minute with a count, so a flood of forged secrets for a public key id cannot fill the log.
CREATE TABLE key_refusals (
    key_row_id TEXT NOT NULL REFERENCES api_keys(id) ON DELETE CASCADE,
    minute INTEGER NOT NULL,
    reason TEXT NOT NULL,
    address TEXT NOT NULL,
    method TEXT NOT NULL,
    route TEXT NOT NULL,
    status INTEGER NOT NULL,
    count INTEGER NOT NULL,
    PRIMARY KEY (key_row_id, minute, reason, address)
);
CREATE INDEX key_refusals_minute ON key_refusals(minute);
