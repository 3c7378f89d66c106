//! One handler per route of the table. The gate has already authenticated and authorized
//! the caller; handlers scope every query to the caller's workspace.

use super::error::ApiError;
use super::{ApiState, Caller};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{on, MethodFilter, MethodRouter};
use axum::{Extension, Json};
use domain::access::Principal;
use domain::coverage::coverage;
use domain::routes::RouteId;
use domain::validate::Name;
use keyward_core::services::keys::{self, Lookup};
use keyward_core::services::workspaces;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use uuid::Uuid;

type ApiResult = Result<Response, ApiError>;

/// The handler of each declared route. Exhaustive: a new `RouteId` does not compile until
/// it has a handler here.
pub fn method_router(id: RouteId, m: MethodFilter) -> MethodRouter<ApiState> {
    match id {
        RouteId::Me => on(m, me),
        RouteId::MeCoverage => on(m, me_coverage),
        RouteId::ApplicationsList => on(m, applications_list),
        RouteId::ApplicationsCreate => on(m, applications_create),
        RouteId::ApplicationRead => on(m, application_read),
        RouteId::ApplicationUpdate => on(m, application_update),
        RouteId::ApplicationDelete => on(m, application_delete),
        RouteId::ApplicationContentPut => on(m, application_content_put),
        RouteId::ApplicationTokens => on(m, application_tokens),
        RouteId::ApplicationAgentsByUuid => on(m, application_agents),
        RouteId::AgentsCreate => on(m, agents_create),
        RouteId::KeysVerify => on(m, keys_verify),
        RouteId::AuthToken => on(m, auth_token),
        RouteId::UserKeysList => on(m, user_keys_list),
        RouteId::UserKeysCreate => on(m, user_keys_create),
        RouteId::UserKeyRotate => on(m, user_key_rotate),
        RouteId::UserKeyRevoke => on(m, user_key_revoke),
    }
}

fn ok(v: Value) -> ApiResult {
    Ok(json_response(&v))
}

/// A 200 JSON response, serialised into one buffer sized for our small documents, its header
/// map sized for what the gate adds, so neither grows on the way out.
fn json_response<T: Serialize>(value: &T) -> Response {
    let mut body = Vec::with_capacity(512);
    if let Err(e) = serde_json::to_writer(&mut body, value) {
        return ApiError::from(keyward_core::error::AppError::Internal(e.to_string()))
            .into_response();
    }
    let mut res = Response::new(axum::body::Body::from(body));
    res.headers_mut().reserve(16);
    res.headers_mut().insert(
        axum::http::header::CONTENT_TYPE,
        axum::http::HeaderValue::from_static("application/json"),
    );
    res
}

/// What `GET /api/v1/me` answers: who is calling, with what.
#[derive(Serialize)]
struct WhoAmI<'a> {
    principal: &'static str,
    user_id: Uuid,
    workspace_id: Uuid,
    key_id: Option<&'a str>,
    key_name: Option<&'a str>,
    application_id: Option<Uuid>,
    agent: Option<&'a str>,
    permissions: &'a domain::permissions::PermissionSet,
    expires_at: Option<i64>,
}

impl<'a> WhoAmI<'a> {
    fn of(c: &'a Caller) -> WhoAmI<'a> {
        let key = c.key.as_deref();
        WhoAmI {
            principal: c.grant.kind.id(),
            user_id: c.user,
            workspace_id: c.workspace,
            key_id: key.map(|k| k.key_id.as_str()),
            key_name: key.map(|k| k.name.as_str()),
            application_id: c.grant.application,
            agent: key.and_then(|k| k.agent_name.as_deref()),
            permissions: &c.grant.permissions,
            expires_at: key.and_then(|k| k.expires_at),
        }
    }
}

async fn me(Extension(c): Extension<Caller>) -> Response {
    json_response(&WhoAmI::of(&c))
}

async fn me_coverage(Extension(c): Extension<Caller>) -> Response {
    #[derive(Serialize)]
    struct WithCoverage<'a> {
        #[serde(flatten)]
        principal: WhoAmI<'a>,
        coverage: Vec<domain::coverage::CoverageLine>,
    }
    json_response(&WithCoverage {
        principal: WhoAmI::of(&c),
        coverage: coverage(&c.grant),
    })
}

fn application_json(a: &domain::model::ApplicationRow) -> Value {
    json!({ "id": a.id, "name": a.name, "created_at": a.created_at,
            "agents": a.agents.iter().map(|g| json!({"id": g.id, "name": g.name, "description": g.description})).collect::<Vec<_>>() })
}

/// The applications the caller may see, by name, `limit` a page (`cursor`: the last
/// application id of the previous page); a key limited to one application sees that one.
async fn applications_list(
    State(s): State<ApiState>,
    Extension(c): Extension<Caller>,
    Query(page): Query<Page>,
) -> ApiResult {
    let limit = page.limit()?;
    let (apps, next) = match c.grant.application {
        Some(scope) => match workspaces::application(&s.app.db, c.workspace, scope).await {
            Ok(one) => (vec![one], None),
            Err(keyward_core::error::AppError::NotFound) => (Vec::new(), None),
            Err(e) => return Err(e.into()),
        },
        None => {
            let cursor = match page.cursor.as_deref() {
                None | Some("") => None,
                Some(c) => Some((
                    uuid::Uuid::parse_str(c).map_err(|_| {
                        ApiError::new(
                            StatusCode::BAD_REQUEST,
                            "cursor is not an application id of this listing.",
                        )
                    })?,
                    false,
                )),
            };
            let p = workspaces::applications_page(&s.app.db, c.workspace, cursor, limit).await?;
            (p.rows, p.next)
        }
    };
    ok(json!({
        "applications": apps.iter().map(application_json).collect::<Vec<_>>(),
        "next_cursor": next,
    }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NameBody {
    name: String,
}

async fn applications_create(
    State(s): State<ApiState>,
    Extension(c): Extension<Caller>,
    Json(body): Json<NameBody>,
) -> ApiResult {
    if c.grant.application.is_some() {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "A key limited to one application cannot create applications.",
        ));
    }
    let name = Name::parse("name", &body.name).map_err(keyward_core::error::AppError::from)?;
    let id = workspaces::create_application(&s.app.db, &c.principal(), name).await?;
    let app_row = workspaces::application(&s.app.db, c.workspace, id).await?;
    Ok((StatusCode::CREATED, Json(application_json(&app_row))).into_response())
}

fn target(c: &Caller) -> Result<Uuid, ApiError> {
    c.target.ok_or_else(ApiError::not_found)
}

async fn application_read(State(s): State<ApiState>, Extension(c): Extension<Caller>) -> ApiResult {
    let a = workspaces::application(&s.app.db, c.workspace, target(&c)?).await?;
    let mut v = application_json(&a);
    v["content"] =
        json!(workspaces::application_content(&s.app.db, c.workspace, target(&c)?).await?);
    ok(v)
}

async fn application_update(
    State(s): State<ApiState>,
    Extension(c): Extension<Caller>,
    Json(body): Json<NameBody>,
) -> ApiResult {
    let name = Name::parse("name", &body.name).map_err(keyward_core::error::AppError::from)?;
    workspaces::rename_application(&s.app.db, &c.principal(), target(&c)?, name).await?;
    ok(application_json(
        &workspaces::application(&s.app.db, c.workspace, target(&c)?).await?,
    ))
}

async fn application_delete(
    State(s): State<ApiState>,
    Extension(c): Extension<Caller>,
) -> ApiResult {
    workspaces::delete_application(&s.app.db, &c.principal(), target(&c)?).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ContentBody {
    content: String,
}

async fn application_content_put(
    State(s): State<ApiState>,
    Extension(c): Extension<Caller>,
    Json(body): Json<ContentBody>,
) -> ApiResult {
    workspaces::set_application_content(&s.app.db, &c.principal(), target(&c)?, body.content)
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[derive(Deserialize)]
struct Page {
    limit: Option<usize>,
    cursor: Option<String>,
}

impl Page {
    /// The page size asked for: 50 unless given, 1 to 200.
    fn limit(&self) -> Result<usize, ApiError> {
        let limit = self.limit.unwrap_or(50);
        if (1..=200).contains(&limit) {
            Ok(limit)
        } else {
            Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "limit must be between 1 and 200.",
            ))
        }
    }
}

/// Public metadata of keys scoped to applications the caller can read, newest first.
async fn application_tokens(
    State(s): State<ApiState>,
    Extension(c): Extension<Caller>,
    Query(page): Query<Page>,
) -> ApiResult {
    let limit = page.limit()?;
    let now = keyward_core::now();
    let (items, next) = keys::page_scoped_to_applications(
        &s.app.db,
        c.workspace,
        c.grant.application,
        page.cursor.as_deref(),
        limit,
    )
    .await?;
    ok(json!({
        "tokens": items.iter().map(|k| {
            let r = k.to_row(now);
            json!({ "key_id": r.key_id, "prefix": r.prefix, "name": r.name, "principal": r.kind.id(),
                    "application_id": r.application_id, "application": r.application, "agent": r.agent,
                    "status": r.status.id(), "expires_at": r.expires_at, "last_used_at": r.last_used_at })
        }).collect::<Vec<_>>(),
        "next_cursor": next,
    }))
}

async fn application_agents(
    State(s): State<ApiState>,
    Extension(c): Extension<Caller>,
) -> ApiResult {
    let a = workspaces::application(&s.app.db, c.workspace, target(&c)?).await?;
    ok(json!({ "application_id": a.id, "agents": application_json(&a)["agents"] }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AgentBody {
    name: String,
    #[serde(default)]
    description: String,
}

async fn agents_create(
    State(s): State<ApiState>,
    Extension(c): Extension<Caller>,
    Json(body): Json<AgentBody>,
) -> ApiResult {
    let name = Name::parse("name", &body.name).map_err(keyward_core::error::AppError::from)?;
    let description = domain::validate::optional_text("description", &body.description)
        .map_err(keyward_core::error::AppError::from)?;
    let id =
        workspaces::create_agent(&s.app.db, &c.principal(), target(&c)?, name, description).await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({ "id": id, "application_id": target(&c)?, "name": body.name.trim() })),
    )
        .into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct VerifyBody {
    key: String,
    #[serde(default)]
    permissions: Vec<String>,
}

/// Verifies a secret for another backend. The answer is always 200 with a code: the secret
/// being checked never causes a 401.
async fn keys_verify(
    State(s): State<ApiState>,
    Extension(c): Extension<Caller>,
    Json(body): Json<VerifyBody>,
) -> ApiResult {
    let required =
        domain::permissions::PermissionSet::parse_list(body.permissions.iter().map(String::as_str))
            .map_err(|e| {
                ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    format!("permissions: {e}"),
                )
            })?;
    let lookup =
        keys::authenticate_with(&s.app.db, Some(&s.app.key_cache), &s.app.secret, &body.key)
            .await?;
    let answer = match lookup {
        // Keys of other workspaces do not exist for this caller.
        Lookup::Ok(auth) if auth.key.workspace() != c.workspace => {
            json!({ "valid": false, "code": "NOT_FOUND" })
        }
        Lookup::Refused(failure, Some(key)) if key.workspace() != c.workspace => {
            let _ = failure;
            json!({ "valid": false, "code": "NOT_FOUND" })
        }
        Lookup::Refused(failure, _) => json!({ "valid": false, "code": failure.code() }),
        Lookup::Ok(auth) => {
            let missing = required.minus(auth.grant.permissions);
            json!({
                "valid": missing.is_empty(),
                "code": if missing.is_empty() { "VALID" } else { "INSUFFICIENT_PERMISSIONS" },
                "key_id": auth.key.key_id,
                "principal": auth.key.kind().id(),
                "owner_id": auth.key.owner_id,
                "application_id": auth.key.application_id,
                "permissions": auth.grant.permissions,
                "missing_permissions": missing,
                "expires_at": auth.key.expires_at,
            })
        }
    };
    ok(answer)
}

async fn auth_token(
    State(s): State<ApiState>,
    Extension(c): Extension<Caller>,
    session: tower_sessions::Session,
) -> ApiResult {
    let session_id = match session.id() {
        Some(id) => id.to_string(),
        None => {
            return Err(ApiError::unauthorized(
                "A user token is issued to a signed-in browser session only.",
            ))
        }
    };
    let (token, exp) = super::user_tokens::issue(&s.app, &session_id, &c).await?;
    ok(json!({ "token": token, "token_type": "Bearer", "expires_at": exp }))
}

/// The calling member's role as of now (a user token names a member, not a role).
async fn user_actor(s: &ApiState, c: &Caller) -> Result<Principal, ApiError> {
    let role = keyward_core::services::accounts::role_in(&s.app.db, c.user, c.workspace)
        .await?
        .ok_or_else(ApiError::not_found)?;
    Ok(Principal::member(
        c.user,
        c.workspace,
        role,
        c.address.clone(),
    ))
}

async fn user_keys_list(State(s): State<ApiState>, Extension(c): Extension<Caller>) -> ApiResult {
    let now = keyward_core::now();
    let by = user_actor(&s, &c).await?;
    let mine: Vec<_> = keys::owned_by(&s.app.db, c.workspace, c.user)
        .await?
        .iter()
        .map(|k| k.to_row_for(&by, now))
        .collect();
    ok(json!({ "keys": mine }))
}

async fn user_keys_create(
    State(s): State<ApiState>,
    Extension(c): Extension<Caller>,
    Json(form): Json<domain::model::CreateKeyForm>,
) -> ApiResult {
    let by = user_actor(&s, &c).await?;
    let role = by.role.ok_or_else(ApiError::not_found)?;
    let new = keyward_core::services::keys::parse_create_form(&form, role)?;
    let created = keys::create(&s.app.db, &s.app.secret, &by, new).await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({ "key": created.key, "secret": created.expose() })),
    )
        .into_response())
}

/// The caller's own key by public key id: these routes manage one's own keys only, so
/// others' keys do not exist here (one indexed read).
async fn own_key(s: &ApiState, c: &Caller, key_id: &str) -> Result<Uuid, ApiError> {
    match keys::get_by_key_id(&s.app.db, c.workspace, key_id).await {
        Ok(k) if k.owner() == c.user => Ok(k.uuid()),
        Ok(_) | Err(keyward_core::error::AppError::NotFound) => Err(ApiError::not_found()),
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RotateBody {
    #[serde(default)]
    grace_seconds: i64,
    /// As in the create form; absent: the old lifetime's length from now.
    #[serde(default)]
    expiration: String,
    #[serde(default)]
    expires_on: String,
}

async fn user_key_rotate(
    State(s): State<ApiState>,
    Extension(c): Extension<Caller>,
    Path(key_id): Path<String>,
    Json(body): Json<RotateBody>,
) -> ApiResult {
    let by = user_actor(&s, &c).await?;
    let id = own_key(&s, &c, &key_id).await?;
    let expiration = keys::Expiration::parse_optional(&body.expiration, &body.expires_on)?;
    let rotated = keys::rotate(
        &s.app.db,
        &s.app.secret,
        &by,
        id,
        body.grace_seconds,
        expiration,
    )
    .await?;
    ok(json!({ "key": rotated.key, "secret": rotated.expose() }))
}

async fn user_key_revoke(
    State(s): State<ApiState>,
    Extension(c): Extension<Caller>,
    Path(key_id): Path<String>,
) -> ApiResult {
    let by = user_actor(&s, &c).await?;
    let id = own_key(&s, &c, &key_id).await?;
    keys::revoke(&s.app.db, &by, id, "revoked through the API".into()).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
