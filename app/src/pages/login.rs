//! Signing in and out, and accepting an invitation.

use crate::components::ActionError;
use crate::error::ConsoleError;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

/// Where to go after signing in: only same-site relative paths, else the console.
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(p)
            if p.starts_with('/')
                && !p.starts_with("//")
                && !p.contains('\\')
                && !p.chars().any(char::is_control) =>
        {
            p.to_string()
        }
        _ => "/settings/api-keys".to_string(),
    }
}

/// Signs in with email and password. Public by design; throttled, one generic failure.
#[server]
pub async fn login(
    email: String,
    password: String,
    next: Option<String>,
) -> Result<(), ConsoleError> {
    use crate::request::auth;
    use crate::request::state::app_state;
    use keyward_core::services::accounts;
    let state = app_state();
    let address = auth::client_address().await;
    let signed_in = accounts::sign_in(&state.db, &state.hasher, &email, password, &address).await?;
    let session = auth::session().await?;
    auth::start_session(&session, signed_in.user).await?;
    if signed_in.failed_before > 0 {
        session
            .insert(auth::SESSION_FAILED_BEFORE, signed_in.failed_before)
            .await
            .map_err(|e| keyward_core::error::AppError::Internal(e.to_string()))?;
    }
    leptos_axum::redirect(&safe_next(next.as_deref()));
    Ok(())
}

/// Ends the session and deletes it server-side.
#[server]
pub async fn logout() -> Result<(), ConsoleError> {
    let session = crate::request::auth::session().await?;
    session
        .flush()
        .await
        .map_err(|e| keyward_core::error::AppError::Internal(e.to_string()))?;
    leptos_axum::redirect("/login");
    Ok(())
}

/// Sets the password of an invited account from its one-time link, then signs it in.
#[server]
pub async fn accept_invitation(token: String, password: String) -> Result<(), ConsoleError> {
    use crate::request::auth;
    use crate::request::state::app_state;
    use domain::validate::Password;
    use keyward_core::services::accounts;
    let state = app_state();
    let password = Password::parse(password).map_err(keyward_core::error::AppError::from)?;
    let address = auth::client_address().await;
    let digest = state.secret.digest(token.trim());
    let user =
        accounts::accept_invitation(&state.db, &state.hasher, &digest, password, &address).await?;
    auth::start_session(&auth::session().await?, user).await?;
    leptos_axum::redirect("/settings/api-keys");
    Ok(())
}

#[component]
pub fn LoginPage() -> impl IntoView {
    let action = ServerAction::<Login>::new();
    let query = use_query_map();
    let next = move || query.read().get("next").unwrap_or_default();
    view! {
        <Title text="Sign in" />
        <main class="narrow">
            <h1>"Sign in to Keyward"</h1>
            <ActionForm action=action attr:class="stack">
                <input type="hidden" name="next" value=next />
                <label>"Email" <input type="email" name="email" autocomplete="username" required /></label>
                <label>"Password" <input type="password" name="password" autocomplete="current-password" required /></label>
                <ActionError action />
                <button type="submit">"Sign in"</button>
            </ActionForm>
        </main>
    }
}

#[component]
pub fn InvitePage() -> impl IntoView {
    let action = ServerAction::<AcceptInvitation>::new();
    let params = use_params_map();
    let token = move || params.read().get("token").unwrap_or_default();
    view! {
        <Title text="Accept invitation" />
        <main class="narrow">
            <h1>"Join the workspace"</h1>
            <p>"Choose a password for your new Keyward account."</p>
            <ActionForm action=action attr:class="stack">
                <input type="hidden" name="token" value=token />
                <label>"Password" <input type="password" name="password" autocomplete="new-password" minlength="10" required /></label>
                <ActionError action />
                <button type="submit">"Set password"</button>
            </ActionForm>
        </main>
    }
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn only_same_site_paths_are_followed() {
        assert_eq!(safe_next(Some("/settings/members")), "/settings/members");
        for bad in [
            "//evil.example",
            "https://evil.example",
            "/\\evil.example",
            "javascript:alert(1)",
            "",
            "/a\nb",
        ] {
            assert_eq!(safe_next(Some(bad)), "/settings/api-keys", "{bad:?}");
        }
        assert_eq!(safe_next(None), "/settings/api-keys");
    }
}
