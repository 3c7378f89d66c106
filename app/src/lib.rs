//! Keyward's console: Leptos components, pages and their server functions. Pages render on
//! the server; only their interactive parts (`#[island]`s) hydrate in the browser. Server
//! functions are thin: they authenticate the request (`request`), then call a service of
//! `keyward_core`. What the browser and the server share lives in `domain`. Server-only code
//! lives behind the `ssr` feature.
// Leptos views are deeply nested types; release builds without type erasure need more room.
#![recursion_limit = "512"]

#[cfg(feature = "ssr")]
pub mod assets;
pub mod components;
pub mod error;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod request;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, Link, Title};
use leptos_router::components::{ParentRoute, Route, Router, Routes};
use leptos_router::{path, SsrMode};

/// The HTML document around the app, rendered on the server. It sets the
/// Content-Security-Policy with this response's nonce, so hydration scripts may run.
#[cfg(feature = "ssr")]
pub fn shell(options: LeptosOptions) -> impl IntoView {
    if let (Some(nonce), Some(response)) = (
        leptos::nonce::use_nonce(),
        use_context::<leptos_axum::ResponseOptions>(),
    ) {
        response.insert_header(
            axum::http::header::CONTENT_SECURITY_POLICY,
            axum::http::HeaderValue::from_str(&content_security_policy(&nonce.to_string()))
                .expect("nonce is base64"),
        );
    }
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <AutoReload options=options.clone() />
                <link rel="stylesheet" id="leptos" href=crate::assets::stylesheet_href() />
                <HydrationScripts options islands=true />
                <leptos_meta::MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

/// The policy every page is served with; `nonce` admits Leptos' own inline scripts.
pub fn content_security_policy(nonce: &str) -> String {
    format!(
        "default-src 'self'; script-src 'nonce-{nonce}' 'strict-dynamic' 'wasm-unsafe-eval'; \
         style-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; \
         base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )
}

/// The application: routes of the console, rendered on the server only. What is interactive
/// is an `#[island]` of its page and hydrates alone; the rest ships no code. Signed-in pages
/// render their data into the HTML before sending it (`SsrMode::Async`), so they work without
/// JavaScript: out-of-order streaming would leave "Loading…" in place for a browser that runs
/// no script.
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    view! {
        <Link rel="icon" href="/favicon.ico" />
        <Title formatter=|t: String| if t.is_empty() { "Keyward".to_string() } else { format!("{t} · Keyward") } />
        <Router>
            <Routes fallback=|| view! { <main class="narrow"><h1>"Not found"</h1><p><a href="/settings/api-keys">"Back to API keys"</a></p></main> }>
                <Route path=path!("/setup") view=pages::setup::SetupPage />
                <Route path=path!("/login") view=pages::login::LoginPage />
                <Route path=path!("/invite/:token") view=pages::login::InvitePage />
                <ParentRoute path=path!("") view=pages::shell::Shell ssr=SsrMode::Async>
                    <Route path=path!("") view=pages::shell::Home ssr=SsrMode::Async />
                    <Route path=path!("/settings/api-keys") view=pages::api_keys::ApiKeysPage ssr=SsrMode::Async />
                    <Route path=path!("/settings/api-keys/review") view=pages::review::KeyReviewPage ssr=SsrMode::Async />
                    <Route path=path!("/settings/api-keys/test") view=pages::tester::TesterPage ssr=SsrMode::Async />
                    <Route path=path!("/settings/api-keys/activity") view=pages::key_activity::KeyActivityPage ssr=SsrMode::Async />
                    <Route path=path!("/settings/audit") view=pages::audit::AuditPage ssr=SsrMode::Async />
                    <Route path=path!("/settings/access-reviews") view=pages::access_reviews::AccessReviewsPage ssr=SsrMode::Async />
                    <Route path=path!("/settings/webhooks") view=pages::webhooks::WebhooksPage ssr=SsrMode::Async />
                    <Route path=path!("/settings/notifications") view=pages::notifications::NotificationsPage ssr=SsrMode::Async />
                    <Route path=path!("/settings/members") view=pages::members::MembersPage ssr=SsrMode::Async />
                    <Route path=path!("/settings/applications") view=pages::applications::ApplicationsPage ssr=SsrMode::Async />
                    <Route path=path!("/settings/security") view=pages::security::SecurityPage ssr=SsrMode::Async />
                    <Route path=path!("/settings/account") view=pages::account::AccountPage ssr=SsrMode::Async />
                    <Route path=path!("/settings/instance") view=pages::instance::InstancePage ssr=SsrMode::Async />
                    <Route path=path!("/settings/api-reference") view=pages::reference::ReferencePage ssr=SsrMode::Async />
                </ParentRoute>
            </Routes>
        </Router>
    }
}
