//! The sign-in throttle, in the database ([`SignInThrottle`]): every instance shares the
//! counts, and an attempt is reserved before its password is checked. Cheaper, per-instance
//! limits use the in-memory [`crate::security::rate_limit::RateLimiter`].

use crate::error::AppResult;
use crate::store::db::{Db, Tx};

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
