//! Console forms that must work as plain HTML, without JavaScript, where a server function
//! cannot: creating a key answers with a page that reveals its secret once (a server
//! function answering a plain form post can only redirect, and the secret would be lost).
//! With JavaScript the same form is sent to the `create_key` server function instead.

use app::ssr::state::AppState;
use axum::extract::{ConnectInfo, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::Form;
use std::net::SocketAddr;
use tower_sessions::Session;

/// Where the create form posts without JavaScript.
pub const CREATE_KEY_PATH: &str = "/settings/api-keys/new";

/// The create form as a browser posts it (repeated `permissions` fields, checkboxes absent
/// when off), into the form type the server function takes.
fn create_form(fields: &[(String, String)]) -> app::pages::api_keys::CreateKeyForm {
    let one = |name: &str| {
        fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    app::pages::api_keys::CreateKeyForm {
        name: one("name"),
        purpose: one("purpose"),
        principal: one("principal"),
        application_id: one("application_id"),
        agent_id: one("agent_id"),
        preset: one("preset"),
        permissions: fields
            .iter()
            .filter(|(k, _)| k == "permissions")
            .map(|(_, v)| v.clone())
            .collect(),
        expiration: one("expiration"),
        expires_on: one("expires_on"),
        log_bodies: !one("log_bodies").is_empty(),
    }
}

/// `POST /settings/api-keys/new`: creates a key for the signed-in member and answers with the
/// page that shows its secret, once.
pub async fn create_key(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    session: Session,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let address = state.client_address(peer.ip(), &headers).to_string();
    let actor = match app::ssr::auth::resolve_actor(&state, &session, address).await {
        Ok(Some(actor)) => actor,
        Ok(None) => return Redirect::to("/login?next=/settings/api-keys").into_response(),
        Err(e) => return page(StatusCode::SERVICE_UNAVAILABLE, &failure(&e.to_string())),
    };
    let form = create_form(&fields);
    let created = match app::pages::api_keys::parse_create_form(&form, actor.role) {
        Ok(new) => app::ssr::keys::create(&state.db, &state.secret, &actor.principal(), new).await,
        Err(e) => Err(e),
    };
    match created {
        Ok(secret) => page(StatusCode::OK, &reveal(&secret.key.prefix, secret.expose())),
        Err(e) => page(StatusCode::BAD_REQUEST, &failure(&e.to_string())),
    }
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// The reveal, as the dialog shows it with JavaScript: the same names and warning.
fn reveal(prefix: &str, secret: &str) -> String {
    format!(
        "<div class=\"dialog\" role=\"dialog\" aria-modal=\"true\" aria-labelledby=\"reveal-title\" \
         aria-describedby=\"reveal-warning\"><h2 id=\"reveal-title\">Copy your new API key</h2>\
         <p id=\"reveal-warning\" class=\"warning\">This secret will not be shown again. Store it \
         somewhere safe now.</p><p class=\"sub\">Key <code>{}</code></p>\
         <label>Secret <input type=\"text\" readonly class=\"secret\" value=\"{}\"></label>\
         <p class=\"hint\">Select the secret and copy it.</p>\
         <p><a class=\"button\" href=\"/settings/api-keys\">Done</a></p></div>",
        escape(prefix),
        escape(secret)
    )
}

fn failure(message: &str) -> String {
    format!(
        "<h1>The key was not created</h1><p class=\"error\" role=\"alert\">{}</p>\
         <p><a href=\"/settings/api-keys?new=1\">Back to the form</a></p>",
        escape(message)
    )
}

/// A whole page around `body`: our stylesheet, nothing to run.
fn page(status: StatusCode, body: &str) -> Response {
    let html = format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>API Keys · Keyward</title><link rel=\"stylesheet\" href=\"/pkg/keyward.css\"></head>\
         <body><main class=\"narrow\">{body}</main></body></html>"
    );
    let mut res = (status, Html(html)).into_response();
    res.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
        ),
    );
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_posted_form_keeps_every_permission_and_escapes_what_it_shows() {
        let fields: Vec<(String, String)> = [
            ("name", "ci"),
            ("permissions", "applications:read"),
            ("permissions", "builds:read"),
            ("log_bodies", "true"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let form = create_form(&fields);
        assert_eq!(form.permissions, ["applications:read", "builds:read"]);
        assert!(form.log_bodies);
        assert_eq!(escape("<b a=\"x\">"), "&lt;b a=&quot;x&quot;&gt;");
    }
}
