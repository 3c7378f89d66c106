//! Per-key rate limits in fixed one-minute windows, with `RateLimit-*` headers.

use axum::http::{HeaderMap, HeaderName, HeaderValue};
use std::collections::HashMap;
use std::sync::Mutex;

/// Keys tracked at most. Past it, windows that ended are dropped first, then the keys that
/// used the fewest requests this window (evicted, a key starts its window anew: the least
/// used lose the least), so memory stays bounded whatever the number of keys in use.
const CAPACITY: usize = 100_000;

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
        if map.len() >= CAPACITY && !map.contains_key(key) {
            evict(&mut map, window);
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

/// Drops ended windows, then, if still at capacity, the least-used tenth of the keys.
fn evict(map: &mut HashMap<String, (i64, u32)>, window: i64) {
    map.retain(|_, (w, _)| *w == window);
    if map.len() < CAPACITY {
        return;
    }
    let mut counts: Vec<u32> = map.values().map(|(_, n)| *n).collect();
    let cut = CAPACITY / 10;
    let (_, threshold, _) = counts.select_nth_unstable(cut);
    let threshold = *threshold;
    let mut dropped = 0;
    map.retain(|_, (_, n)| {
        let drop = *n < threshold || (*n == threshold && dropped < cut);
        dropped += usize::from(drop);
        !drop
    });
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

    #[test]
    fn memory_stays_bounded_and_busy_keys_keep_their_counts() {
        let l = RateLimiter::default();
        // A busy key near its limit, then more distinct keys than the limiter holds, each used
        // once, all in one window.
        for _ in 0..9 {
            assert!(l.check("busy", 10, 60).allowed);
        }
        for i in 0..CAPACITY * 2 {
            l.check(&format!("k{i}"), 10, 61);
        }
        let tracked = l.windows.lock().unwrap().len();
        assert!(tracked <= CAPACITY, "{tracked} keys tracked");
        assert!(l.check("busy", 10, 62).allowed, "the tenth request");
        assert!(
            !l.check("busy", 10, 63).allowed,
            "the busy key kept its count"
        );
    }
}
