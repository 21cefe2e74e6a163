//! Modal dialogs: focus moves in on open, Tab cycles inside, Esc and the backdrop close (unless
//! an operation is running), and focus returns to where it was on close.
//!
//! The parent mounts a dialog only while it is open (`move || open.get().then(|| view! {..})`),
//! so opening and closing are mount and cleanup.
//!
//! Test ids: each dialog carries its own `data-testid` (and `role="dialog"`); inside it
//! `dialog-close`, and for confirmations `confirm-cancel` / `confirm-ok`.
use std::cell::RefCell;
use std::sync::atomic::{AtomicU64, Ordering};

use leptos::prelude::*;
use wasm_bindgen::JsCast;

use crate::components::icons::{Glyph, Icon};

const FOCUSABLE: &str = "a[href], button:not([disabled]), input:not([disabled]), \
    select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex='-1'])";

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

thread_local! {
    /// Where focus was before each open dialog (dialogs can stack: a confirm over a form).
    static RETURN_FOCUS: RefCell<Vec<Option<web_sys::HtmlElement>>> = const { RefCell::new(Vec::new()) };
}

fn focusables(root: &web_sys::Element) -> Vec<web_sys::HtmlElement> {
    let Ok(list) = root.query_selector_all(FOCUSABLE) else {
        return Vec::new();
    };
    (0..list.length())
        .filter_map(|i| list.item(i))
        .filter_map(|n| n.dyn_into::<web_sys::HtmlElement>().ok())
        // Skip hidden elements (offsetParent is null for display: none).
        .filter(|e| e.offset_parent().is_some())
        .collect()
}

fn active_element() -> Option<web_sys::HtmlElement> {
    document()
        .active_element()
        .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok())
}

fn set_body_scroll_lock(locked: bool) {
    if let Some(body) = document().body() {
        let _ = if locked {
            body.class_list().add_1("modal-open")
        } else {
            body.class_list().remove_1("modal-open")
        };
    }
}

#[component]
pub fn Dialog(
    #[prop(into)] title: String,
    #[prop(into)] on_close: Callback<()>,
    /// The `data-testid` of the dialog element.
    testid: &'static str,
    #[prop(optional)] wide: bool,
    /// While true (a request is running) Esc and the backdrop do not close the dialog.
    #[prop(optional, into)]
    busy: Signal<bool>,
    children: Children,
) -> impl IntoView {
    let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
    let title_id = format!("dialog-title-{id}");
    let labelled_by = title_id.clone();
    let panel: NodeRef<leptos::html::Div> = NodeRef::new();

    RETURN_FOCUS.with(|stack| stack.borrow_mut().push(active_element()));
    set_body_scroll_lock(true);
    on_cleanup(|| {
        let previous = RETURN_FOCUS
            .with(|stack| stack.borrow_mut().pop())
            .flatten();
        let still_open = RETURN_FOCUS.with(|stack| !stack.borrow().is_empty());
        if !still_open {
            set_body_scroll_lock(false);
        }
        if let Some(element) = previous {
            let _ = element.focus();
        }
    });

    Effect::new(move |_| {
        if let Some(panel) = panel.get() {
            let panel: web_sys::Element = panel.into();
            let target = panel
                .query_selector("[autofocus], [data-autofocus]")
                .ok()
                .flatten()
                .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok())
                .or_else(|| focusables(&panel).into_iter().next());
            if let Some(target) = target {
                let _ = target.focus();
            }
        }
    });

    let on_keydown = move |ev: leptos::ev::KeyboardEvent| match ev.key().as_str() {
        "Escape" => {
            ev.stop_propagation();
            if !busy.get_untracked() {
                on_close.run(());
            }
        }
        "Tab" => {
            let Some(panel) = panel.get_untracked() else {
                return;
            };
            let items = focusables(&panel.into());
            let (Some(first), Some(last)) = (items.first(), items.last()) else {
                ev.prevent_default();
                return;
            };
            let active = active_element();
            let inside = active
                .as_ref()
                .is_some_and(|a| items.iter().any(|i| i == a));
            if ev.shift_key() && (!inside || active.as_ref() == Some(first)) {
                ev.prevent_default();
                let _ = last.focus();
            } else if !ev.shift_key() && (!inside || active.as_ref() == Some(last)) {
                ev.prevent_default();
                let _ = first.focus();
            }
        }
        _ => {}
    };

    view! {
        <div class="dialog-backdrop" on:keydown=on_keydown on:mousedown=move |ev| {
            // Only a press on the backdrop itself closes: not a text selection that ends there.
            if ev.target() == ev.current_target() && !busy.get_untracked() {
                on_close.run(());
            }
        }>
            <div
                class="dialog"
                class:dialog-wide=wide
                role="dialog"
                aria-modal="true"
                aria-labelledby=labelled_by
                data-testid=testid
                node_ref=panel
            >
                <header class="dialog-header">
                    <h2 id=title_id>{title}</h2>
                    <button
                        class="icon-btn"
                        type="button"
                        aria-label="Close"
                        data-testid="dialog-close"
                        disabled=move || busy.get()
                        on:click=move |_| on_close.run(())
                    >
                        <Icon glyph=Glyph::X/>
                    </button>
                </header>
                {children()}
            </div>
        </div>
    }
}

/// A yes/no question about a destructive or important action.
#[component]
pub fn ConfirmDialog(
    #[prop(into)] title: String,
    #[prop(into)] confirm_label: String,
    #[prop(optional)] danger: bool,
    #[prop(into)] on_confirm: Callback<()>,
    #[prop(into)] on_close: Callback<()>,
    #[prop(optional, into)] busy: Signal<bool>,
    testid: &'static str,
    children: Children,
) -> impl IntoView {
    view! {
        <Dialog title=title on_close=on_close busy=busy testid=testid>
            <div class="dialog-body">{children()}</div>
            <footer class="dialog-footer">
                <button
                    class="btn"
                    type="button"
                    data-testid="confirm-cancel"
                    data-autofocus=danger.then_some("true")
                    disabled=move || busy.get()
                    on:click=move |_| on_close.run(())
                >
                    "Cancel"
                </button>
                <button
                    class=if danger { "btn btn-danger" } else { "btn btn-primary" }
                    type="button"
                    data-testid="confirm-ok"
                    data-autofocus=(!danger).then_some("true")
                    disabled=move || busy.get()
                    on:click=move |_| on_confirm.run(())
                >
                    {move || busy.get().then(|| view! { <span class="spinner spinner-inline"></span> })}
                    {confirm_label}
                </button>
            </footer>
        </Dialog>
    }
}
