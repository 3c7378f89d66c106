//! The request context of server functions and console pages: who is signed in (from the
//! session), the shared state of the running instance, and the gate every server function
//! passes. Services below never see any of it, only the principal it resolves.

pub mod auth;
pub mod state;
