//! Settings → Applications and their agents.

use crate::components::{when, ActionError, Modal, Pager, UrlDialog};
use crate::error::ConsoleError;
use domain::model::{ApplicationRow, DeletionPreview};
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_meta::Title;

/// One page of the applications page: 50 applications by name, with their agents.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ApplicationsPageData {
    pub applications: Vec<ApplicationRow>,
    /// The URL queries of the next and previous pages.
    pub next: Option<String>,
    pub previous: Option<String>,
    /// The viewer reads the audit log: each application links to its events.
    pub audit_log: bool,
}

/// A page of the workspace's applications, after or before the application `after` /
/// `before` (an id): the page's URL query.
#[server]
pub async fn list_applications(
    after: Option<String>,
    before: Option<String>,
) -> Result<ApplicationsPageData, ConsoleError> {
    use crate::request::auth;
    use crate::request::state::app_state;
    use domain::paging::PAGE_SIZE;
    use keyward_core::error::AppError;
    use keyward_core::services::workspaces;
    let actor = auth::require_for("list_applications").await?;
    let cursor =
        domain::paging::cursor(after, before, |s| domain::ids::ApplicationId::parse(s).ok())
            .map_err(AppError::invalid)?;
    let page =
        workspaces::applications_page(&app_state().db, actor.workspace_id, cursor, PAGE_SIZE)
            .await?;
    let audit_log =
        domain::authorization::decide(&actor.principal(), domain::authorization::Action::ReadAudit)
            .is_ok();
    Ok(ApplicationsPageData {
        audit_log,
        applications: page.rows,
        next: page.next.map(|n| format!("after={n}")),
        previous: page.previous.map(|p| format!("before={p}")),
    })
}

#[server]
pub async fn create_application(name: String) -> Result<(), ConsoleError> {
    use crate::request::auth;
    use crate::request::state::app_state;
    use domain::validate::Name;
    use keyward_core::error::AppError;
    use keyward_core::services::workspaces;
    let actor = auth::require_for("create_application").await?;
    let name = Name::parse("Name", &name).map_err(AppError::from)?;
    workspaces::create_application(&app_state().db, &actor.principal(), name).await?;
    Ok(())
}

#[server]
pub async fn rename_application(id: String, name: String) -> Result<(), ConsoleError> {
    use crate::request::auth;
    use crate::request::state::app_state;
    use domain::validate::Name;
    use keyward_core::error::AppError;
    use keyward_core::services::workspaces;
    let actor = auth::require_for("rename_application").await?;
    let id = domain::ids::Id::parse(&id)?;
    let name = Name::parse("Name", &name).map_err(AppError::from)?;
    Ok(workspaces::rename_application(&app_state().db, &actor.principal(), id, name).await?)
}

#[server]
pub async fn delete_application(id: String) -> Result<(), ConsoleError> {
    use crate::request::auth;
    use crate::request::state::app_state;
    use keyward_core::services::workspaces;
    let actor = auth::require_for("delete_application").await?;
    let id = domain::ids::Id::parse(&id)?;
    Ok(workspaces::delete_application(&app_state().db, &actor.principal(), id).await?)
}

#[server]
pub async fn create_agent(
    application_id: String,
    name: String,
    description: String,
) -> Result<(), ConsoleError> {
    use crate::request::auth;
    use crate::request::state::app_state;
    use domain::validate::{optional_text, Name};
    use keyward_core::error::AppError;
    use keyward_core::services::workspaces;
    let actor = auth::require_for("create_agent").await?;
    let app = domain::ids::Id::parse(&application_id)?;
    let name = Name::parse("Name", &name).map_err(AppError::from)?;
    let description = optional_text("Description", &description).map_err(AppError::from)?;
    workspaces::create_agent(&app_state().db, &actor.principal(), app, name, description).await?;
    Ok(())
}

/// What deleting application `application_id` (or its agent `id`, when given) would revoke,
/// and whether the member may delete it: what the confirmation shows.
#[server]
pub async fn preview_deletion(
    application_id: String,
    id: String,
) -> Result<DeletionPreview, ConsoleError> {
    use crate::request::auth;
    use crate::request::state::app_state;
    use keyward_core::services::workspaces;
    let actor = auth::require_for("preview_deletion").await?;
    let application = domain::ids::Id::parse(&application_id)?;
    let agent = if id.trim().is_empty() {
        None
    } else {
        Some(domain::ids::Id::parse(&id)?)
    };
    Ok(
        workspaces::deletion_preview(&app_state().db, &actor.principal(), application, agent)
            .await?,
    )
}

/// Deletes an agent and revokes the keys bound to it.
#[server]
pub async fn delete_agent(id: String) -> Result<(), ConsoleError> {
    use crate::request::auth;
    use crate::request::state::app_state;
    use keyward_core::services::workspaces;
    let actor = auth::require_for("delete_agent").await?;
    let id = domain::ids::Id::parse(&id)?;
    Ok(workspaces::delete_agent(&app_state().db, &actor.principal(), id).await?)
}

/// A deletion to confirm: (application id, agent id, name); no agent: the application.
type Deletion = (String, Option<String>, String);

/// The deletion a `?delete=APP` / `?delete_agent=AGENT` query names, if it is on this page.
fn named_deletion(list: &[ApplicationRow], app_id: &str, agent_id: &str) -> Option<Deletion> {
    list.iter().find_map(|a| {
        if !app_id.is_empty() && a.id.to_string() == app_id {
            return Some((a.id.to_string(), None, a.name.clone()));
        }
        a.agents
            .iter()
            .find(|g| !agent_id.is_empty() && g.id.to_string() == agent_id)
            .map(|g| (a.id.to_string(), Some(g.id.to_string()), g.name.clone()))
    })
}

/// The page, rendered on the server: its forms post as plain HTML and the answer comes back to
/// it. Forms and confirmations open by URL (`?new=1`, `?agent=APP`, `?delete=APP`,
/// `?delete_agent=AGENT`), keeping the page's cursor, so what they name is on the page they
/// open; a confirmation's Escape is the one part that runs in the browser ([`UrlDialog`]).
#[component]
pub fn ApplicationsPage() -> impl IntoView {
    let query = crate::pages::url_query();
    let get = {
        let query = query.clone();
        move |name: &str| crate::pages::query_value(&query, name)
    };
    let data = async move {
        let page = list_applications(get("after"), get("before")).await?;
        let named = named_deletion(
            &page.applications,
            &get("delete").unwrap_or_default(),
            &get("delete_agent").unwrap_or_default(),
        );
        let confirm = match named {
            Some((application, agent, name)) => {
                let preview =
                    preview_deletion(application.clone(), agent.clone().unwrap_or_default()).await;
                Some(((application, agent, name), preview))
            }
            None => None,
        };
        Ok((page, confirm))
    };
    view! {
        <Title text="Applications" />
        {crate::components::server_loaded(data, move |(page, confirm)| view! { <Applications query page confirm /> }, None)}
    }
}

#[component]
fn Applications(
    query: Vec<(String, String)>,
    page: ApplicationsPageData,
    confirm: Option<(Deletion, Result<DeletionPreview, ConsoleError>)>,
) -> impl IntoView {
    let param = |name: &str| crate::pages::query_value(&query, name).unwrap_or_default();
    let cursor = ["after", "before"]
        .into_iter()
        .find_map(|c| crate::pages::query_value(&query, c).map(|v| format!("{c}={v}")));
    let here = {
        let cursor = cursor.clone();
        move |name: &str, value: &str| match &cursor {
            Some(c) => format!("/settings/applications?{c}&{name}={value}"),
            None => format!("/settings/applications?{name}={value}"),
        }
    };
    let back = match &cursor {
        Some(c) => format!("/settings/applications?{c}"),
        None => "/settings/applications".to_string(),
    };
    let create = ServerAction::<CreateApplication>::new();
    let new_agent = ServerAction::<CreateAgent>::new();
    let rename = ServerAction::<RenameApplication>::new();
    let agent_form_for = param("agent");
    let ApplicationsPageData {
        applications: list,
        next,
        previous,
        audit_log,
    } = page;
    let link = |q: Option<String>| q.map(|q| format!("/settings/applications?{q}"));
    let (next, previous) = (link(next), link(previous));
    view! {
        <div class="page-head">
            <h1>"Applications"</h1>
            <a class="button" role="button" href=here("new", "1")>"New application"</a>
        </div>
        {(!param("new").is_empty()).then(|| view! {
            <ActionForm action=create attr:class="card inline" attr:aria-label="New application">
                <label>"Name" <input type="text" name="name" maxlength="100" required autofocus /></label>
                <button type="submit">"Create application"</button>
            </ActionForm>
        })}
        <ActionError action=create />
        <ActionError action=new_agent />
        <ActionError action=rename />
        {list.is_empty().then(|| view! { <p class="empty">"No applications yet."</p> })}
        {list.into_iter().map(|a| {
            let id = a.id.to_string();
            let id_rename = id.clone();
            view! {
                <section class="card" aria-label=a.name.clone()>
                    <div class="page-head">
                        <h2>{a.name.clone()}</h2>
                        <span class="sub">"Created " {when(Some(a.created_at))} " · id " <code>{id.clone()}</code></span>
                        {audit_log.then(|| view! { <a href=domain::audit::events_of(&format!("application:{}", a.id)) aria-label=format!("Events of {}", a.name)>"Events"</a> })}
                        <a class="button danger" role="button" href=here("delete", &id)>"Delete"</a>
                    </div>
                    <ActionForm action=rename attr:class="inline" attr:aria-label=format!("Rename {}", a.name)>
                        <input type="hidden" name="id" value=id_rename />
                        <label>"Rename to" <input type="text" name="name" maxlength="100" required /></label>
                        <button type="submit" class="secondary">"Rename"</button>
                    </ActionForm>
                    <h3>"Agents"</h3>
                    <ul>{a.agents.iter().map(|g| view! {
                        <li>{g.name.clone()} " " <span class="sub">{g.description.clone()}</span>
                            <a class="button danger" role="button" aria-label=format!("Delete agent {}", g.name)
                                href=here("delete_agent", &g.id.to_string())>"Delete agent"</a>
                        </li>
                    }).collect_view()}</ul>
                    <a class="button secondary" role="button" href=here("agent", &id)>"New agent"</a>
                    {(agent_form_for == id).then(|| view! {
                        <ActionForm action=new_agent attr:class="inline">
                            <input type="hidden" name="application_id" value=id.clone() />
                            <label>"Name" <input type="text" name="name" maxlength="100" required autofocus /></label>
                            <label>"Description" <input type="text" name="description" maxlength="500" /></label>
                            <button type="submit">"Create agent"</button>
                        </ActionForm>
                    })}
                </section>
            }
        }).collect_view()}
        <Pager label="Pages of applications" previous next />
        {confirm.map(|(deletion, preview)| view! {
            <UrlDialog back=back.clone()>
                <ConfirmDeletion deletion preview back=back.clone() />
            </UrlDialog>
        })}
    }
}

/// Confirms deleting an application or agent, naming the live keys it would revoke first.
#[component]
fn ConfirmDeletion(
    deletion: Deletion,
    preview: Result<DeletionPreview, ConsoleError>,
    /// Where "Cancel" goes: the list the confirmation was opened from.
    back: String,
) -> impl IntoView {
    let (application, agent, name) = deletion;
    let (what, action_url, target_id) = match agent {
        Some(agent) => ("agent", DeleteAgent::url(), agent),
        None => ("application", DeleteApplication::url(), application),
    };
    view! {
        <Modal labelledby="delete-title" class="stack">
            <h2 id="delete-title">{format!("Delete {what} \"{name}\"?")}</h2>
            {match preview {
                Err(e) => view! { <p class="error" role="alert">{e.message.clone()}</p> }.into_any(),
                Ok(p) => {
                    let allowed = p.refusal.is_none();
                    view! {
                        {if p.live_keys() == 0 {
                            view! { <p>"No live key depends on it."</p> }.into_any()
                        } else {
                            view! {
                                <p>{format!("These live keys will be revoked with it ({}):", p.live_keys())}</p>
                                <ul class="dependents">
                                    {p.keys.iter().map(|k| view! {
                                        <li>{k.name.clone()} " " <code>{k.key_id.clone()}</code> " " <span class="sub">{k.owner_email.clone()}</span></li>
                                    }).collect_view()}
                                    {(p.others > 0).then(|| view! { <li>{format!("and {} key(s) of other members", p.others)}</li> })}
                                </ul>
                            }.into_any()
                        }}
                        {p.refusal.clone().map(|why| view! { <p class="error" role="alert">{why}</p> })}
                        <form class="row" method="post" action=action_url>
                            <input type="hidden" name="id" value=target_id />
                            {allowed.then(|| view! {
                                <button type="submit" class="danger" autofocus>{format!("Delete {what}")}</button>
                            })}
                            <a class="button secondary" role="button" href=back>"Cancel"</a>
                        </form>
                    }.into_any()
                }
            }}
        </Modal>
    }
}
