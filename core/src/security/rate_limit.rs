//! The one in-memory rate limiter: at most `limit` requests per key in fixed windows of a
//! given length, in bounded memory. Machine API keys use it per minute (the server writes
//! its `RateLimit-*` headers); the credential tester per user. Sign-ins are throttled in the
//! database instead (`services::throttle`), where every instance shares the counts.

use std::collections::HashMap;
use std::sync::Mutex;

/// Keys tracked at most. Past it, windows that ended are dropped first, then the keys that
/// used the fewest requests this window (evicted, a key starts its window anew: the least
/// used lose the least), so memory stays bounded whatever the number of keys in use.
const CAPACITY: usize = 100_000;

#[derive(Debug)]
pub struct RateLimiter {
    /// The window's length in seconds; windows start at multiples of it.
    window: i64,
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

impl RateLimiter {
    /// A limiter counting in windows of `window_secs` seconds.
    pub fn new(window_secs: i64) -> RateLimiter {
        RateLimiter {
            window: window_secs.max(1),
            windows: Mutex::new(HashMap::new()),
        }
    }

    /// A limiter counting per minute.
    pub fn per_minute() -> RateLimiter {
        RateLimiter::new(60)
    }

    pub fn check(&self, key: &str, limit: u32, now: i64) -> Decision {
        let window = now - now.rem_euclid(self.window);
        let reset = (window + self.window - now) as u64;
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
    evict_least_used(map, CAPACITY, |(w, _)| *w == window, |(_, n)| *n);
}

/// Keeps a map of per-window counters within `capacity`: drops the entries whose window
/// ended (`current` false), then, if still full, the tenth that `used` the fewest requests
/// (an evicted key starts its window anew: the least used lose the least). Shared by every
/// limiter that counts in memory.
pub(crate) fn evict_least_used<K: Eq + std::hash::Hash, V>(
    map: &mut HashMap<K, V>,
    capacity: usize,
    current: impl Fn(&V) -> bool,
    used: impl Fn(&V) -> u32,
) {
    map.retain(|_, v| current(v));
    if map.len() < capacity {
        return;
    }
    let mut counts: Vec<u32> = map.values().map(&used).collect();
    let cut = capacity / 10;
    let (_, threshold, _) = counts.select_nth_unstable(cut);
    let threshold = *threshold;
    let mut dropped = 0;
    map.retain(|_, v| {
        let n = used(v);
        let drop = n < threshold || (n == threshold && dropped < cut);
        dropped += usize::from(drop);
        !drop
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allows_up_to_the_limit_per_window() {
        let l = RateLimiter::per_minute();
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
        let l = RateLimiter::per_minute();
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

#[cfg(test)]
mod window_tests {
    use super::*;

    #[test]
    fn windows_have_the_length_asked_for() {
        let l = RateLimiter::new(10);
        assert!(l.check("k", 1, 20).allowed);
        let refused = l.check("k", 1, 27);
        assert!(!refused.allowed);
        assert_eq!(refused.reset, 3);
        assert!(l.check("k", 1, 30).allowed);
    }
}
