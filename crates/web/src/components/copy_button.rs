//! A button that copies text, with feedback, working on plain HTTP too (see `clipboard`).
use std::time::Duration;

use leptos::prelude::*;

use crate::clipboard::{copy_text, CopyMethod};
use crate::components::icons::{Glyph, Icon};
use crate::components::toast;

/// After a copy the button carries `data-copied="clipboard|fallback"` for two seconds; when the
/// fallback was used, or nothing worked, the `select` input (if given) is focused with its text
/// selected so the user sees exactly what was (or can be) copied.
#[component]
pub fn CopyButton(
    #[prop(into)] text: Signal<String>,
    /// What is being copied, for the accessible name ("Copy digest").
    #[prop(into)]
    what: String,
    testid: String,
    /// A visible label next to the icon; icon-only when absent.
    #[prop(optional, into)]
    label: Option<String>,
    #[prop(optional)] select: Option<NodeRef<leptos::html::Input>>,
) -> impl IntoView {
    let copied: RwSignal<Option<CopyMethod>> = RwSignal::new(None);
    let aria = format!("Copy {what}");
    let icon_only = label.is_none();
    let on_click = move |_| {
        let value = text.get_untracked();
        leptos::task::spawn_local(async move {
            let result = copy_text(&value).await;
            let show_selected = !matches!(result, Ok(CopyMethod::Clipboard));
            if show_selected {
                if let Some(input) = select.and_then(|r| r.get_untracked()) {
                    let _ = input.focus();
                    input.select();
                }
            }
            match result {
                Ok(method) => {
                    copied.set(Some(method));
                    set_timeout(move || copied.set(None), Duration::from_secs(2));
                }
                Err(()) => toast::info("Copying is blocked by the browser: the text is selected, press Ctrl+C (⌘C) to copy it."),
            }
        });
    };
    view! {
        <button
            class="btn btn-copy"
            class:icon-only=icon_only
            class:is-copied=move || copied.get().is_some()
            type="button"
            title=aria.clone()
            aria-label=aria
            data-testid=testid
            data-copied=move || copied.get().map(CopyMethod::as_str)
            on:click=on_click
        >
            {move || {
                if copied.get().is_some() {
                    view! { <Icon glyph=Glyph::Check/> }
                } else {
                    view! { <Icon glyph=Glyph::Copy/> }
                }
            }}
            {label
                .map(|label| {
                    view! {
                        <span>{move || if copied.get().is_some() { "Copied".to_string() } else { label.clone() }}</span>
                    }
                })}
        </button>
    }
}
