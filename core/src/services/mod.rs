//! What Keyward does, one module per subject. Each function checks its object-level rule
//! through [`domain::authorization::decide`] and commits its change with its audit row.

pub mod access_reviews;
pub mod accounts;
pub mod audit;
pub mod bulk_revoke;
pub mod instance;
pub mod key_list;
pub mod keys;
pub mod leaks;
pub mod narrowing;
pub mod notifications;
pub mod operator;
pub mod propagation;
pub mod rate_limits;
pub mod review;
pub mod sessions;
pub mod sites;
pub mod tester;
pub mod throttle;
pub mod usage;
pub mod user_tokens;
pub mod webhooks;
pub mod workspaces;
