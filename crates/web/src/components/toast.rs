//! Toast notifications: short confirmations and the API's error messages.
//!
//! App-wide, like the session: any page or async task can raise one.
//!
//! Test ids: `toast` (with `data-kind` = `success` | `error` | `info`), `toast-dismiss`.
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::LazyLock;
use std::time::Duration;

use leptos::prelude::*;

use crate::components::icons::{Glyph, Icon};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ToastKind {
    Success,
    Error,
    Info,
}

impl ToastKind {
    fn as_str(self) -> &'static str {
        match self {
            ToastKind::Success => "success",
            ToastKind::Error => "error",
            ToastKind::Info => "info",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Toast {
    id: u64,
    kind: ToastKind,
    text: String,
}

static TOASTS: LazyLock<ArcRwSignal<Vec<Toast>>> = LazyLock::new(|| ArcRwSignal::new(Vec::new()));
static NEXT_ID: AtomicU64 = AtomicU64::new(1);

fn dismiss(id: u64) {
    TOASTS.update(|list| list.retain(|t| t.id != id));
}

fn push(kind: ToastKind, text: String) {
    let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
    TOASTS.update(|list| {
        // The same message twice in a row says nothing new.
        list.retain(|t| t.text != text);
        list.push(Toast { id, kind, text });
        if list.len() > 4 {
            list.remove(0);
        }
    });
    // Errors stay longer: they usually need reading.
    let lifetime = match kind {
        ToastKind::Error => Duration::from_secs(9),
        _ => Duration::from_secs(5),
    };
    set_timeout(move || dismiss(id), lifetime);
}

pub fn success(text: impl Into<String>) {
    push(ToastKind::Success, text.into());
}

pub fn error(text: impl Into<String>) {
    push(ToastKind::Error, text.into());
}

pub fn info(text: impl Into<String>) {
    push(ToastKind::Info, text.into());
}

/// The toast stack, mounted once by the app.
#[component]
pub fn Toaster() -> impl IntoView {
    let toasts = TOASTS.clone();
    view! {
        <div class="toasts" role="region" aria-label="Notifications" aria-live="polite">
            <For each=move || toasts.get() key=|t| t.id let:toast>
                <div
                    class=format!("toast toast-{}", toast.kind.as_str())
                    role=if toast.kind == ToastKind::Error { "alert" } else { "status" }
                    data-testid="toast"
                    data-kind=toast.kind.as_str()
                >
                    <Icon glyph=match toast.kind {
                        ToastKind::Success => Glyph::Check,
                        ToastKind::Error => Glyph::Alert,
                        ToastKind::Info => Glyph::Info,
                    }/>
                    <span class="toast-text">{toast.text.clone()}</span>
                    <button
                        class="icon-btn"
                        type="button"
                        aria-label="Dismiss notification"
                        data-testid="toast-dismiss"
                        on:click=move |_| dismiss(toast.id)
                    >
                        <Icon glyph=Glyph::X/>
                    </button>
                </div>
            </For>
        </div>
    }
}
