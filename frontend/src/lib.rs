#![recursion_limit = "512"]
//! The browser entry point: wakes the console's islands, the interactive parts of pages the
//! server rendered. Everything else stays plain HTML and ships no code.

// Links the islands' exported hydration functions, which nothing here names.
extern crate app as _;

use wasm_bindgen::prelude::wasm_bindgen;

#[wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_islands();
    // The loader wakes each island right after this returns, within the same task: a timer
    // fires once all are awake. Tells browser tests (and curious people) the page is live.
    leptos::prelude::set_timeout(
        || {
            if let Some(body) = leptos::prelude::document().body() {
                let _ = body.set_attribute("data-hydrated", "true");
            }
        },
        std::time::Duration::ZERO,
    );
}
