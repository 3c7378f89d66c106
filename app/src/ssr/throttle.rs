//! Failed sign-in throttling, per account and per address, in a fixed window.

use std::collections::HashMap;
use std::sync::Mutex;

/// Counts failures per key and refuses once a key reaches its limit within the window.
#[derive(Debug)]
pub struct Throttle {
    window_secs: i64,
    limit: u32,
    failures: Mutex<HashMap<String, (i64, u32)>>,
}

impl Throttle {
    pub fn new(limit: u32, window_secs: i64) -> Throttle {
        Throttle {
            window_secs,
            limit,
            failures: Mutex::new(HashMap::new()),
        }
    }

    /// Seconds to wait before `key` may try again, if it must wait.
    pub fn retry_after(&self, key: &str, now: i64) -> Option<u64> {
        let map = self.failures.lock().expect("throttle lock");
        match map.get(key) {
            Some((start, count)) if *count >= self.limit && now < start + self.window_secs => {
                Some((start + self.window_secs - now) as u64)
            }
            _ => None,
        }
    }

    pub fn record_failure(&self, key: &str, now: i64) {
        let mut map = self.failures.lock().expect("throttle lock");
        if map.len() > 100_000 {
            map.retain(|_, (start, _)| now < *start + self.window_secs);
        }
        let entry = map.entry(key.to_string()).or_insert((now, 0));
        if now >= entry.0 + self.window_secs {
            *entry = (now, 0);
        }
        entry.1 += 1;
    }

    pub fn clear(&self, key: &str) {
        self.failures.lock().expect("throttle lock").remove(key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locks_after_the_limit_until_the_window_ends() {
        let t = Throttle::new(3, 60);
        for _ in 0..3 {
            assert_eq!(t.retry_after("a", 100), None);
            t.record_failure("a", 100);
        }
        assert_eq!(t.retry_after("a", 110), Some(50));
        assert_eq!(t.retry_after("b", 110), None);
        assert_eq!(t.retry_after("a", 160), None);
        t.clear("a");
        assert_eq!(t.retry_after("a", 110), None);
    }
}
