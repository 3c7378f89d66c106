//! The `keyward` server: configuration, startup, middleware and the machine API.
// Leptos views are deeply nested types; release builds without type erasure need more room.
#![recursion_limit = "512"]

pub mod api;
pub mod config;
pub mod middleware;
pub mod startup;
pub mod telemetry;
pub mod usage;
