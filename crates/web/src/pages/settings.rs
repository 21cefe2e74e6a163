//! `/settings`: the user's own profile and security, and (for admins) the navigation to the
//! administration pages nested below it.
//!
//! Test ids (= element ids): `settings-nav-profile`, `settings-nav-tokens`, `settings-nav-api`,
//! `settings-nav-users`, `settings-nav-registries`, `settings-nav-all-tokens`,
//! `settings-nav-audit`, `settings-nav-system` (the last five for admins only),
//! `profile-card` (`profile-username`, `profile-role`, `profile-2fa`, `profile-last-login`),
//! `default-registry-select`, `default-registry-save`, the change-password form
//! (`current-password`, `new-password`, `confirm-password`, `change-password-submit`),
//! `backup-codes-remaining`, `regenerate-backup-codes`, `regenerate-dialog`,
//! `regenerate-password`, `regenerate-submit`, then the backup-code ids of
//! `components/backup_codes.rs`.
use leptos::prelude::*;
use leptos_router::components::Outlet;
use leptos_router::hooks::use_location;
use shared::auth::{RegenerateBackupCodesRequest, UpdateProfileRequest};
use shared::error::ErrorCode;

use crate::api;
use crate::components::backup_codes::BackupCodes;
use crate::components::dialog::Dialog;
use crate::components::feedback::RelativeTime;
use crate::components::icons::{Glyph, Icon};
use crate::components::toast;
use crate::pages::change_password::PasswordChangeForm;
use crate::registries::use_registries;
use crate::session;

#[component]
pub fn SettingsLayout() -> impl IntoView {
    let location = use_location();
    let link = move |href: &'static str, id: &'static str, glyph: Glyph, label: &'static str| {
        let active = move || location.pathname.with(|p| p.trim_end_matches('/') == href);
        view! {
            <a href=href id=id data-testid=id class:active=active aria-current=move || active().then_some("page")>
                <Icon glyph=glyph/>
                <span>{label}</span>
            </a>
        }
    };
    view! {
        <div class="settings">
            <nav class="settings-nav" aria-label="Settings">
                <p class="settings-nav-heading">"Account"</p>
                {link("/settings", "settings-nav-profile", Glyph::User, "Profile & security")}
                {link("/settings/tokens", "settings-nav-tokens", Glyph::Key, "Access tokens")}
                {link("/settings/api", "settings-nav-api", Glyph::Terminal, "API reference")}
                <Show when=session::is_admin>
                    <p class="settings-nav-heading">"Administration"</p>
                    {link("/settings/users", "settings-nav-users", Glyph::Users, "Users")}
                    {link("/settings/registries", "settings-nav-registries", Glyph::Server, "Registries")}
                    {link("/settings/all-tokens", "settings-nav-all-tokens", Glyph::Lock, "Access tokens")}
                    {link("/settings/audit", "settings-nav-audit", Glyph::List, "Audit log")}
                    {link("/settings/system", "settings-nav-system", Glyph::Monitor, "System")}
                </Show>
            </nav>
            <div class="settings-content">
                <Outlet/>
            </div>
        </div>
    }
}

#[component]
pub fn ProfileSettings() -> impl IntoView {
    view! {
        <div class="page page-narrow">
            <header class="page-header">
                <div>
                    <h1>"Profile & security"</h1>
                </div>
            </header>
            <ProfileCard/>
            <DefaultRegistryCard/>
            <section class="card" aria-labelledby="password-title">
                <h2 class="card-title" id="password-title">
                    <Icon glyph=Glyph::Key/>
                    "Change password"
                </h2>
                <p class="muted">"Changing your password signs out every other session of your account."</p>
                <PasswordChangeForm submit_label="Change password" on_done=Callback::new(|()| {})/>
            </section>
            <BackupCodesCard/>
        </div>
    }
}

#[component]
fn ProfileCard() -> impl IntoView {
    move || {
        session::user().map(|u| {
            view! {
                <section class="card" id="profile-card" data-testid="profile-card" aria-labelledby="profile-title">
                    <div class="profile-head">
                        <span class="avatar avatar-lg" aria-hidden="true">
                            {u.username.chars().next().unwrap_or('?').to_ascii_uppercase().to_string()}
                        </span>
                        <div>
                            <h2 class="card-title" id="profile-title">
                                <span id="profile-username" data-testid="profile-username">{u.username.clone()}</span>
                            </h2>
                            <span class=format!("badge badge-role badge-{}", u.role.as_str()) id="profile-role" data-testid="profile-role">
                                {u.role.as_str()}
                            </span>
                        </div>
                    </div>
                    <dl class="facts">
                        <div>
                            <dt>"Two-factor authentication"</dt>
                            <dd id="profile-2fa" data-testid="profile-2fa">
                                {if u.totp_enabled {
                                    view! { <span class="status status-ok">"On"</span> }.into_any()
                                } else {
                                    view! { <span class="status status-warn">"Not set up"</span> }.into_any()
                                }}
                            </dd>
                        </div>
                        <div>
                            <dt>"Member since"</dt>
                            <dd><RelativeTime value=u.created_at.clone()/></dd>
                        </div>
                        <div>
                            <dt>"Last sign-in"</dt>
                            <dd id="profile-last-login" data-testid="profile-last-login">
                                {match u.last_login_at.clone() {
                                    Some(t) => view! {
                                        <RelativeTime value=t/>
                                        {u.last_login_ip.clone().map(|ip| view! { <span class="muted">{format!(" from {ip}")}</span> })}
                                    }.into_any(),
                                    None => view! { <span class="muted">"never"</span> }.into_any(),
                                }}
                            </dd>
                        </div>
                        <div>
                            <dt>"Permissions"</dt>
                            <dd>
                                {match u.role {
                                    shared::auth::Role::Admin => "Browse, delete tags, administer users and registries",
                                    shared::auth::Role::Editor => "Browse and delete tags",
                                    shared::auth::Role::Viewer => "Browse only",
                                }}
                            </dd>
                        </div>
                    </dl>
                </section>
            }
        })
    }
}

#[component]
fn DefaultRegistryCard() -> impl IntoView {
    let registries = use_registries();
    let choice = RwSignal::new(
        session::user()
            .and_then(|u| u.default_registry)
            .unwrap_or_default(),
    );
    let saving = RwSignal::new(false);
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let value = choice.get_untracked();
        saving.set(true);
        leptos::task::spawn_local(async move {
            let request = UpdateProfileRequest {
                default_registry: (!value.is_empty()).then_some(value),
            };
            let result = api::update_profile(&request).await;
            saving.set(false);
            match result {
                Ok(profile) => {
                    session::set_user(profile);
                    registries.reload();
                    toast::success("Default registry saved.");
                }
                Err(err) => toast::error(err.message),
            }
        });
    };
    view! {
        <section class="card" aria-labelledby="default-registry-title">
            <h2 class="card-title" id="default-registry-title">
                <Icon glyph=Glyph::Server/>
                "Default registry"
            </h2>
            <p class="muted">"The registry you see first after signing in."</p>
            <form class="inline-form" on:submit=save>
                <label class="visually-hidden" for="default-registry-select">"Default registry"</label>
                <select id="default-registry-select" data-testid="default-registry-select" prop:value=move || choice.get() on:change=move |ev| choice.set(event_target_value(&ev))>
                    <option value="">"Server default"</option>
                    {move || {
                        registries
                            .list()
                            .and_then(Result::ok)
                            .unwrap_or_default()
                            .into_iter()
                            .map(|r| {
                                let selected = r.name == choice.get_untracked();
                                view! { <option value=r.name.clone() selected=selected>{r.name.clone()}</option> }
                            })
                            .collect_view()
                    }}
                </select>
                <button class="btn btn-primary" type="submit" id="default-registry-save" data-testid="default-registry-save" disabled=move || saving.get()>
                    {move || saving.get().then(|| view! { <span class="spinner spinner-inline"></span> })}
                    "Save"
                </button>
            </form>
        </section>
    }
}

#[component]
fn BackupCodesCard() -> impl IntoView {
    let open = RwSignal::new(false);
    let password = RwSignal::new(String::new());
    let pending = RwSignal::new(false);
    let error: RwSignal<Option<String>> = RwSignal::new(None);
    let codes: RwSignal<Option<Vec<String>>> = RwSignal::new(None);
    let close = Callback::new(move |()| {
        open.set(false);
        password.set(String::new());
        error.set(None);
        if codes.get_untracked().is_some() {
            codes.set(None);
            leptos::task::spawn_local(session::load_profile());
        }
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let pw = password.get_untracked();
        if pw.is_empty() {
            error.set(Some("Enter your password.".into()));
            return;
        }
        pending.set(true);
        error.set(None);
        leptos::task::spawn_local(async move {
            let result =
                api::regenerate_backup_codes(&RegenerateBackupCodesRequest { password: pw }).await;
            pending.set(false);
            password.set(String::new());
            match result {
                Ok(r) => codes.set(Some(r.backup_codes)),
                Err(err) => error.set(Some(match err.kind() {
                    Some(ErrorCode::InvalidCredentials) => {
                        "The password is not correct.".to_string()
                    }
                    _ => err.message,
                })),
            }
        });
    };
    view! {
        <section class="card" aria-labelledby="backup-title">
            <h2 class="card-title" id="backup-title">
                <Icon glyph=Glyph::Shield/>
                "Backup codes"
            </h2>
            <p class="muted" id="backup-codes-remaining" data-testid="backup-codes-remaining">
                {move || match session::user() {
                    Some(u) => format!("{} of 10 backup codes left. Each signs you in once without your authenticator app.", u.backup_codes_remaining),
                    None => String::new(),
                }}
            </p>
            <button class="btn" type="button" id="regenerate-backup-codes" data-testid="regenerate-backup-codes" on:click=move |_| open.set(true)>
                <Icon glyph=Glyph::Refresh/>
                "Regenerate backup codes"
            </button>
            {move || open.get().then(|| view! {
                <Dialog title="New backup codes" on_close=close busy=pending testid="regenerate-dialog">
                    {move || match codes.get() {
                        Some(list) => {
                            let username = session::user().map(|u| u.username).unwrap_or_default();
                            view! {
                                <div class="dialog-body">
                                    <BackupCodes codes=list username=username continue_label="Done" on_continue=close/>
                                </div>
                            }.into_any()
                        }
                        None => view! {
                            <form class="form dialog-body" on:submit=submit>
                                <p>"New codes replace all the old ones, which stop working at once. Confirm with your password."</p>
                                <label class="field">
                                    <span>"Password"</span>
                                    <input type="password" id="regenerate-password" data-testid="regenerate-password" autocomplete="current-password" required data-autofocus="true" bind:value=password/>
                                </label>
                                {move || error.get().map(|e| view! {
                                    <div class="form-error" role="alert" data-testid="regenerate-error">
                                        <Icon glyph=Glyph::Alert/>
                                        <span>{e}</span>
                                    </div>
                                })}
                                <footer class="dialog-footer">
                                    <button class="btn" type="button" on:click=move |_| close.run(()) disabled=move || pending.get()>"Cancel"</button>
                                    <button class="btn btn-primary" type="submit" id="regenerate-submit" data-testid="regenerate-submit" disabled=move || pending.get()>
                                        {move || pending.get().then(|| view! { <span class="spinner spinner-inline"></span> })}
                                        "Generate new codes"
                                    </button>
                                </footer>
                            </form>
                        }.into_any(),
                    }}
                </Dialog>
            })}
        </section>
    }
}
