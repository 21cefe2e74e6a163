//! Light / dark theme: follows `prefers-color-scheme` unless the user picked one.
//!
//! The choice is not a secret, so it is kept in `localStorage` (unlike the session token).
//! `index.html` applies it before the first paint; this module keeps it in sync afterwards.
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

fn apply(theme: Theme) {
    let Some(root) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.document_element())
    else {
        return;
    };
    let _ = match theme.stored() {
        Some(value) => root.set_attribute("data-theme", value),
        None => root.remove_attribute("data-theme"),
    };
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
