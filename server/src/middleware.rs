//! Cross-cutting HTTP concerns: security headers, the cross-site check for server functions,
//! the console's sign-in guard, readiness.

use app::request::state::AppState;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use tower_sessions::Session;

/// Whether the console is served over HTTPS (decided once, at start, from the configuration).
#[derive(Clone, Copy, Debug)]
pub struct Https(pub bool);

/// Headers every console response carries. Pages set their own nonce-based CSP; everything
/// else gets one that allows nothing.
pub async fn security_headers(State(https): State<Https>, req: Request, next: Next) -> Response {
    let path = req.uri().path();
    let surface = if path.starts_with("/pkg/") {
        Surface::StaticAsset(if app::assets::is_content_hashed(path) {
            Freshness::Immutable
        } else {
            Freshness::Revalidate
        })
    } else if path == "/favicon.ico" {
        Surface::StaticAsset(Freshness::Day)
    } else {
        Surface::Page
    };
    let mut res = next.run(req).await;
    set_security_headers(res.headers_mut(), surface, https);
    if let Surface::StaticAsset(freshness) = surface {
        set_cache_headers(&mut res, freshness);
    }
    res
}

/// How long browsers may keep a static file without asking again.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Freshness {
    /// A content-hashed name changes with its content: kept for a year.
    Immutable,
    /// The icon keeps its name: a day-old copy harms nothing and saves a request per page.
    Day,
    /// Anything else (a debug build's unhashed files) may change in place: asked again each use.
    Revalidate,
}

/// Caching headers of a static file. Only a found file is kept (a 404 for a new name must not
/// stick).
fn set_cache_headers(res: &mut Response, freshness: Freshness) {
    let found = res.status().is_success() || res.status() == StatusCode::NOT_MODIFIED;
    let h = res.headers_mut();
    // The same URL may be answered in brotli, gzip or plain: caches must key on the encoding.
    h.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(match freshness {
            Freshness::Immutable if found => "public, max-age=31536000, immutable",
            Freshness::Day if found => "public, max-age=86400",
            _ => "no-cache",
        }),
    );
}

/// What a response is, for its security headers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Surface {
    /// Console pages and server functions.
    Page,
    /// The compiled site and the icon: cacheable, for as long as their names allow.
    StaticAsset(Freshness),
    /// The machine API.
    Api,
}

/// How long a request may wait (on the database, mostly) before it is answered 503.
pub const GIVE_UP: std::time::Duration = std::time::Duration::from_secs(30);

/// The security headers of every response, console or machine API: the one place they are
/// decided.
pub fn set_security_headers(h: &mut HeaderMap, surface: Surface, https: Https) {
    const COOP: header::HeaderName = header::HeaderName::from_static("cross-origin-opener-policy");
    if https.0 {
        // Browsers that once reached us over HTTPS never try plain HTTP again.
        h.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=63072000; includeSubDomains"),
        );
    }
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    // The console's own forms need a same-origin referer: without JavaScript, a server
    // function's error is shown by sending the browser back to the page the form was on.
    // Nothing is ever sent to another site.
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static(match surface {
            Surface::Api => "no-referrer",
            Surface::Page | Surface::StaticAsset(_) => "same-origin",
        }),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(COOP, HeaderValue::from_static("same-origin"));
    if !h.contains_key(header::CONTENT_SECURITY_POLICY) {
        h.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("default-src 'none'; frame-ancestors 'none'; base-uri 'none'"),
        );
    }
    // Any page may show a secret or private metadata: never cache it.
    if !matches!(surface, Surface::StaticAsset(_)) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
}

/// Whether a browser says this request comes from another site. Requests without these
/// headers are not from a browser page, so they carry no victim's cookies.
///
/// `Sec-Fetch-Site`, when the browser sends it, decides alone: a plain form post (before
/// hydration, or without JavaScript) carries `Origin: null` under our `no-referrer` policy,
/// yet the browser still says `same-origin`. Otherwise the `Origin` must be our own.
pub fn is_cross_site(headers: &HeaderMap) -> bool {
    if let Some(site) = headers.get("sec-fetch-site") {
        return !matches!(site.as_bytes(), b"same-origin" | b"none");
    }
    if let Some(origin) = headers.get(header::ORIGIN) {
        let host = headers
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .unwrap_or("");
        let origin_host = origin
            .to_str()
            .ok()
            .and_then(|o| o.split_once("://"))
            .map(|(_, rest)| rest)
            .unwrap_or("\u{0}");
        return origin_host != host;
    }
    false
}

/// What a refused cross-site form post shows: a page, not bare text.
const CROSS_SITE_PAGE: &str = "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">\
<title>Request refused · Keyward</title></head><body><main><h1>Request refused</h1>\
<p>Cross-site request refused: this form was sent from another site, so Keyward did not act \
on it. If you meant to do this, open Keyward and try again from there.</p>\
<p><a href=\"/settings/api-keys\">Open Keyward</a></p></main></body></html>";

/// Leptos server functions are public POST endpoints and Leptos checks no origin: refuse
/// every state-changing request a browser says comes from another site.
pub async fn reject_cross_site(req: Request, next: Next) -> Response {
    if req.method() != Method::GET && req.method() != Method::HEAD && is_cross_site(req.headers()) {
        return (
            StatusCode::FORBIDDEN,
            [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
            CROSS_SITE_PAGE,
        )
            .into_response();
    }
    next.run(req).await
}

/// Leptos answers every failed server function with 500. Its body is a typed
/// [`app::error::ConsoleError`]: the status follows from its kind (refusals and bad input are
/// the caller's doing: 400; an unreachable database: 503), here and only here.
pub async fn server_function_status(req: Request, next: Next) -> Response {
    let is_server_fn = req.method() == Method::POST
        && req.uri().path().starts_with("/api/")
        && !req.uri().path().starts_with("/api/v1/");
    let res = next.run(req).await;
    if !is_server_fn || res.status() != StatusCode::INTERNAL_SERVER_ERROR {
        return res;
    }
    let (mut parts, body) = res.into_parts();
    let bytes = axum::body::to_bytes(body, 64 * 1024)
        .await
        .unwrap_or_default();
    parts.status = serde_json::from_slice::<app::error::ConsoleError>(&bytes)
        .ok()
        .and_then(|e| StatusCode::from_u16(e.kind.status()).ok())
        .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    Response::from_parts(parts, axum::body::Body::from(bytes))
}

/// Pages anyone may open.
fn is_public(path: &str) -> bool {
    matches!(
        path,
        "/login" | "/setup" | "/healthz" | "/readyz" | "/favicon.ico"
    ) || path.starts_with("/invite/")
        || path.starts_with("/pkg/")
        || path.starts_with("/api/")
}

/// Console pages need a session: first run goes to `/setup`, signed-out people to `/login`.
pub async fn console_guard(
    State(state): State<AppState>,
    session: Session,
    req: Request,
    next: Next,
) -> Response {
    if req.method() != Method::GET {
        return next.run(req).await;
    }
    let path = req.uri().path().to_string();
    // Server functions answer for themselves; the icon is the same for everyone, before setup
    // too. (Probes and `/pkg` files are routed outside this layer.)
    if path.starts_with("/api/") || path == "/favicon.ico" {
        return next.run(req).await;
    }
    let unreachable = || {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            "The database is unreachable: Keyward will answer again as soon as it is back.",
        )
            .into_response()
    };
    // Known to be down (by the background check): say so at once.
    if !state.db.ready() {
        return unreachable();
    }
    let has_users = match keyward_core::services::accounts::has_users(&state.db).await {
        Ok(b) => b,
        Err(_) => return unreachable(),
    };
    if !has_users {
        return if path == "/setup" {
            next.run(req).await
        } else {
            Redirect::to("/setup").into_response()
        };
    }
    let signed_in = matches!(
        app::request::auth::session_user(&session).await,
        Ok(Some(_))
    );
    match path.as_str() {
        "/setup" => Redirect::to(if signed_in {
            "/settings/api-keys"
        } else {
            "/login"
        })
        .into_response(),
        "/login" if signed_in => Redirect::to("/settings/api-keys").into_response(),
        p if !signed_in && !is_public(p) => {
            let next_path = req
                .uri()
                .path_and_query()
                .map(|pq| pq.as_str())
                .unwrap_or("/");
            let target = format!("/login?next={}", encode_query(next_path));
            Redirect::to(&target).into_response()
        }
        _ => next.run(req).await,
    }
}

fn encode_query(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'/' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// `GET /healthz`: the process answers.
pub fn healthz(https: Https) -> Response {
    probe(StatusCode::OK, "ok", https)
}

/// `GET /readyz`: 200 when the database answered its last readiness check (at most about a
/// second ago), 503 otherwise.
pub fn readyz(state: &AppState, https: Https) -> Response {
    if state.db.ready() {
        probe(StatusCode::OK, "ready", https)
    } else {
        probe(
            StatusCode::SERVICE_UNAVAILABLE,
            "database unreachable",
            https,
        )
    }
}

/// A probe's answer, with the security headers set here rather than by a layer: probes are
/// asked often, and a layer would cost more than the answer.
fn probe(status: StatusCode, text: &'static str, https: Https) -> Response {
    let mut res = (status, text).into_response();
    set_security_headers(res.headers_mut(), Surface::Api, https);
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        pairs
            .iter()
            .map(|(k, v)| {
                (
                    header::HeaderName::from_static(k),
                    HeaderValue::from_static(v),
                )
            })
            .collect()
    }

    #[test]
    fn cross_site_detection() {
        assert!(!is_cross_site(&headers(&[])));
        assert!(!is_cross_site(&headers(&[
            ("host", "k.example"),
            ("origin", "https://k.example"),
            ("sec-fetch-site", "same-origin")
        ])));
        assert!(is_cross_site(&headers(&[
            ("host", "k.example"),
            ("origin", "https://evil.example")
        ])));
        assert!(is_cross_site(&headers(&[("sec-fetch-site", "cross-site")])));
        assert!(is_cross_site(&headers(&[("sec-fetch-site", "same-site")])));
        assert!(is_cross_site(&headers(&[
            ("host", "k.example"),
            ("origin", "null")
        ])));
    }
}
