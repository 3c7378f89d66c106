-- Sign-in attempts per account (email) and per client address, shared by every instance: an
-- attempt is counted here before its password is checked, so concurrency and several
-- instances do not multiply guesses.
CREATE TABLE sign_in_throttle (
    key TEXT PRIMARY KEY,
    window_start INTEGER NOT NULL,
    failures INTEGER NOT NULL
);
CREATE INDEX sign_in_throttle_window ON sign_in_throttle(window_start);

-- Failed sign-ins since the account's last successful one, shown to its holder at sign-in.
ALTER TABLE users ADD COLUMN failed_sign_ins INTEGER NOT NULL DEFAULT 0;
