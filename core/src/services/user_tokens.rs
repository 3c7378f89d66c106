//! The stored side of short-lived user tokens: each token's handle names the browser session
//! it was issued from, so signing out (which deletes the session) ends it. Signing and
//! checking the token itself is the machine API's.

use crate::error::AppResult;
use crate::store::db::Db;
use crate::store::session_store::ABSOLUTE_TIMEOUT_SECS;
use domain::ids::{UserId, WorkspaceId};

/// Records a token `handle` for a session of `user` in `workspace`, and returns its expiry:
/// `lifetime` seconds from now, never past the session's absolute lifetime.
pub async fn record(
    db: &Db,
    handle: &str,
    session_id: &str,
    user: UserId,
    workspace: WorkspaceId,
    lifetime: i64,
) -> AppResult<i64> {
    let now = crate::now();
    let started: Option<(Option<i64>,)> =
        sqlx::query_as("SELECT created_at FROM sessions WHERE id = $1")
            .bind(session_id)
            .fetch_optional(db.pool())
            .await?;
    let exp = match started.and_then(|(c,)| c) {
        Some(signed_in) => (now + lifetime).min(signed_in + ABSOLUTE_TIMEOUT_SECS),
        None => now + lifetime,
    };
    sqlx::query(
        "INSERT INTO user_tokens (handle, session_id, user_id, workspace_id, expires_at) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(handle)
    .bind(session_id)
    .bind(user.to_string())
    .bind(workspace.to_string())
    .bind(exp)
    .execute(db.pool())
    .await?;
    Ok(exp)
}

/// Whether the token `handle` is unexpired and its session still exists.
pub async fn is_live(db: &Db, handle: &str) -> AppResult<bool> {
    let live: Option<(String,)> = sqlx::query_as(
        "SELECT t.handle FROM user_tokens t JOIN sessions s ON s.id = t.session_id \
         WHERE t.handle = $1 AND t.expires_at > $2 AND s.expires_at > $2",
    )
    .bind(handle)
    .bind(crate::now())
    .fetch_optional(db.pool())
    .await?;
    Ok(live.is_some())
}
