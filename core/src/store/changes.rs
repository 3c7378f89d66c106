//! Changes to what credentials may do, as one counter every instance watches.
//!
//! Every write that changes what a credential may do (a revocation, a rotation, a role change,
//! a removed member, a policy change, …) opens its transaction with
//! [`crate::store::db::Db::write_credentials`]; no other write invalidates anything. When it
//! commits, this instance's counter moves at once; other instances learn of it from
//! PostgreSQL's `LISTEN/NOTIFY` (delivered at commit) or, on a shared SQLite file, by reading
//! a counter row a few times a second. Caches of verified keys are valid for one value of
//! the counter only.

use sqlx::AnyPool;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// The PostgreSQL notification channel.
pub const CHANNEL: &str = "keyward_credentials";

/// How often an instance on SQLite reads the shared counter.
pub const SQLITE_POLL: Duration = Duration::from_millis(200);

/// This instance's view of the change counter.
#[derive(Debug, Default)]
pub struct Changes {
    epoch: AtomicU64,
    /// Where a serving instance's acknowledgements go ([`crate::store::instances`]): the
    /// number of each change it applied and when (ms). Unset in the command line tool.
    acks: std::sync::OnceLock<tokio::sync::mpsc::UnboundedSender<(i64, i64)>>,
}

impl Changes {
    /// Sends this instance's acknowledgements to `sink` from now on.
    pub fn acknowledge_to(&self, sink: tokio::sync::mpsc::UnboundedSender<(i64, i64)>) {
        let _ = self.acks.set(sink);
    }

    /// The change numbered `n` is applied here: everything remembered before it is dropped.
    pub fn applied(&self, n: i64) {
        self.bump();
        if let Some(sink) = self.acks.get() {
            let _ = sink.send((n, crate::now_ms()));
        }
    }

    /// The current value; anything remembered under an older value is stale.
    pub fn epoch(&self) -> u64 {
        self.epoch.load(Ordering::Acquire)
    }

    /// Something changed (or may have, while we could not hear).
    pub fn bump(&self) {
        self.epoch.fetch_add(1, Ordering::AcqRel);
    }
}

/// Follows other instances' changes on PostgreSQL until the pool closes. A lost connection
/// counts as a change: notifications sent meanwhile are gone.
pub fn listen_postgres(url: String, changes: Arc<Changes>, pool: AnyPool) {
    tokio::spawn(async move {
        let closed = pool.close_event();
        tokio::pin!(closed);
        loop {
            let listening = follow_postgres(&url, &changes);
            tokio::select! {
                _ = &mut closed => return,
                result = listening => {
                    if let Err(e) = result {
                        tracing::warn!(error = %e, "lost the credential change feed; retrying");
                    }
                }
            }
            changes.bump();
            tokio::select! {
                _ = &mut closed => return,
                _ = tokio::time::sleep(Duration::from_secs(1)) => {}
            }
        }
    });
}

/// Listens until the connection fails for good; every notification is a change.
async fn follow_postgres(url: &str, changes: &Changes) -> Result<(), sqlx::Error> {
    let mut listener = sqlx::postgres::PgListener::connect(url).await?;
    listener.listen(CHANNEL).await?;
    changes.bump();
    loop {
        // `None`: the connection dropped and will be re-established by the next call. The
        // payload is the change's number, acknowledged once applied.
        match listener.try_recv().await? {
            Some(n) => match n.payload().parse() {
                Ok(n) => changes.applied(n),
                Err(_) => changes.bump(),
            },
            None => changes.bump(),
        }
    }
}

/// Follows other instances' changes on a shared SQLite file until the pool closes.
pub fn poll_sqlite(changes: Arc<Changes>, pool: AnyPool) {
    tokio::spawn(async move {
        let mut seen: Option<i64> = None;
        let closed = pool.close_event();
        tokio::pin!(closed);
        loop {
            let now: Result<(i64,), _> =
                sqlx::query_as("SELECT counter FROM credential_changes WHERE id = 1")
                    .fetch_one(&pool)
                    .await;
            match now {
                Ok((n,)) if seen != Some(n) => {
                    if let Some(before) = seen {
                        // Every change since the last read is applied at once (the newest
                        // few acknowledged: a burst is one drop of what is remembered).
                        changes.bump();
                        for c in (before + 1).max(n - 31)..=n {
                            changes.applied(c);
                        }
                    }
                    seen = Some(n);
                }
                Ok(_) => {}
                // Unreadable: assume the worst.
                Err(_) => changes.bump(),
            }
            tokio::select! {
                _ = &mut closed => return,
                _ = tokio::time::sleep(SQLITE_POLL) => {}
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bump_moves_the_epoch() {
        let c = Changes::default();
        let before = c.epoch();
        c.bump();
        assert_ne!(c.epoch(), before);
    }
}
