//! Per-key rate limits in fixed one-minute windows, with `RateLimit-*` headers.

use axum::http::{HeaderMap, HeaderName, HeaderValue};
use std::collections::HashMap;
use std::sync::Mutex;

#[derive(Default, Debug)]
pub struct RateLimiter {
    windows: Mutex<HashMap<String, (i64, u32)>>,
}

/// The outcome of one check.
#[derive(Debug, Clone, Copy)]
pub struct Decision {
    pub allowed: bool,
    pub limit: u32,
    pub remaining: u32,
    /// Seconds until the window resets.
    pub reset: u64,
}

impl Decision {
    pub fn write_headers(&self, h: &mut HeaderMap) {
        const LIMIT: HeaderName = HeaderName::from_static("ratelimit-limit");
        const REMAINING: HeaderName = HeaderName::from_static("ratelimit-remaining");
        const RESET: HeaderName = HeaderName::from_static("ratelimit-reset");
        h.insert(LIMIT, HeaderValue::from(self.limit));
        h.insert(REMAINING, HeaderValue::from(self.remaining));
        h.insert(RESET, HeaderValue::from(self.reset));
    }
}

impl RateLimiter {
    pub fn check(&self, key: &str, limit: u32, now: i64) -> Decision {
        let window = now - now.rem_euclid(60);
        let reset = (window + 60 - now) as u64;
        let mut map = self.windows.lock().expect("rate limiter lock");
        if map.len() > 100_000 {
            map.retain(|_, (w, _)| *w == window);
        }
        // Looked up by `&str` first: the common case allocates nothing.
        if !map.contains_key(key) {
            map.insert(key.to_string(), (window, 0));
        }
        let entry = map.get_mut(key).expect("inserted above");
        if entry.0 != window {
            *entry = (window, 0);
        }
        if entry.1 >= limit {
            return Decision {
                allowed: false,
                limit,
                remaining: 0,
                reset,
            };
        }
        entry.1 += 1;
        Decision {
            allowed: true,
            limit,
            remaining: limit - entry.1,
            reset,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allows_up_to_the_limit_per_window() {
        let l = RateLimiter::default();
        assert!(l.check("k", 2, 120).allowed);
        let d = l.check("k", 2, 130);
        assert!(d.allowed && d.remaining == 0);
        let refused = l.check("k", 2, 150);
        assert!(!refused.allowed);
        assert_eq!(refused.reset, 30);
        assert!(l.check("other", 2, 150).allowed);
        assert!(l.check("k", 2, 180).allowed);
    }
}
