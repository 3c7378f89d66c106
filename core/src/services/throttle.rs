//! Throttles. Sign-ins are throttled in the database ([`SignInThrottle`]): every instance
//! shares the counts, and an attempt is reserved before its password is checked. Cheaper,
//! per-instance limits (the credential tester) use the in-memory [`Throttle`].

use crate::error::AppResult;
use crate::store::db::{Db, Tx};
use std::collections::HashMap;
use std::sync::Mutex;

/// At most `attempts` counted in a fixed window of `window` seconds.
#[derive(Clone, Copy, Debug)]
pub struct Limit {
    pub attempts: i64,
    pub window: i64,
}

/// Sign-in attempts per account (email as typed, known or not): five per 15 minutes.
pub const PER_ACCOUNT: Limit = Limit {
    attempts: 5,
    window: 15 * 60,
};

/// Failed sign-ins per client address: enough for an office behind one address.
pub const PER_ADDRESS: Limit = Limit {
    attempts: 20,
    window: 15 * 60,
};

/// What a reservation found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reserved {
    /// Counted, and within the limit.
    Within,
    /// Over the limit: try again in this many seconds.
    Locked { retry_after: u64 },
}

/// The sign-in throttle in the database: reserve an attempt before checking the password,
/// settle it after. Writes commit at once, so a concurrent attempt sees the count.
pub struct SignInThrottle;

impl SignInThrottle {
    /// Counts one attempt against `key` and says whether it is within `limit`. One statement,
    /// so concurrent attempts cannot all pass a check made before any of them counted.
    pub async fn reserve(tx: &mut Tx, key: &str, limit: Limit, now: i64) -> AppResult<Reserved> {
        let (window_start, attempts): (i64, i64) = sqlx::query_as(
            "INSERT INTO sign_in_throttle (key, window_start, failures) VALUES ($1, $2, 1) \
             ON CONFLICT (key) DO UPDATE SET \
               failures = CASE WHEN sign_in_throttle.window_start <= $3 THEN 1 \
                               ELSE sign_in_throttle.failures + 1 END, \
               window_start = CASE WHEN sign_in_throttle.window_start <= $3 THEN $2 \
                                   ELSE sign_in_throttle.window_start END \
             RETURNING window_start, failures",
        )
        .bind(key)
        .bind(now)
        .bind(now - limit.window)
        .fetch_one(&mut **tx)
        .await?;
        Ok(if attempts > limit.attempts {
            Reserved::Locked {
                retry_after: (window_start + limit.window - now).max(1) as u64,
            }
        } else {
            Reserved::Within
        })
    }

    /// A successful sign-in: the account's count starts over, and the address is not
    /// charged for it (an address is throttled for failures, not for successes).
    pub async fn settle_success(tx: &mut Tx, account: &str, address: &str) -> AppResult<()> {
        sqlx::query("DELETE FROM sign_in_throttle WHERE key = $1")
            .bind(account)
            .execute(&mut **tx)
            .await?;
        sqlx::query(
            "UPDATE sign_in_throttle SET failures = failures - 1 WHERE key = $1 AND failures > 0",
        )
        .bind(address)
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    /// Drops windows that ended before `now - window` for every limit.
    pub async fn prune(db: &Db, now: i64) -> AppResult<u64> {
        let longest = PER_ACCOUNT.window.max(PER_ADDRESS.window);
        let mut tx = db.write().await?;
        let n = sqlx::query("DELETE FROM sign_in_throttle WHERE window_start <= $1")
            .bind(now - longest)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        tx.commit().await?;
        Ok(n)
    }
}

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
