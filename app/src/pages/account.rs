//! Settings → Account: the member's own password and sessions.

use crate::components::{
    announce_success, field_fault, reload_after, reload_error, when, ActionError,
};
use crate::error::ConsoleError;
use domain::model::SessionRow;
use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;

/// The id of the password form's error message, which a refused field points at.
const PASSWORD_ERROR: &str = "password-error";

/// The signed-in member's live sessions.
#[server]
pub async fn account_sessions() -> Result<Vec<SessionRow>, ConsoleError> {
    use crate::request::auth;
    use crate::request::state::app_state;
    use keyward_core::services::sessions;
    let actor = auth::require_for("account_sessions").await?;
    let current = auth::current_session_id().await?;
    Ok(sessions::list(&app_state().db, actor.user_id, current.as_deref()).await?)
}

/// Changes the member's password: the current one is required; every other session ends.
#[server]
pub async fn change_password(
    current_password: String,
    new_password: String,
) -> Result<(), ConsoleError> {
    use crate::request::auth;
    use crate::request::state::app_state;
    use domain::validate::Password;
    use keyward_core::error::AppError;
    use keyward_core::services::sessions;
    let actor = auth::require_for("change_password").await?;
    // The form's field is "New password".
    let new = Password::parse(new_password).map_err(|e| {
        AppError::from(domain::validate::InvalidInput::in_field(
            "New password",
            e.message,
        ))
    })?;
    let keep = auth::current_session_id().await?.unwrap_or_default();
    let state = app_state();
    Ok(sessions::change_password(
        &state.db,
        &state.hasher,
        actor.user_id,
        current_password,
        new,
        &keep,
        &actor.address,
    )
    .await?)
}

/// Signs out one of the member's sessions, named by its handle.
#[server]
pub async fn sign_out_session(handle: String) -> Result<(), ConsoleError> {
    use crate::request::auth;
    use crate::request::state::app_state;
    use keyward_core::services::sessions;
    let actor = auth::require_for("sign_out_session").await?;
    Ok(sessions::end(&app_state().db, actor.user_id, handle.trim()).await?)
}

/// Signs out every session of the member but this one.
#[server]
pub async fn sign_out_other_sessions() -> Result<u64, ConsoleError> {
    use crate::request::auth;
    use crate::request::state::app_state;
    use keyward_core::services::sessions;
    let actor = auth::require_for("sign_out_other_sessions").await?;
    let keep = auth::current_session_id().await?.unwrap_or_default();
    Ok(sessions::end_others(&app_state().db, actor.user_id, &keep).await?)
}

/// The page: its title, and the island that holds its forms and sessions.
#[component]
pub fn AccountPage() -> impl IntoView {
    view! {
        <Title text="Account" />
        {crate::components::server_loaded(account_sessions(), |sessions| view! { <Account sessions /> }, None)}
    }
}

#[island]
fn Account(sessions: Vec<SessionRow>) -> impl IntoView {
    let change = ServerAction::<ChangePassword>::new();
    let end_one = ServerAction::<SignOutSession>::new();
    let end_others = ServerAction::<SignOutOtherSessions>::new();
    let sessions = RwSignal::new(sessions);
    let failed = reload_after(
        vec![change.version(), end_one.version(), end_others.version()],
        sessions,
        account_sessions,
    );
    let (current_invalid, current_why) = field_fault(change, "Current password", PASSWORD_ERROR);
    let (new_invalid, new_why) = field_fault(change, "New password", PASSWORD_ERROR);
    announce_success(end_one, |_| "Session signed out.".into());
    view! {
        <h1>"Account"</h1>
        <section class="card stack" aria-labelledby="password-title">
            <h2 id="password-title">"Change password"</h2>
            <ActionForm action=change attr:class="stack" attr:aria-label="Change password">
                <label>"Current password" <input type="password" name="current_password" autocomplete="current-password" required
                    aria-invalid=current_invalid aria-describedby=current_why /></label>
                <label>"New password" <input type="password" name="new_password" autocomplete="new-password" minlength="10" required
                    aria-invalid=new_invalid aria-describedby=new_why /></label>
                <button type="submit">"Change password"</button>
            </ActionForm>
            <ActionError action=change id=PASSWORD_ERROR />
            <p role="status">{move || matches!(change.value().get(), Some(Ok(()))).then_some("Password changed. Your other sessions were signed out.")}</p>
        </section>
        <section class="stack" aria-labelledby="sessions-title">
            <h2 id="sessions-title">"Sessions"</h2>
            <ActionError action=end_one />
            {reload_error(failed)}
            {move || view! { <SessionTable rows=sessions.get() end_one /> }}
            <ActionForm action=end_others attr:class="row">
                <button type="submit" class="secondary">"Sign out other sessions"</button>
            </ActionForm>
            <p role="status">{move || match end_others.value().get() {
                Some(Ok(n)) => format!("{n} other session(s) signed out."),
                _ => String::new(),
            }}</p>
        </section>
    }
}

#[component]
fn SessionTable(rows: Vec<SessionRow>, end_one: ServerAction<SignOutSession>) -> impl IntoView {
    view! {
        <div class="table-wrap">
        <table class="sessions">
            <caption class="visually-hidden">"Your sessions"</caption>
            <thead>
                <tr>
                    <th scope="col">"Created"</th><th scope="col">"Last seen"</th><th scope="col">"Address"</th>
                    <th scope="col">"Browser"</th><th scope="col"><span class="visually-hidden">"Actions"</span></th>
                </tr>
            </thead>
            <tbody>
                {rows.into_iter().map(|s| view! {
                    <tr>
                        <td>{when(Some(s.created_at))}</td>
                        <td>{when(Some(s.last_seen_at))}</td>
                        <td>{s.address.clone()}</td>
                        <td class="sub">{s.user_agent.clone()}</td>
                        <td class="actions">
                            {if s.current {
                                view! { <span class="status">"This session"</span> }.into_any()
                            } else {
                                view! {
                                    <ActionForm action=end_one attr:class="inline">
                                        <input type="hidden" name="handle" value=s.handle.clone() />
                                        <button type="submit" class="secondary">"Sign out"</button>
                                    </ActionForm>
                                }.into_any()
                            }}
                        </td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table>
        </div>
    }
}
