//! First run: create the first workspace and its owner.

use crate::components::{field_fault, ActionError};
use crate::error::ConsoleError;
use leptos::prelude::*;
use leptos_meta::Title;

/// The id of the setup form's error message, which a refused field points at.
const SETUP_ERROR: &str = "setup-error";

/// Creates the first workspace and its owner, then signs the owner in. Refused once any user
/// exists. Public by design: it works only on an empty installation.
#[server]
pub async fn setup(
    workspace_name: String,
    email: String,
    password: String,
) -> Result<(), ConsoleError> {
    use crate::request::auth;
    use crate::request::state::app_state;
    use domain::validate::{Email, Name, Password};
    use keyward_core::services::accounts;
    let state = app_state();
    let workspace = Name::parse("Workspace name", &workspace_name)
        .map_err(keyward_core::error::AppError::from)?;
    let email = Email::parse(&email).map_err(keyward_core::error::AppError::from)?;
    let password = Password::parse(password).map_err(keyward_core::error::AppError::from)?;
    let address = auth::client_address().await;
    let (user, ws) = accounts::setup(
        &state.db,
        &state.hasher,
        workspace,
        email,
        password,
        &address,
    )
    .await?;
    let session = auth::session().await?;
    auth::start_session(&session, user).await?;
    session
        .insert(auth::SESSION_WORKSPACE, ws.to_string())
        .await
        .map_err(|e| keyward_core::error::AppError::Internal(e.to_string()))?;
    leptos_axum::redirect("/settings/api-keys");
    Ok(())
}

/// The page: its title, and the island with the form, which answers a refused field in place.
#[component]
pub fn SetupPage() -> impl IntoView {
    view! {
        <Title text="Set up" />
        <SetupForm />
    }
}

#[island]
fn SetupForm() -> impl IntoView {
    let action = ServerAction::<Setup>::new();
    let (workspace_invalid, workspace_why) = field_fault(action, "Workspace name", SETUP_ERROR);
    let (email_invalid, email_why) = field_fault(action, "Email", SETUP_ERROR);
    let (password_invalid, password_why) = field_fault(action, "Password", SETUP_ERROR);
    view! {
        <main class="narrow">
            <h1>"Set up Keyward"</h1>
            <p>"Create the first workspace and its owner account."</p>
            <ActionForm action=action attr:class="stack">
                <label>"Workspace name" <input type="text" name="workspace_name" maxlength="100" required
                    aria-invalid=workspace_invalid aria-describedby=workspace_why /></label>
                <label>"Email" <input type="email" name="email" autocomplete="username" required
                    aria-invalid=email_invalid aria-describedby=email_why /></label>
                <label>"Password" <input type="password" name="password" autocomplete="new-password" minlength="10" required
                    aria-invalid=password_invalid aria-describedby=password_why /></label>
                <ActionError action id=SETUP_ERROR />
                <button type="submit">"Create workspace"</button>
            </ActionForm>
        </main>
    }
}
