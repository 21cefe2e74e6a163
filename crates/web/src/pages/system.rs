//! `/settings/system` (admins): the database, the replica that answered, the background jobs'
//! leases and the cache coherence — what an operator of one or several replicas checks first.
//! Refreshes every 10 s while open: behind a load balancer each refresh may show another
//! replica.
//!
//! Test ids (= element ids): `system-page`, `system-refresh`, `system-database`
//! (`system-backend`, `system-ready`, `system-connections`), `system-replica`
//! (`system-replica-id`), `system-jobs` (rows `system-job` with `data-job`, `data-held-here`),
//! `system-cache` (`system-coherence`).
use std::time::Duration;

use leptos::prelude::*;
use shared::admin::{JobStatus, SystemStatus};

use crate::api::{self, ApiError};
use crate::components::feedback::{ErrorPanel, RelativeTime, SkeletonRows};
use crate::components::icons::{Glyph, Icon};
use crate::pages::admin_users::AdminOnly;

const REFRESH: Duration = Duration::from_secs(10);

#[component]
pub fn SystemStatusPage() -> impl IntoView {
    view! {
        <AdminOnly>
            <SystemView/>
        </AdminOnly>
    }
}

#[component]
fn SystemView() -> impl IntoView {
    let nonce = RwSignal::new(0u32);
    let status = LocalResource::new(move || {
        nonce.get();
        api::system_status()
    });
    // Poll while the page is open; the handle goes with the page.
    let handle = set_interval_with_handle(move || nonce.update(|n| *n += 1), REFRESH).ok();
    on_cleanup(move || {
        if let Some(h) = handle {
            h.clear();
        }
    });
    let data: Signal<Option<Result<SystemStatus, ApiError>>> = Signal::derive(move || status.get());
    view! {
        <div class="page" id="system-page" data-testid="system-page">
            <header class="page-header">
                <div>
                    <h1>"System"</h1>
                    <p class="muted">"The database, the replica that answered, background jobs and cache coherence. Refreshed every 10 s."</p>
                </div>
                <div class="page-actions">
                    <button class="btn" type="button" id="system-refresh" data-testid="system-refresh" on:click=move |_| nonce.update(|n| *n += 1)>
                        <Icon glyph=Glyph::Refresh/>
                        <span>"Refresh"</span>
                    </button>
                </div>
            </header>
            {move || match data.get() {
                None => view! { <div class="card"><SkeletonRows rows=6 testid="system-loading"/></div> }.into_any(),
                Some(Err(err)) => view! { <ErrorPanel error=err retry=Callback::new(move |()| nonce.update(|n| *n += 1))/> }.into_any(),
                Some(Ok(s)) => status_view(s).into_any(),
            }}
        </div>
    }
}

fn backend_label(backend: &str) -> &'static str {
    match backend {
        "postgres" => "PostgreSQL",
        _ => "SQLite (embedded)",
    }
}

fn status_view(s: SystemStatus) -> impl IntoView {
    let db = s.database;
    let replica = s.replica;
    let cache = s.cache;
    let several = db.backend == "postgres";
    view! {
        <div class="details-grid">
            <div>
                <section class="card" id="system-database" data-testid="system-database" aria-labelledby="system-database-title">
                    <h2 class="card-title" id="system-database-title">"Database"</h2>
                    <dl class="facts">
                        <div>
                            <dt>"Back end"</dt>
                            <dd id="system-backend" data-testid="system-backend" data-backend=db.backend.clone()>{backend_label(&db.backend)}</dd>
                        </div>
                        <div>
                            <dt>"Location"</dt>
                            <dd class="break mono">{db.location.clone()}</dd>
                        </div>
                        <div>
                            <dt>"Readiness"</dt>
                            <dd id="system-ready" data-testid="system-ready" data-ready=db.ready.to_string()>
                                {if db.ready {
                                    view! { <span class="status status-ok">"Answering"</span> }.into_any()
                                } else {
                                    view! { <span class="status status-bad">"Not answering — /readyz reports 503"</span> }.into_any()
                                }}
                            </dd>
                        </div>
                        <div>
                            <dt>"Connections"</dt>
                            <dd id="system-connections" data-testid="system-connections">
                                {format!("{} open ({} idle) of at most {}", db.open_connections, db.idle_connections, db.max_connections)}
                                {several.then(|| view! { <span class="muted">" + 1 for notifications"</span> })}
                            </dd>
                        </div>
                        <div>
                            <dt>"Statements since start"</dt>
                            <dd>{db.statements.to_string()}</dd>
                        </div>
                    </dl>
                </section>
                <section class="card" id="system-jobs" data-testid="system-jobs" aria-labelledby="system-jobs-title">
                    <h2 class="card-title" id="system-jobs-title">"Background jobs"</h2>
                    <p class="muted">"Each round runs on one replica: the one holding the job's lease. A replica that stops hands the job over when its lease expires."</p>
                    <div class="table-scroll">
                        <table class="table">
                            <thead>
                                <tr>
                                    <th>"Job"</th>
                                    <th>"Every"</th>
                                    <th>"Lease"</th>
                                    <th>"Rounds run here"</th>
                                </tr>
                            </thead>
                            <tbody>
                                {s.jobs.into_iter().map(job_row).collect_view()}
                            </tbody>
                        </table>
                    </div>
                </section>
            </div>
            <div>
                <section class="card" id="system-replica" data-testid="system-replica" aria-labelledby="system-replica-title">
                    <h2 class="card-title" id="system-replica-title">"This replica"</h2>
                    <dl class="facts">
                        <div>
                            <dt>"Id"</dt>
                            <dd class="mono break" id="system-replica-id" data-testid="system-replica-id">{replica.id.clone()}</dd>
                        </div>
                        <div>
                            <dt>"Version"</dt>
                            <dd>{replica.version.clone()}</dd>
                        </div>
                        <div>
                            <dt>"Running since"</dt>
                            <dd><RelativeTime value=replica.started_at.clone()/></dd>
                        </div>
                    </dl>
                </section>
                <section class="card" id="system-cache" data-testid="system-cache" aria-labelledby="system-cache-title">
                    <h2 class="card-title" id="system-cache-title">"Registry caches"</h2>
                    <dl class="facts">
                        <div>
                            <dt>"Coherence"</dt>
                            <dd id="system-coherence" data-testid="system-coherence" data-coherence=cache.coherence.clone()>
                                {if cache.coherence == "notify" {
                                    "Changes are announced to every replica (LISTEN/NOTIFY)"
                                } else {
                                    "One process: changes apply at once"
                                }}
                            </dd>
                        </div>
                        <div>
                            <dt>"Listings kept for"</dt>
                            <dd>{format!("{} s (CACHE_TTL_SECS, the fallback)", cache.ttl_secs)}</dd>
                        </div>
                        <div>
                            <dt>"Invalidations"</dt>
                            <dd>{format!("{} made here, {} received from other replicas", cache.invalidations_local, cache.invalidations_received)}</dd>
                        </div>
                    </dl>
                </section>
            </div>
        </div>
    }
}

fn job_row(job: JobStatus) -> impl IntoView {
    let lease = match (&job.holder, job.held_here) {
        (Some(_), true) => {
            view! { <span class="status status-ok">"Held by this replica"</span> }.into_any()
        }
        (Some(holder), false) => {
            let short: String = holder.chars().take(8).collect();
            view! { <span class="status">{format!("Held by replica {short}…")}</span> }.into_any()
        }
        (None, _) => view! { <span class="muted">"Free (next round takes it)"</span> }.into_any(),
    };
    view! {
        <tr data-testid="system-job" data-job=job.job.clone() data-held-here=job.held_here.to_string()>
            <td class="mono">{job.job.clone()}</td>
            <td class="nowrap">{every(job.interval_secs)}</td>
            <td>
                {lease}
                {job.lease_expires_at.clone().map(|t| view! { <div class="muted small">"until " <RelativeTime value=t/></div> })}
            </td>
            <td>{job.runs_here.to_string()}</td>
        </tr>
    }
}

fn every(secs: u64) -> String {
    match secs {
        s if s % 3600 == 0 => format!("{} h", s / 3600),
        s if s % 60 == 0 => format!("{} min", s / 60),
        s => format!("{s} s"),
    }
}
