//! The signed-in session: the bearer token and the user's profile.
//!
//! The token lives in memory and in `sessionStorage` — never `localStorage` — so it survives a
//! reload of the tab but dies with the tab, and other tabs and later visits start signed out.
//! The session is app-wide state that requests must reach from any async task, so it is one
//! thread-local set of reference-counted signals rather than context tied to a component;
//! `api.rs` reaches it only through the hooks [`install`] gives it.
use std::cell::RefCell;
use std::time::Duration;

use leptos::prelude::*;
use shared::auth::{Role, SessionResponse, UserProfile};
use shared::error::ErrorCode;
use shared::permissions::{base_level, pattern_matches, AccessLevel, DefaultAccess};

use crate::api;

const STORAGE_KEY: &str = "registry-gui.session";

/// Why the user is looking at the sign-in page, shown above the form.
pub const EXPIRED_NOTICE: &str = "Your session has expired. Sign in again to continue.";

#[derive(Clone)]
pub struct Session {
    pub token: ArcRwSignal<Option<String>>,
    pub user: ArcRwSignal<Option<UserProfile>>,
    /// A message for the sign-in page (session expired, signed out).
    pub notice: ArcRwSignal<Option<String>>,
    /// Set when a restored token could not be checked (server unreachable).
    pub restore_error: ArcRwSignal<Option<api::ApiError>>,
}

thread_local! {
    static SESSION: Session = Session {
        token: ArcRwSignal::new(None),
        user: ArcRwSignal::new(None),
        notice: ArcRwSignal::new(None),
        restore_error: ArcRwSignal::new(None),
    };
    static EXPIRY_TIMER: RefCell<Option<TimeoutHandle>> = const { RefCell::new(None) };
}

pub fn session() -> Session {
    SESSION.with(Clone::clone)
}

/// The current token, read without subscribing (for requests).
pub fn token() -> Option<String> {
    SESSION.with(|s| s.token.get_untracked())
}

pub fn user() -> Option<UserProfile> {
    SESSION.with(|s| s.user.get())
}

pub fn role() -> Option<Role> {
    SESSION.with(|s| s.user.with(|u| u.as_ref().map(|u| u.role)))
}

pub fn is_admin() -> bool {
    SESSION.with(|s| s.user.with(|u| u.as_ref().is_some_and(|u| u.is_admin)))
}

/// What the signed-in user may do in `repository` of `registry` (whose default access is
/// `default`): the server's rule (`shared::permissions`), from the role and the grants in the
/// profile, so delete controls show exactly where deleting works.
pub fn access(registry: &str, default: DefaultAccess, repository: &str) -> Option<AccessLevel> {
    SESSION.with(|s| {
        s.user.with(|u| {
            let u = u.as_ref()?;
            let granted = u
                .grants
                .iter()
                .filter(|g| g.registry == registry && pattern_matches(&g.pattern, repository))
                .map(|g| g.access)
                .max();
            base_level(u.role, default).max(granted)
        })
    })
}

/// Whether the user may delete tags in `repository` of `registry`.
pub fn can_write(registry: &str, default: DefaultAccess, repository: &str) -> bool {
    access(registry, default, repository) == Some(AccessLevel::Write)
}

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.session_storage().ok().flatten()
}

fn now_ms() -> f64 {
    js_sys::Date::now()
}

fn parse_ms(rfc3339: &str) -> Option<f64> {
    let ms = js_sys::Date::parse(rfc3339);
    (!ms.is_nan()).then_some(ms)
}

fn schedule_expiry(expires_at: &str) {
    EXPIRY_TIMER.with(|t| {
        if let Some(handle) = t.borrow_mut().take() {
            handle.clear();
        }
    });
    let Some(at) = parse_ms(expires_at) else {
        return;
    };
    // setTimeout's delay is a signed 32-bit number of milliseconds.
    let delay = (at - now_ms()).clamp(0.0, i32::MAX as f64) as u64;
    if let Ok(handle) = set_timeout_with_handle(expire, Duration::from_millis(delay)) {
        EXPIRY_TIMER.with(|t| *t.borrow_mut() = Some(handle));
    }
}

/// Starts (or replaces, after a password change) the session the API just issued.
pub fn start(response: &SessionResponse) {
    if let Some(storage) = storage() {
        let saved = serde_json::json!({
            "token": response.token,
            "expires_at": response.expires_at,
        });
        // A full or disabled storage only costs the reload survival; the session still works.
        let _ = storage.set_item(STORAGE_KEY, &saved.to_string());
    }
    schedule_expiry(&response.expires_at);
    SESSION.with(|s| {
        s.notice.set(None);
        s.restore_error.set(None);
        s.token.set(Some(response.token.clone()));
        s.user.set(Some(response.user.clone()));
    });
}

fn clear(notice: Option<&str>) {
    EXPIRY_TIMER.with(|t| {
        if let Some(handle) = t.borrow_mut().take() {
            handle.clear();
        }
    });
    if let Some(storage) = storage() {
        let _ = storage.remove_item(STORAGE_KEY);
    }
    SESSION.with(|s| {
        s.notice.set(notice.map(str::to_string));
        s.token.set(None);
        s.user.set(None);
        s.restore_error.set(None);
    });
}

/// The server refused the token, or its lifetime ran out: back to sign-in with a message.
pub fn expire() {
    if token().is_some() {
        clear(Some(EXPIRED_NOTICE));
    }
}

/// Signs out: the server revokes the token; the local session ends whatever it answers.
pub async fn sign_out() {
    let _ = api::logout().await;
    clear(Some("You have signed out."));
}

/// Connects the API layer to this session: requests carry its token, and a refused session
/// ends it (401 `invalid_token`) or sends the user to the password form (403
/// `password_change_required`).
pub fn install() {
    api::install(api::SessionHooks {
        token,
        on_error: on_api_error,
    });
}

fn on_api_error(error: &api::ApiError, authenticated: bool) {
    match error.kind() {
        Some(ErrorCode::InvalidToken) if authenticated => expire(),
        Some(ErrorCode::PasswordChangeRequired) => require_password_change(),
        _ => {}
    }
}

/// A `403 password_change_required` from any endpoint: the guard sends the user to the form.
pub fn require_password_change() {
    SESSION.with(|s| {
        s.user.update(|u| {
            if let Some(u) = u {
                u.must_change_password = true;
            }
        })
    });
}

pub fn set_user(profile: UserProfile) {
    SESSION.with(|s| s.user.set(Some(profile)));
}

/// Loads the profile for a token restored from `sessionStorage`.
pub async fn load_profile() {
    match api::me().await {
        Ok(profile) => SESSION.with(|s| {
            s.restore_error.set(None);
            s.user.set(Some(profile));
        }),
        // The API hook has already ended the session on 401.
        Err(err) if err.status == 401 => {}
        Err(err) => SESSION.with(|s| s.restore_error.set(Some(err))),
    }
}

/// At start-up: picks up the tab's session, if it has one that has not run out.
pub fn restore() {
    let Some(saved) = storage().and_then(|s| s.get_item(STORAGE_KEY).ok().flatten()) else {
        return;
    };
    let parsed: Option<(String, String)> = serde_json::from_str::<serde_json::Value>(&saved)
        .ok()
        .and_then(|v| {
            Some((
                v.get("token")?.as_str()?.to_string(),
                v.get("expires_at")?.as_str()?.to_string(),
            ))
        });
    let Some((token, expires_at)) = parsed else {
        clear(None);
        return;
    };
    if parse_ms(&expires_at).is_some_and(|at| at <= now_ms()) {
        clear(Some(EXPIRED_NOTICE));
        return;
    }
    schedule_expiry(&expires_at);
    SESSION.with(|s| s.token.set(Some(token)));
    leptos::task::spawn_local(load_profile());
}
