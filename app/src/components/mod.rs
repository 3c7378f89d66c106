//! Small pieces the pages share.

mod live;
mod modal;

pub use live::{announce, announce_success};
pub use modal::{return_focus_to, Modal, UrlDialog};

use crate::error::ConsoleError;
use leptos::prelude::*;

/// A console server function whose actions the page keeps: it fails with a [`ConsoleError`]
/// and answers `O`.
pub trait ConsoleFn<O>:
    leptos::server_fn::ServerFn<Output = O, Error = ConsoleError> + Clone + Send + Sync + 'static
{
}

impl<T, O> ConsoleFn<O> for T where
    T: leptos::server_fn::ServerFn<Output = O, Error = ConsoleError>
        + Clone
        + Send
        + Sync
        + 'static
{
}

/// Shows the error of the last run of an action, if it failed, as an alert. `id` lets the
/// field at fault point at it (`aria-describedby`).
#[component]
pub fn ActionError<I, O>(
    action: ServerAction<I>,
    #[prop(optional)] id: Option<&'static str>,
) -> impl IntoView
where
    // Spelt out rather than `ConsoleFn<O>`: the component's props struct must see `O` used.
    I: leptos::server_fn::ServerFn<Output = O, Error = ConsoleError>
        + Clone
        + Send
        + Sync
        + 'static,
    O: Clone + Send + Sync + 'static,
{
    move || match action.value().get() {
        Some(Err(e)) => Some(view! { <p class="error" role="alert" id=id>{e.message.clone()}</p> }),
        _ => None,
    }
}

/// Whether the last run of `action` was refused because of the field labelled `label`: for
/// `aria-invalid="true"` and `aria-describedby` pointing at the [`ActionError`] with `error_id`,
/// so a screen reader reads the reason with the field.
pub fn field_fault<I, O>(
    action: ServerAction<I>,
    label: &'static str,
    error_id: &'static str,
) -> (
    impl Fn() -> Option<&'static str> + Copy + Send + Sync + 'static,
    impl Fn() -> Option<&'static str> + Copy + Send + Sync + 'static,
)
where
    I: ConsoleFn<O>,
    O: Clone + Send + Sync + 'static,
{
    let at_fault = move || {
        action
            .value()
            .with(|v| matches!(v, Some(Err(e)) if e.concerns(label)))
    };
    (
        move || at_fault().then_some("true"),
        move || at_fault().then_some(error_id),
    )
}

/// A unix time for people, `—` when absent.
pub fn when(t: Option<i64>) -> String {
    t.map(domain::dates::format_utc)
        .unwrap_or_else(|| "—".into())
}

/// "Previous" and "Next" links of a paged list, with an optional count: plain links.
#[component]
pub fn Pager(
    /// Names the navigation for assistive technology, for example "Pages of keys".
    label: &'static str,
    #[prop(optional)] count: Option<String>,
    previous: Option<String>,
    next: Option<String>,
) -> impl IntoView {
    let link = |href: Option<String>, text: &'static str, rel: &'static str| match href {
        Some(href) => view! { <a href=href rel=rel>{text}</a> }.into_any(),
        None => view! { <span class="disabled" aria-disabled="true">{text}</span> }.into_any(),
    };
    view! {
        <nav class="pager" aria-label=label>
            {count.map(|c| view! { <span class="count" role="status">{c}</span> })}
            {link(previous, "Previous", "prev")}
            {link(next, "Next", "next")}
        </nav>
    }
}

/// Moves keyboard focus to `node` once it is in the page: forms and dialogs take focus when
/// they open, so a keyboard or screen-reader user lands inside them.
pub fn focus_when_shown<E>(node: NodeRef<E>)
where
    E: leptos::html::ElementType,
    E::Output: leptos::wasm_bindgen::JsCast + Clone + 'static,
{
    Effect::new(move |_| {
        if let Some(el) = node.get() {
            use leptos::wasm_bindgen::JsCast;
            let _ = el.unchecked_into::<leptos::web_sys::HtmlElement>().focus();
        }
    });
}

/// Gives focus back to the element with `id` (the control that opened a dialog, once it
/// closes).
pub fn focus_by_id(id: &str) {
    use leptos::wasm_bindgen::JsCast;
    if let Some(el) = document().get_element_by_id(id) {
        let _ = el.unchecked_into::<leptos::web_sys::HtmlElement>().focus();
    }
}

/// The content of a read-only page, rendered by the server as one fragment of HTML for the
/// page's URL query (`page`: its name in [`domain::console::FRAGMENTS`]): its links and GET forms work with or without JavaScript, and the
/// browser holds this frame rather than the content's code. An error offers `reset` (a link
/// and its text) back to the page's first view.
pub fn server_fragment(page: &'static str, reset: (&'static str, &'static str)) -> impl IntoView {
    let location = leptos_router::hooks::use_location();
    let content = Resource::new(
        move || location.search.get(),
        move |search| crate::pages::fragments::page_fragment(page.to_string(), search),
    );
    view! {
        <Transition fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match content.await {
                    Err(e) => view! {
                        <p class="error" role="alert">{e.message.clone()}</p>
                        <p><a href=reset.0>{reset.1}</a></p>
                    }.into_any(),
                    Ok(html) => view! { <div inner_html=html></div> }.into_any(),
                }
            })}
        </Transition>
    }
}

/// What an island shows, read again after each completed run of its actions: `data` starts as
/// the server rendered it (a prop), and `fetch` reads it again. Islands hold no `Resource`, so
/// the browser ships none of the code that streams and hydrates async data. The returned signal
/// holds the message of a failed re-read (the last data stays shown).
pub fn reload_after<T, F>(
    runs: Vec<RwSignal<usize>>,
    data: RwSignal<T>,
    fetch: impl Fn() -> F + 'static,
) -> ReadSignal<Option<String>>
where
    T: Send + Sync + 'static,
    F: std::future::Future<Output = Result<T, ConsoleError>> + 'static,
{
    let (failed, set_failed) = signal(None::<String>);
    Effect::new(move |seen: Option<usize>| {
        let now = runs.iter().map(|v| v.get()).sum();
        if seen.is_some_and(|s| s != now) {
            let next = fetch();
            leptos::task::spawn_local(async move {
                match next.await {
                    Ok(d) => {
                        set_failed.set(None);
                        data.set(d);
                    }
                    Err(e) => set_failed.set(Some(e.message)),
                }
            });
        }
        now
    });
    failed
}

/// The message of a failed re-read from [`reload_after`], as an alert.
pub fn reload_error(failed: ReadSignal<Option<String>>) -> impl IntoView {
    move || {
        failed
            .get()
            .map(|m| view! { <p class="error" role="alert">{m}</p> })
    }
}

/// Renders `show` with data the server reads while rendering the page (a non-island part: it
/// runs on the server only and ships no code), or the error with `reset` (a link and its text)
/// back to the page's first view.
pub fn server_loaded<T, V>(
    data: impl std::future::Future<Output = Result<T, ConsoleError>> + Send + 'static,
    show: impl FnOnce(T) -> V + Send + 'static,
    reset: Option<(&'static str, &'static str)>,
) -> impl IntoView
where
    T: Send + 'static,
    V: IntoView + 'static,
{
    view! {
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {Suspend::new(async move {
                match data.await {
                    Ok(d) => show(d).into_any(),
                    Err(e) => view! {
                        <p class="error" role="alert">{e.message.clone()}</p>
                        {reset.map(|(href, text)| view! { <p><a href=href>{text}</a></p> })}
                    }.into_any(),
                }
            })}
        </Suspense>
    }
}
