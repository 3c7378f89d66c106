//! One module a page, each with the server functions it calls.

pub mod access_reviews;
pub mod account;
pub mod api_keys;
pub mod applications;
pub mod audit;
#[cfg(feature = "ssr")]
pub mod bulk_revoke;
pub mod fragments;
pub mod import_key;
pub mod instance;
pub mod key_activity;
#[cfg(feature = "ssr")]
pub mod leaked;
pub mod login;
pub mod members;
#[cfg(feature = "ssr")]
pub mod narrow;
#[cfg(feature = "ssr")]
pub mod networks;
pub mod notifications;
pub mod rate_limits;
pub mod reference;
pub mod review;
pub mod security;
pub mod setup;
pub mod shell;
pub mod tester;
pub mod webhooks;

/// The page URL's query parameters, read on the server for an island: islands run without the
/// router, so what they need of the URL crosses to the browser as a prop.
pub fn url_query() -> Vec<(String, String)> {
    use leptos::prelude::GetUntracked;
    leptos_router::hooks::use_query_map()
        .get_untracked()
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect()
}

/// The last value of parameter `name` in a query from [`url_query`].
pub fn query_value(query: &[(String, String)], name: &str) -> Option<String> {
    query
        .iter()
        .rev()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.clone())
}

/// An island's reader of the query it was given: `name` → its last value.
pub fn query_reader(
    query: Vec<(String, String)>,
) -> impl Fn(&str) -> Option<String> + Copy + Send + Sync + 'static {
    let query = leptos::prelude::StoredValue::new(query);
    move |name: &str| leptos::prelude::WithValue::with_value(&query, |q| query_value(q, name))
}

/// Leaves for `href` (a page of the console): islands have no router to navigate with.
pub fn go_to(href: &str) {
    let _ = leptos::prelude::window().location().set_href(href);
}
