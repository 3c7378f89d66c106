//! The one storage seam: SQLite (embedded default) or PostgreSQL, behind sqlx's `Any` driver
//! so each query is written once (`$n` placeholders, integer times, text ids).

use crate::store::changes::Changes;
use sqlx::any::{AnyPoolOptions, AnyQueryResult};
use sqlx::{Any, AnyConnection, AnyPool, Executor, Transaction};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// Which database is behind the pool.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A write transaction. Dereferences to the connection (`&mut *tx` runs a query in it);
/// [`Tx::commit`] also tells [`Changes`] when the transaction changed what credentials may do.
pub struct Tx {
    inner: Transaction<'static, Any>,
    changes: Arc<Changes>,
    backend: Backend,
    /// The number of the credential change this transaction makes, once it is marked as one.
    change: Option<i64>,
}

impl Tx {
    /// Marks this transaction (opened by [`Db::write_credentials`]) as changing what some
    /// credential may do, and numbers the change: once it commits, every instance drops what
    /// it remembers of verified keys and acknowledges the number. On PostgreSQL the
    /// notification (carrying the number) is sent inside the transaction, so it is delivered
    /// exactly when the change is visible.
    async fn touches_credentials(&mut self) -> Result<(), sqlx::Error> {
        if self.change.is_none() {
            let (n,): (i64,) = match self.backend {
                Backend::Postgres => {
                    let n: (i64,) = sqlx::query_as("SELECT nextval('credential_change_seq')")
                        .fetch_one(&mut *self.inner)
                        .await?;
                    sqlx::query("SELECT pg_notify($1, $2)")
                        .bind(crate::store::changes::CHANNEL)
                        .bind(n.0.to_string())
                        .execute(&mut *self.inner)
                        .await?;
                    n
                }
                Backend::Sqlite => {
                    sqlx::query_as(
                        "UPDATE credential_changes SET counter = counter + 1 WHERE id = 1 RETURNING counter",
                    )
                    .fetch_one(&mut *self.inner)
                    .await?
                }
            };
            self.change = Some(n);
        }
        Ok(())
    }

    /// The number of the credential change this transaction makes (see
    /// [`Db::write_credentials`]); `None` for other writes.
    pub fn change(&self) -> Option<i64> {
        self.change
    }

    pub async fn commit(self) -> Result<(), sqlx::Error> {
        self.inner.commit().await?;
        if let Some(n) = self.change {
            self.changes.applied(n);
        }
        Ok(())
    }
}

impl std::ops::Deref for Tx {
    type Target = AnyConnection;
    fn deref(&self) -> &AnyConnection {
        &self.inner
    }
}

impl std::ops::DerefMut for Tx {
    fn deref_mut(&mut self) -> &mut AnyConnection {
        &mut self.inner
    }
}

/// A handle on the database.
#[derive(Clone, Debug)]
pub struct Db {
    pool: AnyPool,
    /// Where bookkeeping is written: on SQLite one connection of its own whose commits skip
    /// the fsync; otherwise the main pool.
    bookkeeping: AnyPool,
    /// On PostgreSQL, one connection of the driver's own type for the access log: it writes
    /// with `COPY`, which the generic driver cannot.
    copy: Option<sqlx::PgPool>,
    backend: Backend,
    changes: Arc<Changes>,
    /// Whether the last readiness check reached the database ([`Db::watch_readiness`]).
    ready: Arc<AtomicBool>,
}

/// How often the database's readiness is checked, and how long one check may take.
pub const READINESS_EVERY: Duration = Duration::from_millis(500);

/// How many readiness checks in a row must fail before the database counts as down: an
/// outage is noticed within about a second, a single slow answer is not one.
pub const FAILED_CHECKS_UNTIL_DOWN: u32 = 2;

/// SQLite connection settings: WAL for concurrent readers, foreign keys, and writers that
/// wait for the lock instead of failing at once. `synchronous` decides what a power cut
/// may take: `FULL` loses no commit (a revocation, an audit row); `NORMAL`, in WAL mode,
/// may lose the last commits but never corrupts.
///
/// A connection to a local file cannot go stale the way a network one can, so it is not
/// pinged before each use: that would add a round trip to the connection's thread to every
/// query (and the access-log writer acquires one for each batch). The readiness watch
/// ([`Db::watch_readiness`]) still notices a database that stopped answering.
fn sqlite_pool(synchronous: &'static str) -> AnyPoolOptions {
    AnyPoolOptions::new()
        .acquire_timeout(Duration::from_secs(5))
        .test_before_acquire(false)
        .after_connect(move |conn, _| {
            Box::pin(async move {
                conn.execute(
                    format!(
                        "PRAGMA journal_mode = WAL; PRAGMA synchronous = {synchronous}; \
                         PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000;"
                    )
                    .as_str(),
                )
                .await?;
                Ok(())
            })
        })
}

impl Db {
    /// Connects (creating a SQLite file if needed) and migrates.
    pub async fn connect(url: &str) -> Result<Db, sqlx::Error> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else {
            return Err(sqlx::Error::Configuration(
                "DATABASE_URL must start with sqlite: or postgres://".into(),
            ));
        };
        let (pool, bookkeeping, copy) = match backend {
            Backend::Sqlite => {
                let url = if url.contains('?') {
                    url.to_string()
                } else {
                    format!("{url}?mode=rwc")
                };
                let pool = sqlite_pool("FULL").max_connections(8).connect(&url).await?;
                // An in-memory database exists only on the connections that opened it.
                let bookkeeping = if url.contains(":memory:") || url.contains("mode=memory") {
                    pool.clone()
                } else {
                    sqlite_pool("NORMAL")
                        .max_connections(1)
                        .connect_lazy(&url)?
                };
                (pool, bookkeeping, None)
            }
            Backend::Postgres => {
                let pool = AnyPoolOptions::new()
                    .acquire_timeout(Duration::from_secs(5))
                    .max_connections(16)
                    .connect(url)
                    .await?;
                let copy = sqlx::postgres::PgPoolOptions::new()
                    .acquire_timeout(Duration::from_secs(5))
                    .max_connections(1)
                    .connect_lazy(url)?;
                (pool.clone(), pool, Some(copy))
            }
        };
        let changes = Arc::new(Changes::default());
        let db = Db {
            pool,
            bookkeeping,
            copy,
            backend,
            changes: changes.clone(),
            // It just answered: connecting and migrating went through it.
            ready: Arc::new(AtomicBool::new(true)),
        };
        db.migrate().await?;
        crate::store::audit_chain::seal_unchained(&db).await?;
        match backend {
            Backend::Postgres => {
                crate::store::changes::listen_postgres(url.to_string(), changes, db.pool.clone())
            }
            Backend::Sqlite => crate::store::changes::poll_sqlite(changes, db.pool.clone()),
        }
        Ok(db)
    }

    async fn migrate(&self) -> Result<(), sqlx::Error> {
        let migrator = match self.backend {
            Backend::Sqlite => sqlx::migrate!("../migrations/sqlite"),
            Backend::Postgres => sqlx::migrate!("../migrations/postgres"),
        };
        migrator
            .run(&self.pool)
            .await
            .map_err(|e| sqlx::Error::Migrate(Box::new(e)))
    }

    /// PostgreSQL's connection for bulk writes with `COPY` (`None` on SQLite).
    pub fn copy_pool(&self) -> Option<&sqlx::PgPool> {
        self.copy.as_ref()
    }

    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Begins a write transaction. On SQLite it is `BEGIN IMMEDIATE`: a deferred transaction
    /// that reads then writes fails at once under contention, whatever the busy timeout.
    pub async fn write(&self) -> Result<Tx, sqlx::Error> {
        let inner = match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => self.pool.begin().await?,
        };
        Ok(Tx {
            inner,
            changes: self.changes.clone(),
            backend: self.backend,
            change: None,
        })
    }

    /// Begins a write that changes what some credential may do (a revocation, a rotation, a
    /// role change, a policy change, …): once it commits, every instance drops what it
    /// remembers of verified keys. Only such writes invalidate; everything else uses
    /// [`Db::write`], so sign-ins and credential tests flush no cache.
    pub async fn write_credentials(&self) -> Result<Tx, sqlx::Error> {
        let mut tx = self.write().await?;
        tx.touches_credentials().await?;
        Ok(tx)
    }

    /// Begins a write of bookkeeping (access-log rows, last-use times), which a power cut
    /// may take the last moments of: it commits without waiting for the disk (SQLite:
    /// its own `synchronous = NORMAL` connection; PostgreSQL: `synchronous_commit = off`).
    /// Never for anything that changes what a credential may do.
    pub async fn write_bookkeeping(&self) -> Result<Tx, sqlx::Error> {
        let inner = match self.backend {
            Backend::Sqlite => self.bookkeeping.begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => {
                let mut tx = self.bookkeeping.begin().await?;
                sqlx::query("SET LOCAL synchronous_commit = off")
                    .execute(&mut *tx)
                    .await?;
                tx
            }
        };
        Ok(Tx {
            inner,
            changes: self.changes.clone(),
            backend: self.backend,
            change: None,
        })
    }

    /// Changes to what credentials may do, on this instance and (PostgreSQL) every other.
    pub fn changes(&self) -> &Arc<Changes> {
        &self.changes
    }

    /// Whether the database answers now.
    pub async fn ping(&self) -> bool {
        sqlx::query("SELECT 1").execute(&self.pool).await.is_ok()
    }

    /// Whether the database answered its last readiness check, at most [`READINESS_EVERY`]
    /// (plus one check's length) ago. `/readyz` answers from this rather than pinging per probe,
    /// so a probe costs no database round trip and a flood of probes cannot occupy the pool.
    pub fn ready(&self) -> bool {
        self.ready.load(Ordering::Relaxed)
    }

    /// Checks the database every [`READINESS_EVERY`] until the pool closes; a check that takes
    /// longer than that counts as a failure (an unreachable database otherwise waits out the
    /// pool's acquire timeout). The database is declared down after
    /// [`FAILED_CHECKS_UNTIL_DOWN`] failures in a row, so one check that a fully loaded machine
    /// answers late does not turn pages away; it is up again after one check that answers.
    pub async fn watch_readiness(self) {
        let mut failed_in_a_row = 0;
        loop {
            tokio::select! {
                _ = self.closed() => return,
                _ = tokio::time::sleep(READINESS_EVERY) => {}
            }
            let ok = tokio::time::timeout(READINESS_EVERY, self.ping())
                .await
                .unwrap_or(false);
            failed_in_a_row = if ok { 0 } else { failed_in_a_row + 1 };
            self.ready.store(
                failed_in_a_row < FAILED_CHECKS_UNTIL_DOWN,
                Ordering::Relaxed,
            );
        }
    }

    /// Completes once the database is closed (the application stopped).
    pub async fn closed(&self) {
        self.pool.close_event().await
    }

    pub async fn close(&self) {
        self.bookkeeping.close().await;
        self.pool.close().await
    }
}

/// Whether a statement changed a row; `NotFound` otherwise.
pub fn changed(result: AnyQueryResult) -> Result<(), crate::error::AppError> {
    if result.rows_affected() == 0 {
        Err(crate::error::AppError::NotFound)
    } else {
        Ok(())
    }
}
