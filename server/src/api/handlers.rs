//! One handler per route of the table. The gate has already authenticated and authorized
//! the caller; handlers scope every query to the caller's workspace.

use super::contract::{
    AgentList, Application, ApplicationContent, ApplicationName, ApplicationPage,
    ApplicationWithContent, AuditLog, Coverage, CreatedAgent, IssuedKey, NewAgent, OwnKeys,
    RotateRequest, TokenMeta, TokenPage, UserToken, Verification, VerificationRefused, VerifiedKey,
    VerifyRequest, WhoAmI,
};
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
        RouteId::UserKeysImport => on(m, user_keys_import),
        RouteId::UserKeyRotate => on(m, user_key_rotate),
        RouteId::UserKeyRevoke => on(m, user_key_revoke),
        RouteId::AuditList => on(m, audit_list),
    }
}

fn ok<T: Serialize>(v: T) -> ApiResult {
    Ok(json_response(&v))
}

fn created<T: Serialize>(v: T) -> ApiResult {
    let mut res = json_response(&v);
    *res.status_mut() = StatusCode::CREATED;
    Ok(res)
}

/// `value` as a JSON document, in one buffer sized for our small documents.
fn render<T: Serialize>(value: &T) -> Result<axum::body::Bytes, ApiError> {
    let mut body = Vec::with_capacity(512);
    serde_json::to_writer(&mut body, value)
        .map_err(|e| ApiError::from(keyward_core::error::AppError::Internal(e.to_string())))?;
    Ok(body.into())
}

/// A 200 JSON response.
fn json_response<T: Serialize>(value: &T) -> Response {
    match render(value) {
        Ok(body) => json_answer(body),
        Err(e) => e.into_response(),
    }
}

/// A 200 answer of a rendered JSON document, its header map sized for what the gate adds.
fn json_answer(body: axum::body::Bytes) -> Response {
    let mut res = Response::new(axum::body::Body::from(body));
    res.headers_mut().reserve(super::ANSWER_HEADERS);
    res.headers_mut().insert(
        axum::http::header::CONTENT_TYPE,
        axum::http::HeaderValue::from_static("application/json"),
    );
    res
}

/// What `GET /api/v1/me` answers for a caller.
fn who_am_i(c: &Caller) -> WhoAmI<'_> {
    let key = c.key.as_deref();
    WhoAmI {
        principal: c.grant.kind.id(),
        user_id: c.user.uuid(),
        workspace_id: c.workspace.uuid(),
        key_id: key.map(|k| k.key_id.as_str()),
        key_name: key.map(|k| k.name.as_str()),
        application_id: c.grant.application.map(|a| a.uuid()),
        agent: key.and_then(|k| k.agent_name.as_deref()),
        permissions: c.grant.permissions,
        expires_at: key.and_then(|k| k.expires_at),
    }
}

/// A key's answer is rendered once per stored record ([`keys::KeyRecord::whoami`]):
/// everything in it comes from the record, the grant included.
async fn me(Extension(c): Extension<Caller>) -> Response {
    let Some(key) = &c.key else {
        return json_response(&who_am_i(&c));
    };
    let body = match key.whoami.get() {
        Some(body) => body.clone(),
        None => match render(&who_am_i(&c)) {
            Ok(body) => key.whoami.get_or_init(|| body).clone(),
            Err(e) => return e.into_response(),
        },
    };
    json_answer(body)
}

async fn me_coverage(Extension(c): Extension<Caller>) -> Response {
    json_response(&Coverage {
        principal: who_am_i(&c),
        coverage: coverage(&c.grant),
    })
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
                    domain::ids::ApplicationId::parse(c).map_err(|_| {
                        ApiError::new(
                            StatusCode::UNPROCESSABLE_ENTITY,
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
    ok(ApplicationPage {
        applications: apps.into_iter().map(Application::from).collect(),
        next_cursor: next,
    })
}

async fn applications_create(
    State(s): State<ApiState>,
    Extension(c): Extension<Caller>,
    Json(body): Json<ApplicationName>,
) -> ApiResult {
    if c.grant.application.is_some() {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "A key limited to one application cannot create applications.",
        ));
    }
    let name = Name::parse("name", &body.name).map_err(keyward_core::error::AppError::from)?;
    let id = workspaces::create_application(&s.app.db, &c.principal(), name).await?;
    created(Application::from(
        workspaces::application(&s.app.db, c.workspace, id).await?,
    ))
}

fn target(c: &Caller) -> Result<domain::ids::ApplicationId, ApiError> {
    c.target.ok_or_else(ApiError::not_found)
}

async fn application_read(State(s): State<ApiState>, Extension(c): Extension<Caller>) -> ApiResult {
    let a = workspaces::application(&s.app.db, c.workspace, target(&c)?).await?;
    ok(ApplicationWithContent {
        application: a.into(),
        content: workspaces::application_content(&s.app.db, c.workspace, target(&c)?).await?,
    })
}

async fn application_update(
    State(s): State<ApiState>,
    Extension(c): Extension<Caller>,
    Json(body): Json<ApplicationName>,
) -> ApiResult {
    let name = Name::parse("name", &body.name).map_err(keyward_core::error::AppError::from)?;
    workspaces::rename_application(&s.app.db, &c.principal(), target(&c)?, name).await?;
    ok(Application::from(
        workspaces::application(&s.app.db, c.workspace, target(&c)?).await?,
    ))
}

async fn application_delete(
    State(s): State<ApiState>,
    Extension(c): Extension<Caller>,
) -> ApiResult {
    workspaces::delete_application(&s.app.db, &c.principal(), target(&c)?).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn application_content_put(
    State(s): State<ApiState>,
    Extension(c): Extension<Caller>,
    Json(body): Json<ApplicationContent>,
) -> ApiResult {
    workspaces::set_application_content(&s.app.db, &c.principal(), target(&c)?, body.content)
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[derive(Deserialize)]
struct Page {
    /// Text, so that an empty `limit=` is the default rather than a refusal.
    limit: Option<String>,
    cursor: Option<String>,
}

impl Page {
    /// The page size asked for: 50 unless given, 1 to 200.
    fn limit(&self) -> Result<usize, ApiError> {
        let limit = match self.limit.as_deref().map(str::trim) {
            None | Some("") => Ok(50),
            Some(n) => n.parse::<usize>(),
        };
        match limit {
            Ok(limit) if (1..=200).contains(&limit) => Ok(limit),
            _ => Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "limit must be a whole number between 1 and 200.",
            )),
        }
    }
}

/// A page of the workspace's audit log under the filters of the query. The API pages one
/// way (older), so its `cursor` is the console's `after`.
async fn audit_list(
    State(s): State<ApiState>,
    Extension(c): Extension<Caller>,
    axum::extract::RawQuery(raw): axum::extract::RawQuery,
) -> ApiResult {
    use domain::audit::{param, AuditQuery};
    let params = domain::paging::QueryParams::parse(&raw.unwrap_or_default());
    let get = |name: &str| {
        let name = if name == param::AFTER { "cursor" } else { name };
        (name != param::BEFORE).then(|| params.get(name)).flatten()
    };
    let invalid = |m: String| ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, m);
    let query = AuditQuery::from_params(get).map_err(invalid)?;
    let limit = Page {
        limit: get("limit")
            .map(|l| {
                l.parse()
                    .map_err(|_| invalid("limit must be a number.".into()))
            })
            .transpose()?,
        cursor: None,
    }
    .limit()?;
    let page =
        keyward_core::services::audit::page(&s.app.db, &c.principal(), &query, limit).await?;
    ok(AuditLog {
        next_cursor: page.next.map(|seq| query.cursor_at(seq)),
        events: page.events,
    })
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
    ok(TokenPage {
        tokens: items
            .iter()
            .map(|k| {
                let r = k.to_row(now);
                TokenMeta {
                    principal: r.kind.id(),
                    status: r.status.id(),
                    key_id: r.key_id,
                    prefix: r.prefix,
                    name: r.name,
                    application_id: r.application_id.map(|a| a.to_string()),
                    application: r.application,
                    agent: r.agent,
                    expires_at: r.expires_at,
                    last_used_at: r.last_used_at,
                }
            })
            .collect(),
        next_cursor: next,
    })
}

async fn application_agents(
    State(s): State<ApiState>,
    Extension(c): Extension<Caller>,
) -> ApiResult {
    let a = Application::from(workspaces::application(&s.app.db, c.workspace, target(&c)?).await?);
    ok(AgentList {
        application_id: a.id,
        agents: a.agents,
    })
}

async fn agents_create(
    State(s): State<ApiState>,
    Extension(c): Extension<Caller>,
    Json(body): Json<NewAgent>,
) -> ApiResult {
    let name = Name::parse("name", &body.name).map_err(keyward_core::error::AppError::from)?;
    let description = domain::validate::optional_text("description", &body.description)
        .map_err(keyward_core::error::AppError::from)?;
    let id =
        workspaces::create_agent(&s.app.db, &c.principal(), target(&c)?, name, description).await?;
    created(CreatedAgent {
        id: id.uuid(),
        application_id: target(&c)?.uuid(),
        name: body.name.trim().to_string(),
    })
}

/// Verifies a secret for another backend. The answer is always 200 with a code: the secret
/// being checked never causes a 401.
async fn keys_verify(
    State(s): State<ApiState>,
    Extension(c): Extension<Caller>,
    Json(body): Json<VerifyRequest>,
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
    let invalid = |code| Verification::Refused(VerificationRefused { valid: false, code });
    let answer = match lookup {
        // Keys of other workspaces do not exist for this caller.
        Lookup::Ok(auth) if auth.key.workspace_id != c.workspace => invalid("NOT_FOUND"),
        Lookup::Refused(_, Some(key)) if key.workspace_id != c.workspace => invalid("NOT_FOUND"),
        Lookup::Refused(failure, _) => invalid(failure.code()),
        Lookup::Ok(auth) => {
            let missing = required.minus(auth.grant.permissions);
            Verification::Matched(VerifiedKey {
                valid: missing.is_empty(),
                code: if missing.is_empty() {
                    "VALID"
                } else {
                    "INSUFFICIENT_PERMISSIONS"
                },
                key_id: auth.key.key_id.clone(),
                principal: auth.key.kind().id(),
                owner_id: auth.key.owner_id.uuid(),
                application_id: auth.key.application_id.map(|a| a.to_string()),
                permissions: auth.grant.permissions,
                missing_permissions: missing,
                expires_at: auth.key.expires_at,
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
    ok(UserToken {
        token,
        token_type: "Bearer",
        expires_at: exp,
    })
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
        c.address_text(),
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
    ok(OwnKeys { keys: mine })
}

async fn user_keys_create(
    State(s): State<ApiState>,
    Extension(c): Extension<Caller>,
    Json(form): Json<domain::model::CreateKeyForm>,
) -> ApiResult {
    let by = user_actor(&s, &c).await?;
    let role = by.role.ok_or_else(ApiError::not_found)?;
    let new = keyward_core::services::keys::parse_create_form(&form, role)?;
    let issued = keys::create(&s.app.db, &s.app.secret, &by, new).await?;
    created(IssuedKey {
        key: &issued.key,
        secret: issued.expose(),
    })
}

async fn user_keys_import(
    State(s): State<ApiState>,
    Extension(c): Extension<Caller>,
    Json(body): Json<super::contract::ImportRequest>,
) -> ApiResult {
    let by = user_actor(&s, &c).await?;
    let role = by.role.ok_or_else(ApiError::not_found)?;
    let new = keyward_core::services::keys::parse_create_form(&body.key, role)?;
    let key = keys::import(&s.app.db, &s.app.secret, &by, new, &body.existing_secret).await?;
    created(key)
}

/// The caller's own key by public key id: these routes manage one's own keys only, so
/// others' keys do not exist here (one indexed read).
async fn own_key(
    s: &ApiState,
    c: &Caller,
    key_id: &str,
) -> Result<domain::ids::ApiKeyId, ApiError> {
    match keys::get_by_key_id(&s.app.db, c.workspace, key_id).await {
        Ok(k) if k.owner_id == c.user => Ok(k.id),
        Ok(_) | Err(keyward_core::error::AppError::NotFound) => Err(ApiError::not_found()),
        Err(e) => Err(e.into()),
    }
}

async fn user_key_rotate(
    State(s): State<ApiState>,
    Extension(c): Extension<Caller>,
    Path(key_id): Path<String>,
    Json(body): Json<RotateRequest>,
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
    ok(IssuedKey {
        key: &rotated.key,
        secret: rotated.expose(),
    })
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
