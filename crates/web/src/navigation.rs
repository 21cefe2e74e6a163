//! Changing the page from anywhere: async tasks and callbacks (which must be `Send + Sync`)
//! cannot carry the router's navigate function, so it is kept here once the router is up.
use std::cell::RefCell;
use std::rc::Rc;

use leptos::prelude::*;
use leptos_router::hooks::use_navigate;
use leptos_router::NavigateOptions;

type Navigator = Rc<dyn Fn(&str, NavigateOptions)>;

thread_local! {
    /// The router's navigate function, so async tasks and callbacks (which must be
    /// `Send + Sync`) can change the page without carrying it around.
    static NAVIGATOR: RefCell<Option<Navigator>> = const { RefCell::new(None) };
}

fn navigate_with(path: &str, replace: bool) {
    let navigator = NAVIGATOR.with(|n| n.borrow().clone());
    if let Some(navigate) = navigator {
        navigate(
            path,
            NavigateOptions {
                replace,
                ..Default::default()
            },
        );
    }
}

/// Goes to `path`, adding a history entry.
pub fn go(path: &str) {
    navigate_with(path, false);
}

/// Goes to `path` in place of the current history entry (redirects).
pub fn redirect(path: &str) {
    navigate_with(path, true);
}

/// Installs the router's navigate function for [`go`] and [`redirect`].
#[component]
pub fn NavigatorBridge() -> impl IntoView {
    let navigate = use_navigate();
    NAVIGATOR.with(|n| *n.borrow_mut() = Some(Rc::new(navigate)));
}
