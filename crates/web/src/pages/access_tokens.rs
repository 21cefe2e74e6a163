//! `/settings/tokens` (everyone): the user's access tokens for scripts and CI — create (the
//! secret shown once), list, revoke. `/settings/all-tokens` (admins): everyone's tokens,
//! filtered by user, revocable.
//!
//! Test ids (= element ids where unique): `tokens-page`, `token-create-form`, `token-name`,
//! `token-scope-read`, `token-scope-write`, `token-scope-admin`, `token-expiry` (select),
//! `token-password`, `token-create-submit`, `token-create-error`, `token-secret-panel`,
//! `token-secret` (the secret), `token-secret-copy`, `token-secret-done`, `tokens-table`,
//! `token-row` (`data-token-id`, `data-name`, `data-expired`), `token-revoke` (per row),
//! `token-revoke-dialog`, `token-revoke-confirm`; admin page: `all-tokens-page`,
//! `all-tokens-user` (filter), `all-tokens-table`, plus `token-row` / `token-revoke` as above.
use std::time::Duration;

use leptos::prelude::*;
use shared::error::ErrorCode;
use shared::tokens::{CreateTokenRequest, CreatedToken, TokenInfo, TokenScope};

use crate::api::{self, ApiError};
use crate::components::copy_button::CopyButton;
use crate::components::debounce::debounced_input;
use crate::components::dialog::ConfirmDialog;
use crate::components::feedback::{EmptyState, ErrorPanel, RelativeTime, SkeletonRows};
use crate::components::icons::{Glyph, Icon};
use crate::components::toast;
use crate::pages::admin_users::AdminOnly;
use crate::session;

/// The lifetimes offered, in days; 30 is preselected.
const EXPIRIES: [(i64, &str); 5] = [
    (7, "7 days"),
    (30, "30 days"),
    (90, "90 days"),
    (180, "180 days"),
    (365, "1 year"),
];

fn scope_help(scope: TokenScope) -> &'static str {
    match scope {
        TokenScope::Read => "Browse registries, repositories, tags and manifests",
        TokenScope::Write => "Also delete tags",
        TokenScope::Admin => "Also manage users, registries and the audit log (not tag deletes)",
    }
}

fn is_expired(t: &TokenInfo) -> bool {
    crate::format::timestamp_ms(&t.expires_at).is_some_and(|ms| ms <= js_sys::Date::now())
}

/// `https://host:port` of this page, for the example command.
fn origin() -> String {
    web_sys::window()
        .and_then(|w| w.location().origin().ok())
        .unwrap_or_default()
}

#[component]
pub fn AccessTokens() -> impl IntoView {
    let nonce = RwSignal::new(0u32);
    let list = LocalResource::new(move || {
        nonce.get();
        api::tokens()
    });
    let created: RwSignal<Option<CreatedToken>> = RwSignal::new(None);
    let reload = Callback::new(move |()| nonce.update(|n| *n += 1));
    view! {
        <div class="page" id="tokens-page" data-testid="tokens-page">
            <header class="page-header">
                <div>
                    <h1>"Access tokens"</h1>
                    <p class="muted">"Tokens let scripts, CI jobs and the command line use the API as you, without your second factor, limited to the scopes you choose. Send one as "<code>"Authorization: Bearer rgp_…"</code>"."</p>
                    <p class="muted" data-testid="docker-login-help">"On registries whose login is registry-gui, a token is also your "<code>"docker login"</code>" password: "<code>{move || format!("docker login <pull host> -u {}", session::user().map(|u| u.username).unwrap_or_default())}</code>", then paste the token. Scope "<strong>"read"</strong>" pulls, "<strong>"write"</strong>" also pushes and deletes where you may."</p>
                </div>
            </header>
            <div class="token-form-column">
                {move || match created.get() {
                    Some(token) => view! { <SecretPanel created=token on_done=Callback::new(move |()| created.set(None))/> }.into_any(),
                    None => view! { <CreateTokenForm on_created=Callback::new(move |t: CreatedToken| { created.set(Some(t)); reload.run(()); })/> }.into_any(),
                }}
            </div>
            <section class="card table-card" aria-labelledby="tokens-title">
                <h2 class="card-title card-title-padded" id="tokens-title">
                    <Icon glyph=Glyph::List/>
                    "Your tokens"
                </h2>
                {move || match list.get() {
                    None => view! { <SkeletonRows rows=3 testid="tokens-loading"/> }.into_any(),
                    Some(Err(err)) => view! { <ErrorPanel error=err retry=reload/> }.into_any(),
                    Some(Ok(l)) if l.tokens.is_empty() => view! {
                        <EmptyState glyph=Glyph::Key title="No access tokens" detail="Create one above for a script or CI job."/>
                    }.into_any(),
                    Some(Ok(l)) => view! {
                        <TokenTable tokens=l.tokens.into_iter().map(|t| (t, None)).collect() testid="tokens-table" admin=false on_revoked=reload/>
                    }.into_any(),
                }}
            </section>
        </div>
    }
}

#[component]
fn CreateTokenForm(#[prop(into)] on_created: Callback<CreatedToken>) -> impl IntoView {
    let role = session::role().unwrap_or(shared::auth::Role::Viewer);
    let name = RwSignal::new(String::new());
    let chosen: RwSignal<Vec<TokenScope>> = RwSignal::new(vec![TokenScope::Read]);
    let days = RwSignal::new(30i64);
    let password = RwSignal::new(String::new());
    let pending = RwSignal::new(false);
    let error: RwSignal<Option<String>> = RwSignal::new(None);

    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let request = CreateTokenRequest {
            name: name.get_untracked().trim().to_string(),
            scopes: chosen.get_untracked(),
            expires_in_days: days.get_untracked(),
            password: password.get_untracked(),
        };
        if request.name.is_empty() {
            error.set(Some(
                "Give the token a name, e.g. the job that uses it.".into(),
            ));
            return;
        }
        if request.scopes.is_empty() {
            error.set(Some("Choose at least one scope.".into()));
            return;
        }
        if request.password.is_empty() {
            error.set(Some("Confirm with your password.".into()));
            return;
        }
        pending.set(true);
        error.set(None);
        leptos::task::spawn_local(async move {
            let result = api::create_token(&request).await;
            pending.set(false);
            password.set(String::new());
            match result {
                Ok(created) => {
                    name.set(String::new());
                    chosen.set(vec![TokenScope::Read]);
                    days.set(30);
                    on_created.run(created);
                }
                Err(err) => error.set(Some(describe_error(&err))),
            }
        });
    };

    view! {
        <section class="card" aria-labelledby="token-create-title">
            <h2 class="card-title" id="token-create-title">
                <Icon glyph=Glyph::Plus/>
                "New token"
            </h2>
            <form class="form" id="token-create-form" data-testid="token-create-form" on:submit=submit>
                <label class="field">
                    <span>"Name"</span>
                    <input type="text" id="token-name" data-testid="token-name" maxlength="64" placeholder="ci-deploy" autocomplete="off" bind:value=name/>
                </label>
                <fieldset class="fieldset">
                    <legend>"Scopes"</legend>
                    {TokenScope::ALL.into_iter().filter(|s| s.allowed_for(role)).map(|scope| {
                        let id = format!("token-scope-{}", scope.as_str());
                        let checked = move || chosen.with(|c| c.contains(&scope));
                        let toggle = move |_| chosen.update(|c| {
                            if let Some(i) = c.iter().position(|s| *s == scope) {
                                c.remove(i);
                            } else {
                                c.push(scope);
                                c.sort();
                            }
                        });
                        view! {
                            <label class="checkbox">
                                <input type="checkbox" id=id.clone() data-testid=id prop:checked=checked on:change=toggle/>
                                <span><strong>{scope.as_str()}</strong>" — "<span class="muted">{scope_help(scope)}</span></span>
                            </label>
                        }
                    }).collect_view()}
                </fieldset>
                <label class="field">
                    <span>"Expires after"</span>
                    <select id="token-expiry" data-testid="token-expiry" on:change=move |ev| days.set(event_target_value(&ev).parse().unwrap_or(30))>
                        {EXPIRIES.into_iter().map(|(d, label)| view! {
                            <option value=d.to_string() selected=move || days.get() == d>{label}</option>
                        }).collect_view()}
                    </select>
                </label>
                <label class="field">
                    <span>"Your password"</span>
                    <input type="password" id="token-password" data-testid="token-password" autocomplete="current-password" bind:value=password/>
                </label>
                {move || error.get().map(|e| view! {
                    <div class="form-error" role="alert" id="token-create-error" data-testid="token-create-error">
                        <Icon glyph=Glyph::Alert/>
                        <span>{e}</span>
                    </div>
                })}
                <div class="form-actions">
                    <button class="btn btn-primary" type="submit" id="token-create-submit" data-testid="token-create-submit" disabled=move || pending.get()>
                        {move || pending.get().then(|| view! { <span class="spinner spinner-inline"></span> })}
                        "Create token"
                    </button>
                </div>
            </form>
        </section>
    }
}

fn describe_error(err: &ApiError) -> String {
    match err.kind() {
        Some(ErrorCode::InvalidCredentials) => "The password is not correct.".into(),
        Some(ErrorCode::TooManyTokens) => {
            "You already have 50 live tokens. Revoke one you no longer use first.".into()
        }
        Some(ErrorCode::TooManyAttempts) => {
            "Too many wrong passwords. Wait a few minutes and try again.".into()
        }
        _ => err.message.clone(),
    }
}

#[component]
fn SecretPanel(created: CreatedToken, #[prop(into)] on_done: Callback<()>) -> impl IntoView {
    let secret = Signal::stored(created.secret.clone());
    let input: NodeRef<leptos::html::Input> = NodeRef::new();
    let example = format!(
        "curl -H \"Authorization: Bearer {}\" {}/api/catalog",
        created.secret,
        origin()
    );
    view! {
        <section class="card card-highlight" id="token-secret-panel" data-testid="token-secret-panel" aria-labelledby="token-secret-title">
            <h2 class="card-title" id="token-secret-title">
                <Icon glyph=Glyph::Check/>
                {format!("Token “{}” created", created.token.name)}
            </h2>
            <div class="callout callout-warning" role="note">
                <Icon glyph=Glyph::Alert/>
                <span>"Copy the secret now: you will not see it again. Store it where your script or CI keeps secrets; if it is lost, revoke the token and create a new one."</span>
            </div>
            <label class="pull-row">
                <span class="pull-label">"Secret"</span>
                <span class="input-with-button">
                    <input class="code-input" type="text" readonly id="token-secret" data-testid="token-secret"
                        value=created.secret.clone() node_ref=input
                        on:focus=move |_| if let Some(i) = input.get_untracked() { i.select(); }/>
                    <CopyButton text=secret what="token secret" testid="token-secret-copy".to_string() label="Copy".to_string() select=input/>
                </span>
            </label>
            <p class="muted">"For example:"</p>
            <pre class="token-example">{example}</pre>
            <div class="form-actions">
                <button class="btn btn-primary" type="button" id="token-secret-done" data-testid="token-secret-done" on:click=move |_| on_done.run(())>
                    "I have stored it"
                </button>
            </div>
        </section>
    }
}

/// The token table of both pages; `username` is shown on the admin page.
#[component]
fn TokenTable(
    tokens: Vec<(TokenInfo, Option<String>)>,
    testid: &'static str,
    admin: bool,
    #[prop(into)] on_revoked: Callback<()>,
) -> impl IntoView {
    let revoking: RwSignal<Option<(i64, String)>> = RwSignal::new(None);
    let busy = RwSignal::new(false);
    let confirm = Callback::new(move |()| {
        let Some((id, name)) = revoking.get_untracked() else {
            return;
        };
        busy.set(true);
        leptos::task::spawn_local(async move {
            let result = if admin {
                api::admin_revoke_token(id).await
            } else {
                api::revoke_token(id).await
            };
            busy.set(false);
            revoking.set(None);
            match result {
                Ok(()) => toast::success(format!("Token “{name}” revoked.")),
                Err(err) if err.kind() == Some(ErrorCode::TokenNotFound) => {
                    toast::success(format!("Token “{name}” was already revoked."))
                }
                Err(err) => toast::error(err.message),
            }
            on_revoked.run(());
        });
    });
    view! {
        <div class="table-scroll">
            <table class="table" id=testid data-testid=testid>
                <thead>
                    <tr>
                        <th>"Name"</th>
                        {admin.then(|| view! { <th>"User"</th> })}
                        <th>"Prefix"</th>
                        <th>"Scopes"</th>
                        <th>"Created"</th>
                        <th>"Expires"</th>
                        <th>"Last used"</th>
                        <th><span class="visually-hidden">"Actions"</span></th>
                    </tr>
                </thead>
                <tbody>
                    {tokens.into_iter().map(|(t, username)| {
                        let expired = is_expired(&t);
                        let (id, name) = (t.id, t.name.clone());
                        view! {
                            <tr data-testid="token-row" data-token-id=t.id.to_string() data-name=t.name.clone() data-expired=expired.to_string()>
                                <td class="nowrap"><strong>{t.name.clone()}</strong></td>
                                {username.map(|u| view! { <td>{u}</td> })}
                                <td class="nowrap"><code>{format!("rgp_{}…", t.prefix)}</code></td>
                                <td class="nowrap">{t.scopes.iter().map(|s| view! { <span class="badge">{s.as_str()}</span>" " }).collect_view()}</td>
                                <td class="nowrap"><RelativeTime value=t.created_at.clone()/></td>
                                <td class="nowrap">
                                    {if expired {
                                        view! { <span class="status status-bad" title=t.expires_at.clone()>"expired"</span> }.into_any()
                                    } else {
                                        view! { <RelativeTime value=t.expires_at.clone()/> }.into_any()
                                    }}
                                </td>
                                <td class="nowrap">
                                    {match t.last_used_at.clone() {
                                        Some(at) => view! {
                                            <RelativeTime value=at/>
                                            {t.last_used_ip.clone().map(|ip| view! { <span class="muted">{format!(" from {ip}")}</span> })}
                                        }.into_any(),
                                        None => view! { <span class="muted">"never"</span> }.into_any(),
                                    }}
                                </td>
                                <td class="col-actions">
                                    <button class="btn btn-sm btn-danger-outline" type="button" data-testid="token-revoke"
                                        aria-label=format!("Revoke {}", t.name)
                                        on:click=move |_| revoking.set(Some((id, name.clone())))>
                                        <Icon glyph=Glyph::Trash/>
                                        <span>"Revoke"</span>
                                    </button>
                                </td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </div>
        {move || revoking.get().map(|(_, name)| view! {
            <ConfirmDialog title="Revoke access token" confirm_label="Revoke" danger=true busy=busy
                on_confirm=confirm on_close=Callback::new(move |()| revoking.set(None)) testid="token-revoke-dialog">
                <p>{format!("Revoke “{name}”? Scripts using it are refused from their next request. This cannot be undone.")}</p>
            </ConfirmDialog>
        })}
    }
}

#[component]
pub fn AllTokens() -> impl IntoView {
    view! {
        <AdminOnly>
            <AllTokensPage/>
        </AdminOnly>
    }
}

#[component]
fn AllTokensPage() -> impl IntoView {
    let user_input = RwSignal::new(String::new());
    let user = RwSignal::new(String::new());
    let nonce = RwSignal::new(0u32);
    let list = LocalResource::new(move || {
        let (u, _) = (user.get(), nonce.get());
        async move { api::all_tokens(u.trim()).await }
    });
    let reload = Callback::new(move |()| nonce.update(|n| *n += 1));
    let on_user = debounced_input(user_input, Duration::from_millis(250), move |value| {
        user.set(value)
    });
    view! {
        <div class="page" id="all-tokens-page" data-testid="all-tokens-page">
            <header class="page-header">
                <div>
                    <h1>"Access tokens"</h1>
                    <p class="muted">"Every user's tokens. Revoking one refuses it from its next request; resetting a user's password or two-factor authentication revokes all of theirs."</p>
                </div>
                <div class="page-actions">
                    <button class="btn" type="button" id="all-tokens-refresh" data-testid="all-tokens-refresh" on:click=move |_| reload.run(())>
                        <Icon glyph=Glyph::Refresh/>
                        <span>"Refresh"</span>
                    </button>
                </div>
            </header>
            <div class="toolbar">
                <div class="search-field">
                    <Icon glyph=Glyph::User/>
                    <input type="search" id="all-tokens-user" data-testid="all-tokens-user" placeholder="Filter by user" aria-label="Filter by user"
                        autocomplete="off" autocapitalize="none" spellcheck="false" prop:value=move || user_input.get() on:input=on_user/>
                </div>
            </div>
            <div class="card table-card">
                {move || match list.get() {
                    None => view! { <SkeletonRows rows=5 testid="all-tokens-loading"/> }.into_any(),
                    Some(Err(err)) if err.kind() == Some(ErrorCode::UserNotFound) => view! {
                        <EmptyState glyph=Glyph::User title="No such user" detail="No user has that exact name."/>
                    }.into_any(),
                    Some(Err(err)) => view! { <ErrorPanel error=err retry=reload/> }.into_any(),
                    Some(Ok(l)) if l.tokens.is_empty() => view! {
                        <EmptyState glyph=Glyph::Key title="No access tokens" detail="Nobody matching has created one."/>
                    }.into_any(),
                    Some(Ok(l)) => view! {
                        <TokenTable tokens=l.tokens.into_iter().map(|t| (t.token, Some(t.username))).collect() testid="all-tokens-table" admin=true on_revoked=reload/>
                    }.into_any(),
                }}
            </div>
        </div>
    }
}
