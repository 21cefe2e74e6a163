//! One tag: digest, media type, size, created, pull commands, and per platform (tabs for
//! multi-arch images) its layers, configuration and history.
//!
//! Test ids (= element ids where unique): `tag-details` (`data-tag`, `data-digest`),
//! `manifest-digest`, `copy-manifest-digest`, `manifest-media-type`, `manifest-size`,
//! `manifest-created`, `shared-tag` (other tags with the same digest), `pull-docker`,
//! `pull-podman`, `pull-digest` (read-only inputs holding the commands), `copy-pull-docker`,
//! `copy-pull-podman`, `copy-pull-digest` (`data-copied` = `clipboard` | `fallback` after a
//! copy), `platform-tabs`, `platform-tab` (per platform, `data-platform` = `os/arch[/variant]`,
//! `aria-selected`), `platform-panel` (`data-platform`), `platform-digest`, `layers-table`,
//! `layer-row`, `config`, `config-env`, `config-labels`, `history`, `history-line`,
//! `tag-details-delete`, `tag-details-refresh`.
use leptos::prelude::*;
use shared::registry::{
    HistoryEntry, ImageConfigInfo, LayerInfo, ManifestDetails, PlatformDetails,
};

use crate::api;
use crate::components::copy_button::CopyButton;
use crate::components::delete_dialog::DeleteDialog;
use crate::components::feedback::{ErrorPanel, RelativeTime, SkeletonRows};
use crate::components::icons::{Glyph, Icon};
use crate::format;
use crate::links;
use crate::navigation::go;
use crate::pages::repository::Breadcrumbs;

/// What one platform tab shows; for a single-platform image, the manifest's own content.
#[derive(Debug, Clone, PartialEq)]
struct PlatformView {
    label: String,
    digest: String,
    size: u64,
    created: Option<String>,
    layers: Vec<LayerInfo>,
    config: Option<ImageConfigInfo>,
    history: Vec<HistoryEntry>,
    error: Option<String>,
}

impl PlatformView {
    fn of_platform(p: &PlatformDetails) -> Self {
        Self {
            label: format::platform(&p.os, &p.architecture, p.variant.as_deref()),
            digest: p.digest.clone(),
            size: p.size,
            created: p.created.clone(),
            layers: p.layers.clone(),
            config: p.config.clone(),
            history: p.history.clone(),
            error: p.error.clone(),
        }
    }

    fn of_image(m: &ManifestDetails) -> Self {
        let own = m.platforms.first();
        let label = match (&m.config, own) {
            (_, Some(p)) => format::platform(&p.os, &p.architecture, p.variant.as_deref()),
            (Some(c), None) => format::platform(
                c.os.as_deref().unwrap_or("unknown"),
                c.architecture.as_deref().unwrap_or("unknown"),
                c.variant.as_deref(),
            ),
            (None, None) => "image".to_string(),
        };
        Self {
            label,
            digest: m.digest.clone(),
            size: m.size,
            created: m.created.clone(),
            layers: if m.layers.is_empty() {
                own.map(|p| p.layers.clone()).unwrap_or_default()
            } else {
                m.layers.clone()
            },
            config: m
                .config
                .clone()
                .or_else(|| own.and_then(|p| p.config.clone())),
            history: if m.history.is_empty() {
                own.map(|p| p.history.clone()).unwrap_or_default()
            } else {
                m.history.clone()
            },
            error: None,
        }
    }
}

fn views_of(m: &ManifestDetails) -> Vec<PlatformView> {
    if m.is_index {
        m.platforms.iter().map(PlatformView::of_platform).collect()
    } else {
        vec![PlatformView::of_image(m)]
    }
}

#[component]
pub fn TagDetails(
    registry: String,
    repository: String,
    tag: String,
    may_delete: bool,
) -> impl IntoView {
    let force_refresh = StoredValue::new(false);
    let nonce = RwSignal::new(0u32);
    let manifest = {
        let (registry, repository, tag) = (registry.clone(), repository.clone(), tag.clone());
        LocalResource::new(move || {
            nonce.track();
            let refresh = force_refresh.get_value();
            force_refresh.set_value(false);
            let (registry, repository, tag) = (registry.clone(), repository.clone(), tag.clone());
            async move { api::manifest(&registry, &repository, &tag, refresh).await }
        })
    };
    let deleting = RwSignal::new(false);
    let may_delete = move || may_delete;
    let back = links::repository(&registry, &repository);

    view! {
        <div class="page" id="tag-details" data-testid="tag-details" data-tag=tag.clone()>
            <a class="back-link" href=back.clone() data-testid="back-to-tags">
                <Icon glyph=Glyph::ChevronLeft/>
                "Tags"
            </a>
            <header class="page-header">
                <div class="page-title">
                    <Breadcrumbs registry=registry.clone() repository=repository.clone() tag=tag.clone()/>
                    <h1 class="tag-title">
                        <span class="muted">{format!("{repository}:")}</span>
                        {tag.clone()}
                    </h1>
                </div>
                <div class="page-actions">
                    <button
                        class="btn"
                        type="button"
                        id="tag-details-refresh"
                        data-testid="tag-details-refresh"
                        on:click=move |_| {
                            force_refresh.set_value(true);
                            nonce.update(|n| *n += 1);
                        }
                    >
                        <Icon glyph=Glyph::Refresh/>
                        <span>"Refresh"</span>
                    </button>
                    <Show when=may_delete>
                        <button class="btn btn-danger-outline" type="button" id="tag-details-delete" data-testid="tag-details-delete" on:click=move |_| deleting.set(true)>
                            <Icon glyph=Glyph::Trash/>
                            <span>"Delete"</span>
                        </button>
                    </Show>
                </div>
            </header>
            {
                let (registry, repository) = (registry.clone(), repository.clone());
                move || match manifest.get() {
                    None => view! {
                        <div class="card"><SkeletonRows rows=4 testid="tag-details-loading"/></div>
                        <div class="card"><SkeletonRows rows=6/></div>
                    }.into_any(),
                    Some(Err(err)) => view! { <ErrorPanel error=err retry=Callback::new(move |()| nonce.update(|n| *n += 1))/> }.into_any(),
                    Some(Ok(m)) => view! { <ManifestView manifest=m registry=registry.clone() repository=repository.clone()/> }.into_any(),
                }
            }
            {
                let (registry, repository, tag) = (registry.clone(), repository.clone(), tag.clone());
                move || {
                    deleting.get().then(|| {
                        let back = back.clone();
                        view! {
                            <DeleteDialog
                                registry=registry.clone()
                                repository=repository.clone()
                                tags=vec![tag.clone()]
                                on_close=Callback::new(move |()| deleting.set(false))
                                on_deleted=Callback::new(move |_| go(&back))
                            />
                        }
                    })
                }
            }
        </div>
    }
}

#[component]
fn ManifestView(manifest: ManifestDetails, registry: String, repository: String) -> impl IntoView {
    let views = views_of(&manifest);
    let active = RwSignal::new(0usize);
    let pull = manifest.pull_commands.clone();
    let pull_rows = [
        ("docker", "Docker", pull.docker.clone()),
        ("podman", "Podman", pull.podman.clone()),
        ("digest", "By digest", pull.by_digest.clone()),
    ];
    let tabs = views.len() > 1;
    let labels: Vec<(usize, String)> = views.iter().map(|v| v.label.clone()).enumerate().collect();
    let platform_list = views
        .iter()
        .map(|v| v.label.clone())
        .collect::<Vec<_>>()
        .join(", ");
    let shared = manifest.tags_sharing_digest.clone();

    view! {
        <div class="details-grid">
            <section class="card" aria-labelledby="summary-title">
                <h2 class="card-title" id="summary-title">"Manifest"</h2>
                <dl class="facts">
                    <div class="fact-wide">
                        <dt>"Digest"</dt>
                        <dd class="digest-cell">
                            <code class="break" id="manifest-digest" data-testid="manifest-digest">{manifest.digest.clone()}</code>
                            <CopyButton text=manifest.digest.clone() what="manifest digest" testid="copy-manifest-digest".to_string()/>
                        </dd>
                    </div>
                    <div>
                        <dt>"Type"</dt>
                        <dd id="manifest-media-type" data-testid="manifest-media-type" title=manifest.media_type.clone()>
                            {format::media_type(&manifest.media_type)}
                        </dd>
                    </div>
                    <div>
                        <dt>"Size"</dt>
                        <dd id="manifest-size" data-testid="manifest-size" title=format!("{} bytes (compressed)", manifest.size)>
                            {format::size(manifest.size)}
                        </dd>
                    </div>
                    <div>
                        <dt>"Created"</dt>
                        <dd id="manifest-created" data-testid="manifest-created">
                            {match manifest.created.clone() {
                                Some(c) => view! { <RelativeTime value=c/> }.into_any(),
                                None => view! { <span class="muted">"unknown"</span> }.into_any(),
                            }}
                        </dd>
                    </div>
                    {manifest.pushed_at.clone().map(|at| view! {
                        <div>
                            <dt>"Pushed"</dt>
                            <dd id="manifest-pushed" data-testid="manifest-pushed">
                                <RelativeTime value=at/>
                                {manifest.pushed_by.clone().map(|by| view! { <span class="muted">{format!(" by {by}")}</span> })}
                            </dd>
                        </div>
                    })}
                    <div>
                        <dt>"Platforms"</dt>
                        <dd>{platform_list}</dd>
                    </div>
                    {(!shared.is_empty()).then(|| view! {
                        <div class="fact-wide">
                            <dt>"Same digest as"</dt>
                            <dd class="chips">
                                {shared.iter().map(|t| view! {
                                    <a class="chip" href=links::tag(&registry, &repository, t) data-testid="shared-tag">
                                        <Icon glyph=Glyph::Tag/>
                                        {t.clone()}
                                    </a>
                                }).collect_view()}
                            </dd>
                        </div>
                    })}
                    {(!manifest.annotations.is_empty()).then(|| view! {
                        <div class="fact-wide">
                            <dt>"Annotations"</dt>
                            <dd>
                                <table class="kv">
                                    <tbody>
                                        {manifest.annotations.iter().map(|(k, v)| view! {
                                            <tr><th scope="row"><code>{k.clone()}</code></th><td><code class="break">{v.clone()}</code></td></tr>
                                        }).collect_view()}
                                    </tbody>
                                </table>
                            </dd>
                        </div>
                    })}
                </dl>
            </section>

            <section class="card" aria-labelledby="pull-title">
                <h2 class="card-title" id="pull-title">
                    <Icon glyph=Glyph::Terminal/>
                    "Pull"
                </h2>
                <div class="pull-commands">
                    {pull_rows
                        .into_iter()
                        .map(|(key, label, command)| {
                            let input: NodeRef<leptos::html::Input> = NodeRef::new();
                            view! {
                                <label class="pull-row">
                                    <span class="pull-label">{label}</span>
                                    <span class="input-with-button">
                                        <input
                                            class="code-input"
                                            type="text"
                                            readonly
                                            id=format!("pull-{key}")
                                            data-testid=format!("pull-{key}")
                                            value=command.clone()
                                            node_ref=input
                                            on:focus=move |_| {
                                                if let Some(i) = input.get_untracked() {
                                                    i.select();
                                                }
                                            }
                                        />
                                        <CopyButton text=command what=format!("{label} pull command") testid=format!("copy-pull-{key}") select=input/>
                                    </span>
                                </label>
                            }
                        })
                        .collect_view()}
                </div>
            </section>
        </div>

        <section class="card platform-card" aria-label="Image content">
            {tabs.then(|| {
                let count = labels.len();
                view! {
                    <div class="tabs" role="tablist" aria-label="Platforms" id="platform-tabs" data-testid="platform-tabs">
                        {labels.into_iter().map(|(i, label)| { let platform = label.clone(); view! {
                            <button
                                class="tab"
                                type="button"
                                role="tab"
                                id=format!("platform-tab-{i}")
                                data-testid="platform-tab"
                                data-platform=platform
                                aria-controls="platform-panel"
                                aria-selected=move || if active.get() == i { "true" } else { "false" }
                                tabindex=move || if active.get() == i { "0" } else { "-1" }
                                on:click=move |_| active.set(i)
                                on:keydown=move |ev| {
                                    // Arrow keys move between tabs (WAI-ARIA tabs pattern).
                                    let next = match ev.key().as_str() {
                                        "ArrowRight" => Some((i + 1) % count),
                                        "ArrowLeft" => Some((i + count - 1) % count),
                                        "Home" => Some(0),
                                        "End" => Some(count - 1),
                                        _ => None,
                                    };
                                    if let Some(n) = next {
                                        ev.prevent_default();
                                        active.set(n);
                                        if let Some(el) = document().get_element_by_id(&format!("platform-tab-{n}")) {
                                            use wasm_bindgen::JsCast;
                                            if let Ok(el) = el.dyn_into::<web_sys::HtmlElement>() {
                                                let _ = el.focus();
                                            }
                                        }
                                    }
                                }
                            >
                                {label}
                            </button>
                        }}).collect_view()}
                    </div>
                }
            })}
            {move || {
                let current = views.get(active.get()).cloned();
                current.map(|v| view! { <PlatformPanel platform=v tabbed=tabs/> })
            }}
        </section>
    }
}

#[component]
fn PlatformPanel(platform: PlatformView, tabbed: bool) -> impl IntoView {
    let total_layers: u64 = platform.layers.iter().map(|l| l.size).sum();
    let layer_count = platform.layers.len();
    view! {
        <div
            class="platform-panel"
            id="platform-panel"
            data-testid="platform-panel"
            data-platform=platform.label.clone()
            role=tabbed.then_some("tabpanel")
        >
            <div class="platform-head">
                <h2 class="card-title">
                    <Icon glyph=Glyph::Layers/>
                    {platform.label.clone()}
                </h2>
                <span class="digest-cell muted">
                    <code title=platform.digest.clone() data-testid="platform-digest">{format::short_digest(&platform.digest)}</code>
                    <CopyButton text=platform.digest.clone() what=format!("{} digest", platform.label) testid="copy-platform-digest".to_string()/>
                    <span>{format::size(platform.size)}</span>
                    {platform.created.clone().map(|c| view! { <span>"· " <RelativeTime value=c/></span> })}
                </span>
            </div>
            {platform.error.clone().map(|e| view! {
                <div class="callout callout-warning" role="alert">
                    <Icon glyph=Glyph::Alert/>
                    <p>{format!("This platform's content could not be read: {e}")}</p>
                </div>
            })}

            <h3 class="section-title">{format!("Layers ({layer_count})")}</h3>
            <div class="table-scroll">
                <table class="table table-compact" id="layers-table" data-testid="layers-table">
                    <thead>
                        <tr>
                            <th class="num">"#"</th>
                            <th>"Digest"</th>
                            <th>"Type"</th>
                            <th class="num">"Size"</th>
                        </tr>
                    </thead>
                    <tbody>
                        {platform.layers.iter().enumerate().map(|(i, l)| view! {
                            <tr data-testid="layer-row">
                                <td class="num muted">{i + 1}</td>
                                <td><code title=l.digest.clone()>{format::short_digest(&l.digest)}</code></td>
                                <td class="muted" title=l.media_type.clone()>{format::media_type(&l.media_type)}</td>
                                <td class="num">{format::size(l.size)}</td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                    <tfoot>
                        <tr>
                            <td></td>
                            <td colspan="2">"Total (compressed)"</td>
                            <td class="num">{format::size(total_layers)}</td>
                        </tr>
                    </tfoot>
                </table>
            </div>

            {platform.config.clone().map(|c| view! { <ConfigView config=c/> })}

            <h3 class="section-title">"History"</h3>
            {if platform.history.is_empty() {
                view! { <p class="muted">"The image records no history."</p> }.into_any()
            } else {
                view! {
                    <ol class="history" id="history" data-testid="history">
                        {platform.history.iter().map(|h| {
                            let line = h.created_by.as_deref().map(format::dockerfile_line).unwrap_or_default();
                            let title = h.created.as_deref().map(format::absolute_time).unwrap_or_default();
                            view! {
                                <li class:empty-layer=h.empty_layer data-testid="history-line" title=title>
                                    <code>{line}</code>
                                    {h.empty_layer.then(|| view! { <span class="badge badge-muted">"metadata"</span> })}
                                </li>
                            }
                        }).collect_view()}
                    </ol>
                }.into_any()
            }}
        </div>
    }
}

#[component]
fn ConfigView(config: ImageConfigInfo) -> impl IntoView {
    let fact = |label: &'static str, value: Option<String>| {
        value.filter(|v| !v.is_empty()).map(|v| {
            view! {
                <div>
                    <dt>{label}</dt>
                    <dd><code class="break">{v}</code></dd>
                </div>
            }
        })
    };
    let entrypoint = config.entrypoint.as_deref().map(format::exec_form);
    let cmd = config.cmd.as_deref().map(format::exec_form);
    let ports = (!config.exposed_ports.is_empty()).then(|| config.exposed_ports.join(", "));
    let volumes = (!config.volumes.is_empty()).then(|| config.volumes.join(", "));
    view! {
        <h3 class="section-title">"Configuration"</h3>
        <dl class="facts" id="config" data-testid="config">
            {fact("Entrypoint", entrypoint)}
            {fact("Command", cmd)}
            {fact("Working directory", config.working_dir.clone())}
            {fact("User", config.user.clone())}
            {fact("Exposed ports", ports)}
            {fact("Volumes", volumes)}
        </dl>
        {(!config.env.is_empty()).then(|| view! {
            <h4 class="subsection-title">"Environment"</h4>
            <ul class="env-list" data-testid="config-env">
                {config.env.iter().map(|e| {
                    let (k, v) = e.split_once('=').unwrap_or((e.as_str(), ""));
                    view! { <li><code><span class="env-key">{k.to_string()}</span>"="{v.to_string()}</code></li> }
                }).collect_view()}
            </ul>
        })}
        {(!config.labels.is_empty()).then(|| view! {
            <h4 class="subsection-title">"Labels"</h4>
            <table class="kv" data-testid="config-labels">
                <tbody>
                    {config.labels.iter().map(|(k, v)| view! {
                        <tr><th scope="row"><code>{k.clone()}</code></th><td><code class="break">{v.clone()}</code></td></tr>
                    }).collect_view()}
                </tbody>
            </table>
        })}
    }
}
