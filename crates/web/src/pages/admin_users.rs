//! `/settings/users` (admins): every account with its status, and what an administrator can do
//! to it: add (a generated password is shown once), change role (grant / revoke admin), lock or
//! unlock, reset two-factor, delete.
//!
//! Test ids (= element ids where unique): `users-page`, `add-user`, `users-table`, `user-row`
//! (`data-username`), `user-role` (select per row), `user-2fa`, `user-status`, `user-lock`,
//! `user-unlock`, `user-grants` (opens `grants-dialog`, see `user_grants.rs`), `user-reset-2fa`,
//! `user-delete`; `add-user-dialog` with `new-user-username`,
//! `new-user-role`, `new-user-password`, `add-user-submit`, `add-user-error`, then
//! `add-user-result` with `generated-password` (read-only input), `copy-generated-password`,
//! `add-user-done`; confirmations `delete-user-dialog`, `reset-2fa-dialog`, `lock-user-dialog`
//! (buttons `confirm-ok` / `confirm-cancel`).
use leptos::prelude::*;
use shared::admin::{AdminUser, CreateUserRequest, CreateUserResponse, UpdateUserRequest};
use shared::auth::Role;
use shared::error::ErrorCode;

use crate::api::{self, ApiError};
use crate::components::copy_button::CopyButton;
use crate::components::dialog::{ConfirmDialog, Dialog};
use crate::components::feedback::{EmptyState, ErrorPanel, RelativeTime, SkeletonRows};
use crate::components::icons::{Glyph, Icon};
use crate::components::toast;
use crate::pages::user_grants::GrantsDialog;
use crate::session;

/// An action waiting for confirmation.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Pending {
    Delete(String),
    ResetTwoFactor(String),
    Lock(String),
}

/// Admin pages for non-admins: the server refuses anyway; say so instead of a raw 403.
#[component]
pub fn AdminOnly(children: ChildrenFn) -> impl IntoView {
    move || {
        if session::is_admin() {
            children().into_any()
        } else {
            view! {
                <div class="page" data-testid="admin-only">
                    <EmptyState glyph=Glyph::Shield title="Administrators only" detail="Your role does not include administration."/>
                </div>
            }
            .into_any()
        }
    }
}

#[component]
pub fn UsersAdmin() -> impl IntoView {
    view! {
        <AdminOnly>
            <UsersPage/>
        </AdminOnly>
    }
}

fn status_badges(u: &AdminUser) -> impl IntoView {
    let mut badges: Vec<(&'static str, String, String)> = Vec::new();
    if u.locked {
        badges.push((
            "status-bad",
            "Locked".into(),
            "Locked by an administrator".into(),
        ));
    } else if let Some(until) = &u.locked_until {
        badges.push((
            "status-warn",
            "Throttled".into(),
            format!(
                "Too many failed sign-ins from all addresses together; blocked everywhere until {}",
                crate::format::absolute_time(until)
            ),
        ));
    } else {
        badges.push(("status-ok", "Active".into(), "Can sign in".into()));
    }
    if u.must_change_password {
        badges.push((
            "status-muted",
            "Must change password".into(),
            "Asked to choose a new password at next sign-in".into(),
        ));
    }
    badges
        .into_iter()
        .map(|(class, label, title)| view! { <span class=format!("status {class}") title=title>{label}</span> })
        .collect_view()
}

#[component]
fn UsersPage() -> impl IntoView {
    let users = LocalResource::new(|| async { api::users().await.map(|l| l.users) });
    let data: Signal<Option<Result<Vec<AdminUser>, ApiError>>> =
        Signal::derive(move || users.get());
    let adding = RwSignal::new(false);
    let pending: RwSignal<Option<Pending>> = RwSignal::new(None);
    let granting: RwSignal<Option<String>> = RwSignal::new(None);
    let busy = RwSignal::new(false);
    let me = session::user().map(|u| u.username).unwrap_or_default();

    let update = move |username: String, request: UpdateUserRequest, done: String| {
        busy.set(true);
        leptos::task::spawn_local(async move {
            let result = api::update_user(&username, &request).await;
            busy.set(false);
            pending.set(None);
            match result {
                Ok(_) => {
                    toast::success(done);
                    users.refetch();
                }
                Err(err) => {
                    toast::error(err.message);
                    // The row shows what the server has, not what the select was changed to.
                    users.refetch();
                }
            }
        });
    };

    let confirm = move |()| {
        let Some(action) = pending.get_untracked() else {
            return;
        };
        busy.set(true);
        leptos::task::spawn_local(async move {
            let (result, done) = match &action {
                Pending::Delete(u) => (api::delete_user(u).await, format!("User {u} deleted.")),
                Pending::ResetTwoFactor(u) => (
                    api::reset_two_factor(u).await,
                    format!("Two-factor authentication of {u} reset: they set it up again at next sign-in."),
                ),
                Pending::Lock(u) => (
                    api::update_user(u, &UpdateUserRequest { locked: Some(true), ..Default::default() })
                        .await
                        .map(|_| ()),
                    format!("User {u} locked and signed out."),
                ),
            };
            busy.set(false);
            pending.set(None);
            match result {
                Ok(()) => {
                    toast::success(done);
                    users.refetch();
                }
                Err(err) => toast::error(err.message),
            }
        });
    };

    view! {
        <div class="page" id="users-page" data-testid="users-page">
            <header class="page-header">
                <div>
                    <h1>"Users"</h1>
                    <p class="muted">
                        {move || data.get().and_then(Result::ok).map(|l| crate::format::plural(l.len(), "account", "accounts")).unwrap_or_default()}
                    </p>
                </div>
                <div class="page-actions">
                    <button class="btn btn-primary" type="button" id="add-user" data-testid="add-user" on:click=move |_| adding.set(true)>
                        <Icon glyph=Glyph::Plus/>
                        <span>"Add user"</span>
                    </button>
                </div>
            </header>
            {move || match data.get() {
                None => view! { <div class="card"><SkeletonRows rows=5 testid="users-loading"/></div> }.into_any(),
                Some(Err(err)) => view! { <ErrorPanel error=err retry=Callback::new(move |()| users.refetch())/> }.into_any(),
                Some(Ok(list)) => {
                    let me = me.clone();
                    view! {
                        <div class="card table-card">
                            <div class="table-scroll">
                                <table class="table" id="users-table" data-testid="users-table">
                                    <thead>
                                        <tr>
                                            <th>"User"</th>
                                            <th>"Role"</th>
                                            <th>"Two-factor"</th>
                                            <th>"Status"</th>
                                            <th>"Last sign-in"</th>
                                            <th class="num">"Sessions"</th>
                                            <th class="col-actions"><span class="visually-hidden">"Actions"</span></th>
                                        </tr>
                                    </thead>
                                    <tbody>
                                        {list.into_iter().map(|u| {
                                            let is_me = u.username == me;
                                            let name = u.username.clone();
                                            let role_name = name.clone();
                                            let self_note = "You cannot change your own account here";
                                            view! {
                                                <tr data-testid="user-row" data-username=name.clone()>
                                                    <td>
                                                        <span class="user-cell">
                                                            <span class="avatar" aria-hidden="true">{name.chars().next().unwrap_or('?').to_ascii_uppercase().to_string()}</span>
                                                            <strong>{name.clone()}</strong>
                                                            {is_me.then(|| view! { <span class="badge badge-muted">"you"</span> })}
                                                        </span>
                                                    </td>
                                                    <td>
                                                        <select
                                                            class="select-sm"
                                                            data-testid="user-role"
                                                            aria-label=format!("Role of {name}")
                                                            title=if is_me { self_note } else { "Change the role" }
                                                            disabled=is_me
                                                            on:change=move |ev| {
                                                                let Some(role) = Role::parse(&event_target_value(&ev)) else { return };
                                                                let done = match role {
                                                                    Role::Admin => format!("{role_name} is now an administrator."),
                                                                    Role::Editor => format!("{role_name} is now an editor."),
                                                                    Role::Viewer => format!("{role_name} is now a viewer."),
                                                                };
                                                                update(role_name.clone(), UpdateUserRequest { role: Some(role), ..Default::default() }, done);
                                                            }
                                                        >
                                                            {[Role::Admin, Role::Editor, Role::Viewer].into_iter().map(|r| view! {
                                                                <option value=r.as_str() selected=r == u.role>{r.as_str()}</option>
                                                            }).collect_view()}
                                                        </select>
                                                    </td>
                                                    <td data-testid="user-2fa">
                                                        {if u.totp_enabled {
                                                            view! { <span class="status status-ok" title=format!("{} backup codes left", u.backup_codes_remaining)>"On"</span> }.into_any()
                                                        } else {
                                                            view! { <span class="status status-muted">"Not set up"</span> }.into_any()
                                                        }}
                                                    </td>
                                                    <td data-testid="user-status"><span class="badges">{status_badges(&u)}</span></td>
                                                    <td class="nowrap">
                                                        {match u.last_login_at.clone() {
                                                            Some(t) => view! {
                                                                <RelativeTime value=t/>
                                                                {u.last_login_ip.clone().map(|ip| view! { <div class="muted small">{ip}</div> })}
                                                            }.into_any(),
                                                            None => view! { <span class="muted">"never"</span> }.into_any(),
                                                        }}
                                                    </td>
                                                    <td class="num">{u.active_sessions}</td>
                                                    <td class="col-actions">
                                                        <span class="row-actions">
                                                            {if u.locked {
                                                                let name = name.clone();
                                                                view! {
                                                                    <button class="icon-btn" type="button" data-testid="user-unlock" title="Unlock" aria-label=format!("Unlock {name}")
                                                                        on:click=move |_| update(name.clone(), UpdateUserRequest { locked: Some(false), ..Default::default() }, format!("User {name} unlocked."))>
                                                                        <Icon glyph=Glyph::Unlock/>
                                                                    </button>
                                                                }.into_any()
                                                            } else {
                                                                let name = name.clone();
                                                                view! {
                                                                    <button class="icon-btn" type="button" data-testid="user-lock" disabled=is_me
                                                                        title=if is_me { self_note.to_string() } else { "Lock: blocks sign-in and ends sessions".to_string() }
                                                                        aria-label=format!("Lock {name}")
                                                                        on:click=move |_| pending.set(Some(Pending::Lock(name.clone())))>
                                                                        <Icon glyph=Glyph::Lock/>
                                                                    </button>
                                                                }.into_any()
                                                            }}
                                                            {
                                                                let name = name.clone();
                                                                view! {
                                                                    <button class="icon-btn" type="button" data-testid="user-grants" title="Repository grants" aria-label=format!("Repository grants of {name}")
                                                                        on:click={
                                                                            let name = name.clone();
                                                                            move |_| granting.set(Some(name.clone()))
                                                                        }>
                                                                        <Icon glyph=Glyph::Folder/>
                                                                    </button>
                                                                    <button class="icon-btn" type="button" data-testid="user-reset-2fa" title="Reset two-factor authentication" aria-label=format!("Reset two-factor authentication of {name}")
                                                                        on:click=move |_| pending.set(Some(Pending::ResetTwoFactor(name.clone())))>
                                                                        <Icon glyph=Glyph::Shield/>
                                                                    </button>
                                                                }
                                                            }
                                                            {
                                                                let name = name.clone();
                                                                view! {
                                                                    <button class="icon-btn danger" type="button" data-testid="user-delete" disabled=is_me
                                                                        title=if is_me { self_note.to_string() } else { "Delete user".to_string() }
                                                                        aria-label=format!("Delete {name}")
                                                                        on:click=move |_| pending.set(Some(Pending::Delete(name.clone())))>
                                                                        <Icon glyph=Glyph::Trash/>
                                                                    </button>
                                                                }
                                                            }
                                                        </span>
                                                    </td>
                                                </tr>
                                            }
                                        }).collect_view()}
                                    </tbody>
                                </table>
                            </div>
                        </div>
                    }.into_any()
                }
            }}
            {move || pending.get().map(|action| {
                let (title, label, testid, text) = match &action {
                    Pending::Delete(u) => (
                        format!("Delete {u}?"),
                        "Delete user",
                        "delete-user-dialog",
                        format!("{u} loses access immediately and their sessions end. Their audit history is kept."),
                    ),
                    Pending::ResetTwoFactor(u) => (
                        format!("Reset two-factor authentication of {u}?"),
                        "Reset 2FA",
                        "reset-2fa-dialog",
                        format!("{u}'s authenticator and backup codes stop working and their sessions end. They set up a new authenticator at their next sign-in."),
                    ),
                    Pending::Lock(u) => (
                        format!("Lock {u}?"),
                        "Lock user",
                        "lock-user-dialog",
                        format!("{u} cannot sign in until unlocked, and their current sessions end."),
                    ),
                };
                view! {
                    <ConfirmDialog
                        title=title
                        confirm_label=label
                        danger=true
                        busy=busy
                        testid=testid
                        on_confirm=Callback::new(confirm)
                        on_close=Callback::new(move |()| pending.set(None))
                    >
                        <p>{text}</p>
                    </ConfirmDialog>
                }
            })}
            {move || granting.get().map(|username| view! {
                <GrantsDialog username=username on_close=Callback::new(move |()| granting.set(None))/>
            })}
            {move || adding.get().then(|| view! {
                <AddUserDialog on_close=Callback::new(move |()| adding.set(false)) on_created=Callback::new(move |()| users.refetch())/>
            })}
        </div>
    }
}

#[component]
fn AddUserDialog(
    #[prop(into)] on_close: Callback<()>,
    #[prop(into)] on_created: Callback<()>,
) -> impl IntoView {
    let username = RwSignal::new(String::new());
    let role = RwSignal::new("editor".to_string());
    let password = RwSignal::new(String::new());
    let pending = RwSignal::new(false);
    let error: RwSignal<Option<String>> = RwSignal::new(None);
    let created: RwSignal<Option<CreateUserResponse>> = RwSignal::new(None);

    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let name = username.get_untracked().trim().to_lowercase();
        if name.is_empty() {
            error.set(Some("Enter a username.".into()));
            return;
        }
        let pw = password.get_untracked();
        let request = CreateUserRequest {
            username: name,
            password: (!pw.is_empty()).then_some(pw),
            role: Role::parse(&role.get_untracked()),
            is_admin: None,
        };
        pending.set(true);
        error.set(None);
        leptos::task::spawn_local(async move {
            let result = api::create_user(&request).await;
            pending.set(false);
            match result {
                Ok(response) => {
                    toast::success(format!("User {} created.", response.user.username));
                    on_created.run(());
                    created.set(Some(response));
                }
                Err(err) => error.set(Some(match err.kind() {
                    Some(ErrorCode::UserExists) => "A user with that name already exists.".to_string(),
                    Some(ErrorCode::InvalidUsername) => "Usernames are 2 to 64 characters: lowercase letters, digits, '.', '_' and '-', starting with a letter or digit.".to_string(),
                    _ => err.message,
                })),
            }
        });
    };

    view! {
        <Dialog title="Add user" on_close=on_close busy=pending testid="add-user-dialog">
            {move || match created.get() {
                Some(response) => {
                    let generated = response.generated_password.clone();
                    let input: NodeRef<leptos::html::Input> = NodeRef::new();
                    view! {
                        <div class="dialog-body" id="add-user-result" data-testid="add-user-result">
                            <p>
                                <strong>{response.user.username.clone()}</strong>
                                {format!(" can now sign in as {}. At first sign-in they set up two-factor authentication and choose their own password.", response.user.role)}
                            </p>
                            {generated.map(|pw| view! {
                                <div class="callout callout-warning">
                                    <Icon glyph=Glyph::Key/>
                                    <p>"This generated password is shown only once. Pass it on securely."</p>
                                </div>
                                <div class="input-with-button">
                                    <input class="code-input" type="text" readonly id="generated-password" data-testid="generated-password" aria-label="Generated password" value=pw.clone() node_ref=input/>
                                    <CopyButton text=pw what="generated password" label="Copy" testid="copy-generated-password".to_string() select=input/>
                                </div>
                            })}
                        </div>
                        <footer class="dialog-footer">
                            <button class="btn btn-primary" type="button" id="add-user-done" data-testid="add-user-done" data-autofocus="true" on:click=move |_| on_close.run(())>"Done"</button>
                        </footer>
                    }.into_any()
                }
                None => view! {
                    <form class="form dialog-body" on:submit=submit>
                        <label class="field">
                            <span>"Username"</span>
                            <input type="text" id="new-user-username" data-testid="new-user-username" autocomplete="off" autocapitalize="none" spellcheck="false" required data-autofocus="true" bind:value=username/>
                        </label>
                        <label class="field">
                            <span>"Role"</span>
                            <select id="new-user-role" data-testid="new-user-role" prop:value=move || role.get() on:change=move |ev| role.set(event_target_value(&ev))>
                                <option value="viewer">"Viewer: browse only"</option>
                                <option value="editor" selected=true>"Editor: browse and delete tags"</option>
                                <option value="admin">"Admin: everything, including users and registries"</option>
                            </select>
                        </label>
                        <label class="field">
                            <span>"Password " <span class="muted">"(optional)"</span></span>
                            <input type="password" id="new-user-password" data-testid="new-user-password" autocomplete="new-password" bind:value=password/>
                            <small class="muted">"Leave empty to generate a strong password. Either way, the user must change it at first sign-in."</small>
                        </label>
                        {move || error.get().map(|e| view! {
                            <div class="form-error" role="alert" id="add-user-error" data-testid="add-user-error">
                                <Icon glyph=Glyph::Alert/>
                                <span>{e}</span>
                            </div>
                        })}
                        <footer class="dialog-footer">
                            <button class="btn" type="button" disabled=move || pending.get() on:click=move |_| on_close.run(())>"Cancel"</button>
                            <button class="btn btn-primary" type="submit" id="add-user-submit" data-testid="add-user-submit" disabled=move || pending.get()>
                                {move || pending.get().then(|| view! { <span class="spinner spinner-inline"></span> })}
                                "Add user"
                            </button>
                        </footer>
                    </form>
                }.into_any(),
            }}
        </Dialog>
    }
}
