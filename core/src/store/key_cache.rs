//! Stored keys remembered briefly, so a machine request needs no database read.
//!
//! What is remembered is the stored row (digest, owner's role, workspace limits), never a
//! secret; each request still compares its own digest and checks expiry against the clock.
//! An entry is good for one value of the [`Changes`] counter — any audited change on this
//! instance drops every entry at once, other instances' changes within a notification (or a
//! [`crate::store::changes::SQLITE_POLL`]) — and for [`LIFETIME`] at most, as a backstop.

use crate::store::changes::Changes;
use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::{Duration, Instant};

/// The longest an entry is trusted, whatever the change feed says.
pub const LIFETIME: Duration = Duration::from_secs(1);

/// Entries kept at most; when full, the oldest generation is simply dropped.
const CAPACITY: usize = 10_000;

struct Entry<T> {
    key: Arc<T>,
    epoch: u64,
    fetched: Instant,
}

/// Recently verified keys by public key id. Generic over the stored row, so storage knows
/// nothing of the services that read it (they name theirs: `services::keys::KeyCache`).
pub struct KeyCache<T> {
    changes: Arc<Changes>,
    /// Read by every machine request, written only on a miss: a read lock lets concurrent
    /// requests look up the same key without waiting on each other.
    entries: RwLock<HashMap<String, Entry<T>>>,
    /// Lookups answered from memory, and those that read the database: for `/metrics`.
    hits: std::sync::atomic::AtomicU64,
    misses: std::sync::atomic::AtomicU64,
}

impl<T> std::fmt::Debug for KeyCache<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyCache").finish_non_exhaustive()
    }
}

impl<T> KeyCache<T> {
    pub fn new(changes: Arc<Changes>) -> KeyCache<T> {
        KeyCache {
            changes,
            entries: RwLock::new(HashMap::new()),
            hits: Default::default(),
            misses: Default::default(),
        }
    }

    /// Lookups answered from memory and from the database so far.
    pub fn stats(&self) -> (u64, u64) {
        use std::sync::atomic::Ordering::Relaxed;
        (self.hits.load(Relaxed), self.misses.load(Relaxed))
    }

    /// The stored key with this key id, from memory while it is current, else from `fetch`.
    pub async fn get_or_fetch<F, Fut, E>(&self, key_id: &str, fetch: F) -> Result<Option<Arc<T>>, E>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<Option<T>, E>>,
    {
        let epoch = self.changes.epoch();
        if let Some(e) = self.read().get(key_id) {
            if e.epoch == epoch && e.fetched.elapsed() < LIFETIME {
                self.hits.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                return Ok(Some(e.key.clone()));
            }
        }
        self.misses
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let Some(key) = fetch().await? else {
            return Ok(None);
        };
        let key = Arc::new(key);
        // A change that committed while we read may not be in what we read: keep it only
        // when nothing changed meanwhile.
        if self.changes.epoch() == epoch {
            let mut entries = self.write();
            if entries.len() >= CAPACITY {
                entries.clear();
            }
            entries.insert(
                key_id.to_string(),
                Entry {
                    key: key.clone(),
                    epoch,
                    fetched: Instant::now(),
                },
            );
        }
        Ok(Some(key))
    }

    // A panic while holding the lock leaves nothing half-written worth refusing service for.
    fn read(&self) -> RwLockReadGuard<'_, HashMap<String, Entry<T>>> {
        self.entries.read().unwrap_or_else(|p| p.into_inner())
    }

    fn write(&self) -> RwLockWriteGuard<'_, HashMap<String, Entry<T>>> {
        self.entries.write().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn record(name: &str) -> String {
        name.to_string()
    }

    async fn get(cache: &KeyCache<String>, fetches: &AtomicUsize, name: &str) -> String {
        cache
            .get_or_fetch("k1", || async {
                fetches.fetch_add(1, Ordering::SeqCst);
                Ok::<_, ()>(Some(record(name)))
            })
            .await
            .unwrap()
            .unwrap()
            .to_string()
    }

    #[tokio::test]
    async fn a_current_entry_is_served_without_fetching() {
        let changes = Arc::new(Changes::default());
        let cache = KeyCache::new(changes.clone());
        let fetches = AtomicUsize::new(0);
        assert_eq!(get(&cache, &fetches, "first").await, "first");
        assert_eq!(get(&cache, &fetches, "second").await, "first");
        assert_eq!(fetches.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn a_change_drops_every_entry_at_once() {
        let changes = Arc::new(Changes::default());
        let cache = KeyCache::new(changes.clone());
        let fetches = AtomicUsize::new(0);
        get(&cache, &fetches, "before").await;
        changes.bump();
        assert_eq!(get(&cache, &fetches, "after").await, "after");
        assert_eq!(fetches.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn a_row_read_while_something_changed_is_not_kept() {
        let changes = Arc::new(Changes::default());
        let cache = KeyCache::new(changes.clone());
        let c = changes.clone();
        cache
            .get_or_fetch("k1", || async move {
                c.bump(); // a revocation commits while we read
                Ok::<_, ()>(Some(record("stale")))
            })
            .await
            .unwrap();
        let fetches = AtomicUsize::new(0);
        assert_eq!(get(&cache, &fetches, "fresh").await, "fresh");
    }

    #[tokio::test]
    async fn entries_expire_after_their_lifetime() {
        let cache = KeyCache::new(Arc::new(Changes::default()));
        let fetches = AtomicUsize::new(0);
        get(&cache, &fetches, "old").await;
        cache.write().get_mut("k1").unwrap().fetched -= LIFETIME;
        assert_eq!(get(&cache, &fetches, "new").await, "new");
    }

    #[tokio::test]
    async fn unknown_keys_are_not_remembered() {
        let cache = KeyCache::<String>::new(Arc::new(Changes::default()));
        let none = cache
            .get_or_fetch("nope", || async { Ok::<_, ()>(None) })
            .await
            .unwrap();
        assert!(none.is_none());
        assert!(cache.read().is_empty());
    }
}
