//! Settings → Security: the workspace's key policy. Rendered on the server as one fragment,
//! like the audit log; "Save policy" is a plain form post (`server/src/policy.rs`), so the page
//! adds nothing to the bundle and works without JavaScript. The server functions serve the
//! same read and change to other clients.

use crate::components::server_fragment;
use crate::error::ConsoleError;
use domain::model::Policy;
use leptos::prelude::*;
use leptos_meta::Title;

#[server]
pub async fn get_policy() -> Result<Policy, ConsoleError> {
    use crate::request::auth;
    use crate::request::state::app_state;
    use keyward_core::services::workspaces;
    let actor = auth::require_for("get_policy").await?;
    Ok(workspaces::policy(&app_state().db, actor.workspace_id).await?)
}

/// Owners and admins (`members:write` and `keys:write`) set the policy.
#[server]
pub async fn save_policy(
    max_lifetime_days: String,
    allow_never_expiring: Option<String>,
    allow_service_keys: Option<String>,
    allow_agent_keys: Option<String>,
    legacy_transports: Option<String>,
    rate_limit_per_minute: String,
    allow_import: Option<String>,
) -> Result<(), ConsoleError> {
    use crate::request::auth;
    use crate::request::state::app_state;
    use keyward_core::services::workspaces;
    let actor = auth::require_for("save_policy").await?;
    let policy = PolicyForm {
        max_lifetime_days: &max_lifetime_days,
        allow_never_expiring: allow_never_expiring.is_some(),
        allow_service_keys: allow_service_keys.is_some(),
        allow_agent_keys: allow_agent_keys.is_some(),
        legacy_transports: legacy_transports.is_some(),
        rate_limit_per_minute: &rate_limit_per_minute,
        allow_import: allow_import.is_some(),
    }
    .read()?;
    Ok(workspaces::set_policy(&app_state().db, &actor.principal(), &policy).await?)
}

/// The policy form's fields as posted (a checkbox is on when present), for the server
/// function and the plain form post alike.
#[cfg(feature = "ssr")]
pub struct PolicyForm<'a> {
    pub max_lifetime_days: &'a str,
    pub allow_never_expiring: bool,
    pub allow_service_keys: bool,
    pub allow_agent_keys: bool,
    pub legacy_transports: bool,
    pub rate_limit_per_minute: &'a str,
    pub allow_import: bool,
}

#[cfg(feature = "ssr")]
impl PolicyForm<'_> {
    pub fn read(&self) -> Result<Policy, keyward_core::error::AppError> {
        use keyward_core::error::AppError;
        let max = self.max_lifetime_days.trim();
        Ok(Policy {
            max_lifetime_days: if max.is_empty() {
                None
            } else {
                Some(
                    max.parse().map_err(|_| {
                        AppError::invalid("Maximum lifetime must be a number of days.")
                    })?,
                )
            },
            allow_never_expiring: self.allow_never_expiring,
            allow_service_keys: self.allow_service_keys,
            allow_agent_keys: self.allow_agent_keys,
            legacy_transports: self.legacy_transports,
            allow_import: self.allow_import,
            rate_limit_per_minute: self
                .rate_limit_per_minute
                .trim()
                .parse()
                .map_err(|_| AppError::invalid("Rate limit must be a number."))?,
        })
    }
}

/// Where "Save policy" posts.
pub const POLICY_PATH: &str = "/settings/security/policy";

#[component]
pub fn SecurityPage() -> impl IntoView {
    view! {
        <Title text="Security" />
        <h1>"Security"</h1>
        {server_fragment("security_page", ("/settings/security", "Back to security"))}
    }
}

/// The page's HTML, made on the server only.
#[cfg(feature = "ssr")]
pub mod rendered {
    use super::POLICY_PATH;
    use keyward_core::error::AppError;
    use keyward_core::services::workspaces;
    use keyward_core::store::db::Db;
    use leptos::prelude::*;

    /// The policy form of `workspace`, with "Save policy" for those who may change it
    /// (`editable`), and the outcome of the last save when the query says so (`saved=1`).
    pub async fn html(
        db: &Db,
        workspace: domain::ids::WorkspaceId,
        editable: bool,
        search: &str,
    ) -> Result<String, AppError> {
        let p = workspaces::policy(db, workspace).await?;
        let saved = domain::paging::QueryParams::parse(search)
            .get("saved")
            .is_some();
        Ok(view! {
            {saved.then(|| view! { <p role="status">"Policy saved."</p> })}
            <form method="post" action=POLICY_PATH class="card stack" aria-label="Key policy">
                <label>"Maximum key lifetime (days)"
                    <input type="number" name="max_lifetime_days" min="1" max="3650" value=p.max_lifetime_days.map(|d| d.to_string()).unwrap_or_default() /></label>
                <label class="choice"><input type="checkbox" name="allow_never_expiring" checked=p.allow_never_expiring />"Allow keys that never expire"</label>
                <label class="choice"><input type="checkbox" name="allow_service_keys" checked=p.allow_service_keys />"Allow service keys"</label>
                <label class="choice"><input type="checkbox" name="allow_agent_keys" checked=p.allow_agent_keys />"Allow agent keys"</label>
                <label class="choice"><input type="checkbox" name="legacy_transports" checked=p.legacy_transports />
                    "Accept legacy transports (X-ApiKey header, key query or form field, API_Key JSON property)"</label>
                <label class="choice"><input type="checkbox" name="allow_import" checked=p.allow_import />"Allow importing existing keys"</label>
                <label>"Requests per minute per key" <input type="number" name="rate_limit_per_minute" min="1" max="100000" value=p.rate_limit_per_minute.to_string() /></label>
                <a href="/settings/rate-limits">"Rate limits by pool and route class"</a>
                {editable.then(|| view! { <button type="submit">"Save policy"</button> })}
            </form>
        }
        .to_html())
    }
}
