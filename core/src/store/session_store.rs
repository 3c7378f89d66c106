//! tower-sessions store in Keyward's own database, so several instances share sessions and
//! signing out deletes the session server-side.

use crate::store::db::Db;
use tower_sessions::cookie::time::OffsetDateTime;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, SessionStore};

/// What a session holds: the keys of its data, written at sign-in and read by the
/// console's authentication and the member's session list.
pub const SESSION_USER: &str = "user_id";
pub const SESSION_WORKSPACE: &str = "workspace_id";
pub const SESSION_SIGNED_IN_AT: &str = "signed_in_at";
/// When the session was last used, to the minute: moving it keeps an active session alive.
pub const SESSION_LAST_SEEN: &str = "last_seen_at";
/// Where and with what the session was signed in, for the member's session list.
pub const SESSION_ADDRESS: &str = "address";
pub const SESSION_USER_AGENT: &str = "user_agent";
/// Failed sign-ins on the account before this session began, shown in the shell.
pub const SESSION_FAILED_BEFORE: &str = "failed_sign_ins_before";
/// A session ends this long after sign-in, however active.
pub const ABSOLUTE_TIMEOUT_SECS: i64 = 12 * 3600;
/// A session ends after this long without a request.
pub const IDLE_TIMEOUT_SECS: i64 = 2 * 3600;

#[derive(Clone, Debug)]
pub struct DbSessionStore {
    db: Db,
}

impl DbSessionStore {
    pub fn new(db: Db) -> DbSessionStore {
        DbSessionStore { db }
    }
}

fn backend(e: impl std::fmt::Display) -> session_store::Error {
    session_store::Error::Backend(e.to_string())
}

/// The public handle of a session: SHA-256 of its secret id. Lists and "Sign out" name a
/// session by it, so the page never holds a session id.
pub fn handle_of(id: &str) -> String {
    use sha2::Digest;
    crate::security::crypto::hex(&sha2::Sha256::digest(id.as_bytes()))
}

/// The columns a member's session list shows, read from the session's data.
struct Metadata {
    user_id: Option<String>,
    created_at: Option<i64>,
    last_seen_at: Option<i64>,
    address: Option<String>,
    user_agent: Option<String>,
}

impl Metadata {
    fn of(record: &Record) -> Metadata {
        let text = |k: &str| {
            record
                .data
                .get(k)
                .and_then(|v| v.as_str())
                .map(str::to_string)
        };
        let number = |k: &str| record.data.get(k).and_then(|v| v.as_i64());
        Metadata {
            user_id: text(SESSION_USER),
            created_at: number(SESSION_SIGNED_IN_AT),
            last_seen_at: number(SESSION_LAST_SEEN).or(number(SESSION_SIGNED_IN_AT)),
            address: text(SESSION_ADDRESS),
            user_agent: text(SESSION_USER_AGENT),
        }
    }
}

impl DbSessionStore {
    /// Writes `record` with its metadata; `on_conflict` says what an existing id does.
    async fn write(&self, record: &Record, on_conflict: &str) -> session_store::Result<u64> {
        let data = serde_json::to_string(&record.data)
            .map_err(|e| session_store::Error::Encode(e.to_string()))?;
        let m = Metadata::of(record);
        let id = record.id.to_string();
        Ok(sqlx::query(&format!(
            "INSERT INTO sessions (id, data, expires_at, handle, user_id, created_at, last_seen_at, address, user_agent) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (id) {on_conflict}"
        ))
        .bind(&id)
        .bind(data)
        .bind(record.expiry_date.unix_timestamp())
        .bind(handle_of(&id))
        .bind(m.user_id)
        .bind(m.created_at)
        .bind(m.last_seen_at)
        .bind(m.address)
        .bind(m.user_agent)
        .execute(self.db.pool())
        .await
        .map_err(backend)?
        .rows_affected())
    }
}

#[async_trait::async_trait]
impl SessionStore for DbSessionStore {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        // Retry on the (astronomically unlikely) id collision rather than overwrite.
        while self.write(record, "DO NOTHING").await? != 1 {
            record.id = Id::default();
        }
        Ok(())
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        self.write(
            record,
            "DO UPDATE SET data = excluded.data, expires_at = excluded.expires_at, \
             user_id = excluded.user_id, created_at = excluded.created_at, \
             last_seen_at = excluded.last_seen_at, address = excluded.address, \
             user_agent = excluded.user_agent",
        )
        .await?;
        Ok(())
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        let row: Option<(String, i64)> = sqlx::query_as(
            "SELECT data, expires_at FROM sessions WHERE id = $1 AND expires_at > $2",
        )
        .bind(id.to_string())
        .bind(crate::now())
        .fetch_optional(self.db.pool())
        .await
        .map_err(backend)?;
        let Some((data, expires_at)) = row else {
            return Ok(None);
        };
        Ok(Some(Record {
            id: *id,
            data: serde_json::from_str(&data)
                .map_err(|e| session_store::Error::Decode(e.to_string()))?,
            expiry_date: OffsetDateTime::from_unix_timestamp(expires_at).map_err(backend)?,
        }))
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        sqlx::query("DELETE FROM sessions WHERE id = $1")
            .bind(id.to_string())
            .execute(self.db.pool())
            .await
            .map_err(backend)?;
        Ok(())
    }
}
