//! Light / dark theme: follows `prefers-color-scheme` unless the user picked one.
//!
//! The choice is not a secret, so it is kept in `localStorage` (unlike the session token).
//! `<html data-theme>` is always `light` or `dark`, so the stylesheet has one dark palette:
//! `index.html` sets it before the first paint (no flash of the light theme), this module keeps
//! it in sync afterwards, also when the system switches while the choice is "system".
use std::sync::LazyLock;

use leptos::prelude::*;

const STORAGE_KEY: &str = "registry-gui.theme";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Theme {
    System,
    Light,
    Dark,
}

impl Theme {
    fn stored(self) -> Option<&'static str> {
        match self {
            Theme::System => None,
            Theme::Light => Some("light"),
            Theme::Dark => Some("dark"),
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Theme::System => "System theme",
            Theme::Light => "Light theme",
            Theme::Dark => "Dark theme",
        }
    }

    /// The toggle cycles system → light → dark → system.
    pub fn next(self) -> Theme {
        match self {
            Theme::System => Theme::Light,
            Theme::Light => Theme::Dark,
            Theme::Dark => Theme::System,
        }
    }
}

static CHOICE: LazyLock<ArcRwSignal<Theme>> = LazyLock::new(|| ArcRwSignal::new(Theme::System));

fn local_storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

const DARK_QUERY: &str = "(prefers-color-scheme: dark)";

fn dark_query() -> Option<web_sys::MediaQueryList> {
    web_sys::window()?.match_media(DARK_QUERY).ok().flatten()
}

fn apply(theme: Theme) {
    let Some(root) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.document_element())
    else {
        return;
    };
    let value = theme.stored().unwrap_or_else(|| {
        if dark_query().is_some_and(|q| q.matches()) {
            "dark"
        } else {
            "light"
        }
    });
    let _ = root.set_attribute("data-theme", value);
}

/// Re-applies the system's choice when it changes while the user follows it.
fn follow_system_changes() {
    use wasm_bindgen::closure::Closure;
    use wasm_bindgen::JsCast as _;
    let Some(query) = dark_query() else {
        return;
    };
    let on_change = Closure::<dyn Fn()>::new(|| {
        if CHOICE.get_untracked() == Theme::System {
            apply(Theme::System);
        }
    });
    let _ = query.add_event_listener_with_callback("change", on_change.as_ref().unchecked_ref());
    // Lives as long as the page.
    on_change.forget();
}

/// Reads the saved choice. Called once at start-up.
pub fn init() {
    let saved = local_storage()
        .and_then(|s| s.get_item(STORAGE_KEY).ok().flatten())
        .unwrap_or_default();
    let theme = match saved.as_str() {
        "light" => Theme::Light,
        "dark" => Theme::Dark,
        _ => Theme::System,
    };
    apply(theme);
    CHOICE.set(theme);
    follow_system_changes();
}

pub fn current() -> Theme {
    CHOICE.get()
}

pub fn set(theme: Theme) {
    if let Some(storage) = local_storage() {
        let _ = match theme.stored() {
            Some(value) => storage.set_item(STORAGE_KEY, value),
            None => storage.remove_item(STORAGE_KEY),
        };
    }
    apply(theme);
    CHOICE.set(theme);
}
