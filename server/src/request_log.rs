//! One log line per console or machine-API request: time, request id, method, matched route,
//! status, latency, who called (principal kind, key id or user id) and the client address.
//!
//! The line is built from what the router matched (`/invite/{token}`, never the token) and
//! what the gate learned; it never holds a path as sent, a query string, a header, a cookie
//! or a body, so no secret can reach it. Probes and static files are not logged.
//! The request id is made here, once ([`Pending::begin`]), and reused by the API's error bodies
//! and the `X-Request-Id` header.

use app::request::state::AppState;
use axum::extract::{ConnectInfo, MatchedPath, Request, State};
use axum::http::{HeaderName, HeaderValue, Method};
use axum::middleware::Next;
use axum::response::Response;
use std::net::{IpAddr, SocketAddr};
use std::time::Instant;

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
    pub user_id: Option<domain::ids::UserId>,
}

/// A request being answered: what its log line needs from the request, taken before the
/// request is handed on. Nothing but the id is taken when the line is filtered out, so the
/// log costs the hot path nothing it does not write.
pub struct Pending {
    id: RequestId,
    /// Start, method, matched route and client address; `None` when the line is not logged.
    seen: Option<(Instant, Method, Option<MatchedPath>, Option<IpAddr>)>,
}

impl Pending {
    /// Starts the line of `req`, from the client `address`, and gives it its id.
    pub fn begin(req: &Request, address: Option<IpAddr>) -> Pending {
        let id = RequestId::new();
        let seen = tracing::enabled!(target: "keyward::request", tracing::Level::INFO).then(|| {
            (
                Instant::now(),
                req.method().clone(),
                req.extensions().get::<MatchedPath>().cloned(),
                address,
            )
        });
        Pending { id, seen }
    }

    /// Whether this request's line is written (the log's filter lets it through).
    pub fn logged(&self) -> bool {
        self.seen.is_some()
    }

    /// This request's id.
    pub fn id(&self) -> &RequestId {
        &self.id
    }

    /// Marks the answer with the request id and writes the line (target `keyward::request`,
    /// level info).
    pub fn finish(self, res: &mut Response) {
        res.headers_mut().insert(REQUEST_ID, self.id.0.clone());
        let Some((started, method, route, address)) = self.seen else {
            return;
        };
        let who = res.extensions().get::<Who>();
        tracing::info!(
            target: "keyward::request",
            request_id = self.id.as_str(),
            method = method.as_str(),
            route = route.as_ref().map_or("-", MatchedPath::as_str),
            status = res.status().as_u16(),
            latency_us = started.elapsed().as_micros() as u64,
            principal = who.map_or("-", |w| w.principal),
            key_id = who.and_then(|w| w.key_id.as_deref()).unwrap_or("-"),
            user_id = who.and_then(|w| w.user_id).map(tracing::field::display),
            address = address.map(tracing::field::display),
            "request"
        );
    }
}

/// The client address of `req`: the TCP peer, or what trusted proxies say it is.
pub fn client_address(state: &AppState, req: &Request) -> Option<IpAddr> {
    req.extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| state.client_address(c.0.ip(), req.headers()))
}

/// The request log of the console's routes (the machine API's gate logs its own, with the
/// same [`Pending`], to spare its hot path a layer).
pub async fn log_requests(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let address = client_address(&state, &req);
    let pending = Pending::begin(&req, address);
    let mut res = next.run(req).await;
    pending.finish(&mut res);
    res
}
