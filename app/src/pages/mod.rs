//! One module a page, each with the server functions it calls.

pub mod access_reviews;
pub mod account;
pub mod api_keys;
pub mod applications;
pub mod audit;
#[cfg(feature = "ssr")]
pub mod bulk_revoke;
pub mod fragments;
pub mod instance;
pub mod key_activity;
#[cfg(feature = "ssr")]
pub mod leaked;
pub mod login;
pub mod members;
#[cfg(feature = "ssr")]
pub mod narrow;
#[cfg(feature = "ssr")]
pub mod networks;
pub mod notifications;
pub mod reference;
pub mod review;
pub mod security;
pub mod setup;
pub mod shell;
pub mod tester;
pub mod webhooks;
