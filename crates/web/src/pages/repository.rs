//! A repository's tags: sortable, filterable, paginated by the server, with multi-select and
//! bulk delete for editors and admins on writable registries.
//!
//! Test ids (= element ids where unique): `repository-view` (`data-repository`), `tag-count`,
//! `tags-refresh`, `tag-filter`, `tag-sort` (select: `name` | `created` | `size`), `tag-order`
//! (button, `data-order` = `asc` | `desc`), `sort-name` / `sort-size` / `sort-created` (column
//! header buttons), `tag-table`, `tag-row` (per tag, `data-tag`, `data-digest`), `tag-link`,
//! `tag-digest`, `copy-digest`, `platform-badge`, `tag-size`, `tag-created`, `tag-select`
//! (per-row checkbox), `select-all-tags`, `bulk-delete`, `clear-selection`, `tag-delete`
//! (per row), `tags-per-page`, `tags-pagination-prev|next|range`; the delete dialog's ids are
//! in `components/delete_dialog.rs` (`delete-dialog`, `delete-affected-tag`, `delete-confirm`).
use std::collections::BTreeSet;
use std::time::Duration;

use leptos::prelude::*;
use shared::permissions::AccessLevel;
use shared::registry::{TagPage, TagSummary};

use crate::api::{self, ApiError, TagParams};
use crate::components::copy_button::CopyButton;
use crate::components::debounce::debounced_input;
use crate::components::delete_dialog::DeleteDialog;
use crate::components::feedback::{EmptyState, ErrorPanel, RelativeTime, SkeletonRows};
use crate::components::icons::{Glyph, Icon};
use crate::components::pagination::Pagination;
use crate::format;
use crate::links;

/// Breadcrumbs for `registry / team / app`, each part a link where it leads somewhere.
#[component]
pub fn Breadcrumbs(
    registry: String,
    repository: String,
    #[prop(optional)] tag: Option<String>,
) -> impl IntoView {
    let parts: Vec<&str> = repository.split('/').collect();
    let last = parts.len() - 1;
    let repo_href = links::repository(&registry, &repository);
    view! {
        <nav class="breadcrumbs" aria-label="Breadcrumb">
            <a href=links::registry(&registry)>{registry.clone()}</a>
            {parts
                .iter()
                .enumerate()
                .map(|(i, part)| {
                    let is_repo = i == last;
                    view! {
                        <span class="sep" aria-hidden="true">"/"</span>
                        {if is_repo && tag.is_some() {
                            view! { <a href=repo_href.clone()>{part.to_string()}</a> }.into_any()
                        } else {
                            view! { <span aria-current=(is_repo && tag.is_none()).then_some("page")>{part.to_string()}</span> }.into_any()
                        }}
                    }
                })
                .collect_view()}
            {tag.map(|t| view! {
                <span class="sep" aria-hidden="true">":"</span>
                <span aria-current="page">{t}</span>
            })}
        </nav>
    }
}

fn platform_badges(tag: &TagSummary) -> impl IntoView {
    tag.platforms
        .iter()
        .map(|p| {
            let label = format::platform(&p.os, &p.architecture, p.variant.as_deref());
            view! {
                <span class="badge" data-testid="platform-badge" title=format!("{label} · {}", format::size(p.size))>
                    {label.clone()}
                </span>
            }
        })
        .collect_view()
}

#[component]
pub fn RepositoryView(
    registry: String,
    repository: String,
    read_only: bool,
    may_delete: bool,
) -> impl IntoView {
    // A first guess from the role and grants in the profile; the tag list's `access` (the
    // server's answer for this repository, now) decides, so a grant given a minute ago counts.
    let writable = RwSignal::new(may_delete);
    let may_delete = move || !read_only && writable.get();
    let sort = RwSignal::new("created".to_string());
    let order = RwSignal::new("desc".to_string());
    let filter = RwSignal::new(String::new());
    let query = RwSignal::new(String::new());
    let page = RwSignal::new(1usize);
    let per_page = RwSignal::new(50usize);
    let selection: RwSignal<BTreeSet<String>> = RwSignal::new(BTreeSet::new());
    let removed: RwSignal<BTreeSet<String>> = RwSignal::new(BTreeSet::new());
    let to_delete: RwSignal<Option<Vec<String>>> = RwSignal::new(None);
    let force_refresh = StoredValue::new(false);
    let nonce = RwSignal::new(0u32);

    let on_filter = debounced_input(filter, Duration::from_millis(150), move |value| {
        query.set(value);
        page.set(1);
    });

    let tags = {
        let (registry, repository) = (registry.clone(), repository.clone());
        LocalResource::new(move || {
            let (registry, repository) = (registry.clone(), repository.clone());
            let (sort, order, q, page, per_page, _) = (
                sort.get(),
                order.get(),
                query.get(),
                page.get(),
                per_page.get(),
                nonce.get(),
            );
            let refresh = force_refresh.get_value();
            force_refresh.set_value(false);
            async move {
                let result = api::tags(&TagParams {
                    registry: &registry,
                    repository: &repository,
                    sort: &sort,
                    order: &order,
                    q: &q,
                    page,
                    per_page,
                    refresh,
                })
                .await;
                // Fresh data replaces the rows hidden after a delete.
                if let Ok(page) = &result {
                    removed.set(BTreeSet::new());
                    writable.set(page.access == AccessLevel::Write);
                }
                result
            }
        })
    };
    let reload = move |refresh: bool| {
        force_refresh.set_value(refresh);
        nonce.update(|n| *n += 1);
    };
    // Derived, not memoised: the DTOs carry no `PartialEq`, and cloning one page is cheap.
    let data: Signal<Option<Result<TagPage, ApiError>>> = Signal::derive(move || tags.get());
    let loaded = Signal::derive(move || data.get().and_then(Result::ok));
    let visible_tags = Memo::new(move |_| {
        let hidden = removed.get();
        loaded
            .get()
            .map(|p| {
                p.tags
                    .into_iter()
                    .filter(|t| !hidden.contains(&t.name))
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default()
    });
    let total = Signal::derive(move || loaded.get().map_or(0, |p| p.total));

    let sort_by = move |column: &'static str| {
        if sort.get_untracked() == column {
            order.update(|o| {
                *o = if o == "asc" {
                    "desc".into()
                } else {
                    "asc".into()
                }
            });
        } else {
            sort.set(column.to_string());
            // Newest and biggest first; names A to Z.
            order.set(if column == "name" {
                "asc".into()
            } else {
                "desc".into()
            });
        }
        page.set(1);
    };
    let aria_sort = move |column: &'static str| {
        if sort.get() == column {
            if order.get() == "asc" {
                "ascending"
            } else {
                "descending"
            }
        } else {
            "none"
        }
    };
    let sort_icon = move |column: &'static str| {
        (sort.get() == column).then(|| {
            if order.get() == "asc" {
                view! { <Icon glyph=Glyph::ChevronUp/> }
            } else {
                view! { <Icon glyph=Glyph::ChevronDown/> }
            }
        })
    };

    let all_selected = move || {
        let tags = visible_tags.get();
        !tags.is_empty() && selection.with(|s| tags.iter().all(|t| s.contains(&t.name)))
    };
    let toggle_all = move |_| {
        let tags = visible_tags.get_untracked();
        let select = !all_selected();
        selection.update(|s| {
            for t in &tags {
                if select {
                    s.insert(t.name.clone());
                } else {
                    s.remove(&t.name);
                }
            }
        });
    };

    let on_deleted = Callback::new(move |gone: Vec<String>| {
        selection.update(|s| {
            for t in &gone {
                s.remove(t);
            }
        });
        removed.update(|r| r.extend(gone));
        reload(false);
    });

    let page_repository = repository.clone();
    let header_registry = registry.clone();
    let header_repository = repository.clone();
    let row_registry = registry.clone();
    let row_repository = repository.clone();

    view! {
        <div class="page" id="repository-view" data-testid="repository-view" data-repository=page_repository>
            <a class="back-link" href=links::registry(&registry) data-testid="back-to-repositories">
                <Icon glyph=Glyph::ChevronLeft/>
                "Repositories"
            </a>
            <header class="page-header">
                <div class="page-title">
                    <Breadcrumbs registry=header_registry repository=header_repository.clone()/>
                    <h1>{header_repository}</h1>
                    <p class="muted" id="tag-count" data-testid="tag-count">
                        {move || match loaded.get() {
                            Some(p) if query.with(|q| q.trim().is_empty()) => format::plural(p.total, "tag", "tags"),
                            Some(p) => format!("{} matching", format::plural(p.total, "tag", "tags")),
                            None => "\u{a0}".to_string(),
                        }}
                        {read_only.then(|| view! { <span class="badge badge-muted">"read-only registry"</span> })}
                    </p>
                </div>
                <div class="page-actions">
                    <button class="btn" type="button" id="tags-refresh" data-testid="tags-refresh" on:click=move |_| reload(true)>
                        <Icon glyph=Glyph::Refresh/>
                        <span>"Refresh"</span>
                    </button>
                </div>
            </header>

            <div class="toolbar">
                <div class="search-field">
                    <Icon glyph=Glyph::Search/>
                    <input
                        type="search"
                        id="tag-filter"
                        data-testid="tag-filter"
                        placeholder="Filter tags"
                        aria-label="Filter tags"
                        autocomplete="off"
                        spellcheck="false"
                        prop:value=move || filter.get()
                        on:input=on_filter
                    />
                </div>
                <div class="toolbar-group">
                    <label class="visually-hidden" for="tag-sort">"Sort by"</label>
                    <select
                        id="tag-sort"
                        data-testid="tag-sort"
                        prop:value=move || sort.get()
                        on:change=move |ev| {
                            let column = event_target_value(&ev);
                            order.set(if column == "name" { "asc".into() } else { "desc".into() });
                            sort.set(column);
                            page.set(1);
                        }
                    >
                        <option value="created">"Newest first"</option>
                        <option value="name">"Name"</option>
                        <option value="size">"Size"</option>
                    </select>
                    <button
                        class="icon-btn bordered"
                        type="button"
                        id="tag-order"
                        data-testid="tag-order"
                        data-order=move || order.get()
                        title=move || if order.get() == "asc" { "Ascending: click for descending" } else { "Descending: click for ascending" }
                        aria-label=move || if order.get() == "asc" { "Sort descending" } else { "Sort ascending" }
                        on:click=move |_| {
                            order.update(|o| *o = if o == "asc" { "desc".into() } else { "asc".into() });
                            page.set(1);
                        }
                    >
                        {move || if order.get() == "asc" { view! { <Icon glyph=Glyph::ChevronUp/> } } else { view! { <Icon glyph=Glyph::ChevronDown/> } }}
                    </button>
                </div>
                <Show when=may_delete>
                    <div class="toolbar-group selection-actions">
                        {move || {
                            let n = selection.with(BTreeSet::len);
                            (n > 0).then(|| view! {
                                <span class="muted">{format!("{n} selected")}</span>
                                <button class="link" type="button" id="clear-selection" data-testid="clear-selection" on:click=move |_| selection.set(BTreeSet::new())>
                                    "Clear"
                                </button>
                            })
                        }}
                        <button
                            class="btn btn-danger-outline"
                            type="button"
                            id="bulk-delete"
                            data-testid="bulk-delete"
                            disabled=move || selection.with(BTreeSet::is_empty)
                            on:click=move |_| to_delete.set(Some(selection.get_untracked().into_iter().collect()))
                        >
                            <Icon glyph=Glyph::Trash/>
                            <span>{move || match selection.with(BTreeSet::len) {
                                0 => "Delete selected".to_string(),
                                n => format!("Delete {}", format::plural(n, "tag", "tags")),
                            }}</span>
                        </button>
                    </div>
                </Show>
            </div>

            {move || match data.get() {
                None => view! { <div class="card"><SkeletonRows rows=8 testid="tags-loading"/></div> }.into_any(),
                Some(Err(err)) => view! { <ErrorPanel error=err retry=Callback::new(move |()| reload(false))/> }.into_any(),
                Some(Ok(_)) if visible_tags.with(Vec::is_empty) => {
                    let filtered = !query.get_untracked().trim().is_empty();
                    view! {
                        <div class="card">
                            <EmptyState
                                glyph=if filtered { Glyph::Search } else { Glyph::Tag }
                                title=if filtered { "No tags match the filter" } else { "This repository has no tags" }
                            />
                        </div>
                    }
                        .into_any()
                }
                Some(Ok(_)) => {
                    let (registry, repository) = (row_registry.clone(), row_repository.clone());
                    view! {
                        <div class="card table-card">
                            <div class="table-scroll">
                                <table class="table" id="tag-table" data-testid="tag-table">
                                    <thead>
                                        <tr>
                                            <Show when=may_delete>
                                                <th class="col-check">
                                                    <input
                                                        type="checkbox"
                                                        id="select-all-tags"
                                                        data-testid="select-all-tags"
                                                        aria-label="Select all tags on this page"
                                                        prop:checked=all_selected
                                                        on:change=toggle_all
                                                    />
                                                </th>
                                            </Show>
                                            <th aria-sort=move || aria_sort("name")>
                                                <button class="th-sort" type="button" id="sort-name" data-testid="sort-name" on:click=move |_| sort_by("name")>
                                                    "Tag" {move || sort_icon("name")}
                                                </button>
                                            </th>
                                            <th>"Digest"</th>
                                            <th class="col-platforms">"Platforms"</th>
                                            <th class="num" aria-sort=move || aria_sort("size")>
                                                <button class="th-sort" type="button" id="sort-size" data-testid="sort-size" on:click=move |_| sort_by("size")>
                                                    "Size" {move || sort_icon("size")}
                                                </button>
                                            </th>
                                            <th aria-sort=move || aria_sort("created")>
                                                <button class="th-sort" type="button" id="sort-created" data-testid="sort-created" on:click=move |_| sort_by("created")>
                                                    "Created" {move || sort_icon("created")}
                                                </button>
                                            </th>
                                            <Show when=may_delete>
                                                <th class="col-actions"><span class="visually-hidden">"Actions"</span></th>
                                            </Show>
                                        </tr>
                                    </thead>
                                    <tbody>
                                        <For
                                            each=move || visible_tags.get()
                                            key=|t| (t.name.clone(), t.digest.clone())
                                            children=move |tag: TagSummary| {
                                                let name = tag.name.clone();
                                                let href = links::tag(&registry, &repository, &name);
                                                let checked = {
                                                    let name = name.clone();
                                                    move || selection.with(|s| s.contains(&name))
                                                };
                                                let toggle = {
                                                    let name = name.clone();
                                                    move |_| selection.update(|s| {
                                                        if !s.remove(&name) {
                                                            s.insert(name.clone());
                                                        }
                                                    })
                                                };
                                                let delete_one = {
                                                    let name = name.clone();
                                                    move |_| to_delete.set(Some(vec![name.clone()]))
                                                };
                                                let digest = tag.digest.clone().unwrap_or_default();
                                                // The view macro moves captures into closures in its own
                                                // order: everything a row needs is prepared here.
                                                let (row_tag, row_digest, checked_row, checked_box) =
                                                    (name.clone(), digest.clone(), checked.clone(), checked.clone());
                                                let select_label = format!("Select tag {name}");
                                                let delete_title = format!("Delete {name}");
                                                let delete_label = format!("Delete tag {name}");
                                                let copy_what = format!("digest of {name}");
                                                view! {
                                                    <tr data-testid="tag-row" data-tag=row_tag data-digest=row_digest class:selected=checked_row>
                                                        <Show when=may_delete>
                                                            <td class="col-check">
                                                                <input
                                                                    type="checkbox"
                                                                    data-testid="tag-select"
                                                                    aria-label=select_label.clone()
                                                                    prop:checked=checked_box.clone()
                                                                    on:change=toggle.clone()
                                                                />
                                                            </td>
                                                        </Show>
                                                        <td class="col-name">
                                                            <a href=href.clone() class="tag-name" data-testid="tag-link">
                                                                <Icon glyph=Glyph::Tag/>
                                                                {name.clone()}
                                                            </a>
                                                            {tag.error.clone().map(|e| view! {
                                                                <span class="warn-icon" title=e.clone() aria-label=format!("Details unavailable: {e}")>
                                                                    <Icon glyph=Glyph::Alert/>
                                                                </span>
                                                            })}
                                                        </td>
                                                        <td class="col-digest">
                                                            {(!digest.is_empty()).then(|| view! {
                                                                <span class="digest-cell">
                                                                    <code title=digest.clone() data-testid="tag-digest">{format::short_digest(&digest)}</code>
                                                                    <CopyButton text=digest.clone() what=copy_what.clone() testid="copy-digest".to_string()/>
                                                                </span>
                                                            })}
                                                        </td>
                                                        <td class="col-platforms">
                                                            <span class="badges">{platform_badges(&tag)}</span>
                                                        </td>
                                                        <td class="num" data-testid="tag-size">{tag.size.map(format::size).unwrap_or_else(|| "—".into())}</td>
                                                        <td class="nowrap" data-testid="tag-created">
                                                            {match tag.created.clone() {
                                                                Some(c) => view! { <RelativeTime value=c/> }.into_any(),
                                                                None => view! { <span class="muted">"—"</span> }.into_any(),
                                                            }}
                                                        </td>
                                                        <Show when=may_delete>
                                                            <td class="col-actions">
                                                                <button
                                                                    class="icon-btn danger"
                                                                    type="button"
                                                                    data-testid="tag-delete"
                                                                    title=delete_title.clone()
                                                                    aria-label=delete_label.clone()
                                                                    on:click=delete_one.clone()
                                                                >
                                                                    <Icon glyph=Glyph::Trash/>
                                                                </button>
                                                            </td>
                                                        </Show>
                                                    </tr>
                                                }
                                            }
                                        />
                                    </tbody>
                                </table>
                            </div>
                        </div>
                    }
                        .into_any()
                }
            }}

            <div class="table-footer">
                <label class="per-page">
                    <span class="muted">"Per page"</span>
                    <select
                        id="tags-per-page"
                        data-testid="tags-per-page"
                        prop:value=move || per_page.get().to_string()
                        on:change=move |ev| {
                            per_page.set(event_target_value(&ev).parse().unwrap_or(50));
                            page.set(1);
                        }
                    >
                        <option value="25">"25"</option>
                        <option value="50">"50"</option>
                        <option value="100">"100"</option>
                        <option value="250">"250"</option>
                    </select>
                </label>
                <Pagination page=page total=total per_page=per_page testid="tags-pagination"/>
            </div>

            {move || {
                to_delete
                    .get()
                    .map(|tags| {
                        view! {
                            <DeleteDialog
                                registry=registry.clone()
                                repository=repository.clone()
                                tags=tags
                                on_close=Callback::new(move |()| to_delete.set(None))
                                on_deleted=on_deleted
                            />
                        }
                    })
            }}
        </div>
    }
}
