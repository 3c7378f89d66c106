//! Outcomes said to assistive technology through the shell's polite live region.

use super::ConsoleFn;
use leptos::prelude::*;

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
