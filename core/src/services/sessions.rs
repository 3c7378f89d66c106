//! A member's own sessions: the list, signing one or all others out, changing the password
//! (which ends every other session), and pruning what has expired.

use crate::error::{AppError, AppResult};
use crate::security::passwords::Hasher;
use crate::services::audit::{self, Event};
use crate::store::db::Db;
use crate::store::session_store::handle_of;
use domain::audit::AuditAction;
use domain::ids::{UserId, WorkspaceId};
use domain::model::SessionRow;
use domain::validate::{InvalidInput, Password};

/// handle, created, last seen, address, user agent.
type SessionColumns = (
    String,
    Option<i64>,
    Option<i64>,
    Option<String>,
    Option<String>,
);

/// The live sessions of `user`, newest first; `current` is the id of the asking session.
pub async fn list(db: &Db, user: UserId, current: Option<&str>) -> AppResult<Vec<SessionRow>> {
    let rows: Vec<SessionColumns> = sqlx::query_as(
        "SELECT handle, created_at, last_seen_at, address, user_agent FROM sessions \
             WHERE user_id = $1 AND expires_at > $2 ORDER BY created_at DESC, handle",
    )
    .bind(user.to_string())
    .bind(crate::now())
    .fetch_all(db.pool())
    .await?;
    let current = current.map(handle_of);
    Ok(rows
        .into_iter()
        .map(
            |(handle, created_at, last_seen_at, address, user_agent)| SessionRow {
                current: current.as_deref() == Some(handle.as_str()),
                handle,
                created_at: created_at.unwrap_or_default(),
                last_seen_at: last_seen_at.unwrap_or_default(),
                address: address.unwrap_or_default(),
                user_agent: user_agent.unwrap_or_default(),
            },
        )
        .collect())
}

/// Signs out one of `user`'s sessions by its handle (others' sessions are not found); its
/// user tokens stop with it.
pub async fn end(db: &Db, user: UserId, handle: &str) -> AppResult<()> {
    let mut tx = db.write().await?;
    let ended = sqlx::query("DELETE FROM sessions WHERE handle = $1 AND user_id = $2")
        .bind(handle)
        .bind(user.to_string())
        .execute(&mut *tx)
        .await?;
    if ended.rows_affected() == 0 {
        return Err(AppError::NotFound);
    }
    tx.commit().await?;
    Ok(())
}

/// Signs out every session of `user` but `keep` (the asking one); how many ended.
pub async fn end_others(db: &Db, user: UserId, keep: &str) -> AppResult<u64> {
    let mut tx = db.write().await?;
    let ended = sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND id <> $2")
        .bind(user.to_string())
        .bind(keep)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    tx.commit().await?;
    Ok(ended)
}

/// Changes `user`'s password after checking the current one (each wrong guess counts against
/// the account's sign-in throttle), ends every other session, and audits it.
pub async fn change_password(
    db: &Db,
    hasher: &Hasher,
    user: UserId,
    current: String,
    new: Password,
    keep_session: &str,
    address: &str,
) -> AppResult<()> {
    use crate::services::throttle::{Reserved, SignInThrottle, PER_ACCOUNT};
    let (email, stored): (String, Option<String>) =
        sqlx::query_as("SELECT email, password_hash FROM users WHERE id = $1")
            .bind(user.to_string())
            .fetch_one(db.pool())
            .await?;
    let account_key = format!("account:{email}");
    let now = crate::now();
    let mut tx = db.write().await?;
    let reserved = SignInThrottle::reserve(&mut tx, &account_key, PER_ACCOUNT, now).await?;
    tx.commit().await?;
    if let Reserved::Locked { retry_after } = reserved {
        return Err(AppError::TooManyRequests { retry_after });
    }
    if current.len() > 1024 || !hasher.verify(current, stored).await? {
        return Err(InvalidInput::in_field(
            "Current password",
            "The current password is not right.",
        )
        .into());
    }
    let hash = hasher.hash(&new).await?;
    let mut tx = db.write().await?;
    sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
        .bind(hash)
        .bind(user.to_string())
        .execute(&mut *tx)
        .await?;
    sqlx::query("DELETE FROM sign_in_throttle WHERE key = $1")
        .bind(&account_key)
        .execute(&mut *tx)
        .await?;
    let ended = sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND id <> $2")
        .bind(user.to_string())
        .bind(keep_session)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    let workspaces: Vec<(WorkspaceId,)> =
        sqlx::query_as("SELECT workspace_id FROM memberships WHERE user_id = $1")
            .bind(user.to_string())
            .fetch_all(&mut *tx)
            .await?;
    for (ws,) in workspaces {
        audit::record(
            &mut tx,
            Event {
                workspace: Some(ws),
                actor_user: Some(user),
                target: format!("user:{user}"),
                detail: format!("{ended} other session(s) ended"),
                address,
                ..Event::new(AuditAction::PasswordChanged)
            },
        )
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Deletes what has expired: sessions, user tokens, unused invitations, sign-in throttle
/// windows. Run periodically; how many rows went.
pub async fn prune_expired(db: &Db, now: i64) -> AppResult<u64> {
    let mut tx = db.write().await?;
    let mut n = 0;
    for sql in [
        "DELETE FROM user_tokens WHERE expires_at <= $1",
        "DELETE FROM sessions WHERE expires_at <= $1",
        "DELETE FROM invitations WHERE used_at IS NULL AND expires_at <= $1",
    ] {
        n += sqlx::query(sql)
            .bind(now)
            .execute(&mut *tx)
            .await?
            .rows_affected();
    }
    tx.commit().await?;
    n += crate::services::throttle::SignInThrottle::prune(db, now).await?;
    Ok(n)
}
