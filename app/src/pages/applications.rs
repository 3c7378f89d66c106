//! Settings → Applications and their agents.

use crate::components::{error_text, when, ActionError};
#[cfg(feature = "ssr")]
use crate::domain::permissions::Permission;
use crate::model::ApplicationRow;
use leptos::prelude::*;
use leptos_meta::Title;

#[server]
pub async fn list_applications() -> Result<Vec<ApplicationRow>, ServerFnError> {
    use crate::ssr::{auth, state::app_state, workspaces};
    let actor = auth::require_permissions(&[Permission::APPLICATIONS_READ]).await?;
    Ok(workspaces::applications(&app_state().db, actor.workspace_id).await?)
}

#[server]
pub async fn create_application(name: String) -> Result<(), ServerFnError> {
    use crate::domain::validate::Name;
    use crate::ssr::{auth, error::AppError, state::app_state, workspaces};
    let actor = auth::require_permissions(&[Permission::APPLICATIONS_WRITE]).await?;
    let name = Name::parse("Name", &name).map_err(AppError::from)?;
    workspaces::create_application(&app_state().db, actor.as_ref(), name).await?;
    Ok(())
}

#[server]
pub async fn rename_application(id: String, name: String) -> Result<(), ServerFnError> {
    use crate::domain::validate::Name;
    use crate::ssr::{auth, error::AppError, state::app_state, workspaces};
    let actor = auth::require_permissions(&[Permission::APPLICATIONS_WRITE]).await?;
    let id = uuid::Uuid::parse_str(&id).map_err(|_| AppError::NotFound)?;
    let name = Name::parse("Name", &name).map_err(AppError::from)?;
    Ok(workspaces::rename_application(&app_state().db, actor.as_ref(), id, name).await?)
}

#[server]
pub async fn delete_application(id: String) -> Result<(), ServerFnError> {
    use crate::ssr::{auth, error::AppError, state::app_state, workspaces};
    let actor = auth::require_permissions(&[Permission::APPLICATIONS_WRITE]).await?;
    let id = uuid::Uuid::parse_str(&id).map_err(|_| AppError::NotFound)?;
    Ok(workspaces::delete_application(&app_state().db, actor.as_ref(), id).await?)
}

#[server]
pub async fn create_agent(
    application_id: String,
    name: String,
    description: String,
) -> Result<(), ServerFnError> {
    use crate::domain::validate::{optional_text, Name};
    use crate::ssr::{auth, error::AppError, state::app_state, workspaces};
    let actor = auth::require_permissions(&[Permission::AGENTS_WRITE]).await?;
    let app = uuid::Uuid::parse_str(&application_id).map_err(|_| AppError::NotFound)?;
    let name = Name::parse("Name", &name).map_err(AppError::from)?;
    let description = optional_text("Description", &description).map_err(AppError::from)?;
    workspaces::create_agent(&app_state().db, actor.as_ref(), app, name, description).await?;
    Ok(())
}

/// Deletes an agent and revokes the keys bound to it.
#[server]
pub async fn delete_agent(id: String) -> Result<(), ServerFnError> {
    use crate::ssr::{auth, error::AppError, state::app_state, workspaces};
    let actor = auth::require_permissions(&[Permission::AGENTS_WRITE]).await?;
    let id = uuid::Uuid::parse_str(&id).map_err(|_| AppError::NotFound)?;
    Ok(workspaces::delete_agent(&app_state().db, actor.as_ref(), id).await?)
}

#[component]
pub fn ApplicationsPage() -> impl IntoView {
    let create = ServerAction::<CreateApplication>::new();
    let delete = ServerAction::<DeleteApplication>::new();
    let new_agent = ServerAction::<CreateAgent>::new();
    let rename = ServerAction::<RenameApplication>::new();
    let delete_agent = ServerAction::<DeleteAgent>::new();
    let apps = Resource::new(
        move || {
            (
                create.version().get(),
                delete.version().get(),
                new_agent.version().get(),
                rename.version().get(),
                delete_agent.version().get(),
            )
        },
        |_| list_applications(),
    );
    let (creating, set_creating) = signal(false);
    view! {
        <Title text="Applications" />
        <div class="page-head">
            <h1>"Applications"</h1>
            <button type="button" on:click=move |_| set_creating.update(|o| *o = !*o)>"New application"</button>
        </div>
        <Show when=move || creating.get()>
            <ActionForm action=create attr:class="card inline" attr:aria-label="New application">
                <label>"Name" <input type="text" name="name" maxlength="100" required /></label>
                <button type="submit">"Create application"</button>
            </ActionForm>
        </Show>
        <ActionError action=create />
        <ActionError action=delete />
        <ActionError action=new_agent />
        <ActionError action=rename />
        <ActionError action=delete_agent />
        <Transition fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match apps.await {
                    Err(e) => view! { <p class="error" role="alert">{error_text(&e)}</p> }.into_any(),
                    Ok(list) if list.is_empty() => view! { <p class="empty">"No applications yet."</p> }.into_any(),
                    Ok(list) => list.into_iter().map(|a| {
                        let id_del = a.id.clone();
                        let id_rename = a.id.clone();
                        let id_agent = StoredValue::new(a.id.clone());
                        let (open, set_open) = signal(false);
                        view! {
                            <section class="card" aria-label=a.name.clone()>
                                <div class="page-head">
                                    <h2>{a.name.clone()}</h2>
                                    <span class="sub">"Created " {when(Some(a.created_at))} " · id " <code>{a.id.clone()}</code></span>
                                    <button type="button" class="danger" on:click=move |_| { delete.dispatch(DeleteApplication { id: id_del.clone() }); }>"Delete"</button>
                                </div>
                                <ActionForm action=rename attr:class="inline" attr:aria-label=format!("Rename {}", a.name)>
                                    <input type="hidden" name="id" value=id_rename />
                                    <label>"Rename to" <input type="text" name="name" maxlength="100" required /></label>
                                    <button type="submit" class="secondary">"Rename"</button>
                                </ActionForm>
                                <h3>"Agents"</h3>
                                <ul>{a.agents.iter().map(|g| {
                                    let agent_id = g.id.clone();
                                    view! {
                                        <li>{g.name.clone()} " " <span class="sub">{g.description.clone()}</span>
                                            <button type="button" class="danger" aria-label=format!("Delete agent {}", g.name)
                                                on:click=move |_| { delete_agent.dispatch(DeleteAgent { id: agent_id.clone() }); }>"Delete agent"</button>
                                        </li>
                                    }
                                }).collect_view()}</ul>
                                <button type="button" class="secondary" on:click=move |_| set_open.update(|o| *o = !*o)>"New agent"</button>
                                <Show when=move || open.get()>
                                    <ActionForm action=new_agent attr:class="inline">
                                        <input type="hidden" name="application_id" value=id_agent.get_value() />
                                        <label>"Name" <input type="text" name="name" maxlength="100" required /></label>
                                        <label>"Description" <input type="text" name="description" maxlength="500" /></label>
                                        <button type="submit">"Create agent"</button>
                                    </ActionForm>
                                </Show>
                            </section>
                        }
                    }).collect_view().into_any(),
                }
            })}
        </Transition>
    }
}
