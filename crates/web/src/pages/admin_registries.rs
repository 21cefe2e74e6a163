//! `/settings/registries` (admins): the registries the team browses. Credentials are
//! write-only: the page only ever learns whether a registry has them.
//!
//! Test ids (= element ids where unique): `registries-page`, `add-registry`,
//! `registries-table`, `registry-row` (`data-registry`), `registry-test`, `registry-edit`,
//! `registry-remove`, `registry-test-result` (`data-reachable`); `registry-dialog` with
//! `registry-name`, `registry-url`, `registry-pull-host`, `registry-credentials-mode`
//! (select when editing a registry with credentials: `keep` | `replace` | `remove`),
//! `registry-username`, `registry-password`, `registry-read-only`, `registry-insecure-tls`,
//! `registry-save`, `registry-error`; `remove-registry-dialog` (`confirm-ok`).
use std::collections::BTreeMap;

use leptos::prelude::*;
use shared::admin::{
    CreateRegistryRequest, RegistryInfo, RegistryTestResult, UpdateRegistryRequest,
};
use shared::permissions::DefaultAccess;

use crate::api::{self, ApiError};
use crate::components::copy_button::CopyButton;
use crate::components::dialog::{ConfirmDialog, Dialog};
use crate::components::feedback::{EmptyState, ErrorPanel, SkeletonRows};
use crate::components::icons::{Glyph, Icon};
use crate::components::toast;
use crate::pages::admin_users::AdminOnly;
use crate::registries::use_registries;

#[component]
pub fn RegistriesAdmin() -> impl IntoView {
    view! {
        <AdminOnly>
            <RegistriesPage/>
        </AdminOnly>
    }
}

/// The open form: `None` adds a registry, `Some` edits that one.
#[derive(Debug, Clone, PartialEq)]
struct Editing(Option<RegistryInfo>);

fn test_summary(result: &Result<RegistryTestResult, ApiError>) -> (bool, String) {
    match result {
        Ok(r) if r.reachable && r.auth_ok => (
            true,
            format!(
                "Reachable in {} ms{}{}; authentication works.",
                r.latency_ms,
                r.status.map(|s| format!(" (HTTP {s})")).unwrap_or_default(),
                r.api_version
                    .as_ref()
                    .map(|v| format!(", API {v}"))
                    .unwrap_or_default()
            ),
        ),
        Ok(r) if r.reachable => (
            false,
            format!(
                "Reachable in {} ms, but authentication failed{}.",
                r.latency_ms,
                r.error
                    .as_ref()
                    .map(|e| format!(": {e}"))
                    .unwrap_or_default()
            ),
        ),
        Ok(r) => (
            false,
            format!(
                "Not reachable{}.",
                r.error
                    .as_ref()
                    .map(|e| format!(": {e}"))
                    .unwrap_or_default()
            ),
        ),
        Err(e) => (false, e.message.clone()),
    }
}

#[component]
fn RegistriesPage() -> impl IntoView {
    let registries = use_registries();
    let setup: RwSignal<Option<String>> = RwSignal::new(None);
    let editing: RwSignal<Option<Editing>> = RwSignal::new(None);
    let removing: RwSignal<Option<String>> = RwSignal::new(None);
    let busy = RwSignal::new(false);
    let testing: RwSignal<Option<String>> = RwSignal::new(None);
    let results: RwSignal<BTreeMap<String, Result<RegistryTestResult, ApiError>>> =
        RwSignal::new(BTreeMap::new());

    let test = move |name: String| {
        testing.set(Some(name.clone()));
        leptos::task::spawn_local(async move {
            let result = api::test_registry(&name).await;
            testing.set(None);
            results.update(|r| {
                r.insert(name, result);
            });
        });
    };
    let remove = move |()| {
        let Some(name) = removing.get_untracked() else {
            return;
        };
        busy.set(true);
        leptos::task::spawn_local(async move {
            let result = api::delete_registry(&name).await;
            busy.set(false);
            removing.set(None);
            match result {
                Ok(()) => {
                    toast::success(format!("Registry {name} removed."));
                    registries.reload();
                }
                Err(err) => toast::error(err.message),
            }
        });
    };

    view! {
        <div class="page" id="registries-page" data-testid="registries-page">
            <header class="page-header">
                <div>
                    <h1>"Registries"</h1>
                    <p class="muted">"The registries everyone can browse. Passwords are stored encrypted and never shown again."</p>
                </div>
                <div class="page-actions">
                    <button class="btn btn-primary" type="button" id="add-registry" data-testid="add-registry" on:click=move |_| editing.set(Some(Editing(None)))>
                        <Icon glyph=Glyph::Plus/>
                        <span>"Add registry"</span>
                    </button>
                </div>
            </header>
            {move || match registries.list() {
                None => view! { <div class="card"><SkeletonRows rows=3 testid="registries-loading"/></div> }.into_any(),
                Some(Err(err)) => view! { <ErrorPanel error=err retry=Callback::new(move |()| registries.reload())/> }.into_any(),
                Some(Ok(list)) if list.is_empty() => view! {
                    <div class="card"><EmptyState glyph=Glyph::Server title="No registries" detail="Add the first registry to browse it."/></div>
                }.into_any(),
                Some(Ok(list)) => view! {
                    <div class="card table-card">
                        <div class="table-scroll">
                            <table class="table" id="registries-table" data-testid="registries-table">
                                <thead>
                                    <tr>
                                        <th>"Name"</th>
                                        <th>"URL"</th>
                                        <th>"Pull host"</th>
                                        <th>"Options"</th>
                                        <th class="col-actions"><span class="visually-hidden">"Actions"</span></th>
                                    </tr>
                                </thead>
                                <tbody>
                                    {list.into_iter().map(|r| {
                                        let name = r.name.clone();
                                        let info = r.clone();
                                        let result_name = name.clone();
                                        let test_name = name.clone();
                                        let busy_name = name.clone();
                                        let remove_name = name.clone();
                                        view! {
                                            <tr data-testid="registry-row" data-registry=name.clone()>
                                                <td>
                                                    <strong>{name.clone()}</strong>
                                                    {r.is_default.then(|| view! { <span class="badge badge-muted" title="Your default registry">"default"</span> })}
                                                </td>
                                                <td><code class="break">{r.url.clone()}</code></td>
                                                <td><code>{r.pull_host.clone()}</code></td>
                                                <td>
                                                    <span class="badges">
                                                        {(r.default_access == DefaultAccess::None).then(|| view! { <span class="badge badge-warning" data-testid="registry-access-none" title="Only users with a grant see this registry"><Icon glyph=Glyph::Lock/>"grants only"</span> })}
                                                        {r.read_only.then(|| view! { <span class="badge">"read-only"</span> })}
                                                        {r.insecure_tls.then(|| view! { <span class="badge badge-warning" title="TLS certificates are not verified">"insecure TLS"</span> })}
                                                        {r.has_credentials.then(|| view! { <span class="badge" title="Credentials are stored (write-only)"><Icon glyph=Glyph::Key/>"credentials"</span> })}
                                                    </span>
                                                </td>
                                                <td class="col-actions">
                                                    <span class="row-actions">
                                                        <button class="btn btn-sm" type="button" data-testid="registry-test"
                                                            disabled=move || testing.get().is_some_and(|t| t == busy_name)
                                                            on:click=move |_| test(test_name.clone())>
                                                            {
                                                                let name = name.clone();
                                                                move || if testing.get().as_deref() == Some(name.as_str()) {
                                                                    view! { <span class="spinner spinner-inline"></span> }.into_any()
                                                                } else {
                                                                    view! { <Icon glyph=Glyph::Refresh/> }.into_any()
                                                                }
                                                            }
                                                            "Test"
                                                        </button>
                                                        {r.token_service.is_some().then(|| {
                                                            let name = name.clone();
                                                            view! {
                                                                <button class="btn btn-sm" type="button" data-testid="registry-login-setup"
                                                                    on:click=move |_| setup.set(Some(name.clone()))>
                                                                    <Icon glyph=Glyph::Terminal/>
                                                                    "Login set-up"
                                                                </button>
                                                            }
                                                        })}
                                                        <button class="icon-btn" type="button" data-testid="registry-edit" title="Edit" aria-label=format!("Edit {name}")
                                                            on:click=move |_| editing.set(Some(Editing(Some(info.clone()))))>
                                                            <Icon glyph=Glyph::Edit/>
                                                        </button>
                                                        <button class="icon-btn danger" type="button" data-testid="registry-remove" title="Remove" aria-label=format!("Remove {name}")
                                                            on:click=move |_| removing.set(Some(remove_name.clone()))>
                                                            <Icon glyph=Glyph::Trash/>
                                                        </button>
                                                    </span>
                                                </td>
                                            </tr>
                                            {move || results.with(|all| all.get(&result_name).map(test_summary)).map(|(ok, text)| view! {
                                                <tr class="result-row">
                                                    <td colspan="5">
                                                        <div class=if ok { "callout callout-success" } else { "callout callout-danger" } role="status" data-testid="registry-test-result" data-reachable=ok.to_string()>
                                                            <Icon glyph=if ok { Glyph::Check } else { Glyph::Alert }/>
                                                            <p>{text}</p>
                                                        </div>
                                                    </td>
                                                </tr>
                                            })}
                                        }
                                    }).collect_view()}
                                </tbody>
                            </table>
                        </div>
                    </div>
                }.into_any(),
            }}
            {move || removing.get().map(|name| view! {
                <ConfirmDialog
                    title=format!("Remove registry {name}?")
                    confirm_label="Remove registry"
                    danger=true
                    busy=busy
                    testid="remove-registry-dialog"
                    on_confirm=Callback::new(remove)
                    on_close=Callback::new(move |()| removing.set(None))
                >
                    <p>"Nobody can browse it through registry-gui any more. The registry itself and its images are not touched."</p>
                </ConfirmDialog>
            })}
            {move || setup.get().map(|name| view! {
                <LoginSetupDialog name=name on_close=Callback::new(move |()| setup.set(None))/>
            })}
            {move || editing.get().map(|Editing(existing)| view! {
                <RegistryDialog existing=existing on_close=Callback::new(move |()| editing.set(None)) on_saved=Callback::new(move |()| registries.reload())/>
            })}
        </div>
    }
}

#[component]
fn RegistryDialog(
    existing: Option<RegistryInfo>,
    #[prop(into)] on_close: Callback<()>,
    #[prop(into)] on_saved: Callback<()>,
) -> impl IntoView {
    let is_edit = existing.is_some();
    let had_credentials = existing.as_ref().is_some_and(|r| r.has_credentials);
    let name = RwSignal::new(
        existing
            .as_ref()
            .map(|r| r.name.clone())
            .unwrap_or_default(),
    );
    let url = RwSignal::new(existing.as_ref().map(|r| r.url.clone()).unwrap_or_default());
    // The list reports the effective pull host (the URL's host when none was set): only send
    // it back when the admin changed it.
    let original_pull_host = existing
        .as_ref()
        .map(|r| r.pull_host.clone())
        .unwrap_or_default();
    let pull_host = RwSignal::new(original_pull_host.clone());
    let mode = RwSignal::new(if had_credentials {
        "keep".to_string()
    } else {
        "replace".to_string()
    });
    let username = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let read_only = RwSignal::new(existing.as_ref().is_some_and(|r| r.read_only));
    let insecure_tls = RwSignal::new(existing.as_ref().is_some_and(|r| r.insecure_tls));
    let default_access = RwSignal::new(
        existing
            .as_ref()
            .map(|r| r.default_access)
            .unwrap_or_default(),
    );
    let token_service = RwSignal::new(
        existing
            .as_ref()
            .and_then(|r| r.token_service.clone())
            .unwrap_or_default(),
    );
    let anonymous_pull = RwSignal::new(
        existing
            .as_ref()
            .map(|r| r.anonymous_pull.join(", "))
            .unwrap_or_default(),
    );
    let had_events_secret = existing.as_ref().is_some_and(|r| r.has_events_secret);
    let events_mode = RwSignal::new(if had_events_secret { "keep" } else { "none" }.to_string());
    let generated_secret: RwSignal<Option<String>> = RwSignal::new(None);
    let pending = RwSignal::new(false);
    let error: RwSignal<Option<String>> = RwSignal::new(None);

    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let (n, u) = (
            name.get_untracked().trim().to_string(),
            url.get_untracked().trim().to_string(),
        );
        if n.is_empty() || u.is_empty() {
            error.set(Some("Name and URL are required.".into()));
            return;
        }
        let pull = pull_host.get_untracked().trim().to_string();
        let (user, pass) = (
            username.get_untracked().trim().to_string(),
            password.get_untracked(),
        );
        pending.set(true);
        error.set(None);
        let original_pull_host = original_pull_host.clone();
        leptos::task::spawn_local(async move {
            let result = if is_edit {
                let (username, password) = match mode.get_untracked().as_str() {
                    "replace" if !user.is_empty() => (Some(user), Some(pass)),
                    "remove" => (Some(String::new()), Some(String::new())),
                    _ => (None, None),
                };
                api::update_registry(
                    &n,
                    &UpdateRegistryRequest {
                        url: Some(u),
                        username,
                        password,
                        pull_host: (pull != original_pull_host).then_some(pull),
                        insecure_tls: Some(insecure_tls.get_untracked()),
                        read_only: Some(read_only.get_untracked()),
                        default_access: Some(default_access.get_untracked()),
                        token_service: Some(token_service.get_untracked().trim().to_string()),
                        anonymous_pull: Some(split_patterns(&anonymous_pull.get_untracked())),
                        events_secret: match events_mode.get_untracked().as_str() {
                            "generate" => Some("generate".into()),
                            "none" if had_events_secret => Some(String::new()),
                            _ => None,
                        },
                    },
                )
                .await
            } else {
                api::create_registry(&CreateRegistryRequest {
                    name: n,
                    url: u,
                    username: (!user.is_empty()).then_some(user),
                    password: (!pass.is_empty()).then_some(pass),
                    pull_host: (!pull.is_empty()).then_some(pull),
                    insecure_tls: insecure_tls.get_untracked(),
                    read_only: read_only.get_untracked(),
                    default_access: default_access.get_untracked(),
                    token_service: Some(token_service.get_untracked().trim().to_string())
                        .filter(|t| !t.is_empty()),
                    anonymous_pull: split_patterns(&anonymous_pull.get_untracked()),
                    events_secret: (events_mode.get_untracked() == "generate")
                        .then(|| "generate".to_string()),
                })
                .await
            };
            pending.set(false);
            match result {
                Ok(saved) => {
                    toast::success(if is_edit {
                        format!("Registry {} saved.", saved.registry.name)
                    } else {
                        format!(
                            "Registry {} added. Use Test to check that it answers.",
                            saved.registry.name
                        )
                    });
                    on_saved.run(());
                    match saved.events_secret {
                        // Shown once, in the dialog, before it closes.
                        Some(secret) => generated_secret.set(Some(secret)),
                        None => on_close.run(()),
                    }
                }
                Err(err) => error.set(Some(err.message)),
            }
        });
    };

    let show_credentials = move || mode.get() == "replace";
    view! {
        <Dialog title=if is_edit { "Edit registry" } else { "Add registry" } on_close=on_close busy=pending testid="registry-dialog" wide=true>
            <form class="form dialog-body" on:submit=submit autocomplete="off">
                <div class="form-row">
                    <label class="field">
                        <span>"Name"</span>
                        <input type="text" id="registry-name" data-testid="registry-name" required disabled=is_edit
                            placeholder="production" autocapitalize="none" spellcheck="false"
                            data-autofocus=(!is_edit).then_some("true") bind:value=name/>
                        <small class="muted">"Lowercase letters, digits and '-'; used in links."</small>
                    </label>
                    <label class="field">
                        <span>"URL"</span>
                        <input type="url" id="registry-url" data-testid="registry-url" required placeholder="https://registry.example.com"
                            data-autofocus=is_edit.then_some("true") spellcheck="false" bind:value=url/>
                        <small class="muted">"How the server reaches the registry (http or https)."</small>
                    </label>
                </div>
                <label class="field">
                    <span>"Pull host " <span class="muted">"(optional)"</span></span>
                    <input type="text" id="registry-pull-host" data-testid="registry-pull-host" placeholder="registry.example.com" spellcheck="false" bind:value=pull_host/>
                    <small class="muted">"The host users pull from, when it differs from the URL above. Used in the pull commands."</small>
                </label>
                <fieldset class="fieldset">
                    <legend>"Credentials"</legend>
                    {had_credentials.then(|| view! {
                        <label class="field">
                            <span>"Stored credentials are write-only"</span>
                            <select id="registry-credentials-mode" data-testid="registry-credentials-mode" prop:value=move || mode.get() on:change=move |ev| mode.set(event_target_value(&ev))>
                                <option value="keep">"Keep the stored credentials"</option>
                                <option value="replace">"Replace them"</option>
                                <option value="remove">"Remove them (anonymous access)"</option>
                            </select>
                        </label>
                    })}
                    <Show when=show_credentials>
                        <div class="form-row">
                            <label class="field">
                                <span>"Username"</span>
                                <input type="text" id="registry-username" data-testid="registry-username" autocomplete="off" spellcheck="false" bind:value=username/>
                            </label>
                            <label class="field">
                                <span>"Password or token"</span>
                                <input type="password" id="registry-password" data-testid="registry-password" autocomplete="new-password" bind:value=password/>
                            </label>
                        </div>
                        <small class="muted">"Leave empty for anonymous access. Sent only to this registry and the token service it names."</small>
                    </Show>
                </fieldset>
                <label class="field">
                    <span>"Default access"</span>
                    <select id="registry-default-access" data-testid="registry-default-access"
                        on:change=move |ev| default_access.set(DefaultAccess::parse(&event_target_value(&ev)).unwrap_or_default())>
                        <option value="role" selected=move || default_access.get() == DefaultAccess::Role>"By role — viewers browse, editors also delete"</option>
                        <option value="none" selected=move || default_access.get() == DefaultAccess::None>"None — only users with a grant see it (administrators always do)"</option>
                    </select>
                    <small class="muted">"Grants (Users → Grants) add access to namespaces on top of this."</small>
                </label>
                <fieldset class="fieldset">
                    <legend>"Registry login " <span class="muted">"(optional)"</span></legend>
                    <small class="muted">"Make registry-gui this registry's "<code>"docker login"</code>": its "<code>"auth.token.service"</code>" here, then copy the set-up from Login set-up."</small>
                    <label class="field">
                        <span>"Token service"</span>
                        <input type="text" id="registry-token-service" data-testid="registry-token-service" placeholder="registry.example.com" spellcheck="false" bind:value=token_service/>
                    </label>
                    <label class="field">
                        <span>"Anonymous pull " <span class="muted">"(patterns, comma-separated)"</span></span>
                        <input type="text" id="registry-anonymous-pull" data-testid="registry-anonymous-pull" placeholder="public/**" spellcheck="false" bind:value=anonymous_pull/>
                    </label>
                    <label class="field">
                        <span>"Events secret " <span class="muted">"(for push and delete notifications)"</span></span>
                        <select id="registry-events-secret" data-testid="registry-events-secret" prop:value=move || events_mode.get() on:change=move |ev| events_mode.set(event_target_value(&ev))>
                            {had_events_secret.then(|| view! { <option value="keep">"Keep the stored secret"</option> })}
                            <option value="generate">{if had_events_secret { "Generate a new one (shown once)" } else { "Generate one (shown once)" }}</option>
                            <option value="none">{if had_events_secret { "Remove it (refuse deliveries)" } else { "None (refuse deliveries)" }}</option>
                        </select>
                    </label>
                </fieldset>
                {move || generated_secret.get().map(|secret| {
                    let text = Signal::stored(secret.clone());
                    view! {
                        <div class="callout callout-warning" role="status" data-testid="events-secret-result">
                            <Icon glyph=Glyph::Key/>
                            <div>
                                <p>"The events secret, shown only now: put it in the registry's notifications header."</p>
                                <span class="input-with-button">
                                    <input class="code-input" type="text" readonly value=secret data-testid="events-secret"/>
                                    <CopyButton text=text what="events secret" testid="copy-events-secret".to_string()/>
                                </span>
                            </div>
                        </div>
                    }
                })}
                <label class="checkbox">
                    <input type="checkbox" id="registry-read-only" data-testid="registry-read-only" bind:checked=read_only/>
                    <span>"Read-only " <span class="muted">"— nobody can delete tags through registry-gui"</span></span>
                </label>
                <label class="checkbox">
                    <input type="checkbox" id="registry-insecure-tls" data-testid="registry-insecure-tls" bind:checked=insecure_tls/>
                    <span>"Skip TLS certificate verification " <span class="muted">"— only for self-signed test registries"</span></span>
                </label>
                {move || error.get().map(|e| view! {
                    <div class="form-error" role="alert" id="registry-error" data-testid="registry-error">
                        <Icon glyph=Glyph::Alert/>
                        <span>{e}</span>
                    </div>
                })}
                <footer class="dialog-footer">
                    <button class="btn" type="button" disabled=move || pending.get() on:click=move |_| on_close.run(())>
                        {move || if generated_secret.get().is_some() { "Done" } else { "Cancel" }}
                    </button>
                    <button class="btn btn-primary" type="submit" id="registry-save" data-testid="registry-save" disabled=move || pending.get() || generated_secret.get().is_some()>
                        {move || pending.get().then(|| view! { <span class="spinner spinner-inline"></span> })}
                        {if is_edit { "Save" } else { "Add registry" }}
                    </button>
                </footer>
            </form>
        </Dialog>
    }
}

/// Comma- or space-separated patterns.
fn split_patterns(raw: &str) -> Vec<String> {
    raw.split([',', ' ', '\n'])
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(str::to_string)
        .collect()
}

/// What the registry's `config.yml` needs to use registry-gui as its login, with copy buttons.
#[component]
fn LoginSetupDialog(name: String, #[prop(into)] on_close: Callback<()>) -> impl IntoView {
    let config = {
        let name = name.clone();
        LocalResource::new(move || {
            let name = name.clone();
            async move { api::token_auth(&name).await }
        })
    };
    view! {
        <Dialog title=format!("Login set-up of {name}") on_close=on_close testid="login-setup-dialog" wide=true>
            <div class="dialog-body">
                {move || match config.get() {
                    None => view! { <SkeletonRows rows=6 testid="login-setup-loading"/> }.into_any(),
                    Some(Err(err)) => view! { <ErrorPanel error=err/> }.into_any(),
                    Some(Ok(c)) => {
                        let snippet = Signal::stored(c.config_snippet.clone());
                        let pem = Signal::stored(c.certificate_pem.clone());
                        view! {
                            <ol class="setup-steps">
                                <li>
                                    <p>"Save the signing certificate on the registry's host as "<code>"/etc/docker/registry/registry-gui.pem"</code>":"</p>
                                    <div class="code-with-copy">
                                        <pre data-testid="login-setup-certificate">{c.certificate_pem.clone()}</pre>
                                        <CopyButton text=pem what="certificate" testid="copy-login-certificate".to_string() label="Copy".to_string()/>
                                    </div>
                                </li>
                                <li>
                                    <p>"Add this to the registry's "<code>"config.yml"</code>" (put the events secret in place of the placeholder) and restart it:"</p>
                                    <div class="code-with-copy">
                                        <pre data-testid="login-setup-snippet">{c.config_snippet.clone()}</pre>
                                        <CopyButton text=snippet what="configuration" testid="copy-login-snippet".to_string() label="Copy".to_string()/>
                                    </div>
                                </li>
                                <li>
                                    <p>"Users log in with an access token as the password (Settings → Access tokens): "<code>"docker login <pull host> -u <user>"</code>". Realm "<code>{c.realm.clone()}</code>", service "<code>{c.service.clone()}</code>", issuer "<code>{c.issuer.clone()}</code>"."</p>
                                </li>
                            </ol>
                        }.into_any()
                    }
                }}
            </div>
            <footer class="dialog-footer">
                <button class="btn" type="button" data-testid="login-setup-close" on:click=move |_| on_close.run(())>"Done"</button>
            </footer>
        </Dialog>
    }
}
