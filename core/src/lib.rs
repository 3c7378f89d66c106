//! Keyward's services and storage: everything the console and the machine API do, as
//! functions that take a database handle and a [`domain::access::Principal`] (or the
//! [`domain::access::Actor`] it comes from). Nothing here reads a session, a request or the
//! web framework's state: authentication happens above (in `app` and `server`), and what it
//! produces is passed down. Depends only on `domain` (`server/tests/layers.rs` checks).
//!
//! Inside, modules point one way: `security` (pure) ← `store` (the database, sessions, the
//! key cache) ← `services` (what Keyward does).

pub mod error;
pub mod security;
pub mod services;
pub mod store;

/// Current Unix time in milliseconds.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// Current Unix time in seconds.
pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}
