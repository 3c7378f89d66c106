//! Short-lived user tokens (JWT, HS256 pinned, `exp`/`aud`/`iss` checked). Each names the
//! session it was issued from; signing out deletes the session and so ends the token.

use super::error::ApiError;
use super::{user_grant, Caller};
use app::request::state::AppState;
use domain::ids::{ApplicationId, UserId, WorkspaceId};
use jsonwebtoken::{decode, encode, Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

pub const AUDIENCE: &str = "keyward-api";
pub const ISSUER: &str = "keyward";
/// How long a user token lives.
pub const LIFETIME_SECS: i64 = 15 * 60;

#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    sub: String,
    ws: String,
    /// The handle of the `user_tokens` row, which names the session.
    jti: String,
    exp: i64,
    iat: i64,
    aud: String,
    iss: String,
}

/// The user of a signed-in browser session, in their current workspace.
pub async fn caller_from_session(
    state: &AppState,
    session: &tower_sessions::Session,
    address: Option<std::net::IpAddr>,
) -> Result<Option<Caller>, ApiError> {
    let Some(user) = app::request::auth::session_user(session).await? else {
        return Ok(None);
    };
    let Some(ws) = app::request::auth::session_workspace(state, session, user).await? else {
        return Ok(None);
    };
    Ok(Some(Caller {
        grant: user_grant(ws.role),
        workspace: ws.id,
        user,
        key: None,
        role: Some(ws.role),
        target: None,
        address,
    }))
}

/// Issues a token for a session's user.
pub async fn issue(
    state: &AppState,
    session_id: &str,
    caller: &Caller,
) -> Result<(String, i64), ApiError> {
    let now = keyward_core::now();
    let handle =
        keyward_core::security::crypto::hex(&keyward_core::security::crypto::random_bytes(16));
    let exp = keyward_core::services::user_tokens::record(
        &state.db,
        &handle,
        session_id,
        caller.user,
        caller.workspace,
        LIFETIME_SECS,
    )
    .await?;
    let claims = Claims {
        sub: caller.user.to_string(),
        ws: caller.workspace.to_string(),
        jti: handle,
        exp,
        iat: now,
        aud: AUDIENCE.into(),
        iss: ISSUER.into(),
    };
    let token = encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(&state.secret.jwt_key()),
    )
    .map_err(|e| keyward_core::error::AppError::Internal(format!("jwt: {e}")))?;
    Ok((token, exp))
}

/// Verifies a user token: signature, algorithm, expiry, audience, issuer, and that its
/// session still exists. The user's role is read now, not from the token.
pub async fn verify(
    state: &AppState,
    token: &str,
    target: Option<ApplicationId>,
    address: Option<std::net::IpAddr>,
) -> Result<Caller, ApiError> {
    let mut validation = Validation::new(Algorithm::HS256);
    validation.set_audience(&[AUDIENCE]);
    validation.set_issuer(&[ISSUER]);
    validation.leeway = 0;
    let claims = decode::<Claims>(
        token,
        &DecodingKey::from_secret(&state.secret.jwt_key()),
        &validation,
    )
    .map_err(|_| ApiError::unauthorized("The user token is invalid or expired."))?
    .claims;
    let live = keyward_core::services::user_tokens::is_live(&state.db, &claims.jti).await?;
    if !live {
        return Err(ApiError::unauthorized(
            "The user token was revoked by signing out.",
        ));
    }
    let user = UserId::parse(&claims.sub)
        .map_err(|_| ApiError::unauthorized("The user token is invalid."))?;
    let ws = WorkspaceId::parse(&claims.ws)
        .map_err(|_| ApiError::unauthorized("The user token is invalid."))?;
    let role = keyward_core::services::accounts::role_in(&state.db, user, ws)
        .await?
        .ok_or_else(|| {
            ApiError::unauthorized("The user is no longer a member of this workspace.")
        })?;
    Ok(Caller {
        grant: user_grant(role),
        workspace: ws,
        user,
        key: None,
        role: Some(role),
        target,
        address,
    })
}
