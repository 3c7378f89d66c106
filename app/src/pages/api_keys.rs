//! Settings → API Keys: list, create (capped at the creator's role), reveal once, revoke,
//! rotate.
// `keys_page` takes one argument per URL parameter of a view, so a link's query is a call;
// the code its `#[server]` macro generates is out of reach of an attribute on the function.
#![allow(clippy::too_many_arguments)]

use crate::components::{
    field_fault, focus_when_shown, reload_after, reload_error, return_focus_to, when, ActionError,
    Modal, Pager,
};
use crate::error::ConsoleError;
use domain::dates::{format_date, relative};
use domain::key_listing::{param, KeyCount, KeyQuery};
use domain::model::{ApplicationRow, CreateKeyForm, KeyRow, KeyStatus, NewSecret, Policy};
use domain::permissions::{Permission, PermissionSet};
use domain::roles::Role;
use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use leptos::server_fn::ServerFn;
use leptos_meta::Title;
use serde::{Deserialize, Serialize};

/// The id of the create form's error message, which a refused field points at.
const CREATE_ERROR: &str = "create-key-error";

/// Everything the keys page shows: one page of one view of the list.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct KeysPageData {
    pub keys: Vec<KeyRow>,
    /// The view shown: its filters and cursor, as in the URL.
    pub query: KeyQuery,
    pub count: KeyCount,
    /// Links to the next (older) and previous (newer) pages of the view.
    pub next: Option<String>,
    pub previous: Option<String>,
    /// The owners to filter by: the workspace's members, for those who see every key.
    pub owners: Vec<String>,
    pub role: Role,
    pub applications: Vec<ApplicationRow>,
    pub policy: Policy,
    pub now: i64,
}

/// One page of the keys the signed-in member may see: the view's filters and cursor are the
/// page's URL query parameters (see [`domain::key_listing::param`]).
#[server]
pub async fn keys_page(
    status: Option<String>,
    owner: Option<String>,
    application: Option<String>,
    q: Option<String>,
    expires_before: Option<String>,
    used_before: Option<String>,
    after: Option<String>,
    before: Option<String>,
) -> Result<KeysPageData, ConsoleError> {
    use crate::request::auth;
    use crate::request::state::app_state;
    use domain::authorization::KeyVisibility;
    use domain::key_listing::param;
    use domain::paging::PAGE_SIZE;
    use keyward_core::error::AppError;
    use keyward_core::services::key_list;
    use keyward_core::services::workspaces;
    let actor = auth::require_for("keys_page").await?;
    let state = app_state();
    let now = keyward_core::now();
    let viewer = actor.principal();
    let query = KeyQuery::from_params(|name| match name {
        param::STATUS => status.clone(),
        param::OWNER => owner.clone(),
        param::APPLICATION => application.clone(),
        param::NAME => q.clone(),
        param::EXPIRES_BEFORE => expires_before.clone(),
        param::USED_BEFORE => used_before.clone(),
        param::AFTER => after.clone(),
        param::BEFORE => before.clone(),
        _ => None,
    })
    .map_err(AppError::invalid)?;
    let page = key_list::page(&state.db, &viewer, &query, PAGE_SIZE, now).await?;
    let owners = if KeyVisibility::of(&viewer).owner.is_none() {
        workspaces::member_emails(&state.db, actor.workspace_id).await?
    } else {
        Vec::new()
    };
    Ok(KeysPageData {
        keys: page
            .keys
            .iter()
            .map(|k| k.to_row_for(&viewer, now))
            .collect(),
        next: page.next.map(|c| query.at(Some(c)).href(&[])),
        previous: page.previous.map(|c| query.at(Some(c)).href(&[])),
        count: page.count,
        query,
        owners,
        role: actor.role,
        applications: workspaces::applications(&state.db, actor.workspace_id).await?,
        policy: workspaces::policy(&state.db, actor.workspace_id).await?,
        now,
    })
}

/// Creates a key owned by the signed-in member, capped at their role. The response is the
/// only place the secret ever appears.
#[server(input = Json)]
pub async fn create_key(form: CreateKeyForm) -> Result<NewSecret, ConsoleError> {
    use crate::request::auth;
    use crate::request::state::app_state;
    use keyward_core::services::keys;
    let actor = auth::require_for("create_key").await?;
    let state = app_state();
    let new = keys::parse_create_form(&form, actor.role)?;
    Ok(keys::create(&state.db, &state.secret, &actor.principal(), new).await?)
}

/// Revokes a key: one's own, or anyone's with `keys:write` (auditors too). Revoking a key
/// ends every secret of its lineage; given a rotated-out predecessor, it ends that secret's
/// grace at once ("Revoke now").
#[server]
pub async fn revoke_key(id: String, reason: String) -> Result<(), ConsoleError> {
    use crate::request::auth;
    use crate::request::state::app_state;
    use domain::validate::optional_text;
    use keyward_core::error::AppError;
    use keyward_core::services::keys;
    let actor = auth::require_for("revoke_key").await?;
    let id = domain::ids::Id::parse(&id)?;
    let reason = optional_text("Reason", &reason).map_err(AppError::from)?;
    Ok(keys::revoke(&app_state().db, &actor.principal(), id, reason).await?)
}

/// Rotates one's own key; the old secret keeps working for `grace_seconds`. `expiration`
/// (as in the create form; absent or empty: the old lifetime's length from now) and
/// `expires_on` set the new secret's expiry.
#[server]
pub async fn rotate_key(
    id: String,
    grace_seconds: i64,
    expiration: Option<String>,
    expires_on: Option<String>,
) -> Result<NewSecret, ConsoleError> {
    use crate::request::auth;
    use crate::request::state::app_state;
    use keyward_core::services::keys;
    let actor = auth::require_for("rotate_key").await?;
    let state = app_state();
    let id = domain::ids::Id::parse(&id)?;
    let expiration = keys::Expiration::parse_optional(
        expiration.as_deref().unwrap_or(""),
        expires_on.as_deref().unwrap_or(""),
    )?;
    Ok(keys::rotate(
        &state.db,
        &state.secret,
        &actor.principal(),
        id,
        grace_seconds,
        expiration,
    )
    .await?)
}

#[cfg(feature = "hydrate")]
mod clipboard {
    use wasm_bindgen::prelude::*;

    #[wasm_bindgen]
    extern "C" {
        #[wasm_bindgen(js_namespace = ["navigator", "clipboard"], js_name = writeText)]
        fn write_text(text: &str) -> js_sys::Promise;
    }

    /// Puts `text` on the clipboard; whether it worked.
    pub async fn copy(text: &str) -> bool {
        wasm_bindgen_futures::JsFuture::from(write_text(text))
            .await
            .is_ok()
    }
}

#[cfg(not(feature = "hydrate"))]
mod clipboard {
    pub async fn copy(_: &str) -> bool {
        false
    }
}

/// Reads the view of the list that the URL query parameters `get` describes.
fn keys_view(
    get: &dyn Fn(&str) -> Option<String>,
) -> impl std::future::Future<Output = Result<KeysPageData, ConsoleError>> {
    keys_page(
        get(param::STATUS),
        get(param::OWNER),
        get(param::APPLICATION),
        get(param::NAME),
        get(param::EXPIRES_BEFORE),
        get(param::USED_BEFORE),
        get(param::AFTER),
        get(param::BEFORE),
    )
}

/// The key a confirmation acts on: what its dialog needs of a row.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct KeyTarget {
    pub id: String,
    pub name: String,
}

/// What the create form offers: the creator's role caps the permissions, the policy the rest.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CreateFormData {
    pub role: Role,
    pub applications: Vec<ApplicationRow>,
    pub policy: Policy,
}

/// The page: its title, and the island that holds the create form and the dialogs, around the
/// list the server renders (its filters, table and pager: plain HTML, read again as HTML after
/// an action). The view (filters and cursor) lives in the URL: bookmarkable, and paged by plain
/// links.
#[component]
pub fn ApiKeysPage() -> impl IntoView {
    let query = crate::pages::url_query();
    let get = move |name: &str| crate::pages::query_value(&query, name);
    let search = leptos_router::hooks::use_location().search.get_untracked();
    let data = keys_view(&get);
    let open_form = get("new").is_some();
    let (revoke, rotate) = (get("revoke"), get("rotate"));
    let show = move |page: KeysPageData| {
        // `?revoke=ID` / `?rotate=ID` open a confirmation: how they work without JavaScript.
        let revoke_url = revoke.and_then(|id| revoke_target(&page, &id));
        let rotate_url = rotate.and_then(|id| {
            page.keys
                .iter()
                .find(|k| k.id.to_string() == id && k.status.usable() && k.abilities.rotate)
                .map(|k| KeyTarget {
                    id: k.id.to_string(),
                    name: k.name.clone(),
                })
        });
        let back = page.query.href(&[]);
        let form = CreateFormData {
            role: page.role,
            applications: page.applications.clone(),
            policy: page.policy.clone(),
        };
        view! {
            <ApiKeys search open_form form revoke_url rotate_url back>
                <KeysList page />
            </ApiKeys>
        }
    };
    view! {
        <Title text="API Keys" />
        {crate::components::server_loaded(data, show, Some(("/settings/api-keys", "Show all keys")))}
    }
}

/// Everything on the page that acts: the create form, the dialogs and the list's "Revoke" and
/// "Rotate" (one listener on the list, which the server renders). After each action the list is
/// read again; a new secret stays in this island's memory only, until "Done".
#[island]
fn ApiKeys(
    /// The page URL's query string, to read the same view of the list again.
    search: String,
    open_form: bool,
    form: CreateFormData,
    /// A confirmation the URL opens (`?revoke=ID`, with whether it is a previous secret).
    revoke_url: Option<(KeyTarget, bool)>,
    rotate_url: Option<KeyTarget>,
    /// The list's URL, where a confirmation opened by its URL goes back to.
    back: String,
    children: Children,
) -> impl IntoView {
    let create = ServerAction::<CreateKey>::new();
    let revoke = ServerAction::<RevokeKey>::new();
    let rotate = ServerAction::<RotateKey>::new();
    let list = NodeRef::<leptos::html::Div>::new();
    let html = RwSignal::new(String::new());
    let failed = reload_after(
        vec![create.version(), revoke.version(), rotate.version()],
        html,
        move || crate::pages::fragments::page_fragment("keys_list".into(), search.clone()),
    );
    Effect::new(move |_| {
        let html = html.get();
        if let (false, Some(list)) = (html.is_empty(), list.get_untracked()) {
            list.set_inner_html(&html);
        }
    });
    // `?new=1` opens the form: how "Create API key" works before (or without) hydration.
    let (form_open, set_form_open) = signal(open_form);
    // The secret lives only here, in memory, until "Done".
    let revealed: RwSignal<Option<(String, String)>> = RwSignal::new(None);
    Effect::new(move |_| {
        if let Some(Ok(s)) = create.value().get() {
            revealed.set(Some((s.key.prefix.clone(), s.expose().to_string())));
            create.value().set(None);
            set_form_open.set(false);
        }
    });
    Effect::new(move |_| {
        if let Some(Ok(s)) = rotate.value().get() {
            revealed.set(Some((s.key.prefix.clone(), s.expose().to_string())));
            rotate.value().set(None);
        }
    });
    // The key to revoke, and whether it is the rotated-out previous secret of the row.
    let revoking: RwSignal<Option<(KeyTarget, bool)>> = RwSignal::new(None);
    let rotating: RwSignal<Option<KeyTarget>> = RwSignal::new(None);
    let allow_never = form.policy.allow_never_expiring;
    let form = StoredValue::new(form);
    let back = StoredValue::new(back);
    // The list's "Revoke", "Revoke now" and "Rotate" links open their dialog here.
    let open_dialog = move |ev: leptos::ev::MouseEvent| {
        use leptos::wasm_bindgen::JsCast;
        let Some(link) = ev
            .target()
            .and_then(|t| t.dyn_into::<leptos::web_sys::Element>().ok())
            .and_then(|e| e.closest("[data-revoke], [data-rotate]").ok().flatten())
        else {
            return;
        };
        let name = link.get_attribute("data-name").unwrap_or_default();
        if let Some(id) = link.get_attribute("data-revoke") {
            ev.prevent_default();
            revoking.set(Some((
                KeyTarget { id, name },
                link.has_attribute("data-previous"),
            )));
        } else if let Some(id) = link.get_attribute("data-rotate") {
            ev.prevent_default();
            rotating.set(Some(KeyTarget { id, name }));
        }
    };

    view! {
        <div class="page-head">
            <h1>"API Keys"</h1>
            <a class="button" role="button" id="create-key" href="/settings/api-keys?new=1"
                on:click=move |ev| { ev.prevent_default(); set_form_open.update(|o| *o = !*o); }>"Create API key"</a>
        </div>
        <p class="hint">"Keys let machines call the Keyward API. A key can never do more than the member who made it."</p>
        <Show when=move || form_open.get()>
            <CreateKeyFormView page=form.get_value() action=create on_cancel=move || set_form_open.set(false) />
        </Show>
        {reload_error(failed)}
        <div node_ref=list on:click=open_dialog>{children()}</div>
        {revoke_url.map(|(key, previous)| view! { <RevokeDialog key previous action=revoke on_close=move || {} back=back.get_value() /> })}
        {rotate_url.map(|key| view! { <RotateDialog key allow_never action=rotate on_close=move || {} back=back.get_value() /> })}
        {move || revealed.get().map(|(prefix, secret)| view! { <RevealDialog prefix secret on_done=move || {
            return_focus_to("create-key");
            revealed.set(None);
        } /> })}
        {move || revoking.get().map(|(key, previous)| view! { <RevokeDialog key previous action=revoke on_close=move || revoking.set(None) /> })}
        {move || rotating.get().map(|key| view! { <RotateDialog key allow_never action=rotate on_close=move || rotating.set(None) /> })}
    }
}

/// The list as the server renders it, on the page and when read again: "Import existing key",
/// the filters, the table and the pager.
#[component]
fn KeysList(page: KeysPageData) -> impl IntoView {
    let d = page.clone();
    view! {
        {page.policy.allow_import.then(|| view! { <p><a href="/settings/api-keys/import">"Import existing key"</a></p> })}
        <KeyFilters page=page.clone() />
        <KeyTable page />
        <Pager label="Pages of keys" count=d.count.label() previous=d.previous next=d.next />
    }
}

/// The list, read again as HTML for the island (the fragment `keys_list`).
#[cfg(feature = "ssr")]
pub async fn list_html(search: &str) -> Result<String, ConsoleError> {
    let params = domain::paging::QueryParams::parse(search);
    let get = |name: &str| params.get(name);
    let page = keys_view(&get).await?;
    Ok(view! { <KeysList page /> }.to_html())
}

/// The key a `?revoke=ID` link names, if the viewer may revoke it now: a row, or the
/// rotated-out previous secret of one (`true`).
fn revoke_target(page: &KeysPageData, id: &str) -> Option<(KeyTarget, bool)> {
    let id = domain::ids::ApiKeyId::parse(id).ok()?;
    let target = |k: &KeyRow| KeyTarget {
        id: id.to_string(),
        name: k.name.clone(),
    };
    page.keys.iter().find_map(|k| {
        let may = k.status.usable() && k.abilities.revoke;
        if k.id == id && may {
            Some((target(k), false))
        } else if k.previous_id == Some(id) && k.abilities.revoke {
            Some((target(k), true))
        } else {
            None
        }
    })
}

/// The filters: a plain GET form, so a filtered view is a URL that works without JavaScript
/// and can be bookmarked.
#[component]
fn KeyFilters(page: KeysPageData) -> impl IntoView {
    let q = page.query.clone();
    let status = q.status.map(|s| s.id()).unwrap_or_default();
    let owner = q.owner.clone().unwrap_or_default();
    let application = q
        .scope
        .as_ref()
        .map(|s| match s {
            domain::key_listing::ScopeFilter::WholeWorkspace => "-".to_string(),
            domain::key_listing::ScopeFilter::Application(a) => a.to_string(),
        })
        .unwrap_or_default();
    let owners = page.owners.clone();
    view! {
        <form class="filters" role="search" aria-label="Filter keys" method="get" action="/settings/api-keys">
            <label>"Search" <input type="search" name=param::NAME placeholder="Key name" value=q.name.clone().unwrap_or_default() /></label>
            <div class="field"><label for="field-status">"Status"</label>
                <select id="field-status" name=param::STATUS>
                    <option value="">"Any"</option>
                    {[KeyStatus::Active, KeyStatus::ExpiringSoon, KeyStatus::Expired, KeyStatus::Revoked]
                        .into_iter().map(|s| view! { <option value=s.id() selected=s.id() == status>{s.label()}</option> }).collect_view()}
                </select>
            </div>
            {(!owners.is_empty()).then(|| view! {
                <div class="field"><label for="field-owner">"Owner"</label>
                    <select id="field-owner" name=param::OWNER>
                        <option value="">"Anyone"</option>
                        {owners.into_iter().map(|o| view! { <option value=o.clone() selected=o == owner>{o.clone()}</option> }).collect_view()}
                    </select>
                </div>
            })}
            <div class="field"><label for="field-application">"Application"</label>
                <select id="field-application" name=param::APPLICATION>
                    <option value="">"Any"</option>
                    <option value="-" selected=application == "-">"Whole workspace"</option>
                    {page.applications.iter().map(|a| view! { <option value=a.id.to_string() selected=a.id.to_string() == application>{a.name.clone()}</option> }).collect_view()}
                </select>
            </div>
            <label>"Expires before" <input type="date" name=param::EXPIRES_BEFORE value=q.expires_before.clone().unwrap_or_default() /></label>
            <label>"Last used before" <input type="date" name=param::USED_BEFORE value=q.used_before.clone().unwrap_or_default() /></label>
            <div class="row">
                <button type="submit" class="secondary">"Filter"</button>
                {q.filtered().then(|| view! { <a href="/settings/api-keys">"Clear filters"</a> })}
            </div>
        </form>
        // A plain GET form to the server-rendered preview: what it lists is what is revoked.
        {q.filtered().then(|| view! {
            <details class="bulk">
                <summary>"Revoke matching keys"</summary>
                <form method="get" action="/settings/api-keys/bulk-revoke" class="row">
                    {q.at(None).params().into_iter().map(|(k, v)| view! { <input type="hidden" name=k value=v /> }).collect_view()}
                    <button type="submit" class="secondary">"Preview"</button>
                </form>
            </details>
        })}
    }
}

#[component]
fn KeyTable(page: KeysPageData) -> impl IntoView {
    let data = page;
    let (now, view_query, filtered) = (data.now, data.query.clone(), data.query.filtered());
    let rows = data.keys;
    let link = move |name: &str, id: &str| view_query.href(&[(name, id)]);
    view! {
        <div class="table-wrap">
        <table class="keys">
            <caption class="visually-hidden">"API keys"</caption>
            <thead>
                <tr>
                    <th scope="col">"Name"</th><th scope="col">"Key"</th><th scope="col">"Owner"</th>
                    <th scope="col">"Purpose"</th><th scope="col">"Permissions"</th><th scope="col">"Expires"</th>
                    <th scope="col">"Last used"</th><th scope="col">"Status"</th><th scope="col"><span class="visually-hidden">"Actions"</span></th>
                </tr>
            </thead>
            <tbody>
                {if rows.is_empty() {
                    let text = if filtered { "No keys match these filters." } else { "No keys yet. Create one to call the API." };
                    view! { <tr><td colspan="9" class="empty">{text}</td></tr> }.into_any()
                } else {
                    rows.into_iter().map(|k| {
                        let usable = k.status.usable();
                        let (k_revoke, k_rotate) = (k.clone(), k.clone());
                        let test_href = format!("/settings/api-keys/test?key={}", k.id);
                        let activity_href = format!("/settings/api-keys/activity?key={}", k.id);
                        let (revoke_href, rotate_href) = (link("revoke", &k.id.to_string()), link("rotate", &k.id.to_string()));
                        let named = format!("key-name-{}", k.id);
                        view! {
                            <tr data-key-id=k.key_id.clone()>
                                // Each action in the row is described by the key's name, so "Revoke" is
                                // heard as "Revoke, Keyboard key" out of the table's context.
                                <th scope="row"><span id=named.clone()>{k.name.clone()}</span>
                                    <span class="sub">{k.kind.id()} {k.imported.then_some(" · imported")} {k.agent.clone().map(|a| format!(" · agent {a}"))}
                                        " · " {k.application.clone().unwrap_or_else(|| "whole workspace".into())}</span>
                                </th>
                                <td><code>{k.prefix.clone()}</code></td>
                                <td>{k.owner_email.clone()}</td>
                                <td>{k.purpose.clone()}</td>
                                <td><ul class="perms">{k.permissions.iter().map(|p| view! { <li title=p.description()><code>{p.id()}</code></li> }).collect_view()}</ul></td>
                                <td>{k.expires_at.map(format_date).unwrap_or_else(|| "Never".into())}</td>
                                <td>
                                    {k.last_used_at.map(|t| relative(t, now)).unwrap_or_else(|| "Never".into())}
                                    {k.last_used_ip.clone().map(|ip| view! { <span class="sub">{ip}</span> })}
                                    {k.previous_grace_until.map(|g| {
                                        // The rotated-out secret still works: visible, and revocable on its own.
                                        let previous = k.previous_id.filter(|_| k.abilities.revoke).map(|id| KeyRow { id, ..k.clone() });
                                        view! {
                                            <span class="sub previous-secret">
                                                {if k.previous_until_first_use { "Previous secret works until this one is first used, at most until " } else { "Previous secret works until " }}
                                                {when(Some(g))} "; last used "
                                                {k.previous_last_used_at.map(|t| relative(t, now)).unwrap_or_else(|| "never".into())}
                                                {previous.map(|p| view! {
                                                    " " <a role="button" class="link danger" href=link("revoke", &p.id.to_string())
                                                        data-revoke=p.id.to_string() data-name=p.name.clone() data-previous="true">"Revoke now"</a>
                                                })}</span>
                                        }
                                    })}
                                </td>
                                <td><span class=format!("status status-{}", k.status.id())>{k.status.label()}</span>
                                    {k.revoked_reason.clone().filter(|r| !r.is_empty()).map(|r| view! { <span class="sub">{r}</span> })}
                                    {k.log_bodies.then(|| view! { <span class="sub">"Bodies logged"</span> })}
                                    {(!k.allowed_networks.is_empty()).then(|| view! { <span class="sub">{format!("From {}", k.allowed_networks.join(", "))}</span> })}</td>
                                <td class="actions">
                                    <a href=test_href aria-describedby=named.clone()>"Test"</a>
                                    <a href=activity_href aria-describedby=named.clone()>"Activity"</a>
                                    {(usable && k.abilities.narrow).then(|| view! {
                                        <a href=format!("/settings/api-keys/narrow?key={}", k.id) aria-describedby=named.clone()>"Narrow"</a>
                                        <a href=format!("/settings/api-keys/networks?key={}", k.id) aria-describedby=named.clone()>"Networks"</a>
                                    })}
                                    // Offered where the server's decision allows it: "Rotate" on one's own keys only.
                                    {(usable && k.abilities.rotate).then(|| view! {
                                        <a class="button secondary" role="button" href=rotate_href aria-describedby=named.clone()
                                            data-rotate=k_rotate.id.to_string() data-name=k_rotate.name.clone()>"Rotate"</a>
                                    })}
                                    {(usable && k.abilities.revoke).then(|| view! {
                                        <a href=format!("/settings/api-keys/leaked?key={}", k.id) aria-describedby=named.clone()>"Mark as leaked"</a>
                                        <a class="button danger" role="button" href=revoke_href aria-describedby=named.clone()
                                            data-revoke=k_revoke.id.to_string() data-name=k_revoke.name.clone()>"Revoke"</a>
                                    })}
                                </td>
                            </tr>
                        }
                    }).collect_view().into_any()
                }}
            </tbody>
        </table>
        </div>
    }
}

#[component]
fn CreateKeyFormView(
    page: CreateFormData,
    action: ServerAction<CreateKey>,
    on_cancel: impl Fn() + Send + Sync + Copy + 'static,
) -> impl IntoView {
    let role_perms = page.role.permissions();
    // Opening the form moves focus to its first field.
    let name_field = NodeRef::<leptos::html::Input>::new();
    focus_when_shown(name_field);
    let name = RwSignal::new(String::new());
    let purpose = RwSignal::new(String::new());
    let principal = RwSignal::new("service".to_string());
    let application = RwSignal::new(String::new());
    let agent = RwSignal::new(String::new());
    let preset = RwSignal::new("read".to_string());
    let custom: RwSignal<PermissionSet> =
        RwSignal::new(role_perms.intersect(PermissionSet::all_reads()));
    let expiration = RwSignal::new("30".to_string());
    let expires_on = RwSignal::new(String::new());
    let log_bodies = RwSignal::new(false);
    let networks = RwSignal::new(String::new());
    let apps = StoredValue::new(page.applications.clone());
    let policy = page.policy.clone();
    let chosen = move || match preset.get().as_str() {
        "full" => role_perms,
        "read" => role_perms.intersect(PermissionSet::all_reads()),
        _ => custom.get(),
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        action.dispatch(CreateKey {
            form: CreateKeyForm {
                name: name.get_untracked(),
                purpose: purpose.get_untracked(),
                principal: principal.get_untracked(),
                application_id: application.get_untracked(),
                agent_id: agent.get_untracked(),
                preset: "custom".into(),
                permissions: chosen().ids(),
                expiration: expiration.get_untracked(),
                expires_on: expires_on.get_untracked(),
                log_bodies: log_bodies.get_untracked(),
                allowed_networks: networks.get_untracked(),
            },
        });
    };
    // A refused field is marked invalid and points at the message that says why.
    let (name_invalid, name_why) = field_fault(action, "Name", CREATE_ERROR);
    let (purpose_invalid, purpose_why) = field_fault(action, "Purpose", CREATE_ERROR);
    let (networks_invalid, networks_why) = field_fault(action, "Allowed networks", CREATE_ERROR);
    let agents_of_app = move || {
        apps.get_value()
            .into_iter()
            .find(|a| a.id.to_string() == application.get())
            .map(|a| a.agents)
            .unwrap_or_default()
    };
    view! {
        // Without JavaScript the form posts to a plain handler that answers with the reveal
        // page; hydrated, `submit` sends it to the server function instead.
        <form class="card stack" on:submit=submit aria-label="Create API key" method="post" action="/settings/api-keys/new">
            <h2>"New API key"</h2>
            <label>"Name" <input type="text" name="name" maxlength="100" required autofocus node_ref=name_field
                aria-invalid=name_invalid aria-describedby=name_why
                prop:value=move || name.get() on:input=move |ev| name.set(event_target_value(&ev)) /></label>
            <label>"Purpose" <input type="text" name="purpose" maxlength="500" placeholder="What will use this key?"
                aria-invalid=purpose_invalid aria-describedby=purpose_why
                prop:value=move || purpose.get() on:input=move |ev| purpose.set(event_target_value(&ev)) /></label>
            <fieldset>
                <legend>"Principal"</legend>
                <label class="choice"><input type="radio" name="principal" value="service" disabled=!policy.allow_service_keys checked=true
                    prop:checked=move || principal.get() == "service" on:change=move |_| principal.set("service".into()) />"Service"</label>
                <label class="choice"><input type="radio" name="principal" value="agent" disabled=!policy.allow_agent_keys
                    prop:checked=move || principal.get() == "agent" on:change=move |_| principal.set("agent".into()) />"Agent"</label>
            </fieldset>
            <div class="field"><label for="field-scope">"Scope"</label>
                <select id="field-scope" name="application_id" on:change=move |ev| { application.set(event_target_value(&ev)); agent.set(String::new()); }>
                    <option value="">"Whole workspace"</option>
                    {apps.get_value().into_iter().map(|a| view! { <option value=a.id.to_string()>{format!("Application: {}", a.name)}</option> }).collect_view()}
                </select>
            </div>
            <Show when=move || principal.get() == "agent">
                <div class="field"><label for="field-agent">"Agent"</label>
                    <select id="field-agent" name="agent_id" on:change=move |ev| agent.set(event_target_value(&ev))>
                        <option value="">"Choose an agent"</option>
                        {move || agents_of_app().into_iter().map(|a| view! { <option value=a.id.to_string()>{a.name.clone()}</option> }).collect_view()}
                    </select>
                </div>
                <p class="hint">"Agent keys are bound to one agent of the application chosen as scope."</p>
            </Show>
            <fieldset>
                <legend>"Permissions"</legend>
                <div class="presets">
                    {[("full", "Full access"), ("read", "Read only"), ("custom", "Custom")].into_iter().map(|(id, label)| view! {
                        <label class="choice"><input type="radio" name="preset" value=id checked=id == "read" prop:checked=move || preset.get() == id
                            on:change=move |_| { if id == "custom" { custom.set(chosen()); } preset.set(id.into()); } />{label}</label>
                    }).collect_view()}
                </div>
                <ul class="perm-grid">
                    {Permission::all().map(|p| {
                        let allowed = role_perms.contains(p);
                        // As the "Read only" preset starts.
                        let initially = allowed && PermissionSet::all_reads().contains(p);
                        let reason = (!allowed).then(|| format!("Your role ({}) does not grant this.", page.role.label()));
                        view! {
                            <li>
                                <label class="choice" title=p.description()>
                                    <input type="checkbox" name="permissions" value=p.id() disabled=!allowed checked=initially
                                        prop:checked=move || chosen().contains(p)
                                        on:change=move |ev| {
                                            let on = event_target_checked(&ev);
                                            let mut set = chosen();
                                            if on { set.insert(p) } else { set = set.minus([p].into_iter().collect()) }
                                            custom.set(set);
                                            preset.set("custom".into());
                                        } />
                                    {p.id()}
                                </label>
                                <span class="sub">{p.description()} {reason.map(|r| view! { <em class="why">" — " {r}</em> })}</span>
                            </li>
                        }
                    }).collect_view()}
                </ul>
                <p class="hint">{move || format!("{} of {} permissions selected", chosen().len(), Permission::all().count())}</p>
            </fieldset>
            <div class="field"><label for="field-expiration">"Expiration"</label>
                <select id="field-expiration" name="expiration" on:change=move |ev| expiration.set(event_target_value(&ev))>
                    <option value="7">"7 days"</option>
                    <option value="30" selected=true>"30 days"</option>
                    <option value="60">"60 days"</option>
                    <option value="90">"90 days"</option>
                    <option value="custom">"Custom date"</option>
                    {policy.allow_never_expiring.then(|| view! { <option value="never">"Never"</option> })}
                </select>
            </div>
            <Show when=move || expiration.get() == "custom">
                <label>"Expires on" <input type="date" name="expires_on" required prop:value=move || expires_on.get() on:input=move |ev| expires_on.set(event_target_value(&ev)) /></label>
            </Show>
            {policy.max_lifetime_days.map(|d| view! { <p class="hint">{format!("Workspace policy: keys live at most {d} days.")}</p> })}
            <label>"Allowed networks" <textarea name="allowed_networks" rows="2" placeholder="203.0.113.0/24"
                aria-invalid=networks_invalid aria-describedby=networks_why
                prop:value=move || networks.get() on:input=move |ev| networks.set(event_target_value(&ev))></textarea></label>
            <p class="hint">"One CIDR range per line; empty: anywhere."</p>
            <label class="choice"><input type="checkbox" name="log_bodies" value="true" prop:checked=move || log_bodies.get()
                on:change=move |ev| log_bodies.set(event_target_checked(&ev)) />"Log request and response bodies"</label>
            <p class="hint">"For debugging an integration: bodies are kept in the key's activity log, capped at 4 KiB, with credentials redacted. Off by default."</p>
            <ActionError action id=CREATE_ERROR />
            <div class="row">
                <button type="submit">"Create key"</button>
                <button type="button" class="secondary" on:click=move |_| on_cancel()>"Cancel"</button>
            </div>
        </form>
    }
}

/// Shows a new secret once. It closes only through "Done", never on Escape or a click
/// outside, so the secret is not lost by accident.
#[component]
fn RevealDialog(
    prefix: String,
    secret: String,
    on_done: impl Fn() + Send + Sync + 'static,
) -> impl IntoView {
    let (copied, set_copied) = signal(None::<bool>);
    let secret = StoredValue::new(secret);
    // The dialog takes focus on the secret (`autofocus`), so "Copy" is one Tab away.
    let copy = move |_| {
        leptos::task::spawn_local(async move {
            let ok = clipboard::copy(&secret.get_value()).await;
            set_copied.set(Some(ok));
        });
    };
    view! {
        // Closes only through "Done": Escape does nothing here.
        <Modal labelledby="reveal-title" describedby="reveal-warning" return_to="create-key">
                <h2 id="reveal-title">"Copy your new API key"</h2>
                <p id="reveal-warning" class="warning">"This secret will not be shown again. Store it somewhere safe now; this dialog closes only with Done."</p>
                <p class="sub">"Key " <code>{prefix}</code></p>
                <label>"Secret" <input type="text" readonly class="secret" autofocus prop:value=move || secret.get_value() /></label>
                <div class="row">
                    <button type="button" on:click=copy>"Copy"</button>
                    <span role="status">{move || match copied.get() {
                        Some(true) => "Copied to the clipboard.",
                        Some(false) => "Copy failed: select the secret and copy it by hand.",
                        None => "",
                    }}</span>
                </div>
                <button type="button" on:click=move |_| on_done()>"Done"</button>
        </Modal>
    }
}

#[component]
fn RevokeDialog(
    key: KeyTarget,
    /// Revoking the rotated-out previous secret only (its grace ends now).
    previous: bool,
    action: ServerAction<RevokeKey>,
    on_close: impl Fn() + Send + Sync + Copy + 'static,
    /// Opened by a `?revoke=` / `?rotate=` link: "Cancel" is a link back to this view.
    #[prop(optional)]
    back: Option<String>,
) -> impl IntoView {
    let reason = RwSignal::new(String::new());
    let id = StoredValue::new(key.id.clone());
    let from_url = back.is_some();
    let escape = cancel_on_escape(back.clone(), on_close);
    let version = action.version().get_untracked();
    let revoked = if previous {
        format!("The previous secret of {} is revoked.", key.name)
    } else {
        format!("Key {} revoked.", key.name)
    };
    Effect::new(move |_| {
        if action.version().get() > version && matches!(action.value().get(), Some(Ok(()))) {
            return_focus_to("content");
            on_close();
            crate::components::announce(&revoked);
        }
    });
    view! {
        // A plain form post to the server function without JavaScript; dispatched with it.
        <Modal labelledby="revoke-title" on_cancel=escape>
            <form class="stack" method="post" action=RevokeKey::url()
                on:submit=move |ev| { ev.prevent_default(); action.dispatch(RevokeKey { id: id.get_value(), reason: reason.get_untracked() }); }>
                <input type="hidden" name="id" value=key.id.clone() />
                <h2 id="revoke-title">{if previous { format!("Revoke the previous secret of \"{}\"?", key.name) } else { format!("Revoke \"{}\"?", key.name) }}</h2>
                <p>{if previous {
                    "The secret this key replaced stops working at once; the current secret keeps working. This cannot be undone."
                } else {
                    "Requests with this key will be refused at once, with any previous secret still in its grace period. This cannot be undone."
                }}</p>
                <label>"Reason" <input type="text" name="reason" maxlength="500" placeholder="Optional" autofocus on:input=move |ev| reason.set(event_target_value(&ev)) /></label>
                <ActionError action />
                <div class="row">
                    <button type="submit" class="danger">"Revoke key"</button>
                    <a class="button secondary" role="button" href=back.clone().unwrap_or_else(|| "/settings/api-keys".into())
                        on:click=move |ev| if !from_url { ev.prevent_default(); on_close(); }>"Cancel"</a>
                </div>
            </form>
        </Modal>
    }
}

#[component]
fn RotateDialog(
    key: KeyTarget,
    /// The workspace policy allows keys that never expire.
    allow_never: bool,
    action: ServerAction<RotateKey>,
    on_close: impl Fn() + Send + Sync + Copy + 'static,
    /// Opened by a `?revoke=` / `?rotate=` link: "Cancel" is a link back to this view.
    #[prop(optional)]
    back: Option<String>,
) -> impl IntoView {
    let escape = cancel_on_escape(back.clone(), on_close);
    let grace = RwSignal::new(3600i64);
    let expiration = RwSignal::new(String::new());
    let expires_on = RwSignal::new(String::new());
    let id = StoredValue::new(key.id.clone());
    let from_url = back.is_some();
    let version = action.version().get_untracked();
    Effect::new(move |_| {
        if action.version().get() > version && matches!(action.value().get(), None | Some(Ok(_))) {
            on_close();
        }
    });
    view! {
        // Without JavaScript the form posts to a plain handler that answers with the reveal
        // page; hydrated, it goes to the server function.
        <Modal labelledby="rotate-title" on_cancel=escape>
            <form class="stack" method="post" action="/settings/api-keys/rotate"
                on:submit=move |ev| { ev.prevent_default(); action.dispatch(RotateKey {
                    id: id.get_value(),
                    grace_seconds: grace.get_untracked(),
                    expiration: Some(expiration.get_untracked()),
                    expires_on: Some(expires_on.get_untracked()),
                }); }>
                <input type="hidden" name="id" value=key.id.clone() />
                <h2 id="rotate-title">{format!("Rotate \"{}\"", key.name)}</h2>
                <p>"A new secret with the same settings is issued. The old secret keeps working for the grace period, so you can deploy the new one first."</p>
                <div class="field"><label for="field-grace-period">"Grace period"</label>
                    <select id="field-grace-period" name="grace_seconds" autofocus on:change=move |ev| grace.set(event_target_value(&ev).parse().unwrap_or(3600))>
                        <option value="0">"Now"</option>
                        <option value="3600" selected=true>"1 hour"</option>
                        <option value="86400">"24 hours"</option>
                        <option value="604800">"7 days"</option>
                        <option value="-1">"Until the new secret is first used"</option>
                    </select>
                </div>
                <div class="field"><label for="field-rotate-expiration">"Expiration"</label>
                    <select id="field-rotate-expiration" name="expiration" on:change=move |ev| expiration.set(event_target_value(&ev))>
                        <option value="" selected=true>"Same lifetime as before"</option>
                        <option value="7">"7 days"</option>
                        <option value="30">"30 days"</option>
                        <option value="60">"60 days"</option>
                        <option value="90">"90 days"</option>
                        <option value="custom">"Custom date"</option>
                        {allow_never.then(|| view! { <option value="never">"Never"</option> })}
                    </select>
                </div>
                <Show when=move || expiration.get() == "custom">
                    <label>"Expires on" <input type="date" name="expires_on" required prop:value=move || expires_on.get() on:input=move |ev| expires_on.set(event_target_value(&ev)) /></label>
                </Show>
                <p class="hint">"The new secret must fit the workspace policy as it is now."</p>
                <ActionError action />
                <div class="row">
                    <button type="submit">"Rotate key"</button>
                    <a class="button secondary" role="button" href=back.clone().unwrap_or_else(|| "/settings/api-keys".into())
                        on:click=move |ev| if !from_url { ev.prevent_default(); on_close(); }>"Cancel"</a>
                </div>
            </form>
        </Modal>
    }
}

/// Escape cancels a confirmation: it closes the dialog, or, for one opened by its URL, goes
/// back to the list it came from.
fn cancel_on_escape(
    back: Option<String>,
    on_close: impl Fn() + Send + Sync + Copy + 'static,
) -> Callback<()> {
    Callback::new(move |()| match &back {
        Some(href) => crate::pages::go_to(href),
        None => on_close(),
    })
}
