//! One log line per console or machine-API request: time, request id, method, matched route,
//! status, latency, who called (principal kind, key id or user id) and the client address.
//!
//! The line is built from what the router matched (`/invite/{token}`, never the token) and
//! what the gate learned; it never holds a path as sent, a query string, a header, a cookie
//! or a body, so no secret can reach it. Probes and static files are not logged.
//! The request id is made here, once, and reused by the API's error bodies and headers.

use app::request::state::AppState;
use axum::extract::{ConnectInfo, MatchedPath, Request, State};
use axum::http::{HeaderName, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
use std::net::SocketAddr;
use std::time::Instant;
use uuid::Uuid;

/// The header that carries a response's request id.
pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// This request's id, as the request log, the `X-Request-Id` header and error bodies show it.
#[derive(Clone, Debug)]
pub struct RequestId(pub HeaderValue);

impl RequestId {
    /// A fresh id. It is not a secret, so it comes from the thread-local generator rather than
    /// from a system call per request.
    pub fn new() -> RequestId {
        let id = uuid::Builder::from_random_bytes(rand::random()).into_uuid();
        let mut text = [0u8; uuid::fmt::Hyphenated::LENGTH];
        RequestId(
            HeaderValue::from_str(id.hyphenated().encode_lower(&mut text))
                .expect("a UUID is ASCII"),
        )
    }

    /// The id of `req`, made by [`log_requests`], or a fresh one where no log layer runs.
    pub fn of(req: &Request) -> RequestId {
        req.extensions()
            .get::<RequestId>()
            .cloned()
            .unwrap_or_else(RequestId::new)
    }

    pub fn as_str(&self) -> &str {
        self.0.to_str().unwrap_or_default()
    }
}

impl Default for RequestId {
    fn default() -> RequestId {
        RequestId::new()
    }
}

/// Who made a request, as far as the request's own code found out; put in the response's
/// extensions for the log line.
#[derive(Clone, Debug)]
pub struct Who {
    /// `user`, `service` or `agent`.
    pub principal: &'static str,
    pub key_id: Option<String>,
    pub user_id: Option<Uuid>,
}

/// Logs the request once it is answered (target `keyward::request`, level info).
pub async fn log_requests(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let started = Instant::now();
    let id = RequestId::new();
    req.extensions_mut().insert(id.clone());
    let method = req.method().clone();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_owned());
    let address = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| state.client_address(c.0.ip(), req.headers()));
    let mut res = next.run(req).await;
    res.headers_mut().insert(REQUEST_ID, id.0.clone());
    let who = res.extensions().get::<Who>();
    tracing::info!(
        target: "keyward::request",
        request_id = id.as_str(),
        method = method.as_str(),
        route = route.as_deref().unwrap_or("-"),
        status = res.status().as_u16(),
        latency_us = started.elapsed().as_micros() as u64,
        principal = who.map_or("-", |w| w.principal),
        key_id = who.and_then(|w| w.key_id.as_deref()).unwrap_or("-"),
        user_id = who.and_then(|w| w.user_id).map(tracing::field::display),
        address = address.map(tracing::field::display),
        "request"
    );
    res
}
