//! Small pieces the pages share.

use leptos::prelude::*;

/// The message of a server function error, without the framework's prefix.
pub fn error_text(e: &ServerFnError) -> String {
    match e {
        ServerFnError::ServerError(m) => m.clone(),
        other => other.to_string(),
    }
}

/// Shows the error of the last run of an action, if it failed, as an alert.
#[component]
pub fn ActionError<I, O>(action: ServerAction<I>) -> impl IntoView
where
    I: leptos::server_fn::ServerFn<Output = O, Error = ServerFnError>
        + Clone
        + Send
        + Sync
        + 'static,
    O: Clone + Send + Sync + 'static,
{
    move || match action.value().get() {
        Some(Err(e)) => Some(view! { <p class="error" role="alert">{error_text(&e)}</p> }),
        _ => None,
    }
}

/// A unix time for people, `—` when absent.
pub fn when(t: Option<i64>) -> String {
    t.map(crate::domain::dates::format_utc)
        .unwrap_or_else(|| "—".into())
}
