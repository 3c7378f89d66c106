//! Console forms that must work as plain HTML, without JavaScript, where a server function
//! cannot: creating or rotating a key and inviting a member answer with a page that shows a
//! one-time value (a secret, an invitation link). A server function answering a plain form
//! post can only redirect, and the value would be lost. With JavaScript the same forms go to
//! their server functions instead.

use app::request::state::AppState;
use axum::extract::{ConnectInfo, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::Form;
use std::net::SocketAddr;
use tower_sessions::Session;

/// Where the create form posts without JavaScript.
pub const CREATE_KEY_PATH: &str = "/settings/api-keys/new";
/// Where the rotate dialog posts without JavaScript.
pub const ROTATE_KEY_PATH: &str = "/settings/api-keys/rotate";
/// Where the invitation form posts without JavaScript.
pub const INVITE_PATH: &str = "/settings/members/invite";

/// The key a focused step is about, from its query (`?key=ROW_ID`) or its form.
#[derive(serde::Deserialize)]
pub struct KeyParam {
    #[serde(default)]
    pub key: String,
}

impl KeyParam {
    /// The key's row id; anything else is a key that does not exist.
    pub fn id(&self) -> Result<domain::ids::ApiKeyId, keyward_core::error::AppError> {
        Ok(domain::ids::ApiKeyId::parse(&self.key)?)
    }
}

/// The value of field `name` (empty when absent).
pub(crate) fn field(fields: &[(String, String)], name: &str) -> String {
    fields
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.clone())
        .unwrap_or_default()
}

/// The signed-in member who posted a plain form; the post is answered with a way to sign in
/// otherwise (back to the page the form belongs to: the path without its last segment).
pub struct Member(pub app::request::auth::Actor);

impl axum::extract::FromRequestParts<AppState> for Member {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &AppState,
    ) -> Result<Member, Response> {
        let back_to = parts
            .uri
            .path()
            .rsplit_once('/')
            .map_or("/settings/api-keys", |(page, _)| page)
            .to_string();
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip())
            .unwrap_or(std::net::Ipv4Addr::LOCALHOST.into());
        let address = state.client_address(peer, &parts.headers).to_string();
        let session = Session::from_request_parts(parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        match app::request::auth::resolve_actor(state, &session, address).await {
            Ok(Some(actor)) => Ok(Member(actor)),
            Ok(None) => Err(Redirect::to(&format!("/login?next={back_to}")).into_response()),
            Err(e) => Err(page(
                StatusCode::SERVICE_UNAVAILABLE,
                &failure(&e.to_string(), &back_to),
            )),
        }
    }
}

/// The create form as a browser posts it (repeated `permissions` fields, checkboxes absent
/// when off), into the form type the server function takes.
pub(crate) fn create_form(fields: &[(String, String)]) -> domain::model::CreateKeyForm {
    let one = |name: &str| field(fields, name);
    domain::model::CreateKeyForm {
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
        allowed_networks: one("allowed_networks"),
    }
}

/// `POST /settings/api-keys/new`: creates a key for the signed-in member and answers with the
/// page that shows its secret, once.
pub async fn create_key(
    State(state): State<AppState>,
    Member(actor): Member,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let created = async {
        // What the `create_key` server function declares, from the same table.
        app::request::auth::meets(&actor, "create_key")?;
        let new =
            keyward_core::services::keys::parse_create_form(&create_form(&fields), actor.role)?;
        let secret =
            keyward_core::services::keys::create(&state.db, &state.secret, &actor.principal(), new)
                .await?;
        Ok(reveal(&secret.key.prefix, secret.expose()))
    }
    .await;
    answer(created, "/settings/api-keys?new=1")
}

/// The page of a plain form post: what it shows, or what went wrong and the way back.
pub(crate) fn answer(
    shown: Result<String, keyward_core::error::AppError>,
    back_to: &str,
) -> Response {
    match shown {
        Ok(body) => page(StatusCode::OK, &body),
        Err(e) => page(StatusCode::BAD_REQUEST, &failure(&e.to_string(), back_to)),
    }
}

/// `POST /settings/api-keys/rotate`: rotates one's own key and answers with the page that
/// shows the new secret, once.
pub async fn rotate_key(
    State(state): State<AppState>,
    Member(actor): Member,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let rotated = async {
        use keyward_core::error::AppError;
        app::request::auth::meets(&actor, "rotate_key")?;
        let id = domain::ids::ApiKeyId::parse(&field(&fields, "id"))?;
        let grace: i64 = field(&fields, "grace_seconds")
            .parse()
            .map_err(|_| AppError::invalid("Choose a grace period."))?;
        let expiration = keyward_core::services::keys::Expiration::parse_optional(
            &field(&fields, "expiration"),
            &field(&fields, "expires_on"),
        )?;
        let secret = keyward_core::services::keys::rotate(
            &state.db,
            &state.secret,
            &actor.principal(),
            id,
            grace,
            expiration,
        )
        .await?;
        Ok(reveal(&secret.key.prefix, secret.expose()))
    }
    .await;
    answer(rotated, "/settings/api-keys")
}

/// `POST /settings/members/invite`: invites an address (`members:write`) and answers with the
/// page that shows the one-time invitation link.
pub async fn invite(
    State(state): State<AppState>,
    Member(actor): Member,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let invited = async {
        use keyward_core::error::AppError;
        // What the `invite_member` server function declares, from the same table.
        app::request::auth::meets(&actor, "invite_member")?;
        let email = domain::validate::Email::parse(&field(&fields, "email"))?;
        let role =
            domain::roles::Role::parse(&field(&fields, "role")).map_err(AppError::invalid)?;
        let token = keyward_core::services::workspaces::invite(
            &state.db,
            &state.secret,
            &actor.principal(),
            email,
            role,
        )
        .await?;
        Ok(invitation_link(&format!("/invite/{token}")))
    }
    .await;
    answer(invited, "/settings/members?invite=1")
}

/// The one-time invitation link, as the members page shows it with JavaScript.
fn invitation_link(link: &str) -> String {
    format!(
        "<div class=\"card\" role=\"status\"><p>Send this one-time invitation link to the person \
         you invited. It is shown only now and works for 7 days. If they already have an account \
         here, they accept the invitation after signing in.</p>\
         <input type=\"text\" readonly aria-label=\"Invitation link\" value=\"{}\"></div>\
         <p><a href=\"/settings/members\">Back to members</a></p>",
        escape(link)
    )
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
    reveal_once(&Reveal {
        title: "Copy your new API key",
        warning: "This secret will not be shown again. Store it somewhere safe now.",
        about: &format!("Key <code>{}</code>", escape(prefix)),
        label: "Secret",
        secret,
        done: "/settings/api-keys",
    })
}

/// A secret shown once: what it is, and where "Done" leads.
pub(crate) struct Reveal<'a> {
    pub title: &'a str,
    pub warning: &'a str,
    /// Markup (already escaped) naming what the secret belongs to.
    pub about: &'a str,
    pub label: &'a str,
    pub secret: &'a str,
    pub done: &'a str,
}

/// The dialog that shows a secret once, in plain HTML.
pub(crate) fn reveal_once(r: &Reveal<'_>) -> String {
    format!(
        "<div class=\"dialog\" role=\"dialog\" aria-modal=\"true\" aria-labelledby=\"reveal-title\" \
         aria-describedby=\"reveal-warning\"><h2 id=\"reveal-title\">{}</h2>\
         <p id=\"reveal-warning\" class=\"warning\">{}</p><p class=\"sub\">{}</p>\
         <label>{} <input type=\"text\" readonly class=\"secret\" value=\"{}\"></label>\
         <p class=\"hint\">Select the secret and copy it.</p>\
         <p><a class=\"button\" href=\"{}\">Done</a></p></div>",
        escape(r.title),
        escape(r.warning),
        r.about,
        escape(r.label),
        escape(r.secret),
        escape(r.done)
    )
}

pub(crate) fn failure(message: &str, back_to: &str) -> String {
    format!(
        "<h1>Nothing was changed</h1><p class=\"error\" role=\"alert\">{}</p>\
         <p><a href=\"{}\">Back</a></p>",
        escape(message),
        escape(back_to)
    )
}

/// A whole page around `body`: our stylesheet, nothing to run.
pub(crate) fn page(status: StatusCode, body: &str) -> Response {
    let stylesheet = app::assets::stylesheet_href();
    let html = format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>Keyward</title><link rel=\"stylesheet\" href=\"{stylesheet}\"></head>\
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
