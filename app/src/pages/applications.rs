//! Settings → Applications and their agents.

use crate::components::{
    announce_success, focus_when_shown, reload_after, reload_error, return_focus_to, when,
    ActionError, Modal, Pager,
};
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

/// What a confirmation opened by its URL shows: the deletion, and its preview as the server
/// read it (or why it could not).
type UrlConfirmation = (Deletion, Result<DeletionPreview, String>);

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

/// The page: its title, and the island that holds the list, its forms and confirmations, given
/// the list (and a confirmation its URL opens) as the server read them.
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
                    preview_deletion(application.clone(), agent.clone().unwrap_or_default())
                        .await
                        .map_err(|e| e.message);
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

#[island]
fn Applications(
    query: Vec<(String, String)>,
    page: ApplicationsPageData,
    confirm: Option<UrlConfirmation>,
) -> impl IntoView {
    let query_get = crate::pages::query_reader(query);
    let create = ServerAction::<CreateApplication>::new();
    let delete = ServerAction::<DeleteApplication>::new();
    let new_agent = ServerAction::<CreateAgent>::new();
    let rename = ServerAction::<RenameApplication>::new();
    let delete_agent = ServerAction::<DeleteAgent>::new();
    let apps = RwSignal::new(page);
    let failed = reload_after(
        vec![
            create.version(),
            delete.version(),
            new_agent.version(),
            rename.version(),
            delete_agent.version(),
        ],
        apps,
        move || list_applications(query_get("after"), query_get("before")),
    );
    let url_confirm = StoredValue::new(confirm);
    // Forms and confirmations open by URL too (`?new=1`, `?agent=APP`, `?delete=APP`,
    // `?delete_agent=AGENT`): how they work before (or without) hydration. Their links keep
    // the page's cursor, so what they name is on the page they open.
    let param = move |name: &str| query_get(name).unwrap_or_default();
    let here = move |name: &str, value: &str| {
        let cursor = ["after", "before"]
            .into_iter()
            .find_map(|c| query_get(c).map(|v| format!("{c}={v}&")))
            .unwrap_or_default();
        format!("/settings/applications?{cursor}{name}={value}")
    };
    let (creating, set_creating) = signal(!param("new").is_empty());
    // The deletion being confirmed: (application id, agent id, name); no agent: the application.
    let confirming: RwSignal<Option<Deletion>> = RwSignal::new(None);
    // Opening the form moves focus to its field.
    let new_name = NodeRef::<leptos::html::Input>::new();
    focus_when_shown(new_name);
    announce_success(create, |_| "Application created.".into());
    view! {
        <div class="page-head">
            <h1>"Applications"</h1>
            <a class="button" role="button" href="/settings/applications?new=1"
                on:click=move |ev| { ev.prevent_default(); set_creating.update(|o| *o = !*o); }>"New application"</a>
        </div>
        <Show when=move || creating.get()>
            <ActionForm action=create attr:class="card inline" attr:aria-label="New application">
                <label>"Name" <input type="text" name="name" maxlength="100" required node_ref=new_name /></label>
                <button type="submit">"Create application"</button>
            </ActionForm>
        </Show>
        <ActionError action=create />
        <ActionError action=new_agent />
        <ActionError action=rename />
        {reload_error(failed)}
        {move || {
                    let data = apps.get();
                    if data.applications.is_empty() {
                        return view! { <p class="empty">"No applications yet."</p> }.into_any();
                    }
                    let ApplicationsPageData { applications: list, next, previous, audit_log } = data;
                    let link = |q: Option<String>| q.map(|q| format!("/settings/applications?{q}"));
                    let (next, previous) = (link(next), link(previous));
                    // A confirmation named by the URL, while what it names exists.
                    let from_url = url_confirm.get_value().filter(|((app, agent, _), _)| {
                        named_deletion(&list, if agent.is_none() { app } else { "" }, agent.as_deref().unwrap_or_default()).is_some()
                    });
                    view! {
                    {from_url.map(|((application, agent, name), preview)| view! {
                        <ConfirmDeletion application agent name delete delete_agent on_close=move || {} from_url=true preview />
                    })}
                    {list.into_iter().map(|a| {
                        let id_del = a.id.to_string();
                        let id_rename = a.id.to_string();
                        let id_agent = StoredValue::new(a.id.to_string());
                        let agent_form_open = param("agent") == id_del;
                        let (open, set_open) = signal(agent_form_open);
                        view! {
                            <section class="card" aria-label=a.name.clone()>
                                <div class="page-head">
                                    <h2>{a.name.clone()}</h2>
                                    <span class="sub">"Created " {when(Some(a.created_at))} " · id " <code>{a.id.to_string()}</code></span>
                                    {audit_log.then(|| view! { <a href=domain::audit::events_of(&format!("application:{}", a.id)) aria-label=format!("Events of {}", a.name)>"Events"</a> })}
                                    <a class="button danger" role="button" href=here("delete", &a.id.to_string())
                                        on:click={let name = a.name.clone(); move |ev| { ev.prevent_default(); confirming.set(Some((id_del.clone(), None, name.clone()))) }}>"Delete"</a>
                                </div>
                                <ActionForm action=rename attr:class="inline" attr:aria-label=format!("Rename {}", a.name)>
                                    <input type="hidden" name="id" value=id_rename />
                                    <label>"Rename to" <input type="text" name="name" maxlength="100" required /></label>
                                    <button type="submit" class="secondary">"Rename"</button>
                                </ActionForm>
                                <h3>"Agents"</h3>
                                <ul>{a.agents.iter().map(|g| {
                                    let agent_id = g.id.to_string();
                                    let app_id = g.application_id.to_string();
                                    let agent_name = g.name.clone();
                                    view! {
                                        <li>{g.name.clone()} " " <span class="sub">{g.description.clone()}</span>
                                            <a class="button danger" role="button" aria-label=format!("Delete agent {}", g.name)
                                                href=here("delete_agent", &g.id.to_string())
                                                on:click=move |ev| { ev.prevent_default(); confirming.set(Some((app_id.clone(), Some(agent_id.clone()), agent_name.clone()))) }>"Delete agent"</a>
                                        </li>
                                    }
                                }).collect_view()}</ul>
                                <a class="button secondary" role="button" href=here("agent", &id_agent.get_value())
                                    on:click=move |ev| { ev.prevent_default(); set_open.update(|o| *o = !*o); }>"New agent"</a>
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
                    }).collect_view()}
                    <Pager label="Pages of applications" previous next />
                    }.into_any()
        }}
        {move || confirming.get().map(|(application, agent, name)| view! {
            <ConfirmDeletion application agent name delete delete_agent on_close=move || confirming.set(None) />
        })}
    }
}

/// Confirms deleting an application or agent, naming the live keys it would revoke first.
#[component]
fn ConfirmDeletion(
    application: String,
    agent: Option<String>,
    name: String,
    delete: ServerAction<DeleteApplication>,
    delete_agent: ServerAction<DeleteAgent>,
    on_close: impl Fn() + Send + Sync + Copy + 'static,
    /// Opened by a `?delete=` / `?delete_agent=` link: "Cancel" follows its link back.
    #[prop(optional)]
    from_url: bool,
    /// The preview as the server read it; without it, it is read when the dialog opens.
    #[prop(optional)]
    preview: Option<Result<DeletionPreview, String>>,
) -> impl IntoView {
    let what = if agent.is_some() {
        "agent"
    } else {
        "application"
    };
    let read = preview.is_none();
    let preview = RwSignal::new(preview);
    if read {
        let (application, agent) = (application.clone(), agent.clone());
        leptos::task::spawn_local(async move {
            let read = preview_deletion(application, agent.unwrap_or_default()).await;
            preview.set(Some(read.map_err(|e| e.message)));
        });
    }
    let versions = (
        delete.version().get_untracked(),
        delete_agent.version().get_untracked(),
    );
    Effect::new(move |_| {
        let done = |v, value: Option<Result<(), ConsoleError>>| v && matches!(value, Some(Ok(())));
        if done(delete.version().get() > versions.0, delete.value().get())
            || done(
                delete_agent.version().get() > versions.1,
                delete_agent.value().get(),
            )
        {
            // The row and its "Delete" go with it.
            return_focus_to("content");
            on_close();
        }
    });
    // A plain form post to the server function without JavaScript; dispatched with it.
    let (action_url, target_id) = match &agent {
        Some(agent) => (DeleteAgent::url(), agent.clone()),
        None => (DeleteApplication::url(), application.clone()),
    };
    let target_id = StoredValue::new(target_id);
    let target = StoredValue::new((application, agent));
    let confirm = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        match target.get_value() {
            (_, Some(agent)) => {
                delete_agent.dispatch(DeleteAgent { id: agent });
            }
            (application, None) => {
                delete.dispatch(DeleteApplication { id: application });
            }
        }
    };
    // Escape cancels, like "Cancel".
    let cancel = move || match from_url {
        true => crate::pages::go_to("/settings/applications"),
        false => on_close(),
    };
    view! {
        <Modal labelledby="delete-title" class="stack" on_cancel=cancel>
                <h2 id="delete-title">{format!("Delete {what} \"{name}\"?")}</h2>
                    {move || {
                        match preview.get() {
                            None => view! { <p>"Checking which keys depend on it…"</p> }.into_any(),
                            Some(Err(e)) => view! { <p class="error" role="alert">{e}</p> }.into_any(),
                            Some(Ok(p)) => {
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
                                    <form class="row" method="post" action=action_url on:submit=confirm>
                                        <input type="hidden" name="id" value=target_id.get_value() />
                                        {allowed.then(|| view! {
                                            <button type="submit" class="danger">{format!("Delete {what}")}</button>
                                        })}
                                        <a class="button secondary" role="button" href="/settings/applications"
                                            on:click=move |ev| if !from_url { ev.prevent_default(); on_close(); }>"Cancel"</a>
                                    </form>
                                }.into_any()
                            }
                        }
                    }}
                <ActionError action=delete />
                <ActionError action=delete_agent />
        </Modal>
    }
}
