//! Small pieces the pages share.

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

/// "Previous" and "Next" links of a paged list, with an optional count. Plain links: they page
/// without JavaScript, and the router follows them without a reload with it.
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

/// A modal dialog (`<dialog>`). It is rendered open, so it shows without JavaScript; in a
/// hydrated page it is reopened with `showModal()`, and the browser then moves focus in (to the
/// field marked `autofocus`), keeps Tab inside, makes the page behind inert and covers it. Once
/// it leaves the page, focus returns to the control that opened it, or, if that control is
/// gone, to `return_to` (an element id), or to the page's content.
///
/// Escape runs `on_cancel` (a confirmation is cancelled). A dialog without `on_cancel` ignores
/// Escape and stays open until its own button removes it: the reveal dialog must not be lost by a
/// stray key.
#[component]
pub fn Modal(
    /// The id of the dialog's title.
    labelledby: &'static str,
    #[prop(optional)] describedby: Option<&'static str>,
    #[prop(optional, into)] on_cancel: Option<Callback<()>>,
    #[prop(optional)] return_to: Option<&'static str>,
    #[prop(optional)] class: &'static str,
    children: Children,
) -> impl IntoView {
    let node = NodeRef::<leptos::html::Dialog>::new();
    // Taken while rendering, before anything inside the dialog can take focus.
    #[cfg(feature = "hydrate")]
    opener::remember();
    Effect::new(move |_| {
        if let Some(dialog) = node.get() {
            dialog.close();
            let _ = dialog.show_modal();
        }
    });
    on_cleanup(move || opener::give_back(return_to));
    // Escape from a control inside: handled here, so the browser's own close never runs.
    let keydown = move |ev: leptos::ev::KeyboardEvent| {
        if ev.key() == "Escape" {
            ev.prevent_default();
            if let Some(cancel) = on_cancel {
                cancel.run(());
            }
        }
    };
    // Escape with focus outside any control (the browser asks the dialog to cancel).
    let cancel = move |ev: leptos::web_sys::Event| {
        ev.prevent_default();
        if let Some(cancel) = on_cancel {
            cancel.run(());
        }
    };
    // The browser may still close a modal dialog on repeated Escape presses; one that is still in
    // the page opens again.
    let reopen = move |_| {
        if let Some(dialog) = node.get_untracked() {
            if dialog.is_connected() && !dialog.open() {
                let _ = dialog.show_modal();
            }
        }
    };
    view! {
        <dialog class=format!("dialog {class}") open node_ref=node aria-labelledby=labelledby aria-describedby=describedby
            on:keydown=keydown on:cancel=cancel on:close=reopen>
            {children()}
        </dialog>
    }
}

/// The control that opened the dialog on screen, to give focus back to when it goes.
mod opener {
    use leptos::prelude::document;
    use leptos::wasm_bindgen::JsCast;
    use leptos::web_sys::{Element, HtmlElement};
    use std::cell::RefCell;

    thread_local! {
        static OPENER: RefCell<Option<Element>> = const { RefCell::new(None) };
    }

    /// Sends focus, once the open dialog goes, to the element with `id` instead of its opener:
    /// for an outcome that takes the opener away (a revoked key's "Revoke" button).
    pub fn instead(id: &str) {
        if let Some(el) = document().get_element_by_id(id) {
            OPENER.with(|o| *o.borrow_mut() = Some(el));
        }
    }

    #[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
    pub fn remember() {
        let active = document().active_element();
        OPENER.with(|o| *o.borrow_mut() = active);
    }

    pub fn give_back(fallback: Option<&str>) {
        let Some(opener) = OPENER.with(|o| o.borrow_mut().take()) else {
            return;
        };
        let fallback = fallback.map(str::to_string);
        // Once the dialog has left the page: until then the page behind it is inert and
        // refuses focus.
        leptos::prelude::request_animation_frame(move || {
            let target = Some(opener)
                .filter(|e| e.is_connected() && e.tag_name() != "BODY")
                .or_else(|| fallback.and_then(|id| document().get_element_by_id(&id)))
                .or_else(|| document().get_element_by_id("content"));
            if let Some(el) = target {
                let _ = el.unchecked_into::<HtmlElement>().focus();
            }
        });
    }
}

/// Once the open dialog goes, focus moves to the element with `id` rather than back to the
/// control that opened it (which the outcome removes).
pub fn return_focus_to(id: &str) {
    opener::instead(id);
}

/// Says `text` through the page's polite live region (`#announcer`, in the shell), so a screen
/// reader announces an outcome ("Key revoked") without moving focus.
pub fn announce(text: &str) {
    if let Some(region) = document().get_element_by_id("announcer") {
        // Emptied first, so the same words said twice are announced twice.
        region.set_text_content(None);
        let text = text.to_string();
        set_timeout(
            move || region.set_text_content(Some(&text)),
            std::time::Duration::from_millis(50),
        );
    }
}

/// Announces `text` of the answer (see [`announce`]) each time a run of `action` succeeds.
pub fn announce_success<I, O>(action: ServerAction<I>, text: fn(&O) -> String)
where
    I: ConsoleFn<O>,
    O: Clone + Send + Sync + 'static,
{
    announce_runs(
        action.version(),
        action.pending(),
        Box::new(move || match action.value().get() {
            Some(Ok(out)) => Some(text(&out)),
            _ => None,
        }),
    );
}

/// The part of [`announce_success`] that does not depend on the action's types: one copy in
/// the wasm for every page.
fn announce_runs(
    version: RwSignal<usize>,
    pending: Memo<bool>,
    outcome: Box<dyn Fn() -> Option<String>>,
) {
    let start = version.get_untracked();
    Effect::new(move |said: Option<usize>| {
        let said = said.unwrap_or(start);
        let run = version.get();
        if run <= said || pending.get() {
            return said;
        }
        if let Some(text) = outcome() {
            announce(&text);
        }
        run
    });
}
