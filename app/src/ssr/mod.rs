//! Server-only code: storage, services and the request context of server functions.

pub mod accounts;
pub mod assets;
pub mod audit;
pub mod auth;
pub mod changes;
pub mod crypto;
pub mod db;
pub mod error;
pub mod instance;
pub mod key_cache;
pub mod key_list;
pub mod keys;
pub mod paging;
pub mod passwords;
pub mod session_store;
pub mod sessions;
pub mod state;
pub mod tester;
pub mod throttle;
pub mod workspaces;

/// Current Unix time in seconds.
pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}
