//! Domain types shared by the server and the browser: no I/O here.

pub mod access;
pub mod authorization;
pub mod console;
pub mod coverage;
pub mod dates;
pub mod issuance;
pub mod key_listing;
pub mod network;
pub mod paging;
pub mod permissions;
pub mod redact;
pub mod roles;
pub mod routes;
pub mod secret;
pub mod validate;
