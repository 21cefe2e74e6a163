//! `/login`: password → second factor (TOTP or a backup code) → on first sign-in, enrollment of
//! an authenticator app and the backup codes. `?next=` is where the user goes afterwards.
//!
//! Test ids (element ids are the same unless noted):
//! - step 1: `login-form`, `login-username`, `login-password`, `login-submit`
//! - step 2: `totp-form`, `totp-code` (6 digits), `use-backup-code` (switches to
//!   `backup-code-input`), `use-totp-code` (switches back), `verify-submit`, `login-restart`
//! - enrollment: `enroll-form`, `totp-qr` (the QR code), `totp-secret` (a read-only input whose
//!   value, and `data-secret`, is the base32 secret), `totp-secret-copy`, `otpauth-link`,
//!   then `totp-code` and `verify-submit` as above
//! - backup codes: `backup-codes` (list of `backup-code`), `backup-codes-copy`,
//!   `backup-codes-download`, `backup-codes-saved` (checkbox), `backup-codes-continue`
//! - messages: `login-notice` (session expired / signed out), `login-error` (with
//!   `data-error` = the API's code, e.g. `invalid_code`, `code_reused`, `too_many_attempts`)
use std::time::Duration;

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use shared::auth::{LoginRequest, LoginResponse, SessionResponse, VerifyTwoFactorRequest};
use shared::error::ErrorCode;

use crate::api::{self, ApiError};
use crate::components::backup_codes::BackupCodes;
use crate::components::copy_button::CopyButton;
use crate::components::icons::{Glyph, Icon};
use crate::components::theme_toggle::ThemeToggle;
use crate::links;
use crate::navigation::{go, redirect};
use crate::session::{self, session};

#[derive(Clone, PartialEq)]
enum Step {
    Credentials,
    Code {
        login_token: String,
        username: String,
    },
    Enroll {
        login_token: String,
        username: String,
        secret: String,
        uri: String,
        qr_svg: String,
    },
    BackupCodes {
        username: String,
        codes: Vec<String>,
        must_change_password: bool,
    },
}

/// An error shown under the form, with the API's code for tests and styling.
#[derive(Clone, PartialEq)]
struct FormError {
    code: String,
    text: String,
    /// `Date.now()` milliseconds until which the form stays disabled (throttling).
    until_ms: Option<f64>,
}

fn wait_text(seconds: u64) -> String {
    match seconds {
        0..=59 => format!("{seconds} s"),
        _ => format!("{}:{:02} min", seconds / 60, seconds % 60),
    }
}

fn describe(err: &ApiError, backup: bool) -> FormError {
    let text = match err.kind() {
        Some(ErrorCode::InvalidCredentials) => "Wrong username or password.".to_string(),
        Some(ErrorCode::InvalidCode) if backup => "That backup code is not valid or has already been used.".to_string(),
        Some(ErrorCode::InvalidCode) => {
            "That code is not correct. Enter the current code from your authenticator app (check that the phone's clock is right).".to_string()
        }
        Some(ErrorCode::CodeReused) => {
            "That code has already been used. Wait for the next code (a new one appears every 30 seconds).".to_string()
        }
        Some(ErrorCode::InvalidLoginToken) => {
            "This sign-in step has expired (it lasts 5 minutes and ends after 5 wrong codes). Sign in again.".to_string()
        }
        Some(ErrorCode::AccountLocked) => "This account is locked. Ask an administrator to unlock it.".to_string(),
        Some(ErrorCode::TooManyAttempts) => match err.retry_after {
            Some(secs) => format!("Too many attempts. Try again in {}.", wait_text(secs)),
            None => "Too many attempts. Wait a few minutes and try again.".to_string(),
        },
        Some(ErrorCode::ServerBusy) => {
            "The server is busy checking other sign-ins. Try again in a moment.".to_string()
        }
        Some(ErrorCode::PasswordTooLong) => {
            "That password is longer than any password can be here (72 bytes): check what you typed.".to_string()
        }
        _ => err.message.clone(),
    };
    FormError {
        code: err.code.clone(),
        text,
        until_ms: err
            .retry_after
            .filter(|_| {
                matches!(
                    err.kind(),
                    Some(ErrorCode::TooManyAttempts | ErrorCode::ServerBusy)
                )
            })
            .map(|secs| js_sys::Date::now() + secs as f64 * 1000.0),
    }
}

#[component]
pub fn SignIn() -> impl IntoView {
    let query = use_query_map();
    let next = move || links::safe_return_path(query.with_untracked(|q| q.get("next")));

    // Already signed in (a restored session): straight on.
    if session::token().is_some() {
        let target = next();
        request_animation_frame(move || redirect(&target));
    }

    let step = RwSignal::new(Step::Credentials);
    let error: RwSignal<Option<FormError>> = RwSignal::new(None);
    let pending = RwSignal::new(false);
    let username = RwSignal::new(String::new());

    // Counts down a throttling wait; the submit buttons stay disabled until it ends.
    let now = RwSignal::new(js_sys::Date::now());
    if let Ok(handle) = set_interval_with_handle(
        move || now.set(js_sys::Date::now()),
        Duration::from_millis(500),
    ) {
        on_cleanup(move || handle.clear());
    }
    let wait_left = move || {
        error
            .get()
            .and_then(|e| e.until_ms)
            .map(|until| ((until - now.get()) / 1000.0).ceil())
            .filter(|s| *s > 0.0)
            .map(|s| s as u64)
    };
    let blocked = move || pending.get() || wait_left().is_some();

    let finish = {
        move |response: SessionResponse| {
            let must_change = response.user.must_change_password;
            let user = response.user.username.clone();
            let codes = response.backup_codes.clone();
            session::start(&response);
            match codes {
                Some(codes) if !codes.is_empty() => step.set(Step::BackupCodes {
                    username: user,
                    codes,
                    must_change_password: must_change,
                }),
                _ => {
                    let target = next();
                    if must_change {
                        go(&links::change_password(&target));
                    } else {
                        go(&target);
                    }
                }
            }
        }
    };

    let submit_credentials = move |password: String| {
        let name = username.get_untracked().trim().to_lowercase();
        if name.is_empty() || password.is_empty() {
            error.set(Some(FormError {
                code: "missing".into(),
                text: "Enter your username and password.".into(),
                until_ms: None,
            }));
            return;
        }
        pending.set(true);
        error.set(None);
        leptos::task::spawn_local(async move {
            let result = api::login(&LoginRequest {
                username: name.clone(),
                password,
            })
            .await;
            pending.set(false);
            match result {
                Ok(LoginResponse::TotpRequired { login_token }) => step.set(Step::Code {
                    login_token,
                    username: name,
                }),
                Ok(LoginResponse::TotpSetupRequired {
                    login_token,
                    totp_secret,
                    otpauth_uri,
                    qr_svg,
                }) => step.set(Step::Enroll {
                    login_token,
                    username: name,
                    secret: totp_secret,
                    uri: otpauth_uri,
                    qr_svg,
                }),
                Err(err) => error.set(Some(describe(&err, false))),
            }
        });
    };

    let submit_code = {
        move |login_token: String, code: String, backup: bool| {
            let code: String = if backup {
                code.trim().to_string()
            } else {
                code.chars().filter(|c| !c.is_whitespace()).collect()
            };
            if code.is_empty() || pending.get_untracked() {
                return;
            }
            pending.set(true);
            error.set(None);
            leptos::task::spawn_local(async move {
                let result =
                    api::verify_two_factor(&VerifyTwoFactorRequest { login_token, code }).await;
                pending.set(false);
                match result {
                    Ok(response) => finish(response),
                    Err(err) => {
                        let described = describe(&err, backup);
                        if err.kind() == Some(ErrorCode::InvalidLoginToken) {
                            step.set(Step::Credentials);
                        }
                        error.set(Some(described));
                    }
                }
            });
        }
    };

    let restart = move || {
        error.set(None);
        step.set(Step::Credentials);
    };

    let notice = session().notice;

    view! {
        <div class="auth-page">
            <div class="auth-corner">
                <ThemeToggle/>
            </div>
            <main class="auth-card" class:auth-card-wide=move || matches!(step.get(), Step::Enroll { .. } | Step::BackupCodes { .. })>
                <div class="auth-brand">
                    <span class="brand-mark brand-mark-lg">
                        <Icon glyph=Glyph::Logo/>
                    </span>
                    <span class="brand-name">"registry-gui"</span>
                </div>
                {move || {
                    notice
                        .get()
                        .filter(|_| step.with(|s| *s == Step::Credentials))
                        .map(|text| {
                            view! {
                                <div class="callout" role="status" id="login-notice" data-testid="login-notice">
                                    <Icon glyph=Glyph::Info/>
                                    <p>{text}</p>
                                </div>
                            }
                        })
                }}
                {move || {
                    match step.get() {
                        Step::Credentials => {
                            view! { <CredentialsForm username=username pending=pending blocked=Signal::derive(blocked) error=error now=now on_submit=submit_credentials/> }
                                .into_any()
                        }
                        Step::Code { login_token, username } => {
                            view! {
                                <CodeForm
                                    login_token=login_token
                                    username=username
                                    pending=pending
                                    blocked=Signal::derive(blocked)
                                    on_submit=submit_code
                                    on_restart=restart
                                    error=error
                                    now=now
                                    enrolling=None
                                />
                            }
                                .into_any()
                        }
                        Step::Enroll { login_token, username, secret, uri, qr_svg } => {
                            view! {
                                <CodeForm
                                    login_token=login_token
                                    username=username
                                    pending=pending
                                    blocked=Signal::derive(blocked)
                                    on_submit=submit_code
                                    on_restart=restart
                                    error=error
                                    now=now
                                    enrolling=Some((secret, uri, qr_svg))
                                />
                            }
                                .into_any()
                        }
                        Step::BackupCodes { username, codes, must_change_password } => {
                            view! {
                                <h1 class="auth-title">"Two-factor authentication is on"</h1>
                                <BackupCodes
                                    codes=codes
                                    username=username
                                    continue_label="Continue"
                                    on_continue=Callback::new(move |()| {
                                        let target = next();
                                        if must_change_password {
                                            go(&links::change_password(&target));
                                        } else {
                                            go(&target);
                                        }
                                    })
                                />
                            }
                                .into_any()
                        }
                    }
                }}
            </main>
            <p class="auth-footer muted">"Two-factor authentication is required for every account."</p>
        </div>
    }
}

/// The refusal under a form; a throttling wait counts down.
#[component]
fn LoginError(error: RwSignal<Option<FormError>>, now: RwSignal<f64>) -> impl IntoView {
    move || {
        error.get().map(|e| {
            let wait = e
                .until_ms
                .map(|until| ((until - now.get()) / 1000.0).ceil())
                .filter(|s| *s > 0.0);
            let text = match wait {
                Some(secs) if e.code == ErrorCode::ServerBusy.as_str() => format!(
                    "The server is busy checking other sign-ins. Try again in {}.",
                    wait_text(secs as u64)
                ),
                Some(secs) => format!("Too many attempts. Try again in {}.", wait_text(secs as u64)),
                None if e.code == ErrorCode::TooManyAttempts.as_str()
                    || e.code == ErrorCode::ServerBusy.as_str() =>
                {
                    "You can try again now.".to_string()
                }
                None => e.text.clone(),
            };
            view! {
                <div class="form-error" role="alert" id="login-error" data-testid="login-error" data-error=e.code.clone()>
                    <Icon glyph=Glyph::Alert/>
                    <span>{text}</span>
                </div>
            }
        })
    }
}

#[component]
fn CredentialsForm(
    username: RwSignal<String>,
    pending: RwSignal<bool>,
    #[prop(into)] blocked: Signal<bool>,
    error: RwSignal<Option<FormError>>,
    now: RwSignal<f64>,
    on_submit: impl Fn(String) + Send + Sync + 'static,
) -> impl IntoView {
    let password = RwSignal::new(String::new());
    let username_ref: NodeRef<leptos::html::Input> = NodeRef::new();
    Effect::new(move |_| {
        if let Some(input) = username_ref.get() {
            let _ = input.focus();
        }
    });
    view! {
        <h1 class="auth-title">"Sign in"</h1>
        <form
            class="form"
            id="login-form"
            data-testid="login-form"
            on:submit=move |ev| {
                ev.prevent_default();
                on_submit(password.get_untracked());
            }
        >
            <label class="field">
                <span>"Username"</span>
                <input
                    type="text"
                    id="login-username"
                    data-testid="login-username"
                    name="username"
                    autocomplete="username"
                    autocapitalize="none"
                    spellcheck="false"
                    required
                    node_ref=username_ref
                    bind:value=username
                />
            </label>
            <label class="field">
                <span>"Password"</span>
                <input
                    type="password"
                    id="login-password"
                    data-testid="login-password"
                    name="password"
                    autocomplete="current-password"
                    required
                    bind:value=password
                />
            </label>
            <LoginError error=error now=now/>
            <button class="btn btn-primary btn-block" type="submit" id="login-submit" data-testid="login-submit" disabled=move || blocked.get()>
                {move || pending.get().then(|| view! { <span class="spinner spinner-inline"></span> })}
                "Continue"
            </button>
        </form>
    }
}

/// The second factor; with `enrolling`, the authenticator set-up above it.
#[component]
fn CodeForm(
    login_token: String,
    username: String,
    pending: RwSignal<bool>,
    #[prop(into)] blocked: Signal<bool>,
    on_submit: impl Fn(String, String, bool) + Clone + Send + Sync + 'static,
    on_restart: impl Fn() + Clone + Send + Sync + 'static,
    error: RwSignal<Option<FormError>>,
    now: RwSignal<f64>,
    /// `(secret, otpauth URI, QR SVG)` during first sign-in.
    enrolling: Option<(String, String, String)>,
) -> impl IntoView {
    let code = RwSignal::new(String::new());
    let backup = RwSignal::new(false);
    let input_ref: NodeRef<leptos::html::Input> = NodeRef::new();
    let is_enrolling = enrolling.is_some();
    // Focus the code field on entry and whenever the mode switches.
    Effect::new(move |_| {
        backup.track();
        if let Some(input) = input_ref.get() {
            let _ = input.focus();
        }
    });

    // A refused code is useless: empty the field for the next one.
    Effect::new(move |_| {
        if error.with(Option::is_some) {
            code.set(String::new());
            if let Some(input) = input_ref.get_untracked() {
                let _ = input.focus();
            }
        }
    });

    let submit = {
        let on_submit = on_submit.clone();
        let login_token = login_token.clone();
        move || {
            on_submit(
                login_token.clone(),
                code.get_untracked(),
                backup.get_untracked(),
            )
        }
    };
    // Six digits typed (or pasted): no need to reach for the button.
    let on_input = {
        let submit = submit.clone();
        move |ev: leptos::ev::Event| {
            let value: String = event_target_value(&ev)
                .chars()
                .filter(|c| c.is_ascii_digit())
                .take(6)
                .collect();
            code.set(value.clone());
            if value.len() == 6 && !blocked.get_untracked() {
                submit();
            }
        }
    };

    let secret_ref: NodeRef<leptos::html::Input> = NodeRef::new();
    let enrollment = enrolling.map(|(secret, uri, qr_svg)| {
        let grouped = secret
            .chars()
            .collect::<Vec<_>>()
            .chunks(4)
            .map(|c| c.iter().collect::<String>())
            .collect::<Vec<_>>()
            .join(" ");
        view! {
            <div class="enroll">
                <div class="qr" id="totp-qr" data-testid="totp-qr" role="img" aria-label="QR code for your authenticator app" inner_html=qr_svg></div>
                <div class="enroll-text">
                    <p>
                        <span class="step-number">"1"</span>
                        "Scan the QR code with an authenticator app (Google Authenticator, 1Password, Aegis, …)."
                    </p>
                    <a class="link small" href=uri id="otpauth-link" data-testid="otpauth-link">
                        "Open in an authenticator app on this device"
                    </a>
                    <p>
                        <span class="step-number">"2"</span>
                        "Can't scan it? Enter this key instead:"
                    </p>
                    <div class="input-with-button">
                        <input
                            class="code-input"
                            type="text"
                            readonly
                            id="totp-secret"
                            data-testid="totp-secret"
                            data-secret=secret.clone()
                            aria-label="Secret key for manual entry"
                            title=grouped
                            value=secret.clone()
                            node_ref=secret_ref
                        />
                        <CopyButton text=secret what="secret key" testid="totp-secret-copy".to_string() select=secret_ref/>
                    </div>
                    <p>
                        <span class="step-number">"3"</span>
                        "Enter the 6-digit code the app shows."
                    </p>
                </div>
            </div>
        }
    });

    view! {
        <h1 class="auth-title">
            {if is_enrolling { "Set up two-factor authentication" } else { "Two-factor authentication" }}
        </h1>
        <p class="muted auth-subtitle">
            {if is_enrolling {
                format!("Signing in as {username}. Your account needs an authenticator app before first use.")
            } else {
                format!("Signing in as {username}.")
            }}
        </p>
        {enrollment}
        <form
            class="form"
            id=if is_enrolling { "enroll-form" } else { "totp-form" }
            data-testid=if is_enrolling { "enroll-form" } else { "totp-form" }
            on:submit={
                let submit = submit.clone();
                move |ev| {
                    ev.prevent_default();
                    submit();
                }
            }
        >
            {move || {
                if backup.get() {
                    view! {
                        <label class="field">
                            <span>"Backup code"</span>
                            <input
                                type="text"
                                id="backup-code-input"
                                data-testid="backup-code-input"
                                name="backup-code"
                                autocomplete="off"
                                autocapitalize="none"
                                spellcheck="false"
                                placeholder="xxxxx-xxxxx"
                                required
                                node_ref=input_ref
                                bind:value=code
                            />
                        </label>
                    }
                        .into_any()
                } else {
                    let on_input = on_input.clone();
                    view! {
                        <label class="field">
                            <span>"Authentication code"</span>
                            <input
                                class="otp-input"
                                type="text"
                                id="totp-code"
                                data-testid="totp-code"
                                name="code"
                                inputmode="numeric"
                                pattern="[0-9]{6}"
                                maxlength="6"
                                autocomplete="one-time-code"
                                placeholder="123456"
                                required
                                node_ref=input_ref
                                prop:value=move || code.get()
                                on:input=on_input
                            />
                        </label>
                    }
                        .into_any()
                }
            }}
            <LoginError error=error now=now/>
            <button class="btn btn-primary btn-block" type="submit" id="verify-submit" data-testid="verify-submit" disabled=move || blocked.get()>
                {move || pending.get().then(|| view! { <span class="spinner spinner-inline"></span> })}
                {if is_enrolling { "Verify and turn on" } else { "Verify" }}
            </button>
        </form>
        <div class="auth-links">
            {(!is_enrolling)
                .then(|| {
                    view! {
                        <button
                            class="link"
                            type="button"
                            id=move || if backup.get() { "use-totp-code" } else { "use-backup-code" }
                            data-testid=move || if backup.get() { "use-totp-code" } else { "use-backup-code" }
                            on:click=move |_| {
                                error.set(None);
                                code.set(String::new());
                                backup.update(|b| *b = !*b);
                            }
                        >
                            {move || if backup.get() { "Use a code from your app instead" } else { "Use a backup code instead" }}
                        </button>
                    }
                })}
            <button class="link" type="button" id="login-restart" data-testid="login-restart" on:click=move |_| on_restart()>
                "Start over"
            </button>
        </div>
    }
}
