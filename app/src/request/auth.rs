//! The console's request context: who is signed in, in which workspace, with what role,
//! and the gate every server function passes before it does anything.

use super::state::app_state;
pub use domain::access::Actor;
use domain::access::{authorize, Requirement, USERS_ONLY};
use domain::ids::{UserId, WorkspaceId};
use domain::permissions::Permission;
use keyward_core::error::{AppError, AppResult};
use tower_sessions::Session;

pub use keyward_core::store::session_store::{
    ABSOLUTE_TIMEOUT_SECS, IDLE_TIMEOUT_SECS, SESSION_ADDRESS, SESSION_FAILED_BEFORE,
    SESSION_LAST_SEEN, SESSION_SIGNED_IN_AT, SESSION_USER, SESSION_USER_AGENT, SESSION_WORKSPACE,
};
/// How stale the last-seen time may get before a request refreshes it (and so the idle
/// timeout): a session write at most once a minute, not on every request.
const LAST_SEEN_GRANULARITY: i64 = 60;

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
pub async fn session_user(session: &Session) -> AppResult<Option<UserId>> {
    let user: Option<String> = session
        .get(SESSION_USER)
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?;
    let Some(user) = user.and_then(|u| UserId::parse(&u).ok()) else {
        return Ok(None);
    };
    let signed_in_at: i64 = session
        .get(SESSION_SIGNED_IN_AT)
        .await
        .ok()
        .flatten()
        .unwrap_or(0);
    let now = keyward_core::now();
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
    let Some(current) = session_workspace(state, session, user).await? else {
        return Ok(None);
    };
    let email = keyward_core::services::accounts::email_of(&state.db, user).await?;
    Ok(Some(Actor {
        user_id: user,
        email,
        workspace_id: current.id,
        role: current.role,
        address,
    }))
}

/// The workspace a session of `user` works in: the one it chose, or, when that one is gone
/// (the user was removed from it), the first of theirs; `None` when they have none. The
/// console and the token exchange both ask this, so they always agree.
pub async fn session_workspace(
    state: &super::state::AppState,
    session: &Session,
    user: UserId,
) -> AppResult<Option<domain::model::WorkspaceSummary>> {
    let wanted: Option<WorkspaceId> = session
        .get::<String>(SESSION_WORKSPACE)
        .await
        .ok()
        .flatten()
        .and_then(|w| WorkspaceId::parse(&w).ok());
    let mut workspaces = keyward_core::services::workspaces::workspaces_of(&state.db, user).await?;
    let chosen = workspaces.iter().position(|w| Some(w.id) == wanted);
    Ok(match chosen {
        Some(i) => Some(workspaces.swap_remove(i)),
        None => workspaces.into_iter().next(),
    })
}

/// The actor of the current server function request, if signed in.
pub async fn current_actor() -> AppResult<Option<Actor>> {
    let session = session().await?;
    actor_of(&session, client_address().await).await
}

/// The one gate of the console: every server function that is not part of signing in calls
/// this first, with its own name. Its requirement comes from its declaration in
/// [`domain::console::CONSOLE_FUNCTIONS`]: a signed-in member who meets it, or an
/// error. An undeclared name is refused (deny by default).
pub async fn require_for(function: &'static str) -> AppResult<Actor> {
    let actor = current_actor().await?.ok_or(AppError::Unauthenticated)?;
    if domain::console::access_of(function) == Some(domain::console::Access::InstanceAdmin) {
        keyward_core::services::instance::require_admin(&app_state().db, actor.user_id).await?;
        return Ok(actor);
    }
    meets(&actor, function)?;
    Ok(actor)
}

/// Whether the signed-in `actor` meets what `function` declares (the database-backed
/// instance-admin right is checked by [`require_for`]). Also for handlers that serve a
/// server function's form without JavaScript.
pub fn meets(actor: &Actor, function: &'static str) -> AppResult<()> {
    use domain::console::{access_of, Access};
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
pub async fn start_session(session: &Session, user: UserId) -> AppResult<()> {
    let err = |e: tower_sessions::session::Error| AppError::Internal(e.to_string());
    session.cycle_id().await.map_err(err)?;
    session
        .insert(SESSION_USER, user.to_string())
        .await
        .map_err(err)?;
    session
        .insert(SESSION_SIGNED_IN_AT, keyward_core::now())
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
