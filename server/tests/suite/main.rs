//! The integration suite: the real application on port 0 with an isolated database, one module
//! per capability. The same suite runs on SQLite (default) and PostgreSQL
//! (`KEYWARD_TEST_DB=postgres`). One binary, so the suite links once; `timing` and `logs` keep
//! binaries of their own (one measures the CPU, the other captures the process's log).

#[path = "../helpers/mod.rs"]
mod helpers;

mod access_reviews;
mod accounts;
mod assets;
mod audit;
mod bulk_revoke;
mod cli;
mod console;
mod faults;
mod imports;
mod key_cache;
mod keys;
mod leaks;
mod listing;
mod machine_api;
mod metrics;
mod narrowing;
mod networks;
mod notifications;
mod rate_limits;
mod review;
mod sign_in;
mod tester;
mod trust;
mod usage;
mod webhooks;
