//! `/change-password`: the forced password change (default admin password, or a password an
//! administrator set), and the change-password form that Settings reuses.
//!
//! Test ids (= element ids): `change-password-page`, `change-password-form`,
//! `current-password`, `new-password`, `confirm-password`, `change-password-submit`,
//! `change-password-error` (with `data-error`), `change-password-signout`.
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use shared::auth::ChangePasswordRequest;
use shared::error::ErrorCode;
use shared::password_policy::{self, PasswordProblem};

use crate::api;
use crate::components::icons::{Glyph, Icon};
use crate::components::theme_toggle::ThemeToggle;
use crate::components::toast;
use crate::links;
use crate::navigation::{go, redirect};
use crate::session::{self, session};

fn check_new_password(
    username: &str,
    current: &str,
    new: &str,
    confirm: &str,
) -> Result<(), String> {
    // The server's own policy, so the form never accepts what the server refuses (or the reverse).
    if let Err(problem) = password_policy::check(new, username) {
        return Err(match problem {
            PasswordProblem::TooShort => format!(
                "The new password needs at least {} characters.",
                password_policy::MIN_CHARS
            ),
            PasswordProblem::TooLong => format!(
                "The new password is too long: at most {} bytes.",
                password_policy::MAX_BYTES
            ),
            PasswordProblem::EqualsUsername => "The new password must not be your username.".into(),
            PasswordProblem::OneRepeatedCharacter => {
                "The new password must not be one character repeated.".into()
            }
        });
    }
    if new == current {
        return Err("The new password must differ from the current one.".into());
    }
    if new != confirm {
        return Err("The two new passwords do not match.".into());
    }
    Ok(())
}

/// Current + new + confirm. On success the server issues a new session (every older token
/// stops working), which replaces ours before `on_done` runs.
#[component]
pub fn PasswordChangeForm(
    #[prop(into)] submit_label: String,
    #[prop(into)] on_done: Callback<()>,
    #[prop(optional)] autofocus: bool,
) -> impl IntoView {
    let current = RwSignal::new(String::new());
    let new = RwSignal::new(String::new());
    let confirm = RwSignal::new(String::new());
    let pending = RwSignal::new(false);
    let error: RwSignal<Option<(String, String)>> = RwSignal::new(None);
    let first: NodeRef<leptos::html::Input> = NodeRef::new();
    if autofocus {
        Effect::new(move |_| {
            if let Some(input) = first.get() {
                let _ = input.focus();
            }
        });
    }

    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let username = session::user().map(|u| u.username).unwrap_or_default();
        let (cur, new_pw, conf) = (
            current.get_untracked(),
            new.get_untracked(),
            confirm.get_untracked(),
        );
        if cur.is_empty() {
            error.set(Some((
                "missing".into(),
                "Enter your current password.".into(),
            )));
            return;
        }
        if let Err(text) = check_new_password(&username, &cur, &new_pw, &conf) {
            error.set(Some(("invalid".into(), text)));
            return;
        }
        error.set(None);
        pending.set(true);
        leptos::task::spawn_local(async move {
            let result = api::change_password(&ChangePasswordRequest {
                current_password: cur,
                new_password: new_pw,
            })
            .await;
            pending.set(false);
            match result {
                Ok(response) => {
                    session::start(&response);
                    current.set(String::new());
                    new.set(String::new());
                    confirm.set(String::new());
                    toast::success(
                        "Password changed. Other sessions of your account have been signed out.",
                    );
                    on_done.run(());
                }
                Err(err) => {
                    let text = match err.kind() {
                        Some(ErrorCode::InvalidCredentials) => {
                            "The current password is not correct.".to_string()
                        }
                        _ => err.message.clone(),
                    };
                    error.set(Some((err.code, text)));
                }
            }
        });
    };

    view! {
        <form class="form" id="change-password-form" data-testid="change-password-form" on:submit=on_submit>
            // Lets password managers file the new password under the right account.
            <input type="text" class="visually-hidden" autocomplete="username" tabindex="-1" aria-hidden="true" readonly prop:value=move || session::user().map(|u| u.username).unwrap_or_default()/>
            <label class="field">
                <span>"Current password"</span>
                <input type="password" id="current-password" data-testid="current-password" autocomplete="current-password" required node_ref=first bind:value=current/>
            </label>
            <label class="field">
                <span>"New password"</span>
                <input type="password" id="new-password" data-testid="new-password" autocomplete="new-password" minlength="8" required bind:value=new/>
                <small class="muted">{password_policy::DESCRIPTION}</small>
            </label>
            <label class="field">
                <span>"Confirm new password"</span>
                <input type="password" id="confirm-password" data-testid="confirm-password" autocomplete="new-password" required bind:value=confirm/>
            </label>
            {move || {
                error.get().map(|(code, text)| view! {
                    <div class="form-error" role="alert" id="change-password-error" data-testid="change-password-error" data-error=code>
                        <Icon glyph=Glyph::Alert/>
                        <span>{text}</span>
                    </div>
                })
            }}
            <button class="btn btn-primary" type="submit" id="change-password-submit" data-testid="change-password-submit" disabled=move || pending.get()>
                {move || pending.get().then(|| view! { <span class="spinner spinner-inline"></span> })}
                {submit_label}
            </button>
        </form>
    }
}

/// The page a user with `must_change_password` is held on.
#[component]
pub fn ForcedPasswordChange() -> impl IntoView {
    let query = use_query_map();
    let next = move || links::safe_return_path(query.with_untracked(|q| q.get("next")));
    let s = session();
    // Signed out (or the session ended here): to sign-in, coming back afterwards.
    Effect::new({
        let token = s.token.clone();
        move |_| {
            if token.get().is_none() {
                redirect(&links::sign_in(&links::change_password(&next())));
            }
        }
    });
    if session::token().is_some() && session::user().is_none() {
        leptos::task::spawn_local(session::load_profile());
    }
    let signing_out = RwSignal::new(false);

    view! {
        <div class="auth-page">
            <div class="auth-corner">
                <ThemeToggle/>
            </div>
            <main class="auth-card" data-testid="change-password-page" id="change-password-page">
                <div class="auth-brand">
                    <span class="brand-mark brand-mark-lg">
                        <Icon glyph=Glyph::Logo/>
                    </span>
                    <span class="brand-name">"registry-gui"</span>
                </div>
                <h1 class="auth-title">"Choose a new password"</h1>
                <p class="muted auth-subtitle">
                    {move || match session::user() {
                        Some(u) => format!("Signed in as {}. Your password was set by an administrator or is the built-in default: choose your own before continuing.", u.username),
                        None => "Your password was set by an administrator or is the built-in default: choose your own before continuing.".to_string(),
                    }}
                </p>
                <PasswordChangeForm
                    submit_label="Change password and continue"
                    autofocus=true
                    on_done=Callback::new(move |()| go(&next()))
                />
                <div class="auth-links">
                    <button
                        class="link"
                        type="button"
                        id="change-password-signout"
                        data-testid="change-password-signout"
                        disabled=move || signing_out.get()
                        on:click=move |_| {
                            signing_out.set(true);
                            leptos::task::spawn_local(async move {
                                session::sign_out().await;
                                go("/login");
                            });
                        }
                    >
                        "Sign out"
                    </button>
                </div>
            </main>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::check_new_password;

    #[test]
    fn the_form_applies_the_servers_policy() {
        // Three characters in eight bytes: too short, as the server counts.
        assert!(check_new_password("bob", "old-password", "€é€", "€é€").is_err());
        assert!(check_new_password("bob", "old-password", "€é€€é€€é", "€é€€é€€é").is_ok());
        assert!(
            check_new_password("bob", "old-password", &"€".repeat(25), &"€".repeat(25)).is_err()
        );
        assert!(check_new_password("bob", "old-password", "BOB", "BOB").is_err());
        assert!(check_new_password("bob", "old-password", "zzzzzzzzz", "zzzzzzzzz").is_err());
        assert!(
            check_new_password("bob", "same-password", "same-password", "same-password").is_err()
        );
        assert!(check_new_password("bob", "old-password", "new-password", "other").is_err());
    }
}
