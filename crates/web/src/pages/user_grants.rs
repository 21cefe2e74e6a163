//! Administration → Users → a user's grants: what they may read or change beyond their role,
//! per registry and repository pattern, with a preview of the repositories a pattern matches.
//!
//! Test ids: `grants-dialog` (`data-username`), `grants-table`, `grant-row` (`data-pattern`,
//! `data-access`, `data-registry`), `grant-remove`, `grant-registry` (select), `grant-pattern`,
//! `grant-access` (select), `grant-add`, `grant-error`, `grant-preview` (with
//! `grant-preview-item` per matching repository and `data-count`).
use std::time::Duration;

use leptos::prelude::*;
use shared::error::ErrorCode;
use shared::permissions::{pattern_matches, AccessLevel, CreateGrantRequest};

use crate::api::{self, CatalogParams};
use crate::components::debounce::debounced_input;
use crate::components::dialog::Dialog;
use crate::components::feedback::{EmptyState, ErrorPanel, RelativeTime, SkeletonRows};
use crate::components::icons::{Glyph, Icon};
use crate::components::toast;
use crate::registries::use_registries;

/// Repositories listed in the preview.
const PREVIEW: usize = 8;

#[component]
pub fn GrantsDialog(username: String, #[prop(into)] on_close: Callback<()>) -> impl IntoView {
    let nonce = RwSignal::new(0u32);
    let list = {
        let username = username.clone();
        LocalResource::new(move || {
            nonce.get();
            let username = username.clone();
            async move { api::grants(&username).await }
        })
    };
    let reload = Callback::new(move |()| nonce.update(|n| *n += 1));
    let removing = RwSignal::new(None::<i64>);
    let remove = move |id: i64| {
        removing.set(Some(id));
        leptos::task::spawn_local(async move {
            let result = api::delete_grant(id).await;
            removing.set(None);
            match result {
                Ok(()) => {
                    toast::success("Grant removed: it no longer counts from the next request.")
                }
                Err(err) if err.kind() == Some(ErrorCode::GrantNotFound) => {}
                Err(err) => toast::error(err.message),
            }
            reload.run(());
        });
    };
    let title = format!("Grants of {username}");
    let form_user = username.clone();
    view! {
        <Dialog title=title on_close=on_close testid="grants-dialog" wide=true>
            <div class="dialog-body" data-username=username.clone()>
                <p class="muted">"Grants add access on top of the role: "<strong>"read"</strong>" browses and pulls, "<strong>"write"</strong>" also deletes tags. On a registry with default access "<em>"none"</em>", only grants give access. Changes count from the user's next request."</p>
                {move || match list.get() {
                    None => view! { <SkeletonRows rows=3 testid="grants-loading"/> }.into_any(),
                    Some(Err(err)) => view! { <ErrorPanel error=err retry=reload/> }.into_any(),
                    Some(Ok(l)) if l.grants.is_empty() => view! {
                        <EmptyState glyph=Glyph::Lock title="No grants" detail="This user has what their role gives, nothing more."/>
                    }.into_any(),
                    Some(Ok(l)) => view! {
                        <div class="table-scroll">
                            <table class="table" data-testid="grants-table">
                                <thead>
                                    <tr>
                                        <th>"Registry"</th>
                                        <th>"Pattern"</th>
                                        <th>"Access"</th>
                                        <th>"Added"</th>
                                        <th><span class="visually-hidden">"Actions"</span></th>
                                    </tr>
                                </thead>
                                <tbody>
                                    {l.grants.into_iter().map(|g| {
                                        let id = g.id;
                                        view! {
                                            <tr data-testid="grant-row" data-pattern=g.pattern.clone() data-access=g.access.as_str() data-registry=g.registry.clone()>
                                                <td>{g.registry.clone()}</td>
                                                <td class="nowrap"><code>{g.pattern.clone()}</code></td>
                                                <td><span class=if g.access == AccessLevel::Write { "badge badge-editor" } else { "badge" }>{g.access.as_str()}</span></td>
                                                <td class="nowrap muted">
                                                    <RelativeTime value=g.created_at.clone()/>
                                                    {g.created_by.clone().map(|by| format!(" by {by}"))}
                                                </td>
                                                <td class="col-actions">
                                                    <button class="icon-btn danger" type="button" data-testid="grant-remove" title="Remove grant"
                                                        aria-label=format!("Remove grant {}", g.pattern)
                                                        disabled=move || removing.get() == Some(id)
                                                        on:click=move |_| remove(id)>
                                                        <Icon glyph=Glyph::Trash/>
                                                    </button>
                                                </td>
                                            </tr>
                                        }
                                    }).collect_view()}
                                </tbody>
                            </table>
                        </div>
                    }.into_any(),
                }}
                <AddGrantForm username=form_user on_added=reload/>
            </div>
            <footer class="dialog-footer">
                <button class="btn" type="button" data-testid="grants-close" on:click=move |_| on_close.run(())>"Done"</button>
            </footer>
        </Dialog>
    }
}

#[component]
fn AddGrantForm(username: String, #[prop(into)] on_added: Callback<()>) -> impl IntoView {
    let registries = use_registries();
    let first_registry = registries
        .list()
        .and_then(Result::ok)
        .and_then(|l| l.first().map(|r| r.name.clone()))
        .unwrap_or_default();
    let registry = RwSignal::new(first_registry);
    let pattern_input = RwSignal::new(String::new());
    let pattern = RwSignal::new(String::new());
    let access = RwSignal::new(AccessLevel::Read);
    let pending = RwSignal::new(false);
    let error: RwSignal<Option<String>> = RwSignal::new(None);
    let on_pattern = debounced_input(pattern_input, Duration::from_millis(200), move |v| {
        pattern.set(v)
    });

    // The live catalog of the chosen registry, for the preview (one request per registry).
    let catalog = LocalResource::new(move || {
        let registry = registry.get();
        async move {
            if registry.is_empty() {
                return Ok(Vec::new());
            }
            api::catalog(&CatalogParams {
                registry: &registry,
                q: "",
                page: 1,
                per_page: 1000,
                refresh: false,
            })
            .await
            .map(|page| {
                page.repositories
                    .into_iter()
                    .map(|r| r.name)
                    .collect::<Vec<_>>()
            })
        }
    });
    let preview = move || {
        let p = pattern.get();
        let p = p.trim();
        if p.is_empty() {
            return None;
        }
        let names = catalog.get()?.ok()?;
        let matching: Vec<String> = names
            .into_iter()
            .filter(|n| pattern_matches(p, n))
            .collect();
        Some(matching)
    };

    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let request = CreateGrantRequest {
            user: username.clone(),
            registry: registry.get_untracked(),
            pattern: pattern_input.get_untracked().trim().to_string(),
            access: access.get_untracked(),
        };
        if request.pattern.is_empty() {
            error.set(Some(
                "Enter a pattern, e.g. team-a/** for everything under team-a.".into(),
            ));
            return;
        }
        pending.set(true);
        error.set(None);
        leptos::task::spawn_local(async move {
            let result = api::create_grant(&request).await;
            pending.set(false);
            match result {
                Ok(created) => {
                    toast::success(format!(
                        "{} may now {} {} on {}.",
                        created.grant.user, created.grant.access, created.grant.pattern, created.grant.registry
                    ));
                    pattern_input.set(String::new());
                    pattern.set(String::new());
                    on_added.run(());
                }
                Err(err) => error.set(Some(match err.kind() {
                    Some(ErrorCode::GrantExists) => {
                        "This user already has a grant with this pattern here. Remove it first to change the level.".into()
                    }
                    _ => err.message,
                })),
            }
        });
    };

    view! {
        <form class="form grant-form" on:submit=submit>
            <h3 class="card-subtitle">"Add a grant"</h3>
            <div class="form-row">
                <label class="field">
                    <span>"Registry"</span>
                    <select data-testid="grant-registry" on:change=move |ev| registry.set(event_target_value(&ev))>
                        {move || registries.list().and_then(Result::ok).unwrap_or_default().into_iter().map(|r| {
                            let name = r.name.clone();
                            view! { <option value=name.clone() selected=move || registry.get() == name>{r.name.clone()}</option> }
                        }).collect_view()}
                    </select>
                </label>
                <label class="field grow">
                    <span>"Repository pattern"</span>
                    <input type="text" data-testid="grant-pattern" placeholder="team-a/**" autocomplete="off" autocapitalize="none" spellcheck="false"
                        prop:value=move || pattern_input.get() on:input=on_pattern/>
                </label>
                <label class="field">
                    <span>"Access"</span>
                    <select data-testid="grant-access" on:change=move |ev| access.set(AccessLevel::parse(&event_target_value(&ev)).unwrap_or(AccessLevel::Read))>
                        <option value="read" selected=move || access.get() == AccessLevel::Read>"read"</option>
                        <option value="write" selected=move || access.get() == AccessLevel::Write>"write"</option>
                    </select>
                </label>
            </div>
            <small class="muted">"A repository name; "<code>"*"</code>" is one segment, a final "<code>"**"</code>" one or more: "<code>"team-a/**"</code>" is everything under team-a, "<code>"*/app"</code>" every app one level down, "<code>"**"</code>" everything."</small>
            {move || preview().map(|matching| {
                let count = matching.len();
                view! {
                    <div class="grant-preview" data-testid="grant-preview" data-count=count.to_string()>
                        <span class="muted">{match count {
                            0 => "Matches no repository in the registry now (it may later).".to_string(),
                            1 => "Matches 1 repository now:".to_string(),
                            n => format!("Matches {n} repositories now{}:", if n > PREVIEW { format!(", the first {PREVIEW}") } else { String::new() }),
                        }}</span>
                        <ul>
                            {matching.into_iter().take(PREVIEW).map(|name| view! {
                                <li data-testid="grant-preview-item"><code>{name}</code></li>
                            }).collect_view()}
                        </ul>
                    </div>
                }
            })}
            {move || error.get().map(|e| view! {
                <div class="form-error" role="alert" data-testid="grant-error">
                    <Icon glyph=Glyph::Alert/>
                    <span>{e}</span>
                </div>
            })}
            <div class="form-actions">
                <button class="btn btn-primary" type="submit" data-testid="grant-add" disabled=move || pending.get()>
                    {move || pending.get().then(|| view! { <span class="spinner spinner-inline"></span> })}
                    <Icon glyph=Glyph::Plus/>
                    "Add grant"
                </button>
            </div>
        </form>
    }
}
