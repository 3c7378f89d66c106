//! Accounts: first-run setup, sign-in, invitations.

use crate::error::{AppError, AppResult};
use crate::security::passwords::Hasher;
use crate::services::audit::{self, Event};
use crate::store::db::{Backend, Db};
use domain::audit::AuditAction;
use domain::ids::{InvitationId, UserId, WorkspaceId};
use domain::roles::Role;
use domain::validate::{Email, Name, Password};

/// The message for every failed sign-in: it never tells whether the account exists.
pub const SIGN_IN_FAILED: &str = "Invalid email or password.";

/// Whether any user exists yet (first run when not).
pub async fn has_users(db: &Db) -> AppResult<bool> {
    // One row is enough to know; counting them all would read the whole table per page view.
    let any: Option<(i64,)> = sqlx::query_as("SELECT 1 FROM users LIMIT 1")
        .fetch_optional(db.pool())
        .await?;
    Ok(any.is_some())
}

/// Creates the first workspace and its owner. Refused once any user exists.
pub async fn setup(
    db: &Db,
    hasher: &Hasher,
    workspace: Name,
    email: Email,
    password: Password,
    address: &str,
) -> AppResult<(UserId, WorkspaceId)> {
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
    let user = UserId::random();
    let ws = WorkspaceId::random();
    let now = crate::now();
    // The first owner administers the instance.
    sqlx::query("INSERT INTO users (id, email, password_hash, created_at, instance_admin) VALUES ($1, $2, $3, $4, 1)")
        .bind(user.to_string())
        .bind(email.as_str())
        .bind(hash)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    crate::services::workspaces::insert_workspace(&mut tx, ws, &workspace, user, now).await?;
    audit::record(
        &mut tx,
        Event {
            workspace: Some(ws),
            actor_user: Some(user),
            target: format!("workspace:{ws}"),
            detail: format!("first-run setup by {email}"),
            address,
            ..Event::new(AuditAction::WorkspaceCreated)
        },
    )
    .await?;
    tx.commit().await?;
    Ok((user, ws))
}

fn already_set_up() -> AppError {
    AppError::Conflict("Keyward is already set up. Sign in instead.".into())
}

/// A successful sign-in.
#[derive(Clone, Copy, Debug)]
pub struct SignedIn {
    pub user: UserId,
    /// Failed attempts on the account since its previous successful sign-in.
    pub failed_before: i64,
}

/// Checks a sign-in. One generic failure message, and the same work whether the account
/// exists or not (argon2 runs against a dummy hash for unknown emails).
///
/// The throttle holds under concurrency and across instances: the attempt is counted in the
/// database, per account and per client address, and committed *before* the password is
/// checked. A locked account is refused without a check and told when to retry. A locked
/// address never blocks a correct password for an account that is not itself locked: it
/// turns failures into "too many attempts", and a success is not charged to it.
pub async fn sign_in(
    db: &Db,
    hasher: &Hasher,
    email_raw: &str,
    password: String,
    address: &str,
) -> AppResult<SignedIn> {
    use crate::services::throttle::{Reserved, SignInThrottle, PER_ACCOUNT, PER_ADDRESS};
    let now = crate::now();
    let email = Email::parse(email_raw).ok();
    let account_key = format!(
        "account:{}",
        email.as_ref().map(Email::as_str).unwrap_or("")
    );
    let address_key = format!("address:{address}");
    let mut tx = db.write().await?;
    let account = SignInThrottle::reserve(&mut tx, &account_key, PER_ACCOUNT, now).await?;
    let address_state = match account {
        Reserved::Within => {
            SignInThrottle::reserve(&mut tx, &address_key, PER_ADDRESS, now).await?
        }
        locked => locked,
    };
    tx.commit().await?;
    if let Reserved::Locked { retry_after } = account {
        return Err(AppError::TooManyRequests { retry_after });
    }
    let row: Option<(UserId, Option<String>)> = match &email {
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
    let mut tx = db.write().await?;
    // The same writes whether or not the account exists, so timing tells nothing: unknown
    // accounts' failures are audited at the instance level.
    let workspaces = match user_id {
        Some(_) => user_workspace_ids(&mut tx, user_id)
            .await?
            .into_iter()
            .map(Some)
            .collect(),
        None => vec![None],
    };
    for ws in workspaces {
        audit::record(
            &mut tx,
            Event {
                workspace: ws,
                actor_user: user_id,
                target: format!(
                    "user:{}",
                    user_id.map(|u| u.to_string()).unwrap_or_default()
                ),
                address,
                ..Event::new(if ok {
                    AuditAction::SessionSignedIn
                } else {
                    AuditAction::SessionSignInFailed
                })
            },
        )
        .await?;
    }
    let outcome = match (ok, user_id) {
        (true, Some(user)) => {
            SignInThrottle::settle_success(&mut tx, &account_key, &address_key).await?;
            let (failed_before,): (i64,) =
                sqlx::query_as("SELECT failed_sign_ins FROM users WHERE id = $1")
                    .bind(user.to_string())
                    .fetch_one(&mut *tx)
                    .await?;
            sqlx::query("UPDATE users SET failed_sign_ins = 0 WHERE id = $1")
                .bind(user.to_string())
                .execute(&mut *tx)
                .await?;
            Ok(SignedIn {
                user,
                failed_before,
            })
        }
        _ => {
            sqlx::query("UPDATE users SET failed_sign_ins = failed_sign_ins + 1 WHERE email = $1")
                .bind(email.as_ref().map(Email::as_str).unwrap_or(""))
                .execute(&mut *tx)
                .await?;
            Err(match address_state {
                Reserved::Locked { retry_after } => AppError::TooManyRequests { retry_after },
                Reserved::Within => AppError::invalid(SIGN_IN_FAILED),
            })
        }
    };
    tx.commit().await?;
    outcome
}

async fn user_workspace_ids(
    tx: &mut crate::store::db::Tx,
    user: Option<UserId>,
) -> AppResult<Vec<WorkspaceId>> {
    let Some(user) = user else { return Ok(vec![]) };
    let rows: Vec<(WorkspaceId,)> =
        sqlx::query_as("SELECT workspace_id FROM memberships WHERE user_id = $1")
            .bind(user.to_string())
            .fetch_all(&mut **tx)
            .await?;
    Ok(rows.into_iter().map(|(w,)| w).collect())
}

/// The email of a user.
pub async fn email_of(db: &Db, user: UserId) -> AppResult<String> {
    let (email,): (String,) = sqlx::query_as("SELECT email FROM users WHERE id = $1")
        .bind(user.to_string())
        .fetch_one(db.pool())
        .await?;
    Ok(email)
}

/// Invitation tokens are valid this long.
pub const INVITATION_LIFETIME: i64 = 7 * domain::dates::DAY;

/// Sets the password of an invited account from its one-time token and consumes the token.
pub async fn accept_invitation(
    db: &Db,
    hasher: &Hasher,
    digest: &str,
    password: Password,
    address: &str,
) -> AppResult<UserId> {
    let hash = hasher.hash(&password).await?;
    let mut tx = db.write().await?;
    // Single use inside the writing statement: of two concurrent acceptances one wins.
    let row: Option<(InvitationId, WorkspaceId, UserId)> = sqlx::query_as(
        "UPDATE invitations SET used_at = $2 \
         WHERE token_digest = $1 AND used_at IS NULL AND expires_at > $2 \
         RETURNING id, workspace_id, user_id",
    )
    .bind(digest)
    .bind(crate::now())
    .fetch_optional(&mut *tx)
    .await?;
    let Some((_, ws, user)) = row else {
        return Err(invitation_unusable());
    };
    // A link sets the password of an account that never had one, never resets one that has
    // signed in.
    let set =
        sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2 AND password_hash IS NULL")
            .bind(hash)
            .bind(user)
            .execute(&mut *tx)
            .await?;
    if set.rows_affected() == 0 {
        return Err(invitation_unusable());
    }
    audit::record(
        &mut tx,
        Event {
            workspace: Some(ws),
            actor_user: Some(user),
            target: format!("user:{user}"),
            address,
            ..Event::new(AuditAction::InvitationAccepted)
        },
    )
    .await?;
    tx.commit().await?;
    Ok(user)
}

fn invitation_unusable() -> AppError {
    AppError::invalid("This invitation link is invalid, used or expired.")
}

/// The role a user holds in a workspace, if a member.
pub async fn role_in(db: &Db, user: UserId, workspace: WorkspaceId) -> AppResult<Option<Role>> {
    let row: Option<(String,)> =
        sqlx::query_as("SELECT role FROM memberships WHERE user_id = $1 AND workspace_id = $2")
            .bind(user.to_string())
            .bind(workspace.to_string())
            .fetch_optional(db.pool())
            .await?;
    Ok(row.and_then(|(r,)| Role::parse(&r).ok()))
}
