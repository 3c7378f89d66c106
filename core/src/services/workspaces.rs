//! Workspaces, members, roles, applications, agents and key policy.

use crate::error::{AppError, AppResult};
use crate::security::crypto::ServerSecret;
use crate::services::audit;
use crate::store::db::{changed, Db, Tx};
use domain::access::Principal;
use domain::audit::AuditAction;
use domain::authorization::{decide, Action};
use domain::ids::{AgentId, ApplicationId, InvitationId, UserId, WorkspaceId};
use domain::model::{AgentRow, ApplicationRow, MemberRow, Policy, WorkspaceSummary};
use domain::roles::Role;
use domain::validate::{Email, Name};

/// Inserts a workspace with `owner` as its owner.
pub async fn insert_workspace(
    tx: &mut Tx,
    ws: WorkspaceId,
    name: &Name,
    owner: UserId,
    now: i64,
) -> AppResult<()> {
    sqlx::query("INSERT INTO workspaces (id, name, created_at) VALUES ($1, $2, $3)")
        .bind(ws.to_string())
        .bind(name.as_str())
        .bind(now)
        .execute(&mut **tx)
        .await?;
    sqlx::query(
        "INSERT INTO memberships (workspace_id, user_id, role, created_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(ws.to_string())
    .bind(owner.to_string())
    .bind(Role::Owner.id())
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// A new workspace owned by `by`: an instance admin, or anyone where admins allow it.
pub async fn create_workspace(db: &Db, by: &Principal, name: Name) -> AppResult<WorkspaceId> {
    if !crate::services::instance::may_create_workspace(db, by.user).await? {
        return Err(AppError::Forbidden(
            "Only instance admins may create workspaces on this Keyward.".into(),
        ));
    }
    let ws = WorkspaceId::random();
    let mut tx = db.write().await?;
    insert_workspace(&mut tx, ws, &name, by.user, crate::now()).await?;
    let by = Principal {
        workspace: ws,
        ..by.clone()
    };
    audit::record(
        &mut tx,
        audit::event(
            &by,
            AuditAction::WorkspaceCreated,
            format!("workspace:{ws}"),
            name.into_string(),
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(ws)
}

/// Every workspace the user belongs to.
pub async fn workspaces_of(db: &Db, user: UserId) -> AppResult<Vec<WorkspaceSummary>> {
    let rows: Vec<(WorkspaceId, String, String)> = sqlx::query_as(
        "SELECT w.id, w.name, m.role FROM memberships m JOIN workspaces w ON w.id = m.workspace_id \
         WHERE m.user_id = $1 ORDER BY w.created_at, w.id",
    )
    .bind(user.to_string())
    .fetch_all(db.pool())
    .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(id, name, role)| {
            Some(WorkspaceSummary {
                id,
                name,
                role: Role::parse(&role).ok()?,
            })
        })
        .collect())
}

/// One page of a workspace's members in the order they joined, after (or, `backwards`,
/// before) the member `cursor` (a user id): a keyset page read from the
/// `memberships_listing` index. The first page also lists pending invitations of existing
/// accounts.
pub async fn members_page(
    db: &Db,
    ws: WorkspaceId,
    cursor: Option<(UserId, bool)>,
    limit: usize,
) -> AppResult<crate::store::paging::Page<MemberRow, String>> {
    let position: Option<(i64, String)> = match cursor {
        None => None,
        Some((user, _)) => Some(
            sqlx::query_as("SELECT created_at, user_id FROM memberships WHERE workspace_id = $1 AND user_id = $2")
                .bind(ws.to_string())
                .bind(user.to_string())
                .fetch_optional(db.pool())
                .await?
                .ok_or_else(|| AppError::invalid(domain::paging::INVALID_CURSOR))?,
        ),
    };
    let backwards = matches!(cursor, Some((_, true)));
    let (op, order) = crate::store::paging::direction(true, backwards);
    let (created, user) = position.clone().unwrap_or((i64::MIN, String::new()));
    let rows: Vec<(UserId, String, String, i64, i64)> = sqlx::query_as(&format!(
        "SELECT u.id, u.email, m.role, m.created_at, CASE WHEN u.password_hash IS NULL THEN 1 ELSE 0 END \
         FROM (SELECT * FROM memberships m WHERE m.workspace_id = $1 \
               AND ($2 = 0 OR m.created_at {op} $3 OR (m.created_at = $3 AND m.user_id {op} $4)) \
               ORDER BY m.created_at {order}, m.user_id {order} LIMIT $5) m \
         JOIN users u ON u.id = m.user_id ORDER BY m.created_at {order}, m.user_id {order}"
    ))
    .bind(ws.to_string())
    .bind(i64::from(position.is_some()))
    .bind(created)
    .bind(user)
    .bind(limit as i64 + 1)
    .fetch_all(db.pool())
    .await?;
    let members: Vec<MemberRow> = rows
        .into_iter()
        .filter_map(|(user_id, email, role, joined_at, pending)| {
            Some(MemberRow {
                user_id,
                email,
                role: Role::parse(&role).ok()?,
                joined_at,
                invitation_pending: pending == 1,
            })
        })
        .collect();
    let mut page =
        crate::store::paging::finish(members, limit, backwards, position.is_some(), |m| {
            m.user_id.to_string()
        });
    if page.previous.is_none() {
        page.rows.extend(invited_accounts(db, ws).await?);
    }
    Ok(page)
}

/// The email addresses of a workspace's members, in order: the key list's owner filter.
pub async fn member_emails(db: &Db, ws: WorkspaceId) -> AppResult<Vec<String>> {
    let rows: Vec<(String,)> = sqlx::query_as(
        "SELECT u.email FROM memberships m JOIN users u ON u.id = m.user_id \
         WHERE m.workspace_id = $1 ORDER BY u.email",
    )
    .bind(ws.to_string())
    .fetch_all(db.pool())
    .await?;
    Ok(rows.into_iter().map(|(e,)| e).collect())
}

/// Invites `email` with `role` and returns the one-time token of the invitation link. The
/// answer is the same whether the address has an account or not:
/// - a new address gets an account without a password, a member of the workspace whose link
///   sets that password (once, before the account is ever used);
/// - an existing account is *not* added: its invitation waits until that account, signed in,
///   accepts it (or declines); its link sets no password.
pub async fn invite(
    db: &Db,
    secret: &ServerSecret,
    by: &Principal,
    email: Email,
    role: Role,
) -> AppResult<String> {
    decide(by, Action::Invite { role })?;
    let mut tx = db.write().await?;
    let existing: Option<(String,)> = sqlx::query_as("SELECT id FROM users WHERE email = $1")
        .bind(email.as_str())
        .fetch_optional(&mut *tx)
        .await?;
    let now = crate::now();
    let user = match existing {
        Some((id,)) => {
            let member: Option<(String,)> = sqlx::query_as(
                "SELECT role FROM memberships WHERE workspace_id = $1 AND user_id = $2",
            )
            .bind(by.workspace.to_string())
            .bind(&id)
            .fetch_optional(&mut *tx)
            .await?;
            if member.is_some() {
                return Err(AppError::Conflict(format!("{email} is already a member.")));
            }
            id
        }
        None => {
            let id = UserId::random().to_string();
            sqlx::query("INSERT INTO users (id, email, password_hash, created_at) VALUES ($1, $2, NULL, $3)")
                .bind(&id)
                .bind(email.as_str())
                .bind(now)
                .execute(&mut *tx)
                .await?;
            sqlx::query(
                "INSERT INTO memberships (workspace_id, user_id, role, created_at) VALUES ($1, $2, $3, $4)",
            )
            .bind(by.workspace.to_string())
            .bind(&id)
            .bind(role.id())
            .bind(now)
            .execute(&mut *tx)
            .await?;
            id
        }
    };
    let token = crate::security::crypto::hex(&crate::security::crypto::random_bytes(24));
    sqlx::query(
        "INSERT INTO invitations (id, workspace_id, user_id, token_digest, created_by, expires_at, role) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(InvitationId::random())
    .bind(by.workspace)
    .bind(&user)
    .bind(secret.digest(&token))
    .bind(by.user.to_string())
    .bind(now + crate::services::accounts::INVITATION_LIFETIME)
    .bind(role.id())
    .execute(&mut *tx)
    .await?;
    audit::record(
        &mut tx,
        audit::event(
            by,
            AuditAction::MemberInvited,
            format!("user:{user}"),
            format!("{email} as {role}"),
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(token)
}

/// The invitations waiting for `user`'s answer (to workspaces they are not a member of).
pub async fn pending_invitations(
    db: &Db,
    user: UserId,
) -> AppResult<Vec<domain::model::PendingInvitation>> {
    let rows: Vec<(InvitationId, String, String)> = sqlx::query_as(
        "SELECT i.id, w.name, i.role FROM invitations i JOIN workspaces w ON w.id = i.workspace_id \
         WHERE i.user_id = $1 AND i.used_at IS NULL AND i.expires_at > $2 AND i.role IS NOT NULL \
         AND NOT EXISTS (SELECT 1 FROM memberships m WHERE m.workspace_id = i.workspace_id AND m.user_id = i.user_id) \
         ORDER BY i.expires_at, i.id",
    )
    .bind(user.to_string())
    .bind(crate::now())
    .fetch_all(db.pool())
    .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(id, workspace_name, role)| {
            Some(domain::model::PendingInvitation {
                id,
                workspace_name,
                role: Role::parse(&role).ok()?,
            })
        })
        .collect())
}

/// `user` answers one of their pending invitations: joining with the offered role, or not.
/// Single use inside the writing statement; someone else's invitation is not found.
pub async fn answer_invitation(
    db: &Db,
    user: UserId,
    invitation: InvitationId,
    accept: bool,
    address: &str,
) -> AppResult<Option<WorkspaceId>> {
    let now = crate::now();
    let mut tx = db.write().await?;
    let row: Option<(WorkspaceId, Option<String>)> = sqlx::query_as(
        "UPDATE invitations SET used_at = $3 \
         WHERE id = $1 AND user_id = $2 AND used_at IS NULL AND expires_at > $3 \
         RETURNING workspace_id, role",
    )
    .bind(invitation.to_string())
    .bind(user.to_string())
    .bind(now)
    .fetch_optional(&mut *tx)
    .await?;
    let Some((ws, role)) = row else {
        return Err(AppError::NotFound);
    };
    let role = role
        .as_deref()
        .and_then(|r| Role::parse(r).ok())
        .ok_or(AppError::NotFound)?;
    if accept {
        sqlx::query(
            "INSERT INTO memberships (workspace_id, user_id, role, created_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (workspace_id, user_id) DO NOTHING",
        )
        .bind(ws.to_string())
        .bind(user.to_string())
        .bind(role.id())
        .bind(now)
        .execute(&mut *tx)
        .await?;
    }
    audit::record(
        &mut tx,
        audit::Event {
            workspace: Some(ws),
            actor_user: Some(user),
            target: format!("user:{user}"),
            detail: format!("as {role}"),
            address,
            ..audit::Event::new(if accept {
                AuditAction::InvitationAccepted
            } else {
                AuditAction::InvitationDeclined
            })
        },
    )
    .await?;
    tx.commit().await?;
    Ok(accept.then_some(ws))
}

/// Cancels `user`'s pending invitation to `by`'s workspace: their unused links stop
/// working, and an account created by the invitation that never signed in leaves the
/// workspace. The same for new and existing addresses.
pub async fn cancel_invitation(db: &Db, by: &Principal, user: UserId) -> AppResult<()> {
    let ws = by.workspace.to_string();
    let mut tx = db.write().await?;
    let cancelled = sqlx::query(
        "DELETE FROM invitations WHERE workspace_id = $1 AND user_id = $2 AND used_at IS NULL",
    )
    .bind(&ws)
    .bind(user.to_string())
    .execute(&mut *tx)
    .await?
    .rows_affected();
    let unused_member = sqlx::query(
        "DELETE FROM memberships WHERE workspace_id = $1 AND user_id = $2 \
         AND user_id IN (SELECT id FROM users WHERE password_hash IS NULL)",
    )
    .bind(&ws)
    .bind(user.to_string())
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if cancelled == 0 && unused_member == 0 {
        return Err(AppError::NotFound);
    }
    audit::record(
        &mut tx,
        audit::event(
            by,
            AuditAction::InvitationCancelled,
            format!("user:{user}"),
            String::new(),
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The pending invitations of existing accounts, shown with the members.
async fn invited_accounts(db: &Db, ws: WorkspaceId) -> AppResult<Vec<MemberRow>> {
    let rows: Vec<(UserId, String, String, i64)> = sqlx::query_as(
        "SELECT u.id, u.email, i.role, i.expires_at FROM invitations i JOIN users u ON u.id = i.user_id \
         WHERE i.workspace_id = $1 AND i.used_at IS NULL AND i.expires_at > $2 AND i.role IS NOT NULL \
         AND NOT EXISTS (SELECT 1 FROM memberships m WHERE m.workspace_id = i.workspace_id AND m.user_id = i.user_id) \
         ORDER BY i.expires_at",
    )
    .bind(ws.to_string())
    .bind(crate::now())
    .fetch_all(db.pool())
    .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(user_id, email, role, expires_at)| {
            Some(MemberRow {
                user_id,
                email,
                role: Role::parse(&role).ok()?,
                joined_at: expires_at - crate::services::accounts::INVITATION_LIFETIME,
                invitation_pending: true,
            })
        })
        .collect())
}

/// Takes the workspace's row lock for the rest of `tx`, so checks of its members (the last
/// owner) and the change they guard cannot interleave with another transaction's. (SQLite
/// write transactions are serial already; PostgreSQL waits here.)
async fn lock_workspace(tx: &mut Tx, ws: WorkspaceId) -> AppResult<()> {
    sqlx::query("UPDATE workspaces SET id = id WHERE id = $1")
        .bind(ws.to_string())
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// The member's current role, or `NotFound` (also for other workspaces' users).
async fn member_role(tx: &mut Tx, ws: WorkspaceId, user: UserId) -> AppResult<Role> {
    let (role,): (String,) =
        sqlx::query_as("SELECT role FROM memberships WHERE workspace_id = $1 AND user_id = $2")
            .bind(ws.to_string())
            .bind(user.to_string())
            .fetch_optional(&mut **tx)
            .await?
            .ok_or(AppError::NotFound)?;
    Role::parse(&role).map_err(|e| AppError::Internal(e.to_string()))
}

async fn owner_count(tx: &mut Tx, ws: WorkspaceId) -> AppResult<i64> {
    let (n,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM memberships WHERE workspace_id = $1 AND role = 'owner'",
    )
    .bind(ws.to_string())
    .fetch_one(&mut **tx)
    .await?;
    Ok(n)
}

/// Changes a member's role. Only owners touch owners; the last owner stays an owner.
pub async fn change_role(db: &Db, by: &Principal, user: UserId, role: Role) -> AppResult<()> {
    let mut tx = db.write_credentials().await?;
    lock_workspace(&mut tx, by.workspace).await?;
    let current = member_role(&mut tx, by.workspace, user).await?;
    decide(
        by,
        Action::ChangeRole {
            from: current,
            to: role,
        },
    )?;
    if current == Role::Owner
        && role != Role::Owner
        && owner_count(&mut tx, by.workspace).await? <= 1
    {
        return Err(AppError::Conflict(
            "The last owner cannot be demoted.".into(),
        ));
    }
    sqlx::query("UPDATE memberships SET role = $1 WHERE workspace_id = $2 AND user_id = $3")
        .bind(role.id())
        .bind(by.workspace.to_string())
        .bind(user.to_string())
        .execute(&mut *tx)
        .await?;
    audit::record(
        &mut tx,
        audit::event(
            by,
            AuditAction::MemberRoleChanged,
            format!("user:{user}"),
            format!("{current} -> {role}"),
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Removes a member and revokes every key they own in the workspace, in one transaction.
pub async fn remove_member(db: &Db, by: &Principal, user: UserId) -> AppResult<()> {
    let mut tx = db.write_credentials().await?;
    lock_workspace(&mut tx, by.workspace).await?;
    let current = member_role(&mut tx, by.workspace, user).await?;
    decide(by, Action::RemoveMember { role: current })?;
    if current == Role::Owner && owner_count(&mut tx, by.workspace).await? <= 1 {
        return Err(AppError::Conflict(
            "The last owner cannot be removed.".into(),
        ));
    }
    sqlx::query("DELETE FROM memberships WHERE workspace_id = $1 AND user_id = $2")
        .bind(by.workspace.to_string())
        .bind(user.to_string())
        .execute(&mut *tx)
        .await?;
    audit::record(
        &mut tx,
        audit::event(
            by,
            AuditAction::MemberRemoved,
            format!("user:{user}"),
            format!("was {current}"),
        ),
    )
    .await?;
    revoke_keys(
        &mut tx,
        by,
        KeysOf::Owner(user),
        "owner removed from workspace",
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Whose keys a bulk revocation takes.
#[derive(Clone, Copy)]
enum KeysOf {
    Owner(UserId),
    Application(ApplicationId),
    Agent(AgentId),
}

impl KeysOf {
    /// The `api_keys` column that says whose a key is, and the value it must hold.
    fn column(self) -> (&'static str, String) {
        match self {
            KeysOf::Owner(user) => ("owner_id", user.to_string()),
            KeysOf::Application(app) => ("application_id", app.to_string()),
            KeysOf::Agent(agent) => ("agent_id", agent.to_string()),
        }
    }
}

/// Revokes every live key of `whose` in the workspace, each with its audit event, in `tx`.
async fn revoke_keys(tx: &mut Tx, by: &Principal, whose: KeysOf, reason: &str) -> AppResult<()> {
    let (column, id) = whose.column();
    let revoked: Vec<(String,)> = sqlx::query_as(&format!(
        "UPDATE api_keys SET revoked_at = $1, revoked_by = $2, revoked_reason = $3, revoked_change = $6 \
         WHERE workspace_id = $4 AND {column} = $5 AND revoked_at IS NULL RETURNING key_id"
    ))
    .bind(crate::now())
    .bind(by.user.to_string())
    .bind(reason)
    .bind(by.workspace.to_string())
    .bind(id.to_string())
    .bind(tx.change())
    .fetch_all(&mut **tx)
    .await?;
    for (key_id,) in revoked {
        audit::record(
            tx,
            audit::event(
                by,
                AuditAction::KeyRevoked,
                format!("key:{key_id}"),
                reason.to_string(),
            ),
        )
        .await?;
    }
    Ok(())
}

/// Every application of a workspace with its agents, by name: the choices of the key form.
pub async fn applications(db: &Db, ws: WorkspaceId) -> AppResult<Vec<ApplicationRow>> {
    let apps: Vec<(ApplicationId, String, i64)> = sqlx::query_as(
        "SELECT id, name, created_at FROM applications WHERE workspace_id = $1 ORDER BY name",
    )
    .bind(ws.to_string())
    .fetch_all(db.pool())
    .await?;
    let agents: Vec<(AgentId, ApplicationId, String, String)> = sqlx::query_as(
        "SELECT id, application_id, name, description FROM agents WHERE workspace_id = $1 ORDER BY name",
    )
    .bind(ws.to_string())
    .fetch_all(db.pool())
    .await?;
    Ok(with_agents(apps, agents))
}

/// One page of a workspace's applications (with their agents) by name, after (or,
/// `backwards`, before) the application `cursor`: a keyset page on the unique
/// (workspace, name) index, its agents read for the page's name range only.
pub async fn applications_page(
    db: &Db,
    ws: WorkspaceId,
    cursor: Option<(ApplicationId, bool)>,
    limit: usize,
) -> AppResult<crate::store::paging::Page<ApplicationRow, String>> {
    let position: Option<String> = match cursor {
        None => None,
        Some((id, _)) => Some(
            sqlx::query_scalar("SELECT name FROM applications WHERE workspace_id = $1 AND id = $2")
                .bind(ws.to_string())
                .bind(id.to_string())
                .fetch_optional(db.pool())
                .await?
                .ok_or_else(|| AppError::invalid(domain::paging::INVALID_CURSOR))?,
        ),
    };
    let backwards = matches!(cursor, Some((_, true)));
    let (op, order) = crate::store::paging::direction(true, backwards);
    let apps: Vec<(ApplicationId, String, i64)> = sqlx::query_as(&format!(
        "SELECT id, name, created_at FROM applications WHERE workspace_id = $1 \
         AND ($2 = 0 OR name {op} $3) ORDER BY name {order} LIMIT $4"
    ))
    .bind(ws.to_string())
    .bind(i64::from(position.is_some()))
    .bind(position.clone().unwrap_or_default())
    .bind(limit as i64 + 1)
    .fetch_all(db.pool())
    .await?;
    let mut page = crate::store::paging::finish(apps, limit, backwards, position.is_some(), |a| {
        a.0.to_string()
    });
    let (Some(first), Some(last)) = (page.rows.first(), page.rows.last()) else {
        return Ok(crate::store::paging::Page {
            rows: Vec::new(),
            next: page.next,
            previous: page.previous,
        });
    };
    let agents: Vec<(AgentId, ApplicationId, String, String)> = sqlx::query_as(
        "SELECT g.id, g.application_id, g.name, g.description FROM applications a \
         JOIN agents g ON g.application_id = a.id \
         WHERE a.workspace_id = $1 AND a.name >= $2 AND a.name <= $3 ORDER BY g.name",
    )
    .bind(ws.to_string())
    .bind(&first.1)
    .bind(&last.1)
    .fetch_all(db.pool())
    .await?;
    Ok(crate::store::paging::Page {
        rows: with_agents(std::mem::take(&mut page.rows), agents),
        next: page.next,
        previous: page.previous,
    })
}

/// Applications `(id, name, created)` with their agents `(id, application, name, description)`.
fn with_agents(
    apps: Vec<(ApplicationId, String, i64)>,
    agents: Vec<(AgentId, ApplicationId, String, String)>,
) -> Vec<ApplicationRow> {
    apps.into_iter()
        .map(|(id, name, created_at)| ApplicationRow {
            agents: agents
                .iter()
                .filter(|a| a.1 == id)
                .map(|(aid, app, name, description)| AgentRow {
                    id: *aid,
                    application_id: *app,
                    name: name.clone(),
                    description: description.clone(),
                })
                .collect(),
            id,
            name,
            created_at,
        })
        .collect()
}

/// One application of the workspace with its agents, read by id (two indexed reads, not the
/// workspace's applications); other workspaces' ids are `NotFound`.
pub async fn application(db: &Db, ws: WorkspaceId, id: ApplicationId) -> AppResult<ApplicationRow> {
    let (name, created_at): (String, i64) = sqlx::query_as(
        "SELECT name, created_at FROM applications WHERE id = $1 AND workspace_id = $2",
    )
    .bind(id.to_string())
    .bind(ws.to_string())
    .fetch_optional(db.pool())
    .await?
    .ok_or(AppError::NotFound)?;
    let agents: Vec<(AgentId, String, String)> = sqlx::query_as(
        "SELECT id, name, description FROM agents WHERE application_id = $1 AND workspace_id = $2 ORDER BY name",
    )
    .bind(id.to_string())
    .bind(ws.to_string())
    .fetch_all(db.pool())
    .await?;
    Ok(ApplicationRow {
        agents: agents
            .into_iter()
            .map(|(agent, name, description)| AgentRow {
                id: agent,
                application_id: id,
                name,
                description,
            })
            .collect(),
        id,
        name,
        created_at,
    })
}

pub async fn create_application(db: &Db, by: &Principal, name: Name) -> AppResult<ApplicationId> {
    let id = ApplicationId::random();
    let mut tx = db.write().await?;
    sqlx::query(
        "INSERT INTO applications (id, workspace_id, name, created_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(id.to_string())
    .bind(by.workspace.to_string())
    .bind(name.as_str())
    .bind(crate::now())
    .execute(&mut *tx)
    .await
    .map_err(name_taken)?;
    audit::record(
        &mut tx,
        audit::event(
            by,
            AuditAction::ApplicationCreated,
            format!("application:{id}"),
            name.into_string(),
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

fn name_taken(e: sqlx::Error) -> AppError {
    match AppError::from(e) {
        AppError::Conflict(_) => {
            AppError::Conflict("An application with that name already exists.".into())
        }
        other => other,
    }
}

pub async fn rename_application(
    db: &Db,
    by: &Principal,
    id: ApplicationId,
    name: Name,
) -> AppResult<()> {
    let mut tx = db.write().await?;
    let result =
        sqlx::query("UPDATE applications SET name = $1 WHERE id = $2 AND workspace_id = $3")
            .bind(name.as_str())
            .bind(id.to_string())
            .bind(by.workspace.to_string())
            .execute(&mut *tx)
            .await
            .map_err(name_taken)?;
    changed(result)?;
    audit::record(
        &mut tx,
        audit::event(
            by,
            AuditAction::ApplicationRenamed,
            format!("application:{id}"),
            name.into_string(),
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

pub async fn set_application_content(
    db: &Db,
    by: &Principal,
    id: ApplicationId,
    content: String,
) -> AppResult<()> {
    let mut tx = db.write().await?;
    let result =
        sqlx::query("UPDATE applications SET content = $1 WHERE id = $2 AND workspace_id = $3")
            .bind(&content)
            .bind(id.to_string())
            .bind(by.workspace.to_string())
            .execute(&mut *tx)
            .await?;
    changed(result)?;
    audit::record(
        &mut tx,
        audit::event(
            by,
            AuditAction::ApplicationContentChanged,
            format!("application:{id}"),
            format!("{} bytes", content.len()),
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

pub async fn application_content(db: &Db, ws: WorkspaceId, id: ApplicationId) -> AppResult<String> {
    let (content,): (String,) =
        sqlx::query_as("SELECT content FROM applications WHERE id = $1 AND workspace_id = $2")
            .bind(id.to_string())
            .bind(ws.to_string())
            .fetch_optional(db.pool())
            .await?
            .ok_or(AppError::NotFound)?;
    Ok(content)
}

/// Deletes an application. The keys limited to it are revoked (audited) and kept for the
/// record; with live keys among them this needs `keys:write` too ([`decide`]).
pub async fn delete_application(db: &Db, by: &Principal, id: ApplicationId) -> AppResult<()> {
    let mut tx = db.write_credentials().await?;
    let exists: Option<(String,)> =
        sqlx::query_as("SELECT id FROM applications WHERE id = $1 AND workspace_id = $2")
            .bind(id.to_string())
            .bind(by.workspace.to_string())
            .fetch_optional(&mut *tx)
            .await?;
    if exists.is_none() {
        return Err(AppError::NotFound);
    }
    let live_keys = count_live_keys(&mut tx, by.workspace, KeysOf::Application(id)).await?;
    decide(
        by,
        Action::DeleteApplication {
            application: id,
            live_keys,
        },
    )?;
    // Keys limited to the application go with it: revoke them first so the audit says so,
    // then detach them so their history outlives the application.
    revoke_keys(&mut tx, by, KeysOf::Application(id), "application deleted").await?;
    sqlx::query("UPDATE api_keys SET application_id = NULL, agent_id = NULL WHERE workspace_id = $1 AND application_id = $2")
        .bind(by.workspace.to_string())
        .bind(id.to_string())
        .execute(&mut *tx)
        .await?;
    let result = sqlx::query("DELETE FROM applications WHERE id = $1 AND workspace_id = $2")
        .bind(id.to_string())
        .bind(by.workspace.to_string())
        .execute(&mut *tx)
        .await?;
    changed(result)?;
    audit::record(
        &mut tx,
        audit::event(
            by,
            AuditAction::ApplicationDeleted,
            format!("application:{id}"),
            String::new(),
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Keys whose secrets still work at `$1`: not revoked, not expired, not past a rotation's
/// grace. `t` is the table's alias with its dot, or nothing.
fn live_key(t: &str) -> String {
    format!(
        "{t}revoked_at IS NULL AND ({t}expires_at IS NULL OR {t}expires_at > $1) \
         AND ({t}rotated_at IS NULL OR {t}grace_until > $1)"
    )
}

async fn count_live_keys(tx: &mut Tx, ws: WorkspaceId, whose: KeysOf) -> AppResult<u64> {
    let (column, id) = whose.column();
    let (n,): (i64,) = sqlx::query_as(&format!(
        "SELECT COUNT(*) FROM api_keys WHERE {} AND workspace_id = $2 AND {column} = $3",
        live_key("")
    ))
    .bind(crate::now())
    .bind(ws.to_string())
    .bind(id.to_string())
    .fetch_one(&mut **tx)
    .await?;
    Ok(n.max(0) as u64)
}

/// What deleting an application (or one `agent` of it) would revoke, as the confirmation
/// shows it before anyone confirms: the live keys `viewer` may see by name, the others
/// counted, and whether `viewer` may delete it at all ([`decide`]).
pub async fn deletion_preview(
    db: &Db,
    viewer: &Principal,
    application: ApplicationId,
    agent: Option<AgentId>,
) -> AppResult<domain::model::DeletionPreview> {
    let (column, id) = match agent {
        Some(agent) => KeysOf::Agent(agent).column(),
        None => KeysOf::Application(application).column(),
    };
    let ws = viewer.workspace.to_string();
    let known: Option<(String,)> =
        match agent {
            Some(agent) => sqlx::query_as(
                "SELECT id FROM agents WHERE id = $1 AND application_id = $2 AND workspace_id = $3",
            )
            .bind(agent.to_string())
            .bind(application.to_string())
            .bind(&ws)
            .fetch_optional(db.pool())
            .await?,
            None => {
                sqlx::query_as("SELECT id FROM applications WHERE id = $1 AND workspace_id = $2")
                    .bind(application.to_string())
                    .bind(&ws)
                    .fetch_optional(db.pool())
                    .await?
            }
        };
    if known.is_none() {
        return Err(AppError::NotFound);
    }
    let rows: Vec<(String, String, String, UserId)> = sqlx::query_as(&format!(
        "SELECT k.key_id, k.name, u.email, k.owner_id FROM api_keys k JOIN users u ON u.id = k.owner_id \
         WHERE {} AND k.workspace_id = $2 AND k.{column} = $3 ORDER BY k.created_at, k.key_id",
        live_key("k.")
    ))
    .bind(crate::now())
    .bind(&ws)
    .bind(id.to_string())
    .fetch_all(db.pool())
    .await?;
    let live_keys = rows.len() as u64;
    let action = match agent {
        Some(_) => Action::DeleteAgent {
            application,
            live_keys,
        },
        None => Action::DeleteApplication {
            application,
            live_keys,
        },
    };
    let refusal = match decide(viewer, action) {
        Ok(()) => None,
        Err(domain::authorization::Denial::Hidden) => return Err(AppError::NotFound),
        Err(domain::authorization::Denial::Forbidden(why)) => Some(why),
    };
    let mut preview = domain::model::DeletionPreview {
        keys: Vec::new(),
        others: 0,
        refusal,
    };
    for (key_id, name, owner_email, owner) in rows {
        let facts = domain::authorization::KeyFacts {
            owner,
            application: Some(application),
        };
        if decide(viewer, Action::SeeKey(facts)).is_ok() {
            preview.keys.push(domain::model::DependentKey {
                key_id,
                name,
                owner_email,
            });
        } else {
            preview.others += 1;
        }
    }
    Ok(preview)
}

pub async fn create_agent(
    db: &Db,
    by: &Principal,
    application: ApplicationId,
    name: Name,
    description: String,
) -> AppResult<AgentId> {
    let id = AgentId::random();
    let mut tx = db.write().await?;
    let exists: Option<(String,)> =
        sqlx::query_as("SELECT id FROM applications WHERE id = $1 AND workspace_id = $2")
            .bind(application.to_string())
            .bind(by.workspace.to_string())
            .fetch_optional(&mut *tx)
            .await?;
    if exists.is_none() {
        return Err(AppError::NotFound);
    }
    sqlx::query(
        "INSERT INTO agents (id, workspace_id, application_id, name, description, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(id.to_string())
    .bind(by.workspace.to_string())
    .bind(application.to_string())
    .bind(name.as_str())
    .bind(&description)
    .bind(crate::now())
    .execute(&mut *tx)
    .await
    .map_err(|e| match AppError::from(e) {
        AppError::Conflict(_) => AppError::Conflict("This application already has an agent with that name.".into()),
        other => other,
    })?;
    audit::record(
        &mut tx,
        audit::event(
            by,
            AuditAction::AgentCreated,
            format!("agent:{id}"),
            format!("{} in application:{application}", name.as_str()),
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

pub async fn policy(db: &Db, ws: WorkspaceId) -> AppResult<Policy> {
    let row: (Option<i64>, i64, i64, i64, i64, i64, i64) = sqlx::query_as(
        "SELECT max_key_lifetime_days, allow_never_expiring, allow_service_keys, allow_agent_keys, legacy_transports, \
         rate_limit_per_minute, allow_import FROM workspaces WHERE id = $1",
    )
    .bind(ws.to_string())
    .fetch_optional(db.pool())
    .await?
    .ok_or(AppError::NotFound)?;
    Ok(Policy {
        max_lifetime_days: row.0,
        allow_never_expiring: row.1 != 0,
        allow_service_keys: row.2 != 0,
        allow_agent_keys: row.3 != 0,
        legacy_transports: row.4 != 0,
        rate_limit_per_minute: row.5,
        allow_import: row.6 != 0,
    })
}

pub async fn set_policy(db: &Db, by: &Principal, p: &Policy) -> AppResult<()> {
    if p.max_lifetime_days
        .is_some_and(|d| !(1..=3650).contains(&d))
    {
        return Err(AppError::invalid(
            "Maximum lifetime must be between 1 and 3650 days.",
        ));
    }
    if !(1..=100_000).contains(&p.rate_limit_per_minute) {
        return Err(AppError::invalid(
            "Rate limit must be between 1 and 100000 requests per minute.",
        ));
    }
    // The per-key limit must still fit under the application's and workspace's limits.
    let mut limits = crate::services::rate_limits::limits(db, by.workspace).await?;
    limits.set(
        domain::limits::Pool::Key,
        domain::limits::LimitClass::Default,
        Some(p.rate_limit_per_minute as u32),
    );
    limits.validate().map_err(AppError::invalid)?;
    let mut tx = db.write_credentials().await?;
    sqlx::query(
        "UPDATE workspaces SET max_key_lifetime_days = $1, allow_never_expiring = $2, allow_service_keys = $3, \
         allow_agent_keys = $4, legacy_transports = $5, rate_limit_per_minute = $6, allow_import = $7 WHERE id = $8",
    )
    .bind(p.max_lifetime_days)
    .bind(i64::from(p.allow_never_expiring))
    .bind(i64::from(p.allow_service_keys))
    .bind(i64::from(p.allow_agent_keys))
    .bind(i64::from(p.legacy_transports))
    .bind(p.rate_limit_per_minute)
    .bind(i64::from(p.allow_import))
    .bind(by.workspace.to_string())
    .execute(&mut *tx)
    .await?;
    audit::record(
        &mut tx,
        audit::event(
            by,
            AuditAction::PolicyChanged,
            format!("workspace:{}", by.workspace),
            format!("{p:?}"),
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Deletes an agent; the keys bound to it are revoked (audited) and kept for the record. With
/// live keys among them this needs `keys:write` too ([`decide`]).
pub async fn delete_agent(db: &Db, by: &Principal, id: AgentId) -> AppResult<()> {
    let mut tx = db.write_credentials().await?;
    let exists: Option<(String, ApplicationId)> = sqlx::query_as(
        "SELECT name, application_id FROM agents WHERE id = $1 AND workspace_id = $2",
    )
    .bind(id.to_string())
    .bind(by.workspace.to_string())
    .fetch_optional(&mut *tx)
    .await?;
    let Some((name, application)) = exists else {
        return Err(AppError::NotFound);
    };
    let live_keys = count_live_keys(&mut tx, by.workspace, KeysOf::Agent(id)).await?;
    decide(
        by,
        Action::DeleteAgent {
            application,
            live_keys,
        },
    )?;
    revoke_keys(&mut tx, by, KeysOf::Agent(id), "agent deleted").await?;
    sqlx::query("UPDATE api_keys SET agent_id = NULL WHERE workspace_id = $1 AND agent_id = $2")
        .bind(by.workspace.to_string())
        .bind(id.to_string())
        .execute(&mut *tx)
        .await?;
    sqlx::query("DELETE FROM agents WHERE id = $1 AND workspace_id = $2")
        .bind(id.to_string())
        .bind(by.workspace.to_string())
        .execute(&mut *tx)
        .await?;
    audit::record(
        &mut tx,
        audit::event(by, AuditAction::AgentDeleted, format!("agent:{id}"), name),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
