//! `/settings/audit` (admins): who did what, newest first, filtered by user and action, with
//! older pages loaded on demand.
//!
//! Test ids (= element ids where unique): `audit-page`, `audit-user` (filter input),
//! `audit-action` (select), `audit-refresh`, `audit-table`, `audit-row` (`data-action`,
//! `data-outcome`), `audit-more`, `audit-end`.
use std::time::Duration;

use leptos::prelude::*;
use shared::admin::{AuditEvent, AuditPage};

use crate::api::{self, ApiError};
use crate::components::debounce::debounced_input;
use crate::components::feedback::{EmptyState, ErrorPanel, RelativeTime, SkeletonRows};
use crate::components::icons::{Glyph, Icon};
use crate::components::toast;
use crate::pages::admin_users::AdminOnly;

const PAGE_SIZE: u32 = 50;

/// The actions the server records, for the filter.
const ACTIONS: [(&str, &str); 24] = [
    ("login", "Signed in"),
    ("login_failed", "Sign-in failed"),
    ("login_throttled", "Sign-in throttled"),
    ("logout", "Signed out"),
    ("totp_enrolled", "2FA set up"),
    ("backup_code_used", "Backup code used"),
    ("backup_codes_regenerated", "Backup codes regenerated"),
    ("password_changed", "Password changed"),
    ("password_set", "Password set by admin"),
    ("user_created", "User created"),
    ("user_deleted", "User deleted"),
    ("role_changed", "Role changed"),
    ("user_locked", "User locked"),
    ("user_unlocked", "User unlocked"),
    ("2fa_reset", "2FA reset"),
    ("registry_added", "Registry added"),
    ("registry_updated", "Registry updated"),
    ("registry_removed", "Registry removed"),
    ("tag_deleted", "Tag deleted"),
    ("token_created", "Access token created"),
    ("token_revoked", "Access token revoked"),
    ("token_refused", "Access token refused"),
    ("grant_created", "Grant added"),
    ("grant_deleted", "Grant removed"),
];

fn action_label(action: &str) -> String {
    ACTIONS
        .iter()
        .find(|(code, _)| *code == action)
        .map_or_else(|| action.replace('_', " "), |(_, label)| label.to_string())
}

#[component]
pub fn AuditLog() -> impl IntoView {
    view! {
        <AdminOnly>
            <AuditPageView/>
        </AdminOnly>
    }
}

#[component]
fn AuditPageView() -> impl IntoView {
    let user_input = RwSignal::new(String::new());
    let user = RwSignal::new(String::new());
    let action = RwSignal::new(String::new());
    let nonce = RwSignal::new(0u32);
    // Older pages appended below the first one; reset whenever the filters change.
    let older: RwSignal<Vec<AuditEvent>> = RwSignal::new(Vec::new());
    let cursor: RwSignal<Option<i64>> = RwSignal::new(None);
    let loading_more = RwSignal::new(false);

    let first = LocalResource::new(move || {
        let (u, a, _) = (user.get(), action.get(), nonce.get());
        async move {
            let result = api::audit(&u, &a, PAGE_SIZE, None).await;
            if let Ok(page) = &result {
                older.set(Vec::new());
                cursor.set(page.next_before);
            }
            result
        }
    });
    let data: Signal<Option<Result<AuditPage, ApiError>>> = Signal::derive(move || first.get());

    let on_user = debounced_input(user_input, Duration::from_millis(250), move |value| {
        user.set(value)
    });

    let load_more = move |_| {
        let Some(before) = cursor.get_untracked() else {
            return;
        };
        loading_more.set(true);
        let (u, a) = (user.get_untracked(), action.get_untracked());
        leptos::task::spawn_local(async move {
            let result = api::audit(&u, &a, PAGE_SIZE, Some(before)).await;
            loading_more.set(false);
            match result {
                Ok(page) => {
                    older.update(|o| o.extend(page.events));
                    cursor.set(page.next_before);
                }
                Err(err) => toast::error(err.message),
            }
        });
    };

    view! {
        <div class="page" id="audit-page" data-testid="audit-page">
            <header class="page-header">
                <div>
                    <h1>"Audit log"</h1>
                    <p class="muted">"Sign-ins, account and registry changes, and deletions — newest first."</p>
                </div>
                <div class="page-actions">
                    <button class="btn" type="button" id="audit-refresh" data-testid="audit-refresh" on:click=move |_| nonce.update(|n| *n += 1)>
                        <Icon glyph=Glyph::Refresh/>
                        <span>"Refresh"</span>
                    </button>
                </div>
            </header>
            <div class="toolbar">
                <div class="search-field">
                    <Icon glyph=Glyph::User/>
                    <input type="search" id="audit-user" data-testid="audit-user" placeholder="Filter by user" aria-label="Filter by user"
                        autocomplete="off" autocapitalize="none" spellcheck="false" prop:value=move || user_input.get() on:input=on_user/>
                </div>
                <label class="visually-hidden" for="audit-action">"Action"</label>
                <select id="audit-action" data-testid="audit-action" prop:value=move || action.get() on:change=move |ev| action.set(event_target_value(&ev))>
                    <option value="">"All actions"</option>
                    {ACTIONS.iter().map(|(code, label)| view! { <option value=*code>{*label}</option> }).collect_view()}
                </select>
            </div>
            {move || match data.get() {
                None => view! { <div class="card"><SkeletonRows rows=10 testid="audit-loading"/></div> }.into_any(),
                Some(Err(err)) => view! { <ErrorPanel error=err retry=Callback::new(move |()| nonce.update(|n| *n += 1))/> }.into_any(),
                Some(Ok(page)) if page.events.is_empty() => view! {
                    <div class="card"><EmptyState glyph=Glyph::List title="No events" detail="Nothing matches these filters."/></div>
                }.into_any(),
                Some(Ok(page)) => {
                    let first_events = page.events;
                    view! {
                        <div class="card table-card">
                            <div class="table-scroll">
                                <table class="table" id="audit-table" data-testid="audit-table">
                                    <thead>
                                        <tr>
                                            <th>"Time"</th>
                                            <th>"User"</th>
                                            <th>"Action"</th>
                                            <th>"Target"</th>
                                            <th>"Outcome"</th>
                                            <th>"IP"</th>
                                            <th>"Detail"</th>
                                        </tr>
                                    </thead>
                                    <tbody>
                                        {first_events.into_iter().map(event_row).collect_view()}
                                        {move || older.get().into_iter().map(event_row).collect_view()}
                                    </tbody>
                                </table>
                            </div>
                        </div>
                    }.into_any()
                }
            }}
            <div class="table-footer">
                {move || match (data.get().is_some_and(|d| d.is_ok()), cursor.get()) {
                    (true, Some(_)) => view! {
                        <button class="btn" type="button" id="audit-more" data-testid="audit-more" disabled=move || loading_more.get() on:click=load_more>
                            {move || loading_more.get().then(|| view! { <span class="spinner spinner-inline"></span> })}
                            "Load older events"
                        </button>
                    }.into_any(),
                    (true, None) => view! { <span class="muted" id="audit-end" data-testid="audit-end">"This is the beginning of the log."</span> }.into_any(),
                    _ => ().into_any(),
                }}
            </div>
        </div>
    }
}

fn event_row(e: AuditEvent) -> impl IntoView {
    let ok = e.outcome == "success";
    view! {
        <tr data-testid="audit-row" data-action=e.action.clone() data-outcome=e.outcome.clone()>
            <td class="nowrap"><RelativeTime value=e.time.clone()/></td>
            <td>{e.actor.clone().unwrap_or_else(|| "—".into())}</td>
            <td><span class="badge" title=e.action.clone()>{action_label(&e.action)}</span></td>
            <td class="break">{e.target.clone().unwrap_or_default()}</td>
            <td><span class=if ok { "status status-ok" } else { "status status-bad" }>{e.outcome.clone()}</span></td>
            <td class="nowrap muted">{e.ip.clone().unwrap_or_default()}</td>
            <td class="muted break">{e.detail.clone().unwrap_or_default()}</td>
        </tr>
    }
}
