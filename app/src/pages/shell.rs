//! The signed-in layout: navigation, workspace switcher, sign out.

use crate::components::ActionError;
use crate::error::ConsoleError;
use domain::model::Viewer;
use leptos::prelude::*;
use leptos_router::components::{Outlet, Redirect, A};

/// The signed-in person, their current workspace and role, and their other workspaces.
#[server]
pub async fn current_viewer() -> Result<Viewer, ConsoleError> {
    use crate::request::auth;
    use crate::request::state::app_state;
    use keyward_core::services::instance;
    use keyward_core::services::workspaces;
    let actor = auth::require_for("current_viewer").await?;
    let state = app_state();
    let all = workspaces::workspaces_of(&state.db, actor.user_id).await?;
    let instance_admin = instance::is_admin(&state.db, actor.user_id).await?;
    let may_create_workspaces = instance::may_create_workspace(&state.db, actor.user_id).await?;
    let invitations = workspaces::pending_invitations(&state.db, actor.user_id).await?;
    let unread_notifications =
        keyward_core::services::notifications::unread(&state.db, actor.user_id, actor.workspace_id)
            .await?;
    let current = all.iter().find(|w| w.id == actor.workspace_id).cloned();
    let failed_sign_ins_before: i64 = auth::session()
        .await?
        .get(auth::SESSION_FAILED_BEFORE)
        .await
        .ok()
        .flatten()
        .unwrap_or(0);
    Ok(Viewer {
        email: actor.email,
        workspace_id: actor.workspace_id,
        workspace_name: current.map(|w| w.name).unwrap_or_default(),
        role: actor.role,
        workspaces: all,
        failed_sign_ins_before,
        instance_admin,
        may_create_workspaces,
        unread_notifications,
        invitations,
    })
}

/// Makes another of the user's workspaces the current one.
#[server]
pub async fn switch_workspace(workspace_id: String) -> Result<(), ConsoleError> {
    use crate::request::auth;
    use crate::request::state::app_state;
    use keyward_core::error::AppError;
    use keyward_core::services::workspaces;
    let actor = auth::require_for("switch_workspace").await?;
    let all = workspaces::workspaces_of(&app_state().db, actor.user_id).await?;
    let workspace_id: domain::ids::WorkspaceId = domain::ids::Id::parse(&workspace_id)?;
    if !all.iter().any(|w| w.id == workspace_id) {
        return Err(AppError::NotFound.into());
    }
    let session = auth::session().await?;
    session
        .insert(auth::SESSION_WORKSPACE, workspace_id.to_string())
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?;
    leptos_axum::redirect("/settings/api-keys");
    Ok(())
}

/// Accepts an invitation to another workspace (the signed-in account's own) and switches to it.
#[server]
pub async fn accept_workspace_invitation(invitation_id: String) -> Result<(), ConsoleError> {
    use crate::request::auth;
    use crate::request::state::app_state;
    use keyward_core::error::AppError;
    use keyward_core::services::workspaces;
    let actor = auth::require_for("accept_workspace_invitation").await?;
    let id = domain::ids::Id::parse(&invitation_id)?;
    let joined =
        workspaces::answer_invitation(&app_state().db, actor.user_id, id, true, &actor.address)
            .await?;
    if let Some(ws) = joined {
        auth::session()
            .await?
            .insert(auth::SESSION_WORKSPACE, ws.to_string())
            .await
            .map_err(|e| AppError::Internal(e.to_string()))?;
    }
    leptos_axum::redirect("/settings/api-keys");
    Ok(())
}

/// Declines an invitation to another workspace.
#[server]
pub async fn decline_workspace_invitation(invitation_id: String) -> Result<(), ConsoleError> {
    use crate::request::auth;
    use crate::request::state::app_state;
    use keyward_core::services::workspaces;
    let actor = auth::require_for("decline_workspace_invitation").await?;
    let id = domain::ids::Id::parse(&invitation_id)?;
    workspaces::answer_invitation(&app_state().db, actor.user_id, id, false, &actor.address)
        .await?;
    leptos_axum::redirect("/settings/api-keys");
    Ok(())
}

/// Creates a workspace owned by the signed-in user and switches to it.
#[server]
pub async fn create_workspace(name: String) -> Result<(), ConsoleError> {
    use crate::request::auth;
    use crate::request::state::app_state;
    use domain::validate::Name;
    use keyward_core::error::AppError;
    use keyward_core::services::workspaces;
    let actor = auth::require_for("create_workspace").await?;
    let name = Name::parse("Name", &name).map_err(AppError::from)?;
    let ws = workspaces::create_workspace(&app_state().db, &actor.principal(), name).await?;
    let session = auth::session().await?;
    session
        .insert(auth::SESSION_WORKSPACE, ws.to_string())
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?;
    leptos_axum::redirect("/settings/api-keys");
    Ok(())
}

/// The frame of every signed-in page, rendered on the server: the header, the navigation and
/// the live region. Its forms are plain posts whose answer redirects back; only the workspace
/// switcher hydrates.
#[component]
pub fn Shell() -> impl IntoView {
    let logout = ServerAction::<super::login::Logout>::new();
    let create = ServerAction::<CreateWorkspace>::new();
    let accept = ServerAction::<AcceptWorkspaceInvitation>::new();
    let decline = ServerAction::<DeclineWorkspaceInvitation>::new();
    let viewer = Resource::new(|| (), |_| current_viewer());
    // `?new_workspace=1` opens the form.
    let new_open = crate::pages::query_value(&crate::pages::url_query(), "new_workspace").is_some();
    view! {
        <div class="layout">
            // First in the tab order: past the header and the navigation in one key press.
            <a class="skip-link" href="#content">"Skip to content"</a>
            <header class="topbar">
                <a class="brand" href="/settings/api-keys">"Keyward"</a>
                <Suspense fallback=|| ()>
                    {move || Suspend::new(async move {
                        match viewer.await {
                            Ok(v) => {
                                let current = v.workspace_id.to_string();
                                let workspaces = v.workspaces.iter().map(|w| (w.id.to_string(), w.name.clone())).collect();
                                view! {
                                    <WorkspaceSwitch workspaces current />
                                    // A link: the page it opens has the form, its field focused.
                                    {v.may_create_workspaces.then(|| view! {
                                        <a class="button secondary" role="button" href="?new_workspace=1">"New workspace"</a>
                                    })}
                                    <span class="who">{v.email.clone()} " · " {v.role.label()}</span>
                                    {v.invitations.clone().into_iter().map(|i| { let id = i.id.to_string(); view! {
                                        <div class="notice invitation" role="status">
                                            <p>{format!("You are invited to join {} (as {})", i.workspace_name, i.role.label())}</p>
                                            <ActionForm action=accept attr:class="inline">
                                                <input type="hidden" name="invitation_id" value=i.id.to_string() />
                                                <button type="submit">"Accept"</button>
                                            </ActionForm>
                                            <ActionForm action=decline attr:class="inline">
                                                <input type="hidden" name="invitation_id" value=id />
                                                <button type="submit" class="secondary">"Decline"</button>
                                            </ActionForm>
                                        </div>
                                    }}).collect_view()}
                                    {(v.failed_sign_ins_before > 0).then(|| view! {
                                        <p class="notice" role="status">{match v.failed_sign_ins_before {
                                            1 => "1 failed sign-in attempt on your account since your last sign-in.".to_string(),
                                            n => format!("{n} failed sign-in attempts on your account since your last sign-in."),
                                        }}</p>
                                    })}
                                }.into_any()
                            }
                            Err(e) => view! { <span class="error" role="alert">{e.message.clone()}</span> }.into_any(),
                        }
                    })}
                </Suspense>
                <ActionForm action=logout attr:class="inline">
                    <button type="submit" class="secondary">"Sign out"</button>
                </ActionForm>
            </header>
            {new_open.then(|| view! {
                <section class="card">
                    <ActionForm action=create attr:class="inline">
                        <label>"Name" <input type="text" name="name" maxlength="100" required autofocus /></label>
                        <button type="submit">"Create workspace"</button>
                        <ActionError action=create />
                    </ActionForm>
                </section>
            })}
            <div class="body">
                <nav aria-label="Settings">
                    <h2>"Settings"</h2>
                    <ul>
                        <li><A href="/settings/api-keys" exact=true>"API Keys"</A></li>
                        <li><A href="/settings/api-keys/test">"Credential tester"</A></li>
                        <li><A href="/settings/applications">"Applications"</A></li>
                        <li><A href="/settings/members">"Members"</A></li>
                        <li><A href="/settings/security">"Security"</A></li>
                        <li><A href=domain::access_review::ACCESS_REVIEWS_PAGE>"Access reviews"</A></li>
                        <li><A href="/settings/account">"Account"</A></li>
                        // Pages some roles have: one wait on the viewer for all of them.
                        <Suspense fallback=|| ()>
                            {move || Suspend::new(async move {
                                let v = viewer.await.ok()?;
                                let holds = |p| v.role.permissions().contains(p);
                                let (audit, review) = (holds(domain::permissions::Permission::AUDIT_READ), holds(domain::permissions::Permission::KEYS_READ));
                                Some(view! {
                                    <li><A href="/settings/notifications">"Notifications"
                                        {(v.unread_notifications > 0).then(|| view! { " " <span class="count">{v.unread_notifications}</span> })}</A></li>
                                    {review.then(|| view! { <li><A href=domain::review::REVIEW_PAGE>"Key review"</A></li> })}
                                    {holds(domain::permissions::Permission::KEYS_WRITE).then(|| view! { <li><A href=domain::webhooks::WEBHOOKS_PAGE>"Webhooks"</A></li> })}
                                    {audit.then(|| view! { <li><A href=domain::audit::AUDIT_PAGE>"Audit log"</A></li> })}
                                    {v.instance_admin.then(|| view! { <li><A href="/settings/instance">"Instance"</A></li> })}
                                })
                            })}
                        </Suspense>
                        <li><A href="/settings/api-reference">"API reference"</A></li>
                    </ul>
                </nav>
                <main id="content" tabindex="-1">
                    <Outlet />
                </main>
                // Outcomes ("Key revoked") are said here without moving focus: see `announce`.
                <div id="announcer" class="visually-hidden" aria-live="polite" aria-atomic="true"></div>
            </div>
        </div>
    }
}

/// The workspace switcher: a choice switches at once; without JavaScript, "Switch" submits.
/// `workspaces` are (id, name) pairs; the server's answer reloads the console.
#[island]
fn WorkspaceSwitch(workspaces: Vec<(String, String)>, current: String) -> impl IntoView {
    let switch = ServerAction::<SwitchWorkspace>::new();
    view! {
        <ActionForm action=switch attr:class="inline">
            <div class="field"><label for="field-workspace">"Workspace"</label>
                <select id="field-workspace" name="workspace_id" on:change=move |ev| {
                    switch.dispatch(SwitchWorkspace { workspace_id: event_target_value(&ev) });
                }>
                    {workspaces.into_iter().map(|(id, name)| {
                        let selected = id == current;
                        view! { <option value=id selected=selected>{name}</option> }
                    }).collect_view()}
                </select>
            </div>
            <noscript><button type="submit">"Switch"</button></noscript>
        </ActionForm>
    }
}

/// `/` goes to the keys.
#[component]
pub fn Home() -> impl IntoView {
    view! { <Redirect path="/settings/api-keys" /> }
}
