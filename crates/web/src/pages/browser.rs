//! `/r/<registry>[/<repo…>[/t/<tag>]]`: the registry browser. The sidebar (registry switcher,
//! repository tree) stays mounted while the content pane switches between the registry overview,
//! a repository's tags and a tag's details, so moving around never reloads the tree.
//!
//! The catalog is filtered and paginated by the server (`/api/catalog`), so 10,000 repositories
//! cost one page of DOM; within a page repositories are grouped into a collapsible namespace tree.
//!
//! Test ids (= element ids where unique): `registry-select`, `registry-health` (`data-state` =
//! `up` | `down` | `unknown`), `repo-filter`, `repo-count`, `repo-refresh`, `repo-tree`,
//! `ns-toggle` (per namespace, `data-ns`, `aria-expanded`), `repo-link` (per repository,
//! `data-repo`, `aria-current="page"` when open), `repo-pagination-prev|next|range`,
//! `registry-overview`, `unknown-registry`, `back-to-repositories` (phone width only).
use std::time::Duration;

use leptos::prelude::*;
use leptos_router::hooks::use_params_map;
use shared::admin::RegistryInfo;
use shared::registry::{CatalogPage, HealthResponse, RepositorySummary};
use wasm_bindgen::JsCast;

use crate::api::{self, ApiError, CatalogParams};
use crate::components::debounce::debounced_input;
use crate::components::feedback::{EmptyState, ErrorPanel, SkeletonRows, Spinner};
use crate::components::icons::{Glyph, Icon};
use crate::components::pagination::Pagination;
use crate::format;
use crate::links::{self, BrowserTarget};
use crate::navigation::go;
use crate::pages::repository::RepositoryView;
use crate::pages::tag_details::TagDetails;
use crate::registries::use_registries;
use crate::session;

const REPOS_PER_PAGE: usize = 100;

#[component]
pub fn Browser() -> impl IntoView {
    let params = use_params_map();
    let registry = Memo::new(move |_| params.with(|p| p.get("registry").unwrap_or_default()));
    let target = Memo::new(move |_| {
        params.with(|p| links::parse_browser_path(&p.get("path").unwrap_or_default()))
    });
    let registries = use_registries();
    let info: Memo<Option<Result<Option<RegistryInfo>, ApiError>>> = Memo::new(move |_| {
        let name = registry.get();
        registries
            .list()
            .map(|list| list.map(|l| l.into_iter().find(|r| r.name == name)))
    });
    let health = LocalResource::new(move || {
        let name = registry.get();
        async move { api::health(&name).await }
    });

    view! {
        {move || match info.get() {
            None => view! { <div class="centered-page"><Spinner large=true/></div> }.into_any(),
            Some(Err(err)) => {
                view! {
                    <div class="page">
                        <ErrorPanel error=err retry=Callback::new(move |()| registries.reload())/>
                    </div>
                }
                    .into_any()
            }
            Some(Ok(None)) => {
                view! {
                    <div class="page" data-testid="unknown-registry">
                        <EmptyState
                            glyph=Glyph::Server
                            title=format!("There is no registry named “{}”", registry.get_untracked())
                            detail="It may have been removed or renamed."
                        >
                            <a class="btn btn-primary" href="/">"Go to your default registry"</a>
                        </EmptyState>
                    </div>
                }
                    .into_any()
            }
            Some(Ok(Some(_))) => {
                view! {
                    <div class="browser" class:has-selection=move || target.get() != BrowserTarget::Overview>
                        <aside class="sidebar" aria-label="Repositories">
                            <RepositorySidebar registry=registry target=target health=health/>
                        </aside>
                        <section class="content">
                            {move || {
                                let name = registry.get();
                                let current = info.get_untracked().and_then(|r| r.ok().flatten());
                                let read_only = current.as_ref().is_some_and(|r| r.read_only);
                                let default_access = current.map(|r| r.default_access).unwrap_or_default();
                                match target.get() {
                                    BrowserTarget::Overview => view! { <RegistryOverview registry=name health=health/> }.into_any(),
                                    BrowserTarget::Repository(repo) => {
                                        let may_delete = !read_only && session::can_write(&name, default_access, &repo);
                                        view! { <RepositoryView registry=name repository=repo read_only=read_only may_delete=may_delete/> }.into_any()
                                    }
                                    BrowserTarget::Tag(repo, tag) => {
                                        let may_delete = !read_only && session::can_write(&name, default_access, &repo);
                                        view! { <TagDetails registry=name repository=repo tag=tag may_delete=may_delete/> }.into_any()
                                    }
                                }
                            }}
                        </section>
                    </div>
                }
                    .into_any()
            }
        }}
    }
}

fn health_state(health: &Option<Result<HealthResponse, ApiError>>) -> (&'static str, String) {
    match health {
        None => ("unknown", "Checking the registry…".to_string()),
        Some(Ok(h)) if h.reachable => (
            "up",
            format!(
                "Reachable · {} ms{}",
                h.latency_ms,
                h.api_version
                    .as_ref()
                    .map(|v| format!(" · {v}"))
                    .unwrap_or_default()
            ),
        ),
        Some(Ok(h)) => (
            "down",
            format!(
                "Unreachable{}",
                h.error
                    .as_ref()
                    .map(|e| format!(": {e}"))
                    .unwrap_or_default()
            ),
        ),
        Some(Err(e)) => ("down", e.message.clone()),
    }
}

#[component]
fn RepositorySidebar(
    registry: Memo<String>,
    target: Memo<BrowserTarget>,
    health: LocalResource<Result<HealthResponse, ApiError>>,
) -> impl IntoView {
    let registries = use_registries();
    let filter = RwSignal::new(String::new());
    let query = RwSignal::new(String::new());
    let page = RwSignal::new(1usize);
    let force_refresh = StoredValue::new(false);
    let nonce = RwSignal::new(0u32);

    let on_filter = debounced_input(filter, Duration::from_millis(150), move |value| {
        query.set(value);
        page.set(1);
    });
    // A new registry starts from the top.
    Effect::new(move |previous: Option<String>| {
        let current = registry.get();
        if previous.is_some_and(|p| p != current) {
            filter.set(String::new());
            query.set(String::new());
            page.set(1);
        }
        current
    });

    let catalog = LocalResource::new(move || {
        let (name, q, page, _) = (registry.get(), query.get(), page.get(), nonce.get());
        let refresh = force_refresh.get_value();
        force_refresh.set_value(false);
        async move {
            let result = api::catalog(&CatalogParams {
                registry: &name,
                q: &q,
                page,
                per_page: REPOS_PER_PAGE,
                refresh,
            })
            .await;
            (name, result)
        }
    });
    let refresh = move |_| {
        force_refresh.set_value(true);
        nonce.update(|n| *n += 1);
        health.refetch();
    };
    // Only the current registry's page counts: a stale page from the previous one is not shown.
    let loaded: Signal<Option<CatalogPage>> = Signal::derive(move || {
        catalog
            .get()
            .and_then(|(name, result)| result.ok().filter(|_| name == registry.get()))
    });
    let total = Signal::derive(move || loaded.get().map_or(0, |p| p.total));
    let selected_repo = Memo::new(move |_| match target.get() {
        BrowserTarget::Repository(r) | BrowserTarget::Tag(r, _) => Some(r),
        BrowserTarget::Overview => None,
    });

    let on_switch = move |ev: leptos::ev::Event| {
        let name = event_target_value(&ev);
        if !name.is_empty() {
            go(&links::registry(&name));
        }
    };

    view! {
        <div class="sidebar-head">
            <label class="visually-hidden" for="registry-select">"Registry"</label>
            <div class="registry-switcher">
                {move || {
                    let (state, title) = health_state(&health.get());
                    view! {
                        <span
                            class=format!("health-dot health-{state}")
                            id="registry-health"
                            data-testid="registry-health"
                            data-state=state
                            title=title.clone()
                            role="img"
                            aria-label=title
                        ></span>
                    }
                }}
                <select id="registry-select" data-testid="registry-select" on:change=on_switch prop:value=move || registry.get()>
                    {move || {
                        registries
                            .list()
                            .and_then(Result::ok)
                            .unwrap_or_default()
                            .into_iter()
                            .map(|r| {
                                let selected = r.name == registry.get_untracked();
                                view! {
                                    <option value=r.name.clone() selected=selected>
                                        {r.name.clone()}
                                        {r.read_only.then_some(" (read-only)")}
                                    </option>
                                }
                            })
                            .collect_view()
                    }}
                </select>
                <button
                    class="icon-btn"
                    type="button"
                    id="repo-refresh"
                    data-testid="repo-refresh"
                    title="Reload the repository list from the registry"
                    aria-label="Reload repositories"
                    on:click=refresh
                >
                    <Icon glyph=Glyph::Refresh/>
                </button>
            </div>
            <div class="search-field">
                <Icon glyph=Glyph::Search/>
                <input
                    type="search"
                    id="repo-filter"
                    data-testid="repo-filter"
                    placeholder="Filter repositories"
                    aria-label="Filter repositories"
                    autocomplete="off"
                    spellcheck="false"
                    prop:value=move || filter.get()
                    on:input=on_filter
                />
            </div>
            <p class="sidebar-count muted" id="repo-count" data-testid="repo-count" aria-live="polite">
                {move || match loaded.get() {
                    None => "\u{a0}".to_string(),
                    Some(p) if query.with(|q| q.trim().is_empty()) => format::plural(p.total, "repository", "repositories"),
                    Some(p) => format!("{} matching", format::plural(p.total, "repository", "repositories")),
                }}
            </p>
        </div>
        <div class="sidebar-body">
            {move || match catalog.get() {
                Some((name, Err(err))) if name == registry.get() => {
                    view! { <ErrorPanel error=err retry=Callback::new(move |()| catalog.refetch())/> }.into_any()
                }
                _ => match loaded.get() {
                    None => view! { <SkeletonRows rows=12 testid="repo-tree-loading"/> }.into_any(),
                    Some(p) if p.repositories.is_empty() => {
                        let filtered = !query.get_untracked().trim().is_empty();
                        view! {
                            <EmptyState
                                glyph=if filtered { Glyph::Search } else { Glyph::Package }
                                title=if filtered { "No matching repositories" } else { "This registry is empty" }
                                detail=if filtered { "Try a shorter filter." } else { "Push an image to see it here." }
                            />
                        }
                            .into_any()
                    }
                    Some(p) => {
                        let expand_all = !query.get_untracked().trim().is_empty();
                        view! { <RepositoryTree registry=registry.get_untracked() repositories=p.repositories selected=selected_repo expand_all=expand_all/> }
                            .into_any()
                    }
                },
            }}
        </div>
        <Show when=move || { total.get() > REPOS_PER_PAGE }>
            <div class="sidebar-foot">
                <Pagination page=page total=total per_page=Signal::derive(|| REPOS_PER_PAGE) testid="repo-pagination" compact=true/>
            </div>
        </Show>
    }
}

/// A namespace (folder) or repository in the tree; `repository` is set when the path itself is
/// a repository (a name can be both: `team` and `team/app`).
#[derive(Debug, Clone, PartialEq, Eq)]
struct TreeNode {
    label: String,
    path: String,
    repository: bool,
    children: Vec<TreeNode>,
}

impl TreeNode {
    fn count(&self) -> usize {
        usize::from(self.repository) + self.children.iter().map(TreeNode::count).sum::<usize>()
    }
}

fn insert(nodes: &mut Vec<TreeNode>, segments: &[&str], prefix: &str) {
    let Some((first, rest)) = segments.split_first() else {
        return;
    };
    let path = if prefix.is_empty() {
        first.to_string()
    } else {
        format!("{prefix}/{first}")
    };
    let index = match nodes.iter().position(|n| n.label == *first) {
        Some(i) => i,
        None => {
            nodes.push(TreeNode {
                label: first.to_string(),
                path: path.clone(),
                repository: false,
                children: Vec::new(),
            });
            nodes.len() - 1
        }
    };
    if rest.is_empty() {
        nodes[index].repository = true;
    } else {
        insert(&mut nodes[index].children, rest, &path);
    }
}

/// Folds single-child namespace chains (`a` › `b` › `c`) into one row (`a/b/c`).
fn compress(nodes: Vec<TreeNode>) -> Vec<TreeNode> {
    nodes
        .into_iter()
        .map(|mut node| {
            while !node.repository
                && node.children.len() == 1
                && !node.children[0].children.is_empty()
            {
                let child = node.children.remove(0);
                node.label = format!("{}/{}", node.label, child.label);
                node.path = child.path;
                node.repository = child.repository;
                node.children = child.children;
            }
            node.children = compress(node.children);
            node
        })
        .collect()
}

fn build_tree(repositories: &[RepositorySummary]) -> Vec<TreeNode> {
    let mut roots = Vec::new();
    for repo in repositories {
        let segments: Vec<&str> = repo.name.split('/').collect();
        insert(&mut roots, &segments, "");
    }
    compress(roots)
}

/// Up/Down/Home/End move between tree rows, as in a file tree.
fn move_focus(ev: &leptos::ev::KeyboardEvent, container: &web_sys::Element) {
    let key = ev.key();
    if !matches!(key.as_str(), "ArrowDown" | "ArrowUp" | "Home" | "End") {
        return;
    }
    let Ok(list) = container.query_selector_all("[data-tree-item]") else {
        return;
    };
    let items: Vec<web_sys::HtmlElement> = (0..list.length())
        .filter_map(|i| list.item(i))
        .filter_map(|n| n.dyn_into().ok())
        .collect();
    if items.is_empty() {
        return;
    }
    let active = document().active_element();
    let current = items.iter().position(|i| {
        active
            .as_ref()
            .is_some_and(|a| a == i.as_ref() as &web_sys::Element)
    });
    let next = match (key.as_str(), current) {
        ("Home", _) => 0,
        ("End", _) => items.len() - 1,
        ("ArrowDown", Some(i)) => (i + 1).min(items.len() - 1),
        ("ArrowUp", Some(i)) => i.saturating_sub(1),
        (_, None) => 0,
        _ => return,
    };
    ev.prevent_default();
    let _ = items[next].focus();
}

#[component]
fn RepositoryTree(
    registry: String,
    repositories: Vec<RepositorySummary>,
    selected: Memo<Option<String>>,
    expand_all: bool,
) -> impl IntoView {
    let tree = build_tree(&repositories);
    let container: NodeRef<leptos::html::Ul> = NodeRef::new();
    view! {
        <ul
            class="tree"
            id="repo-tree"
            data-testid="repo-tree"
            node_ref=container
            on:keydown=move |ev| {
                if let Some(el) = container.get_untracked() {
                    move_focus(&ev, &el.into());
                }
            }
        >
            {render_nodes(tree, registry, selected, expand_all, 0)}
        </ul>
    }
}

fn render_nodes(
    nodes: Vec<TreeNode>,
    registry: String,
    selected: Memo<Option<String>>,
    expand_all: bool,
    depth: usize,
) -> AnyView {
    nodes
        .into_iter()
        .map(|node| render_node(node, registry.clone(), selected, expand_all, depth))
        .collect_view()
        .into_any()
}

fn repository_link(
    registry: &str,
    path: String,
    label: String,
    selected: Memo<Option<String>>,
    depth: usize,
) -> AnyView {
    let is_current = {
        let path = path.clone();
        move || selected.with(|s| s.as_deref() == Some(path.as_str()))
    };
    view! {
        <a
            class="tree-item tree-repo"
            href=links::repository(registry, &path)
            style=format!("--depth: {depth}")
            data-tree-item=""
            data-testid="repo-link"
            data-repo=path.clone()
            title=path.clone()
            class:active=is_current.clone()
            aria-current=move || is_current().then_some("page")
        >
            <Icon glyph=Glyph::Package/>
            <span class="tree-label">{label}</span>
        </a>
    }
    .into_any()
}

fn render_node(
    node: TreeNode,
    registry: String,
    selected: Memo<Option<String>>,
    expand_all: bool,
    depth: usize,
) -> AnyView {
    if node.children.is_empty() {
        let link = repository_link(&registry, node.path, node.label, selected, depth);
        return view! { <li>{link}</li> }.into_any();
    }
    let expanded = RwSignal::new(true);
    let count = node.count();
    let TreeNode {
        label,
        path,
        repository,
        children,
    } = node;
    // A name that is both a namespace and a repository lists itself first inside the folder.
    let own_label = label.rsplit('/').next().unwrap_or(&label).to_string();
    view! {
        <li>
            <button
                class="tree-item tree-ns"
                type="button"
                style=format!("--depth: {depth}")
                data-tree-item=""
                data-testid="ns-toggle"
                data-ns=path.clone()
                aria-expanded=move || if expanded.get() || expand_all { "true" } else { "false" }
                on:click=move |_| expanded.update(|e| *e = !*e)
                on:keydown=move |ev| match ev.key().as_str() {
                    "ArrowRight" => expanded.set(true),
                    "ArrowLeft" => expanded.set(false),
                    _ => {}
                }
            >
                <span class="tree-chevron" class:open=move || expanded.get() || expand_all>
                    <Icon glyph=Glyph::ChevronRight/>
                </span>
                <Icon glyph=Glyph::Folder/>
                <span class="tree-label">{label.clone()}</span>
                <span class="tree-count">{count}</span>
            </button>
            {move || {
                (expanded.get() || expand_all)
                    .then(|| {
                        view! {
                            <ul role="group">
                                {repository
                                    .then(|| {
                                        let link = repository_link(&registry, path.clone(), own_label.clone(), selected, depth + 1);
                                        view! { <li>{link}</li> }
                                    })}
                                {render_nodes(children.clone(), registry.clone(), selected, expand_all, depth + 1)}
                            </ul>
                        }
                    })
            }}
        </li>
    }
    .into_any()
}

/// The content pane before a repository is chosen.
#[component]
fn RegistryOverview(
    registry: String,
    health: LocalResource<Result<HealthResponse, ApiError>>,
) -> impl IntoView {
    let registries = use_registries();
    let info = {
        let registry = registry.clone();
        move || {
            registries
                .list()
                .and_then(Result::ok)
                .and_then(|l| l.into_iter().find(|r| r.name == registry))
        }
    };
    view! {
        <div class="page" id="registry-overview" data-testid="registry-overview">
            <header class="page-header">
                <div>
                    <p class="eyebrow">"Registry"</p>
                    <h1>{registry.clone()}</h1>
                </div>
            </header>
            {move || {
                info()
                    .map(|r| {
                        let (state, text) = health_state(&health.get());
                        view! {
                            <div class="card">
                                <dl class="facts">
                                    <div>
                                        <dt>"Status"</dt>
                                        <dd>
                                            <span class=format!("health-dot health-{state}")></span>
                                            {text}
                                        </dd>
                                    </div>
                                    <div>
                                        <dt>"URL"</dt>
                                        <dd><code>{r.url.clone()}</code></dd>
                                    </div>
                                    <div>
                                        <dt>"Pull from"</dt>
                                        <dd><code>{r.pull_host.clone()}</code></dd>
                                    </div>
                                    <div>
                                        <dt>"Access"</dt>
                                        <dd>
                                            {if r.read_only {
                                                "Read-only: deleting is disabled"
                                            } else if session::is_admin() || (r.default_access == shared::permissions::DefaultAccess::Role && session::role().is_some_and(|role| role.can_delete())) {
                                                "Read and delete"
                                            } else if r.default_access == shared::permissions::DefaultAccess::None {
                                                "Only the repositories granted to you"
                                            } else {
                                                "Read; delete where granted"
                                            }}
                                        </dd>
                                    </div>
                                </dl>
                            </div>
                        }
                    })
            }}
            <EmptyState glyph=Glyph::Package title="Choose a repository" detail="Pick a repository on the left to see its tags."/>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn repo(name: &str) -> RepositorySummary {
        RepositorySummary {
            name: name.into(),
            namespace: name.rsplit_once('/').map(|(ns, _)| ns.to_string()),
        }
    }

    #[test]
    fn namespaces_become_folders_and_single_chains_fold() {
        let tree = build_tree(&[
            repo("a/b/c/deep"),
            repo("alpine"),
            repo("team/app"),
            repo("team/web"),
        ]);
        assert_eq!(tree.len(), 3);
        assert_eq!(tree[0].label, "a/b/c");
        assert_eq!(tree[0].children[0].path, "a/b/c/deep");
        assert!(tree[1].repository && tree[1].children.is_empty());
        assert_eq!(tree[2].count(), 2);
    }

    #[test]
    fn a_name_can_be_a_repository_and_a_namespace() {
        let tree = build_tree(&[repo("team"), repo("team/app")]);
        assert_eq!(tree.len(), 1);
        assert!(tree[0].repository);
        assert_eq!(tree[0].children.len(), 1);
    }
}
