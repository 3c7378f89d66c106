//! Accounts: first-run setup, sign-in, invitations.

use super::audit::{self, Event};
use super::db::{Backend, Db};
use super::error::{AppError, AppResult};
use super::passwords::Hasher;
use super::throttle::Throttle;
use crate::domain::roles::Role;
use crate::domain::validate::{Email, Name, Password};
use uuid::Uuid;

/// The message for every failed sign-in: it never tells whether the account exists.
pub const SIGN_IN_FAILED: &str = "Invalid email or password.";

/// Whether any user exists yet (first run when not).
pub async fn has_users(db: &Db) -> AppResult<bool> {
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM users")
        .fetch_one(db.pool())
        .await?;
    Ok(n > 0)
}

/// Creates the first workspace and its owner. Refused once any user exists.
pub async fn setup(
    db: &Db,
    hasher: &Hasher,
    workspace: Name,
    email: Email,
    password: Password,
    address: &str,
) -> AppResult<(Uuid, Uuid)> {
    if has_users(db).await? {
        return Err(already_set_up());
    }
    let hash = hasher.hash(&password).await?;
    let mut tx = db.write().await?;
    if db.backend() == Backend::Postgres {
        // Two concurrent setups must not both see an empty users table.
        sqlx::query("LOCK TABLE users IN EXCLUSIVE MODE")
            .execute(&mut *tx)
            .await?;
    }
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM users")
        .fetch_one(&mut *tx)
        .await?;
    if n > 0 {
        return Err(already_set_up());
    }
    let user = Uuid::new_v4();
    let ws = Uuid::new_v4();
    let now = super::now();
    sqlx::query("INSERT INTO users (id, email, password_hash, created_at) VALUES ($1, $2, $3, $4)")
        .bind(user.to_string())
        .bind(email.as_str())
        .bind(hash)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    super::workspaces::insert_workspace(&mut tx, ws, &workspace, user, now).await?;
    audit::record(
        &mut tx,
        Event {
            workspace: Some(ws),
            actor_user: Some(user),
            action: "workspace.created",
            target: format!("workspace:{ws}"),
            detail: format!("first-run setup by {email}"),
            address,
            ..Event::default()
        },
    )
    .await?;
    tx.commit().await?;
    Ok((user, ws))
}

fn already_set_up() -> AppError {
    AppError::Conflict("Keyward is already set up. Sign in instead.".into())
}

/// Checks a sign-in. Throttled per account and per address; one generic failure message;
/// argon2 runs even for unknown emails so timing tells nothing.
pub async fn sign_in(
    db: &Db,
    hasher: &Hasher,
    throttle: &Throttle,
    email_raw: &str,
    password: String,
    address: &str,
) -> AppResult<Uuid> {
    let now = super::now();
    let email = Email::parse(email_raw).ok();
    let account_key = format!(
        "account:{}",
        email.as_ref().map(Email::as_str).unwrap_or("")
    );
    let address_key = format!("address:{address}");
    for key in [&account_key, &address_key] {
        if let Some(retry_after) = throttle.retry_after(key, now) {
            return Err(AppError::TooManyRequests { retry_after });
        }
    }
    let row: Option<(String, Option<String>)> = match &email {
        Some(email) => {
            sqlx::query_as("SELECT id, password_hash FROM users WHERE email = $1")
                .bind(email.as_str())
                .fetch_optional(db.pool())
                .await?
        }
        None => None,
    };
    let (user_id, stored) = match row {
        Some((id, hash)) => (Some(id), hash),
        None => (None, None),
    };
    let ok = password.len() <= 1024 && hasher.verify(password, stored).await?;
    let user_id = user_id.and_then(|id| Uuid::parse_str(&id).ok());
    let mut tx = db.write().await?;
    for ws in user_workspace_ids(&mut tx, user_id).await? {
        audit::record(
            &mut tx,
            Event {
                workspace: Some(ws),
                actor_user: user_id,
                action: if ok {
                    "session.signed_in"
                } else {
                    "session.sign_in_failed"
                },
                target: format!(
                    "user:{}",
                    user_id.map(|u| u.to_string()).unwrap_or_default()
                ),
                address,
                ..Event::default()
            },
        )
        .await?;
    }
    tx.commit().await?;
    match (ok, user_id) {
        (true, Some(user)) => {
            throttle.clear(&account_key);
            Ok(user)
        }
        _ => {
            throttle.record_failure(&account_key, now);
            throttle.record_failure(&address_key, now);
            Err(AppError::Invalid(SIGN_IN_FAILED.into()))
        }
    }
}

async fn user_workspace_ids(tx: &mut super::db::Tx, user: Option<Uuid>) -> AppResult<Vec<Uuid>> {
    let Some(user) = user else { return Ok(vec![]) };
    let rows: Vec<(String,)> =
        sqlx::query_as("SELECT workspace_id FROM memberships WHERE user_id = $1")
            .bind(user.to_string())
            .fetch_all(&mut **tx)
            .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(w,)| Uuid::parse_str(&w).ok())
        .collect())
}

/// The email of a user.
pub async fn email_of(db: &Db, user: Uuid) -> AppResult<String> {
    let (email,): (String,) = sqlx::query_as("SELECT email FROM users WHERE id = $1")
        .bind(user.to_string())
        .fetch_one(db.pool())
        .await?;
    Ok(email)
}

/// Invitation tokens are valid this long.
pub const INVITATION_LIFETIME: i64 = 7 * crate::domain::dates::DAY;

/// Sets the password of an invited account from its one-time token and consumes the token.
pub async fn accept_invitation(
    db: &Db,
    hasher: &Hasher,
    digest: &str,
    password: Password,
    address: &str,
) -> AppResult<Uuid> {
    let hash = hasher.hash(&password).await?;
    let mut tx = db.write().await?;
    let row: Option<(String, String, String)> = sqlx::query_as(
        "SELECT id, workspace_id, user_id FROM invitations WHERE token_digest = $1 AND used_at IS NULL AND expires_at > $2",
    )
    .bind(digest)
    .bind(super::now())
    .fetch_optional(&mut *tx)
    .await?;
    let Some((id, ws, user)) = row else {
        return Err(AppError::Invalid(
            "This invitation link is invalid, used or expired.".into(),
        ));
    };
    sqlx::query("UPDATE invitations SET used_at = $1 WHERE id = $2")
        .bind(super::now())
        .bind(&id)
        .execute(&mut *tx)
        .await?;
    sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
        .bind(hash)
        .bind(&user)
        .execute(&mut *tx)
        .await?;
    let user = Uuid::parse_str(&user).map_err(|e| AppError::Internal(e.to_string()))?;
    audit::record(
        &mut tx,
        Event {
            workspace: Uuid::parse_str(&ws).ok(),
            actor_user: Some(user),
            action: "member.invitation_accepted",
            target: format!("user:{user}"),
            address,
            ..Event::default()
        },
    )
    .await?;
    tx.commit().await?;
    Ok(user)
}

/// The role a user holds in a workspace, if a member.
pub async fn role_in(db: &Db, user: Uuid, workspace: Uuid) -> AppResult<Option<Role>> {
    let row: Option<(String,)> =
        sqlx::query_as("SELECT role FROM memberships WHERE user_id = $1 AND workspace_id = $2")
            .bind(user.to_string())
            .bind(workspace.to_string())
            .fetch_optional(db.pool())
            .await?;
    Ok(row.and_then(|(r,)| Role::parse(&r).ok()))
}
