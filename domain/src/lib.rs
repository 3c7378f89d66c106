//! Keyward's domain: what the server and the browser both know, with no I/O and nothing
//! that cannot compile to wasm. Permissions and roles, the secret format, the machine route
//! table and the console's server-function table, the pure authorization decisions, and the
//! shapes that cross the wire (`model`). Every other crate depends on this one; it depends
//! on none of them (`server/tests/layers.rs` checks).

pub mod access;
pub mod access_review;
pub mod audit;
pub mod authorization;
pub mod console;
pub mod coverage;
pub mod dates;
pub mod ids;
pub mod import;
pub mod issuance;
pub mod key_listing;
pub mod least_privilege;
pub mod limits;
pub mod model;
pub mod network;
pub mod paging;
pub mod permissions;
pub mod redact;
pub mod review;
pub mod roles;
pub mod routes;
pub mod secret;
pub mod validate;
pub mod webhooks;
