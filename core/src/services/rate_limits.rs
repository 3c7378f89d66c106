//! Counting machine requests against the workspace's rate limits ([`domain::limits`]), shared
//! by every instance on one database without a database round trip per request.
//!
//! Each instance counts in memory, per pool and class, in fixed one-minute windows. Every
//! [`SYNC_EVERY`] it adds what it admitted since the last sync to the database's count for
//! the window and reads the total back, which is what it counts from afterwards. So a limit of
//! N per minute admits at most N plus, per instance, what that instance admitted within one
//! sync interval before it learnt the others' counts (at most one interval's local traffic;
//! the README states the bound).

use crate::error::{AppError, AppResult};
use crate::services::audit;
use crate::store::db::Db;
use domain::access::Principal;
use domain::audit::AuditAction;
use domain::ids::WorkspaceId;
use domain::limits::{LimitClass, Limits, Pool};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use uuid::Uuid;

/// How often counts are reconciled through the database.
pub const SYNC_EVERY: Duration = Duration::from_millis(250);

/// Windows are this long, in seconds (limits are per minute).
const WINDOW: i64 = 60;

/// Counters kept at most; past it, ended windows are dropped first, then the least used.
const CAPACITY: usize = 100_000;

/// One counter's name: which pool (whose) and which class of route. Copy, so the hot path
/// allocates nothing to look one up.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Counter {
    pub pool: Pool,
    pub class: LimitClass,
    /// The key's public id (8 ASCII characters, packed) or the application's or workspace's id.
    pub owner: u128,
}

impl Counter {
    pub fn key(key_id: &str, class: LimitClass) -> Counter {
        let mut packed = [0u8; 16];
        let bytes = key_id.as_bytes();
        let n = bytes.len().min(16);
        packed[..n].copy_from_slice(&bytes[..n]);
        Counter {
            pool: Pool::Key,
            class,
            owner: u128::from_be_bytes(packed),
        }
    }

    pub fn of(pool: Pool, id: Uuid, class: LimitClass) -> Counter {
        Counter {
            pool,
            class,
            owner: id.as_u128(),
        }
    }

    /// The name the database counts it under.
    fn stored_name(&self) -> String {
        let owner = match self.pool {
            Pool::Key => String::from_utf8_lossy(&self.owner.to_be_bytes())
                .trim_end_matches('\0')
                .to_string(),
            _ => Uuid::from_u128(self.owner).to_string(),
        };
        format!("{}.{}:{owner}", self.pool.id(), self.class.id())
    }
}

#[derive(Clone, Copy, Debug, Default)]
struct Count {
    window: i64,
    /// Every instance's count for the window, as of the last sync.
    synced: u32,
    /// Admitted here and being added to the database right now.
    in_flight: u32,
    /// Admitted here since.
    pending: u32,
}

impl Count {
    fn total(&self) -> u32 {
        self.synced + self.in_flight + self.pending
    }
}

/// One pool's state after a check.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PoolState {
    pub pool: Pool,
    pub class: LimitClass,
    pub limit: u32,
    pub remaining: u32,
    /// Seconds until the window resets.
    pub reset: u64,
}

/// The outcome of counting one request against its pools.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verdict {
    /// Every pool that counted the request (narrowest first), as it stands after it: the
    /// first `counted` of them. (An array: the request path allocates nothing for it.)
    states: [PoolState; 3],
    counted: usize,
    /// The first exhausted pool, if the request is refused (then nothing was counted).
    pub refused_by: Option<PoolState>,
}

impl Verdict {
    /// The pools that counted the request.
    pub fn pools(&self) -> &[PoolState] {
        &self.states[..self.counted]
    }

    /// The pool with the fewest requests left: the one the `RateLimit` header reports.
    pub fn tightest(&self) -> Option<PoolState> {
        self.refused_by
            .or_else(|| self.pools().iter().copied().min_by_key(|p| p.remaining))
    }
}

/// The request counters of this instance.
#[derive(Debug, Default)]
pub struct PooledLimiter {
    counts: Mutex<HashMap<Counter, Count>>,
}

impl PooledLimiter {
    /// A limiter that reconciles with `db` every [`SYNC_EVERY`] until the database closes.
    pub fn start(db: Db) -> Arc<PooledLimiter> {
        let limiter = Arc::new(PooledLimiter::default());
        tokio::spawn(sync_loop(db, limiter.clone()));
        limiter
    }

    /// Counts one request against each `(counter, limit)` (narrowest pool first) at `now`:
    /// admitted only when every pool has room, and then counted in all of them.
    pub fn check(&self, pools: &[(Counter, u32)], now: i64) -> Verdict {
        let window = now - now.rem_euclid(WINDOW);
        let reset = (window + WINDOW - now) as u64;
        let mut verdict = Verdict {
            states: [PoolState {
                pool: Pool::Key,
                class: LimitClass::Default,
                limit: 0,
                remaining: 0,
                reset,
            }; 3],
            counted: 0,
            refused_by: None,
        };
        let pools = &pools[..pools.len().min(3)];
        let mut counts = self.counts.lock().expect("rate limit counters");
        if counts.len() + pools.len() > CAPACITY {
            evict(&mut counts, window);
        }
        for (i, &(counter, limit)) in pools.iter().enumerate() {
            let count = counts.entry(counter).or_default();
            if count.window != window {
                *count = Count {
                    window,
                    ..Count::default()
                };
            }
            let state = PoolState {
                pool: counter.pool,
                class: counter.class,
                limit,
                remaining: limit.saturating_sub(count.total()),
                reset,
            };
            if state.remaining == 0 {
                verdict.refused_by = Some(state);
                return verdict;
            }
            verdict.states[i] = state;
        }
        for (&(counter, _), state) in pools.iter().zip(&mut verdict.states) {
            if let Some(count) = counts.get_mut(&counter) {
                count.pending += 1;
            }
            state.remaining -= 1;
        }
        verdict.counted = pools.len();
        verdict
    }

    /// Adds what was admitted here since the last sync to the database's counts and takes the
    /// totals back. On failure the counts stay pending for the next attempt.
    pub async fn sync(&self, db: &Db) -> crate::error::AppResult<()> {
        let batch: Vec<(Counter, i64, u32)> = {
            let mut counts = self.counts.lock().expect("rate limit counters");
            counts
                .iter_mut()
                .filter(|(_, c)| c.pending > 0)
                .map(|(k, c)| {
                    c.in_flight = c.pending;
                    c.pending = 0;
                    (*k, c.window, c.in_flight)
                })
                .collect()
        };
        if batch.is_empty() {
            return Ok(());
        }
        let totals = add_counts(db, &batch).await;
        let mut counts = self.counts.lock().expect("rate limit counters");
        for (i, (counter, window, _)) in batch.iter().enumerate() {
            let Some(c) = counts.get_mut(counter).filter(|c| c.window == *window) else {
                continue;
            };
            match &totals {
                // The total includes what this instance just added.
                Ok(t) => c.synced = t[i],
                Err(_) => c.pending += c.in_flight,
            }
            c.in_flight = 0;
        }
        drop(counts);
        totals.map(|_| ())
    }
}

/// The workspace's rate limits.
pub async fn limits(db: &Db, ws: WorkspaceId) -> AppResult<Limits> {
    let (key_default, stored): (i64, String) =
        sqlx::query_as("SELECT rate_limit_per_minute, rate_limits FROM workspaces WHERE id = $1")
            .bind(ws.to_string())
            .fetch_optional(db.pool())
            .await?
            .ok_or(AppError::NotFound)?;
    Ok(Limits::from_storage(key_default, &stored))
}

/// Sets the workspace's rate limits (the console's gate has checked the policy requirement);
/// refused, and nothing changed, unless every limit is in range and the pools agree.
pub async fn set_limits(db: &Db, by: &Principal, limits: &Limits) -> AppResult<()> {
    limits.validate().map_err(AppError::invalid)?;
    let key_default = limits
        .get(Pool::Key, LimitClass::Default)
        .ok_or_else(|| AppError::invalid("Set a limit per key for default routes."))?;
    let stored = limits.to_storage();
    // Changes what keys may do: remembered keys carry their workspace's limits.
    let mut tx = db.write_credentials().await?;
    sqlx::query("UPDATE workspaces SET rate_limit_per_minute = $1, rate_limits = $2 WHERE id = $3")
        .bind(i64::from(key_default))
        .bind(&stored)
        .bind(by.workspace.to_string())
        .execute(&mut *tx)
        .await?;
    audit::record(
        &mut tx,
        audit::event(
            by,
            AuditAction::PolicyChanged,
            format!("workspace:{}", by.workspace),
            format!("rate limits: key.default={key_default} {stored}")
                .trim_end()
                .to_string(),
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Adds each batch entry's count to its window in the database, returning the new totals, in
/// one transaction.
async fn add_counts(db: &Db, batch: &[(Counter, i64, u32)]) -> crate::error::AppResult<Vec<u32>> {
    let mut tx = db.write_bookkeeping().await?;
    let mut totals = Vec::with_capacity(batch.len());
    for (counter, window, n) in batch {
        let (total,): (i64,) = sqlx::query_as(
            "INSERT INTO rate_limit_counts (counter, window_start, hits) VALUES ($1, $2, $3) \
             ON CONFLICT (counter, window_start) DO UPDATE SET hits = rate_limit_counts.hits + excluded.hits \
             RETURNING hits",
        )
        .bind(counter.stored_name())
        .bind(window)
        .bind(i64::from(*n))
        .fetch_one(&mut *tx)
        .await?;
        totals.push(total.clamp(0, i64::from(u32::MAX)) as u32);
    }
    tx.commit().await?;
    Ok(totals)
}

/// Syncs every [`SYNC_EVERY`], and once a minute deletes windows that ended.
async fn sync_loop(db: Db, limiter: Arc<PooledLimiter>) {
    let mut every = tokio::time::interval(SYNC_EVERY);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut pruned_at = 0;
    loop {
        tokio::select! {
            _ = every.tick() => {}
            _ = db.closed() => return,
        }
        let now = crate::now();
        if let Err(e) = limiter.sync(&db).await {
            tracing::warn!(error = %e, "rate limit counts could not be reconciled");
        }
        if now - pruned_at >= WINDOW {
            pruned_at = now;
            let ended = sqlx::query("DELETE FROM rate_limit_counts WHERE window_start < $1")
                .bind(now - 2 * WINDOW)
                .execute(db.pool())
                .await;
            if let Err(e) = ended {
                tracing::warn!(error = %e, "ended rate limit windows could not be deleted");
            }
        }
    }
}

/// Drops ended windows, then, if still at capacity, the least-used tenth of the counters.
fn evict(counts: &mut HashMap<Counter, Count>, window: i64) {
    crate::security::rate_limit::evict_least_used(
        counts,
        CAPACITY,
        |c| c.window == window,
        Count::total,
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(class: LimitClass) -> Counter {
        Counter::key("AbCd1234", class)
    }

    #[test]
    fn refused_by_the_first_exhausted_pool_and_counted_in_none() {
        let l = PooledLimiter::default();
        let ws = Counter::of(Pool::Workspace, Uuid::nil(), LimitClass::Default);
        let pools = [(key(LimitClass::Default), 3), (ws, 2)];
        assert!(l.check(&pools, 60).refused_by.is_none());
        let second = l.check(&pools, 61);
        assert_eq!(
            second.tightest().map(|p| (p.pool, p.remaining)),
            Some((Pool::Workspace, 0))
        );
        let refused = l.check(&pools, 62);
        let by = refused.refused_by.expect("refused");
        assert_eq!((by.pool, by.limit, by.reset), (Pool::Workspace, 2, 58));
        // The refusal counted nothing: the key pool still has one left.
        assert!(l
            .check(&[(key(LimitClass::Default), 3)], 63)
            .refused_by
            .is_none());
        assert!(l
            .check(&[(key(LimitClass::Default), 3)], 64)
            .refused_by
            .is_some());
        // Other classes and the next window start afresh.
        assert!(l
            .check(&[(key(LimitClass::Write), 1)], 65)
            .refused_by
            .is_none());
        assert!(l.check(&pools, 120).refused_by.is_none());
    }

    #[test]
    fn stored_names_say_whose_counter_it_is() {
        assert_eq!(key(LimitClass::Verify).stored_name(), "key.verify:AbCd1234");
        let id = Uuid::from_u128(7);
        assert_eq!(
            Counter::of(Pool::Application, id, LimitClass::Write).stored_name(),
            format!("application.write:{id}")
        );
    }
}
