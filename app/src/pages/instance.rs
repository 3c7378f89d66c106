//! Settings → Instance (instance admins): whether members may create workspaces, and who
//! administers the instance.

use crate::components::server_fragment;
use crate::error::ConsoleError;
use domain::model::InstanceSettings;
use leptos::prelude::*;
use leptos_meta::Title;
use serde::{Deserialize, Serialize};

/// What the instance page shows.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct InstancePageData {
    pub settings: InstanceSettings,
    pub admins: Vec<String>,
}

#[server]
pub async fn instance_page() -> Result<InstancePageData, ConsoleError> {
    use crate::request::auth;
    use crate::request::state::app_state;
    use keyward_core::services::instance;
    let actor = auth::require_for("instance_page").await?;
    let db = &app_state().db;
    instance::require_admin(db, actor.user_id).await?;
    Ok(InstancePageData {
        settings: instance::settings(db).await?,
        admins: instance::admins(db).await?,
    })
}

/// Saves the instance settings (a checkbox: present when on).
#[server]
pub async fn save_instance_settings(
    members_create_workspaces: Option<String>,
) -> Result<(), ConsoleError> {
    use crate::request::auth;
    use crate::request::state::app_state;
    use keyward_core::services::instance;
    let actor = auth::require_for("save_instance_settings").await?;
    let settings = InstanceSettings {
        members_create_workspaces: members_create_workspaces.is_some(),
    };
    Ok(instance::save_settings(&app_state().db, actor.user_id, &settings, &actor.address).await?)
}

/// Rendered on the server as one fragment; "Save" is a plain form post to
/// [`SaveInstanceSettings`], which comes back to the page.
#[component]
pub fn InstancePage() -> impl IntoView {
    view! {
        <Title text="Instance" />
        <h1>"Instance"</h1>
        {server_fragment("instance_settings_page", ("/settings/instance", "Back to the instance settings"))}
    }
}

#[cfg(feature = "ssr")]
pub(crate) mod rendered {
    use super::*;
    use keyward_core::error::AppError;
    use keyward_core::services::instance;
    use keyward_core::store::db::Db;
    use leptos::server_fn::ServerFn;

    /// The settings and the admins, for an instance admin.
    pub async fn html(db: &Db, user: domain::ids::UserId) -> Result<String, AppError> {
        instance::require_admin(db, user).await?;
        let settings = instance::settings(db).await?;
        let admins = instance::admins(db).await?;
        Ok(view! {
            <form method="post" action=SaveInstanceSettings::url() class="card stack" aria-label="Instance settings">
                <label class="choice">
                    <input type="checkbox" name="members_create_workspaces" checked=settings.members_create_workspaces />
                    "Members may create workspaces"
                </label>
                <p class="hint">"Off: only instance admins create workspaces."</p>
                <button type="submit">"Save"</button>
            </form>
            <h2>"Instance admins"</h2>
            <ul>{admins.into_iter().map(|a| view! { <li>{a}</li> }).collect_view()}</ul>
            <p class="hint">"Make another account an instance admin with "<code>"keyward admin grant EMAIL"</code>"."</p>
        }
        .to_html())
    }
}
