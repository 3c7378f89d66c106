//! Settings → Members: invite, change roles, remove.

use crate::components::{
    announce_success, field_fault, focus_by_id, focus_when_shown, reload_after, reload_error,
    return_focus_to, when, ActionError, Modal, Pager,
};
use crate::error::ConsoleError;
use domain::model::MemberRow;
#[cfg(feature = "ssr")]
use domain::permissions::Permission;
use domain::roles::Role;
use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_meta::Title;
use serde::{Deserialize, Serialize};

/// The id of the invitation form's error message, which a refused field points at.
const INVITE_ERROR: &str = "invite-error";

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MembersPageData {
    pub members: Vec<MemberRow>,
    /// Links to the next and previous pages of members.
    pub next: Option<String>,
    pub previous: Option<String>,
    pub my_role: Role,
    pub can_manage: bool,
    /// The viewer reads the audit log: each member links to the events about them.
    pub audit_log: bool,
}

/// One page of the workspace's members (50, in the order they joined), after or before the
/// member whose user id is `after` / `before`: the page's URL query.
#[server]
pub async fn members_page(
    after: Option<String>,
    before: Option<String>,
) -> Result<MembersPageData, ConsoleError> {
    use crate::request::auth;
    use crate::request::state::app_state;
    use domain::paging::PAGE_SIZE;
    use keyward_core::error::AppError;
    use keyward_core::services::workspaces;
    let actor = auth::require_for("members_page").await?;
    let cursor = domain::paging::cursor(after, before, |s| domain::ids::UserId::parse(s).ok())
        .map_err(AppError::invalid)?;
    let page =
        workspaces::members_page(&app_state().db, actor.workspace_id, cursor, PAGE_SIZE).await?;
    Ok(MembersPageData {
        members: page.rows,
        next: page.next.map(|n| format!("/settings/members?after={n}")),
        previous: page
            .previous
            .map(|p| format!("/settings/members?before={p}")),
        my_role: actor.role,
        can_manage: actor.role.permissions().contains(Permission::MEMBERS_WRITE),
        audit_log: domain::authorization::decide(
            &actor.principal(),
            domain::authorization::Action::ReadAudit,
        )
        .is_ok(),
    })
}

/// Invites an address; returns the one-time invitation link (whether or not the address has
/// an account: an existing account accepts in its own console instead).
#[server]
pub async fn invite_member(email: String, role: String) -> Result<String, ConsoleError> {
    use crate::request::auth;
    use crate::request::state::app_state;
    use domain::validate::Email;
    use keyward_core::error::AppError;
    use keyward_core::services::workspaces;
    let actor = auth::require_for("invite_member").await?;
    let email = Email::parse(&email).map_err(AppError::from)?;
    let role = Role::parse(&role).map_err(AppError::invalid)?;
    let state = app_state();
    let token =
        workspaces::invite(&state.db, &state.secret, &actor.principal(), email, role).await?;
    Ok(format!("/invite/{token}"))
}

#[server]
pub async fn change_member_role(user_id: String, role: String) -> Result<(), ConsoleError> {
    use crate::request::auth;
    use crate::request::state::app_state;
    use keyward_core::error::AppError;
    use keyward_core::services::workspaces;
    let actor = auth::require_for("change_member_role").await?;
    let user = domain::ids::Id::parse(&user_id)?;
    let role = Role::parse(&role).map_err(AppError::invalid)?;
    Ok(workspaces::change_role(&app_state().db, &actor.principal(), user, role).await?)
}

/// Cancels a pending invitation (of a new or an existing account).
#[server]
pub async fn cancel_invitation(user_id: String) -> Result<(), ConsoleError> {
    use crate::request::auth;
    use crate::request::state::app_state;
    use keyward_core::services::workspaces;
    let actor = auth::require_for("cancel_invitation").await?;
    let user = domain::ids::Id::parse(&user_id)?;
    Ok(workspaces::cancel_invitation(&app_state().db, &actor.principal(), user).await?)
}

/// Removes a member and revokes their keys in this workspace.
#[server]
pub async fn remove_member(user_id: String) -> Result<(), ConsoleError> {
    use crate::request::auth;
    use crate::request::state::app_state;
    use keyward_core::services::workspaces;
    let actor = auth::require_for("remove_member").await?;
    let user = domain::ids::Id::parse(&user_id)?;
    Ok(workspaces::remove_member(&app_state().db, &actor.principal(), user).await?)
}

/// The page: its title, and the island that holds the members, the invitation form and the
/// dialogs. The page's cursor lives in the URL: "Previous" and "Next" are plain links.
#[component]
pub fn MembersPage() -> impl IntoView {
    let query = crate::pages::url_query();
    let data = members_page(
        crate::pages::query_value(&query, "after"),
        crate::pages::query_value(&query, "before"),
    );
    view! {
        <Title text="Members" />
        {crate::components::server_loaded(data, move |page| view! { <Members query page /> }, None)}
    }
}

#[island]
fn Members(query: Vec<(String, String)>, page: MembersPageData) -> impl IntoView {
    let query_get = crate::pages::query_reader(query);
    let invite = ServerAction::<InviteMember>::new();
    let (email_invalid, email_why) = field_fault(invite, "Email", INVITE_ERROR);
    let change = ServerAction::<ChangeMemberRole>::new();
    let remove = ServerAction::<RemoveMember>::new();
    let cancel = ServerAction::<CancelInvitation>::new();
    let data = RwSignal::new(page);
    let failed = reload_after(
        vec![
            invite.version(),
            change.version(),
            remove.version(),
            cancel.version(),
        ],
        data,
        move || members_page(query_get("after"), query_get("before")),
    );
    // `?invite=1` opens the form: how "Invite member" works before (or without) hydration.
    let (inviting, set_inviting) = signal(query_get("invite").is_some());
    let email = RwSignal::new(String::new());
    let role = RwSignal::new(Role::Developer.id().to_string());
    let removing: RwSignal<Option<MemberRow>> = RwSignal::new(None);
    // The table is drawn again after a role change: focus goes back to the same member's select.
    let refocus = RwSignal::new(None::<String>);
    // Opening the invitation form moves focus to its first field.
    let email_field = NodeRef::<leptos::html::Input>::new();
    focus_when_shown(email_field);
    announce_success(invite, |_| {
        "Invitation created. Copy the one-time link below.".into()
    });
    announce_success(change, |_| "Role changed.".into());
    announce_success(remove, |_| "Member removed.".into());
    announce_success(cancel, |_| "Invitation cancelled.".into());
    view! {
        <div class="page-head">
            <h1>"Members"</h1>
            // Only roles with members:write see the control; the server refuses the rest anyway.
            {data.with_untracked(|d| d.can_manage).then(|| view! {
                <a class="button" role="button" href="/settings/members?invite=1"
                    on:click=move |ev| { ev.prevent_default(); set_inviting.update(|o| *o = !*o); }>"Invite member"</a>
            })}
        </div>
        <Show when=move || inviting.get()>
            // Without JavaScript the form posts to a plain handler that answers with the link
            // page (a server function could only redirect, losing the one-time link).
            <form class="card stack" aria-label="Invite member" method="post" action="/settings/members/invite"
                on:submit=move |ev| { ev.prevent_default(); invite.dispatch(InviteMember { email: email.get_untracked(), role: role.get_untracked() }); }>
                <label>"Email" <input type="email" name="email" required node_ref=email_field on:input=move |ev| email.set(event_target_value(&ev))
                    aria-invalid=email_invalid aria-describedby=email_why /></label>
                <div class="field"><label for="field-role">"Role"</label>
                    <select id="field-role" name="role" on:change=move |ev| role.set(event_target_value(&ev))>
                        {Role::ALL.into_iter().map(|r| view! { <option value=r.id() selected=r == Role::Developer>{r.label()}</option> }).collect_view()}
                    </select>
                </div>
                <ActionError action=invite id=INVITE_ERROR />
                <button type="submit">"Send invitation"</button>
            </form>
        </Show>
        {move || invite.value().get().and_then(Result::ok).map(|link| view! {
            <div class="card" role="status">
                <p>"Send this one-time invitation link to the person you invited. It is shown only now and works for 7 days. If they already have an account here, they accept the invitation after signing in."</p>
                <input type="text" readonly aria-label="Invitation link" prop:value=link />
            </div>
        })}
        <ActionError action=change />
        <ActionError action=remove />
        <ActionError action=cancel />
        {reload_error(failed)}
        {move || {
                let d = data.get();
                view! {
                        {refocus_after_render(refocus)}
                        <div class="table-wrap">
                        <table>
                            <caption class="visually-hidden">"Members"</caption>
                            <thead><tr><th scope="col">"Email"</th><th scope="col">"Role"</th><th scope="col">"Joined"</th><th scope="col"><span class="visually-hidden">"Actions"</span></th></tr></thead>
                            <tbody>
                                {d.members.into_iter().map(|m| {
                                    let user = m.user_id.to_string();
                                    let pending_user = m.user_id.to_string();
                                    let m2 = m.clone();
                                    view! {
                                        <tr>
                                            <th scope="row"><span id=format!("member-{}", m.user_id)>{m.email.clone()}</span> {m.invitation_pending.then(|| view! { <span class="sub">"invitation pending"</span> })}
                                                {d.audit_log.then(|| view! { " " <a class="sub" href=domain::audit::events_of(&format!("user:{}", m.user_id)) aria-label=format!("Events of {}", m.email)>"Events"</a> })}</th>
                                            // A pending invitation offers a role; it becomes a member's once accepted.
                                            <td>{if m.invitation_pending {
                                                view! { <span>{m.role.label()}</span> }.into_any()
                                            } else {
                                                // Changes on selection with JavaScript; without it, "Change role" submits.
                                                view! {
                                                    <ActionForm action=change attr:class="inline">
                                                        <input type="hidden" name="user_id" value=m.user_id.to_string() />
                                                        <label class="visually-hidden" for=format!("role-{}", m.user_id)>{format!("Role for {}", m.email)}</label>
                                                        <select id=format!("role-{}", m.user_id) name="role" disabled=!d.can_manage
                                                            on:change=move |ev| {
                                                                refocus.set(Some(format!("role-{user}")));
                                                                change.dispatch(ChangeMemberRole { user_id: user.clone(), role: event_target_value(&ev) });
                                                            }>
                                                            {Role::ALL.into_iter().map(|r| view! { <option value=r.id() selected=r == m.role>{r.label()}</option> }).collect_view()}
                                                        </select>
                                                        {d.can_manage.then(|| view! { <noscript><button type="submit" class="secondary">"Change role"</button></noscript> })}
                                                    </ActionForm>
                                                }.into_any()
                                            }}</td>
                                            <td>{when(Some(m.joined_at))}</td>
                                            <td>{match (d.can_manage, m.invitation_pending) {
                                                (false, _) => None,
                                                (true, true) => Some(view! {
                                                    <ActionForm action=cancel attr:class="inline">
                                                        <input type="hidden" name="user_id" value=pending_user.clone() />
                                                        <button type="submit" class="secondary" aria-describedby=format!("member-{pending_user}")>"Cancel invitation"</button>
                                                    </ActionForm>
                                                }.into_any()),
                                                (true, false) => Some(view! {
                                                    // A link to the confirmation without JavaScript; opened in place with it.
                                                    <a class="button danger" role="button" href=format!("/settings/members?remove={}", m2.user_id) aria-describedby=format!("member-{}", m2.user_id)
                                                        on:click=move |ev| { ev.prevent_default(); removing.set(Some(m2.clone())) }>"Remove"</a>
                                                }.into_any()),
                                            }}</td>
                                        </tr>
                                    }
                                }).collect_view()}
                            </tbody>
                        </table>
                        </div>
                        <Pager label="Pages of members" previous=d.previous next=d.next />
                }
        }}
        // `?remove=ID` opens the confirmation: how "Remove" works without JavaScript.
        {move || data.with(|d| {
            let id = query_get("remove")?;
            d.members.iter().find(|m| d.can_manage && !m.invitation_pending && m.user_id.to_string() == id).cloned()
        }).map(|member| view! { <RemoveDialog member remove on_close=|| {} from_url=true /> })}
        {move || removing.get().map(|member| view! { <RemoveDialog member remove on_close=move || removing.set(None) /> })}
    }
}

/// Confirms removing a member: a plain form post to the server function without JavaScript,
/// dispatched in place with it.
#[component]
fn RemoveDialog(
    member: MemberRow,
    remove: ServerAction<RemoveMember>,
    on_close: impl Fn() + Send + Sync + Copy + 'static,
    /// Opened by a `?remove=ID` link: "Cancel" and Escape go back to the list.
    #[prop(optional)]
    from_url: bool,
) -> impl IntoView {
    let user = StoredValue::new(member.user_id.to_string());
    let cancel = move || match from_url {
        true => crate::pages::go_to("/settings/members"),
        false => on_close(),
    };
    view! {
        <Modal labelledby="remove-title" on_cancel=cancel>
            <form class="stack" method="post" action=RemoveMember::url()
                on:submit=move |ev| {
                    ev.prevent_default();
                    remove.dispatch(RemoveMember { user_id: user.get_value() });
                    // The row and its "Remove" go with the member.
                    return_focus_to("content");
                    on_close();
                }>
                <input type="hidden" name="user_id" value=user.get_value() />
                <h2 id="remove-title">{format!("Remove {}?", member.email)}</h2>
                <p>"They lose access to this workspace and every API key they own here is revoked."</p>
                <div class="row">
                    <button type="submit" class="danger">"Remove member"</button>
                    <a class="button secondary" role="button" href="/settings/members"
                        on:click=move |ev| if !from_url { ev.prevent_default(); on_close(); }>"Cancel"</a>
                </div>
            </form>
        </Modal>
    }
}

/// Once the table is drawn again, focus returns to the control with the id in `refocus`.
fn refocus_after_render(refocus: RwSignal<Option<String>>) {
    Effect::new(move |_| {
        if let Some(id) = refocus.try_update_untracked(Option::take).flatten() {
            focus_by_id(&id);
        }
    });
}
