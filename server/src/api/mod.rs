//! The machine API under `/api/v1`, built from the route table: every declared route gets
//! its handler and the gate; besides them only the OpenAPI document and the JSON 404 are
//! routed, through the same gate without a credential check.

pub mod bodies;
pub mod contract;
pub mod credentials;
pub mod error;
pub mod handlers;
pub mod leaks;
pub mod openapi;
pub mod rate_limit;
pub mod user_tokens;

use crate::config::Config;
use crate::metrics::Outcome;
use app::request::state::AppState;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderName, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::MethodFilter;
use axum::Router;
use credentials::Presented;
use domain::access::{authorize, Grant, Principal, PrincipalKind, Refusal};
use domain::ids::{ApplicationId, UserId, WorkspaceId};
use domain::routes::{MachineRoute, Method as RouteMethod, RouteId, ROUTES};
use error::ApiError;
use keyward_core::services::keys::{self, AuthFailure, Lookup};
use keyward_core::services::usage::{Access, Refusal as RefusedUse, UsageRecorder};
use std::future::Future;
use std::sync::Arc;
use std::task::Poll;

use crate::request_log::{Pending, Who};
/// Marks the credential tester's own requests, which skip the bookkeeping.
const SMOKE_TEST: HeaderName =
    HeaderName::from_static(keyward_core::services::tester::SMOKE_HEADER);

/// Answers to a key that expires within a week say when, so integrators see it coming in
/// their own logs.
const KEY_EXPIRES: HeaderName = HeaderName::from_static("keyward-key-expires");
const EXPIRY_WARNING_SECS: i64 = 7 * domain::dates::DAY;

/// Room for the headers an answer leaves the gate with (content type, security headers, rate
/// limits, request id, CORS): a header map sized for them up front does not grow on the way out.
pub(crate) const ANSWER_HEADERS: usize = 16;

/// Largest request body the machine API reads.
pub const BODY_LIMIT: usize = 64 * 1024;

/// What the gate hands to a handler: who is calling, with what.
#[derive(Clone, Debug)]
pub struct Caller {
    pub grant: Grant,
    pub workspace: WorkspaceId,
    /// The person: the user of a user token or session, the owner of a key.
    pub user: UserId,
    pub key: Option<Arc<keys::KeyRecord>>,
    /// A user principal's role in the workspace; `None` when a key calls.
    pub role: Option<domain::roles::Role>,
    /// The application the path names, when it names one.
    pub target: Option<ApplicationId>,
    /// The client address; written out only where a service needs it (most answers never do).
    pub address: Option<std::net::IpAddr>,
}

impl Caller {
    /// The caller as every service sees it.
    pub fn principal(&self) -> Principal {
        Principal {
            user: self.user,
            workspace: self.workspace,
            role: self.role,
            grant: self.grant.clone(),
            key_id: self.key.as_ref().map(|k| k.key_id.clone()),
            address: self.address_text(),
        }
    }

    /// The client address as services record it (empty when unknown).
    pub fn address_text(&self) -> String {
        self.address.map(|a| a.to_string()).unwrap_or_default()
    }
}

/// Shared by the gate of every route; a clone is one reference count.
#[derive(Clone)]
pub struct ApiState(Arc<Api>);

/// The fields of [`ApiState`].
pub struct Api {
    pub app: AppState,
    pub usage: UsageRecorder,
    /// The leak report's per-address limit.
    pub limiter: rate_limit::RateLimiter,
    /// Keys' requests, counted against the workspace's limits and shared across instances.
    pub pools: Arc<rate_limit::PooledLimiter>,
    pub cors_origins: Vec<String>,
    /// Served over HTTPS: answers carry `Strict-Transport-Security`.
    pub https: crate::middleware::Https,
    /// What `/metrics` reports.
    pub metrics: crate::metrics::Metrics,
}

impl std::ops::Deref for ApiState {
    type Target = Api;

    fn deref(&self) -> &Api {
        &self.0
    }
}

/// The session layer of the one route that reads the browser session (the token exchange).
pub type SessionLayer =
    tower_sessions::SessionManagerLayer<keyward_core::store::session_store::DbSessionStore>;

/// What each route's gate knows: the shared state and the route's declaration.
#[derive(Clone)]
struct Gate {
    api: ApiState,
    /// `None` for the two answers outside the table that need no credential: the OpenAPI
    /// document and the JSON 404.
    route: Option<&'static MachineRoute>,
    /// The route's counters in [`crate::metrics::Metrics`].
    slot: usize,
}

fn method_filter(m: RouteMethod) -> MethodFilter {
    match m {
        RouteMethod::Get => MethodFilter::GET,
        RouteMethod::Post => MethodFilter::POST,
        RouteMethod::Put => MethodFilter::PUT,
        RouteMethod::Patch => MethodFilter::PATCH,
        RouteMethod::Delete => MethodFilter::DELETE,
    }
}

/// The `/api/v1` router: every route of the table with its handler behind the gate, the
/// OpenAPI document, and a JSON 404 for any other path under `/api/v1`; with it, `/metrics`
/// when it has an address of its own (`KEYWARD_METRICS_ADDR`).
pub fn router(
    state: AppState,
    config: &Config,
    sessions: SessionLayer,
    https: crate::middleware::Https,
) -> (Router, Option<Router>) {
    let api = ApiState(Arc::new(Api {
        usage: UsageRecorder::start(state.db.clone(), config.access_log_days),
        limiter: rate_limit::RateLimiter::per_minute(),
        pools: rate_limit::PooledLimiter::start(state.db.clone()),
        cors_origins: config.cors_allowed_origins.clone(),
        https,
        app: state,
        metrics: Default::default(),
    }));
    let gated = |route: Option<&'static MachineRoute>| {
        axum::middleware::from_fn_with_state(
            Gate {
                api: api.clone(),
                route,
                slot: crate::metrics::slot_of(route),
            },
            gate,
        )
    };
    let mut router: Router<ApiState> = Router::new();
    for route in ROUTES {
        let mut handler = handlers::method_router(route.id, method_filter(route.method))
            .layer(gated(Some(route)));
        if route.id == RouteId::AuthToken {
            handler = handler.layer(sessions.clone());
        }
        router = router.route(route.path, handler);
    }
    let not_found =
        axum::routing::any(|| async { ApiError::new(StatusCode::NOT_FOUND, "No such route.") })
            .layer(gated(None));
    // `/metrics` beside the API, unless it has an address of its own.
    let mut metrics = None;
    if let Some(token) = &config.metrics_token {
        let scrape = metrics_router(token);
        if config.metrics_addr.is_some() {
            metrics = Some(scrape.with_state(api.clone()));
        } else {
            router = router.merge(scrape);
        }
    }
    let router = router
        .route(
            "/api/v1/openapi.json",
            axum::routing::get(openapi::document).layer(gated(None)),
        )
        .route(
            "/api/v1/secret-format",
            axum::routing::get(leaks::format).layer(gated(None)),
        )
        .route(
            "/api/v1/leaks",
            axum::routing::post(leaks::report).layer(gated(None)),
        )
        .route("/api/v1", not_found.clone())
        .route("/api/v1/", not_found.clone())
        .route("/api/v1/{*rest}", not_found)
        .with_state(api);
    (router, metrics)
}

/// `/metrics` alone, for the bearer of `token`.
fn metrics_router(token: &str) -> Router<ApiState> {
    let token = Arc::new(token.to_owned());
    Router::new().route(
        "/metrics",
        axum::routing::get(
            move |State(api): State<ApiState>, headers: axum::http::HeaderMap| {
                let token = token.clone();
                async move { metrics_answer(&api, &headers, &token) }
            },
        ),
    )
}

/// `/metrics` for the bearer of `token` (compared in constant time); anyone else gets 401.
fn metrics_answer(api: &ApiState, headers: &axum::http::HeaderMap, token: &str) -> Response {
    let presented = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("");
    if !keyward_core::security::crypto::digests_match(presented, token) {
        let mut res = (
            StatusCode::UNAUTHORIZED,
            "Send the metrics token as a Bearer token.\n",
        )
            .into_response();
        res.headers_mut()
            .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        return res;
    }
    let mut res = api.metrics.render(&api.app, &api.usage).into_response();
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

/// The gate of every API answer: gives it a request id, the security headers and CORS,
/// answers preflights, turns every failure — ours or the framework's (404, 405, 413, 415,
/// 422) — into the JSON error body, and on declared routes checks the credential first.
///
/// CORS is written here rather than by tower-http's `CorsLayer`: every machine request passes
/// this one function, and the preflight answer depends on the same origin check. One more
/// layer (a boxed service in axum's router) would sit on the product's hot path
/// (`.ci/bench wire`) to save about twenty lines of headers. The gate also writes the request's
/// log line ([`Pending`]), so the log line, the `X-Request-Id` header and the error body share
/// one id, and the API needs no log layer of its own.
async fn gate(State(gate): State<Gate>, req: Request, next: Next) -> Response {
    let started = std::time::Instant::now();
    // Once per request: the log line and the credential check both need it.
    let peer = crate::request_log::client_address(&gate.api.app, &req);
    let pending = Pending::begin(&req, peer);
    let origin = req
        .headers()
        .get(header::ORIGIN)
        .filter(|o| {
            o.to_str()
                .is_ok_and(|o| gate.api.cors_origins.iter().any(|a| a == o))
        })
        .cloned();
    let mut res = if req.method() == Method::OPTIONS {
        preflight(origin.is_some())
    } else {
        let (api, declared, logged) = (&gate.api, gate.route, pending.logged());
        let answer = async move {
            match declared.filter(|r| serves(r, req.method())) {
                Some(route) => guard(api, route, peer, logged, started, req, next).await,
                // Outside the table (or no route here takes this method: the router answers
                // 405, with `Allow`).
                None => next.run(req).await,
            }
        };
        // The timer is set only when the answer has to wait: one answered from memory (most
        // are) neither reads the clock for it nor touches the timer wheel.
        let mut answer = std::pin::pin!(answer);
        match std::future::poll_fn(|cx| Poll::Ready(answer.as_mut().poll(cx))).await {
            Poll::Ready(res) => res,
            Poll::Pending => match tokio::time::timeout(crate::middleware::GIVE_UP, answer).await {
                Ok(res) => res,
                Err(_) => {
                    ApiError::from(keyward_core::error::AppError::Unavailable).into_response()
                }
            },
        }
    };
    if res.status().is_client_error() || res.status().is_server_error() {
        res = render_error(res, pending.id().as_str()).await;
    }
    let h = res.headers_mut();
    if let Some(o) = origin {
        cors_headers(h, o);
    }
    crate::middleware::set_security_headers(h, crate::middleware::Surface::Api, gate.api.https);
    pending.finish(&mut res);
    gate.api
        .metrics
        .answered(gate.slot, res.status().as_u16(), started.elapsed());
    res
}

/// Whether `route` takes requests with `method` (`HEAD` being a `GET` without its body).
fn serves(route: &MachineRoute, method: &Method) -> bool {
    method.as_str() == route.method.as_str()
        || (method == Method::HEAD && route.method == RouteMethod::Get)
}

/// The answer to a CORS preflight: the allowances only for a listed origin.
fn preflight(allowed: bool) -> Response {
    let mut res = StatusCode::NO_CONTENT.into_response();
    if allowed {
        let h = res.headers_mut();
        h.insert(
            header::ACCESS_CONTROL_ALLOW_METHODS,
            HeaderValue::from_static("GET, POST, PUT, PATCH, DELETE"),
        );
        h.insert(
            header::ACCESS_CONTROL_ALLOW_HEADERS,
            HeaderValue::from_static("x-keyward-api-token, authorization, content-type"),
        );
        h.insert(
            header::ACCESS_CONTROL_MAX_AGE,
            HeaderValue::from_static("600"),
        );
    }
    res
}

fn cors_headers(h: &mut axum::http::HeaderMap, origin: HeaderValue) {
    // Exactly the listed origin, never `*`, never credentials.
    h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
    h.insert(header::VARY, HeaderValue::from_static("origin"));
    h.insert(
        header::ACCESS_CONTROL_EXPOSE_HEADERS,
        HeaderValue::from_static("x-request-id, ratelimit-limit, ratelimit-remaining, ratelimit-reset, x-keyward-missing-permissions, keyward-key-expires"),
    );
}

async fn render_error(res: Response, request_id: &str) -> Response {
    let (mut parts, body) = res.into_parts();
    let (message, field) = match parts.extensions.remove::<ApiError>() {
        Some(e) => (e.message, e.field),
        None => {
            // A framework rejection: its text names the problem (a field, a content type).
            let bytes = axum::body::to_bytes(body, 4096).await.unwrap_or_default();
            let text = String::from_utf8_lossy(&bytes).trim().to_string();
            let message = match parts.status.as_u16() {
                404 => "No such route.".into(),
                405 => "This route does not accept that method.".into(),
                _ if text.is_empty() => ApiError::title(parts.status).into(),
                _ => text,
            };
            (message, None)
        }
    };
    let body = serde_json::to_vec(&contract::ErrorBody {
        error: ApiError::title(parts.status),
        message: &message,
        request_id,
        field: field.as_deref(),
    })
    .expect("an error body serializes");
    parts.headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(body))
}

/// The credential check of a declared route: authenticates the credential, authorizes it
/// against the route's declaration with the one authorization function, applies the rate
/// limit, then calls the handler and queues the key's bookkeeping.
async fn guard(
    api: &ApiState,
    route: &'static MachineRoute,
    peer: Option<std::net::IpAddr>,
    // The request log writes this request's line: it needs to know who called.
    logged: bool,
    // When the gate took the request: the access log's latency counts from there.
    started: std::time::Instant,
    req: Request,
    next: Next,
) -> Response {
    // Fail closed, and fast: once the database is known to be unreachable no credential can
    // be verified, and waiting out the pool for each request would tie up every connection.
    if !api.app.db.ready() {
        return ApiError::from(keyward_core::error::AppError::Unavailable).into_response();
    }
    if route.json_body && bodies::encoding(req.headers()) != Some(bodies::Encoding::Json) {
        return ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Send a JSON body with Content-Type: application/json.",
        )
        .into_response();
    }
    // `logged_body`: what the handler reads and the body log may keep, never the credential.
    // Only JSON and form bodies are read (most machine requests have neither).
    let (mut req, body_secret, logged_body) = if bodies::encoding(req.headers()).is_none() {
        (req, None, None)
    } else {
        match bodies::take_credential(req).await {
            Ok(r) => r,
            Err(e) => return e.into_response(),
        }
    };
    let target = match application_target(route, req.uri().path()) {
        Ok(t) => t,
        Err(e) => return e.into_response(),
    };
    let session = req.extensions().get::<tower_sessions::Session>().cloned();
    let presented = match credentials::extract(req.headers(), req.uri(), body_secret) {
        Ok(p) => p,
        Err(e) => return e.into_response(),
    };
    let refuse = |key_id: &str, reason: &'static str, status: StatusCode| {
        api.metrics.outcome(Outcome::of_reason(reason));
        api.usage.record_refusal(RefusedUse {
            key_id: key_id.to_owned(),
            at: keyward_core::now(),
            reason,
            status: status.as_u16(),
            method: route.method.as_str(),
            route: route.path,
            address: peer,
        })
    };
    let sent_secret = matches!(presented, Some(Presented::Secret { .. }));
    let sent_nothing = presented.is_none();
    let caller = match authenticate(api, route, presented, session, target, peer).await {
        Ok(c) => c,
        Err((e, Some((key_id, reason)))) => {
            refuse(key_id.as_str(), reason, e.status);
            return e.into_response();
        }
        Err((e, None)) => {
            api.metrics
                .outcome(match (sent_nothing, sent_secret, e.status) {
                    (true, _, _) => Outcome::Missing,
                    (_, true, StatusCode::UNAUTHORIZED) => Outcome::Malformed,
                    _ => Outcome::Other,
                });
            return e.into_response();
        }
    };
    // A key limited to some networks is refused elsewhere (and where the address is unknown),
    // without saying which networks it allows.
    if let Some(key) = &caller.key {
        let allowed = match peer {
            Some(ip) => key.networks().allows(ip),
            None => key.networks().is_empty(),
        };
        if !allowed {
            refuse(&key.key_id, "NETWORK_NOT_ALLOWED", StatusCode::FORBIDDEN);
            return ApiError::new(
                StatusCode::FORBIDDEN,
                "This key may not be used from your network: its allowed networks do not include your address.",
            )
            .into_response();
        }
    }
    // One clock reading serves every check of this request.
    let now = keyward_core::now();
    // A successor's first use ends a predecessor's grace that was waiting for it.
    if let Some(key) = caller.key.as_ref().filter(|k| k.awaits_first_use(now)) {
        if let Err(e) = keys::switched_over(&api.app.db, key, &caller.address_text()).await {
            tracing::warn!(error = %e, "the previous secret's grace could not be ended");
        }
    }
    // Who called, for the request log line, whatever the answer (when there is a line).
    let who = logged.then(|| Who {
        principal: caller.grant.kind.id(),
        key_id: caller.key.as_ref().map(|k| k.key_id.clone()),
        user_id: Some(caller.user),
    });
    let answer = |mut res: Response, who: Option<Who>| {
        if let Some(who) = who {
            res.extensions_mut().insert(who);
        }
        res
    };
    if let Err(refusal) = authorize(&caller.grant, &route.requirement, target) {
        if let Some(key) = &caller.key {
            refuse(&key.key_id, "FORBIDDEN", StatusCode::FORBIDDEN);
        }
        return answer(refused(refusal).into_response(), who);
    }
    let mut limit_headers = None;
    let mut access = None;
    let mut expires_soon = None;
    if let Some(key) = &caller.key {
        expires_soon = key.expires_at.filter(|&at| at - now <= EXPIRY_WARNING_SECS);
        let application = caller.grant.application.or(target);
        let (pools, n) = rate_limit::pools(key, route.limit, application);
        let verdict = api.pools.check(&pools[..n], now);
        if let Some(by) = verdict.refused_by {
            refuse(&key.key_id, "RATE_LIMITED", StatusCode::TOO_MANY_REQUESTS);
            let mut res = ApiError {
                retry_after: Some(by.reset),
                ..ApiError::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    rate_limit::refusal_message(&by),
                )
            }
            .into_response();
            rate_limit::write_pool_headers(&verdict, res.headers_mut());
            return answer(res, who);
        }
        limit_headers = Some(verdict);
        let smoke = req
            .headers()
            .get(SMOKE_TEST)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| {
                keyward_core::security::crypto::digests_match(
                    v,
                    &keyward_core::services::tester::smoke_token(&api.app.secret),
                )
            });
        if !smoke {
            let user_agent = req
                .headers()
                .get(header::USER_AGENT)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            access = Some(Access {
                key: key.clone(),
                at: now,
                method: route.method.as_str(),
                route: route.path,
                status: 0,
                latency_ms: 0,
                address: peer,
                user_agent: truncate(user_agent, 200).to_owned(),
                request_body: (key.log_bodies != 0).then(|| {
                    logged_body
                        .as_deref()
                        .map(|b| {
                            let content_type = req
                                .headers()
                                .get(header::CONTENT_TYPE)
                                .and_then(|v| v.to_str().ok());
                            domain::redact::body_for_log(b, content_type)
                        })
                        .unwrap_or_default()
                }),
                response_body: None,
            });
        }
    }
    api.metrics.outcome(Outcome::Valid);
    req.extensions_mut().insert(caller);
    let mut res = answer(next.run(req).await, who);
    if let Some(v) = limit_headers {
        rate_limit::write_pool_headers(&v, res.headers_mut());
    }
    if let Some(at) = expires_soon {
        if let Ok(v) = HeaderValue::from_str(&domain::dates::format_rfc3339(at)) {
            res.headers_mut().insert(KEY_EXPIRES, v);
        }
    }
    if let Some(mut a) = access {
        a.status = res.status().as_u16();
        a.latency_ms = started.elapsed().as_millis() as u64;
        if a.request_body.is_some() {
            let (r, logged) = bodies::response_for_log(res).await;
            res = r;
            a.response_body = Some(logged);
        }
        api.usage.record(a);
    }
    res
}

/// At most `chars` characters of `s`.
fn truncate(s: &str, chars: usize) -> &str {
    s.char_indices().nth(chars).map_or(s, |(end, _)| &s[..end])
}

/// The application id in the path of routes that target one; not a UUID is a 404.
fn application_target(route: &MachineRoute, path: &str) -> Result<Option<ApplicationId>, ApiError> {
    if !route.targets_application {
        return Ok(None);
    }
    let template: Vec<&str> = route.path.split('/').collect();
    let actual: Vec<&str> = path.split('/').collect();
    if template.len() != actual.len() {
        return Err(ApiError::not_found());
    }
    template
        .iter()
        .zip(actual.iter())
        .find(|(t, _)| **t == "{id}" || **t == "{uuid}")
        .map(|(_, a)| {
            ApplicationId::parse(a)
                .map(Some)
                .map_err(|_| ApiError::not_found())
        })
        .unwrap_or(Ok(None))
}

fn refused(refusal: Refusal) -> ApiError {
    let missing = match &refusal {
        Refusal::MissingPermissions(p) => p.iter().map(|p| p.id().to_string()).collect(),
        _ => vec![],
    };
    ApiError {
        missing,
        ..ApiError::new(StatusCode::FORBIDDEN, refusal.explain())
    }
}

/// A refusal of a stored key's secret: its public key id and the reason for its access log.
type KeyRefusal = (domain::secret::KeyId, &'static str);

/// Authenticates the presented credential. A refusal names the key when the secret was well
/// formed (so its key id is the one it claims), for that key's access log.
async fn authenticate(
    api: &ApiState,
    route: &MachineRoute,
    presented: Option<Presented>,
    session: Option<tower_sessions::Session>,
    target: Option<ApplicationId>,
    address: Option<std::net::IpAddr>,
) -> Result<Caller, (ApiError, Option<KeyRefusal>)> {
    let unnamed = |e: ApiError| (e, None);
    let db = &api.app.db;
    match presented {
        None => {
            // Only the token exchange accepts the browser session.
            if route.id == domain::routes::RouteId::AuthToken {
                if let Some(session) = &session {
                    if let Some(caller) =
                        user_tokens::caller_from_session(&api.app, session, address)
                            .await
                            .map_err(unnamed)?
                    {
                        return Ok(caller);
                    }
                }
            }
            Err(unnamed(ApiError::unauthorized(
                "No credential: send your key in the X-Keyward-Api-Token header.",
            )))
        }
        Some(Presented::UserToken(token)) => user_tokens::verify(&api.app, &token, target, address)
            .await
            .map_err(unnamed),
        Some(Presented::Secret { value, legacy }) => {
            match keys::authenticate_with(db, Some(&api.app.key_cache), &api.app.secret, &value)
                .await
                .map_err(|e| unnamed(e.into()))?
            {
                Lookup::Refused(AuthFailure::Malformed(m), _) => {
                    Err(unnamed(ApiError::unauthorized(m.explain())))
                }
                Lookup::Refused(failure, matched) => {
                    // The key the digest matched (an imported secret names none), else the one
                    // a well-formed secret claims. An unknown secret for a stored key id is
                    // logged as such, never with what was sent.
                    let reason = match failure {
                        AuthFailure::Unknown => "INVALID_SECRET",
                        other => other.code(),
                    };
                    let key_id = matched
                        .and_then(|k| domain::secret::KeyId::parse(&k.key_id))
                        .or_else(|| domain::secret::parse(&value).ok().map(|p| p.key_id))
                        .map(|k| (k, reason));
                    Err((ApiError::unauthorized(failure.explain()), key_id))
                }
                Lookup::Ok(auth) => {
                    if legacy && auth.key.workspace_legacy_transports == 0 {
                        let key_id = domain::secret::KeyId::parse(&auth.key.key_id)
                            .map(|k| (k, "TRANSPORT_NOT_ALLOWED"));
                        return Err((ApiError::unauthorized("This workspace does not accept keys in X-ApiKey, the key parameter or field, or API_Key; use X-Keyward-Api-Token."), key_id));
                    }
                    Ok(Caller {
                        workspace: auth.key.workspace_id,
                        user: auth.key.owner_id,
                        grant: auth.grant,
                        target,
                        address,
                        key: Some(auth.key),
                        role: None,
                    })
                }
            }
        }
    }
}

/// A user principal's grant: their role's permissions in a workspace.
pub fn user_grant(role: domain::roles::Role) -> Grant {
    Grant {
        kind: PrincipalKind::User,
        permissions: role.permissions(),
        application: None,
    }
}
