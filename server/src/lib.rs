//! The `keyward` server: configuration, startup, middleware and the machine API.

pub mod api;
pub mod config;
pub mod middleware;
pub mod startup;
pub mod telemetry;
pub mod usage;
