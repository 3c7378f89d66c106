//! The console's modal dialog, and where focus goes when it closes.

use leptos::prelude::*;

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

/// A confirmation rendered by the server because its URL asked for it (`?delete=ID`): the
/// one part of such a page that runs in the browser. It reopens the dialog inside as modal (the
/// page behind turns inert, Tab stays inside) and makes Escape follow `back`, as the dialog's
/// "Cancel" link does.
#[island]
pub fn UrlDialog(back: String, children: Children) -> impl IntoView {
    let node = NodeRef::<leptos::html::Div>::new();
    Effect::new(move |_| {
        use leptos::wasm_bindgen::JsCast;
        let dialog = node
            .get()
            .and_then(|n| n.query_selector("dialog").ok().flatten())
            .map(|d| d.unchecked_into::<leptos::web_sys::HtmlDialogElement>());
        if let Some(dialog) = dialog {
            dialog.close();
            let _ = dialog.show_modal();
        }
    });
    let escape = window_event_listener(leptos::ev::keydown, move |ev| {
        if ev.key() == "Escape" {
            ev.prevent_default();
            crate::pages::go_to(&back);
        }
    });
    on_cleanup(move || escape.remove());
    view! { <div node_ref=node>{children()}</div> }
}
