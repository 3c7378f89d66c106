//! Settings → Instance (instance admins): whether members may create workspaces, and who
//! administers the instance.

use crate::components::ActionError;
use crate::error::ConsoleError;
use domain::model::InstanceSettings;
use leptos::form::ActionForm;
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

#[component]
pub fn InstancePage() -> impl IntoView {
    let save = ServerAction::<SaveInstanceSettings>::new();
    let page = Resource::new(move || save.version().get(), |_| instance_page());
    view! {
        <Title text="Instance" />
        <h1>"Instance"</h1>
        <Transition fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match page.await {
                    Err(e) => view! { <p class="error" role="alert">{e.message.clone()}</p> }.into_any(),
                    Ok(p) => view! {
                        <ActionForm action=save attr:class="card stack" attr:aria-label="Instance settings">
                            <label class="choice">
                                <input type="checkbox" name="members_create_workspaces" checked=p.settings.members_create_workspaces />
                                "Members may create workspaces"
                            </label>
                            <p class="hint">"Off: only instance admins create workspaces."</p>
                            <ActionError action=save />
                            <button type="submit">"Save"</button>
                        </ActionForm>
                        <h2>"Instance admins"</h2>
                        <ul>{p.admins.into_iter().map(|a| view! { <li>{a}</li> }).collect_view()}</ul>
                        <p class="hint">"Make another account an instance admin with "<code>"keyward admin grant EMAIL"</code>"."</p>
                    }.into_any(),
                }
            })}
        </Transition>
    }
}
