//! The machine API's per-key rate limit: the core's limiter, per minute, and the
//! `RateLimit-*` headers each answer carries.

use axum::http::{HeaderMap, HeaderName, HeaderValue};
pub use keyward_core::security::rate_limit::{Decision, RateLimiter};

/// Writes the `RateLimit-Limit`, `-Remaining` and `-Reset` headers of `d`.
pub fn write_headers(d: &Decision, h: &mut HeaderMap) {
    const LIMIT: HeaderName = HeaderName::from_static("ratelimit-limit");
    const REMAINING: HeaderName = HeaderName::from_static("ratelimit-remaining");
    const RESET: HeaderName = HeaderName::from_static("ratelimit-reset");
    h.insert(LIMIT, HeaderValue::from(d.limit));
    h.insert(REMAINING, HeaderValue::from(d.remaining));
    h.insert(RESET, HeaderValue::from(d.reset));
}
