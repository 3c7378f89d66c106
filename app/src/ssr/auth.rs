//! The console's request context: who is signed in, in which workspace, with what role,
//! and the gate every server function passes before it does anything.

use super::error::{AppError, AppResult};
use super::state::app_state;
use crate::domain::access::{authorize, Grant, Principal, Requirement, USERS_ONLY};
use crate::domain::permissions::Permission;
use crate::domain::roles::Role;
use tower_sessions::Session;
use uuid::Uuid;

pub const SESSION_USER: &str = "user_id";
pub const SESSION_WORKSPACE: &str = "workspace_id";
pub const SESSION_SIGNED_IN_AT: &str = "signed_in_at";
/// When the session was last used, to the minute: moving it keeps an active session alive.
pub const SESSION_LAST_SEEN: &str = "last_seen_at";
/// Where and with what the session was signed in, for the member's session list.
pub const SESSION_ADDRESS: &str = "address";
pub const SESSION_USER_AGENT: &str = "user_agent";
/// How stale the last-seen time may get before a request refreshes it (and so the idle
/// timeout): a session write at most once a minute, not on every request.
const LAST_SEEN_GRANULARITY: i64 = 60;
/// Failed sign-ins on the account before this session began, shown in the shell.
pub const SESSION_FAILED_BEFORE: &str = "failed_sign_ins_before";
/// A session ends this long after sign-in, however active.
pub const ABSOLUTE_TIMEOUT_SECS: i64 = 12 * 3600;
/// A session ends after this long without a request.
pub const IDLE_TIMEOUT_SECS: i64 = 2 * 3600;

/// A signed-in member acting in their current workspace, with their role as of this request.
#[derive(Clone, Debug)]
pub struct Actor {
    pub user_id: Uuid,
    pub email: String,
    pub workspace_id: Uuid,
    pub role: Role,
    pub address: String,
}

impl Actor {
    /// The member as every service sees them.
    pub fn principal(&self) -> Principal {
        Principal::member(
            self.user_id,
            self.workspace_id,
            self.role,
            self.address.clone(),
        )
    }

    pub fn grant(&self) -> Grant {
        self.principal().grant
    }
}

/// The session of the current request.
pub async fn session() -> AppResult<Session> {
    leptos_axum::extract::<Session>()
        .await
        .map_err(|e| AppError::Internal(format!("session: {e}")))
}

/// The client's address: the TCP peer, or the client a trusted proxy forwarded for.
pub async fn client_address() -> String {
    use axum::extract::ConnectInfo;
    let Ok(ConnectInfo(peer)) = leptos_axum::extract::<ConnectInfo<std::net::SocketAddr>>().await
    else {
        return String::new();
    };
    let headers = leptos_axum::extract::<axum::http::HeaderMap>()
        .await
        .unwrap_or_default();
    app_state().client_address(peer.ip(), &headers).to_string()
}

/// The signed-in user of a session, enforcing the absolute timeout.
pub async fn session_user(session: &Session) -> AppResult<Option<Uuid>> {
    let user: Option<String> = session
        .get(SESSION_USER)
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?;
    let Some(user) = user.and_then(|u| Uuid::parse_str(&u).ok()) else {
        return Ok(None);
    };
    let signed_in_at: i64 = session
        .get(SESSION_SIGNED_IN_AT)
        .await
        .ok()
        .flatten()
        .unwrap_or(0);
    let now = super::now();
    if now - signed_in_at > ABSOLUTE_TIMEOUT_SECS {
        session
            .flush()
            .await
            .map_err(|e| AppError::Internal(e.to_string()))?;
        return Ok(None);
    }
    // The idle timeout slides with activity: a changed session is saved with a new expiry.
    let last_seen: i64 = session
        .get(SESSION_LAST_SEEN)
        .await
        .ok()
        .flatten()
        .unwrap_or(signed_in_at);
    if now - last_seen >= LAST_SEEN_GRANULARITY {
        session
            .insert(SESSION_LAST_SEEN, now)
            .await
            .map_err(|e| AppError::Internal(e.to_string()))?;
    }
    Ok(Some(user))
}

/// Resolves the actor of a session: the user, their current workspace and role there. A
/// workspace they were removed from falls back to another of theirs.
pub async fn actor_of(session: &Session, address: String) -> AppResult<Option<Actor>> {
    resolve_actor(&app_state(), session, address).await
}

/// [`actor_of`] with the state given, for handlers outside the Leptos context.
pub async fn resolve_actor(
    state: &super::state::AppState,
    session: &Session,
    address: String,
) -> AppResult<Option<Actor>> {
    let Some(user) = session_user(session).await? else {
        return Ok(None);
    };
    let wanted: Option<String> = session.get(SESSION_WORKSPACE).await.ok().flatten();
    let workspaces = super::workspaces::workspaces_of(&state.db, user).await?;
    let current = workspaces
        .iter()
        .find(|w| Some(&w.id) == wanted.as_ref())
        .or_else(|| workspaces.first());
    let Some(current) = current else {
        return Ok(None);
    };
    let email = super::accounts::email_of(&state.db, user).await?;
    Ok(Some(Actor {
        user_id: user,
        email,
        workspace_id: Uuid::parse_str(&current.id)
            .map_err(|e| AppError::Internal(e.to_string()))?,
        role: current.role,
        address,
    }))
}

/// The actor of the current server function request, if signed in.
pub async fn current_actor() -> AppResult<Option<Actor>> {
    let session = session().await?;
    actor_of(&session, client_address().await).await
}

/// The one gate of the console: every server function that is not part of signing in calls
/// this first, with its own name. Its requirement comes from its declaration in
/// [`crate::domain::console::CONSOLE_FUNCTIONS`]: a signed-in member who meets it, or an
/// error. An undeclared name is refused (deny by default).
pub async fn require_for(function: &'static str) -> AppResult<Actor> {
    let actor = current_actor().await?.ok_or(AppError::Unauthenticated)?;
    if crate::domain::console::access_of(function)
        == Some(crate::domain::console::Access::InstanceAdmin)
    {
        super::instance::require_admin(&app_state().db, actor.user_id).await?;
        return Ok(actor);
    }
    meets(&actor, function)?;
    Ok(actor)
}

/// Whether the signed-in `actor` meets what `function` declares (the database-backed
/// instance-admin right is checked by [`require_for`]). Also for handlers that serve a
/// server function's form without JavaScript.
pub fn meets(actor: &Actor, function: &'static str) -> AppResult<()> {
    use crate::domain::console::{access_of, Access};
    let permissions: &'static [Permission] = match access_of(function) {
        Some(Access::Member) => &[],
        Some(Access::Needs(permissions)) => permissions,
        // Public functions do not ask for a member; nothing else may run undeclared.
        Some(Access::Public | Access::InstanceAdmin) | None => {
            return Err(AppError::Forbidden(format!(
                "{function} has no declared requirement for members."
            )))
        }
    };
    let requirement = Requirement {
        principals: USERS_ONLY,
        permissions,
        agent_binding: false,
    };
    authorize(&actor.grant(), &requirement, None)
        .map_err(|refusal| AppError::Forbidden(refusal.explain()))
}

/// Marks the session signed in as `user`, with a new session id.
pub async fn start_session(session: &Session, user: Uuid) -> AppResult<()> {
    let err = |e: tower_sessions::session::Error| AppError::Internal(e.to_string());
    session.cycle_id().await.map_err(err)?;
    session
        .insert(SESSION_USER, user.to_string())
        .await
        .map_err(err)?;
    session
        .insert(SESSION_SIGNED_IN_AT, super::now())
        .await
        .map_err(err)?;
    session
        .insert(SESSION_ADDRESS, client_address().await)
        .await
        .map_err(err)?;
    let headers = leptos_axum::extract::<axum::http::HeaderMap>()
        .await
        .unwrap_or_default();
    let agent = headers
        .get(axum::http::header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let agent: String = agent.chars().take(200).collect();
    session
        .insert(SESSION_USER_AGENT, agent)
        .await
        .map_err(err)?;
    Ok(())
}

/// The id of the current request's session, if it has one yet.
pub async fn current_session_id() -> AppResult<Option<String>> {
    Ok(session().await?.id().map(|id| id.to_string()))
}
