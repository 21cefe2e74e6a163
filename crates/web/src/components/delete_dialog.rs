//! Deleting tags. A registry deletes manifests, not tags: every tag that points to the same
//! digest disappears with it. The dialog names all of them before anything happens, and says
//! that storage is only reclaimed by the registry's garbage collector.
//!
//! Test ids: `delete-dialog`, `delete-plan-loading`, `delete-tag-list`, `delete-affected-tag`
//! (per tag, `data-tag`; tags that were not selected but share a digest have class
//! `chip-warning`), `delete-gc-note`, `delete-progress` (bulk only), `delete-errors`,
//! `delete-cancel`, `delete-confirm` (also `id`).
use std::collections::BTreeMap;

use leptos::prelude::*;
use shared::registry::BulkDeleteRequest;

use crate::api::{self, ApiError, TagParams};
use crate::components::dialog::Dialog;
use crate::components::feedback::{ErrorPanel, SkeletonRows};
use crate::components::icons::{Glyph, Icon};
use crate::components::toast;
use crate::format;

/// One manifest to delete and every tag that points to it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct DigestGroup {
    digest: String,
    /// All tags pointing at `digest`, sorted.
    tags: Vec<String>,
}

/// Tags per request in a bulk delete: small batches give a progress bar that moves.
const BATCH: usize = 5;

async fn plan_single(
    registry: &str,
    repository: &str,
    tag: &str,
) -> Result<Vec<DigestGroup>, ApiError> {
    let details = api::manifest(registry, repository, tag, true).await?;
    let mut tags = details.tags_sharing_digest.clone();
    if !tags.iter().any(|t| t == tag) {
        tags.push(tag.to_string());
    }
    tags.sort();
    Ok(vec![DigestGroup {
        digest: details.digest,
        tags,
    }])
}

/// For several tags: the whole tag list (details include digests) grouped by digest.
async fn plan_bulk(
    registry: &str,
    repository: &str,
    selected: &[String],
) -> Result<Vec<DigestGroup>, ApiError> {
    let mut by_digest: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut digest_of: BTreeMap<String, String> = BTreeMap::new();
    let mut page = 1;
    loop {
        let result = api::tags(&TagParams {
            registry,
            repository,
            sort: "name",
            order: "asc",
            q: "",
            page,
            per_page: 1000,
            refresh: false,
        })
        .await?;
        for tag in &result.tags {
            if let Some(digest) = &tag.digest {
                by_digest
                    .entry(digest.clone())
                    .or_default()
                    .push(tag.name.clone());
                digest_of.insert(tag.name.clone(), digest.clone());
            }
        }
        if page * result.per_page >= result.total || result.tags.is_empty() {
            break;
        }
        page += 1;
    }
    let mut groups: Vec<DigestGroup> = Vec::new();
    for tag in selected {
        match digest_of.get(tag) {
            Some(digest) if groups.iter().any(|g| &g.digest == digest) => {}
            Some(digest) => {
                let mut tags = by_digest.get(digest).cloned().unwrap_or_default();
                tags.sort();
                groups.push(DigestGroup {
                    digest: digest.clone(),
                    tags,
                });
            }
            // Unreadable details: the server resolves the digest when deleting.
            None => groups.push(DigestGroup {
                digest: String::new(),
                tags: vec![tag.clone()],
            }),
        }
    }
    Ok(groups)
}

/// Confirms and performs the deletion of `tags` (one or many) from `repository`.
#[component]
pub fn DeleteDialog(
    registry: String,
    repository: String,
    tags: Vec<String>,
    #[prop(into)] on_close: Callback<()>,
    /// Called with every tag that is gone.
    #[prop(into)]
    on_deleted: Callback<Vec<String>>,
) -> impl IntoView {
    let selected = tags.clone();
    let plan = {
        let (registry, repository) = (registry.clone(), repository.clone());
        LocalResource::new(move || {
            let (registry, repository, selected) =
                (registry.clone(), repository.clone(), selected.clone());
            async move {
                if selected.len() == 1 {
                    plan_single(&registry, &repository, &selected[0]).await
                } else {
                    plan_bulk(&registry, &repository, &selected).await
                }
            }
        })
    };
    let busy = RwSignal::new(false);
    let progress = RwSignal::new((0usize, 0usize));
    let failures: RwSignal<Vec<String>> = RwSignal::new(Vec::new());

    let run = move |groups: Vec<DigestGroup>| {
        let (registry, repository) = (registry.clone(), repository.clone());
        busy.set(true);
        failures.set(Vec::new());
        progress.set((0, groups.len()));
        leptos::task::spawn_local(async move {
            let mut removed: Vec<String> = Vec::new();
            let mut errors: Vec<String> = Vec::new();
            if groups.len() == 1 && !groups[0].tags.is_empty() && !groups[0].digest.is_empty() {
                let group = &groups[0];
                // Any tag of the group deletes the digest; the server reports what went.
                let tag = group.tags[0].clone();
                match api::delete_manifest(&registry, &repository, &tag).await {
                    Ok(answer) => removed.extend(answer.removed_tags),
                    Err(err) => errors.push(format!("{tag}: {}", err.message)),
                }
                progress.set((1, 1));
            } else {
                let total = groups.len();
                for (index, batch) in groups.chunks(BATCH).enumerate() {
                    // One tag per digest: deleting it takes the digest's other tags along.
                    let request = BulkDeleteRequest {
                        tags: batch.iter().map(|g| g.tags[0].clone()).collect(),
                    };
                    match api::delete_tags(&registry, &repository, &request).await {
                        Ok(answer) => {
                            for result in answer.results {
                                let group = batch.iter().find(|g| g.tags[0] == result.tag);
                                if result.ok {
                                    match group {
                                        Some(g) => removed.extend(g.tags.iter().cloned()),
                                        None => removed.push(result.tag),
                                    }
                                } else {
                                    let why = result
                                        .message
                                        .or(result.error)
                                        .unwrap_or_else(|| "not deleted".into());
                                    errors.push(format!("{}: {why}", result.tag));
                                }
                            }
                        }
                        Err(err) => {
                            errors.extend(
                                batch
                                    .iter()
                                    .map(|g| format!("{}: {}", g.tags[0], err.message)),
                            );
                            // Ended sessions and lost rights fail every later batch too.
                            if matches!(err.status, 401 | 403) {
                                break;
                            }
                        }
                    }
                    progress.set((((index + 1) * BATCH).min(total), total));
                }
            }
            removed.sort();
            removed.dedup();
            busy.set(false);
            if !removed.is_empty() {
                toast::success(format!(
                    "Deleted {}. The registry frees the space at its next garbage collection.",
                    format::plural(removed.len(), "tag", "tags")
                ));
                on_deleted.run(removed);
            }
            if errors.is_empty() {
                on_close.run(());
            } else {
                toast::error(format!(
                    "{} could not be deleted.",
                    format::plural(errors.len(), "tag", "tags")
                ));
                failures.set(errors);
            }
        });
    };

    let title = if tags.len() == 1 {
        format!("Delete tag {}?", tags[0])
    } else {
        format!("Delete {} tags?", tags.len())
    };
    let retry = Callback::new(move |()| plan.refetch());

    view! {
        <Dialog title=title on_close=on_close busy=busy testid="delete-dialog" wide=true>
            <div class="dialog-body">
                {move || match plan.get() {
                    None => view! { <SkeletonRows rows=3 testid="delete-plan-loading"/> }.into_any(),
                    Some(Err(err)) => view! { <ErrorPanel error=err retry=retry/> }.into_any(),
                    Some(Ok(groups)) => {
                        let total_tags: usize = groups.iter().map(|g| g.tags.len()).sum();
                        let sharing = groups.iter().any(|g| g.tags.len() > 1);
                        let selected = tags.clone();
                        view! {
                            <p>
                                {if groups.len() == 1 && !groups[0].digest.is_empty() {
                                    view! {
                                        "This deletes the image manifest "
                                        <code class="break" title=groups[0].digest.clone()>{groups[0].digest.clone()}</code>
                                        "."
                                    }
                                        .into_any()
                                } else {
                                    format!("This deletes {}.", format::plural(groups.len(), "image manifest", "image manifests")).into_any()
                                }}
                            </p>
                            <p>
                                {if sharing {
                                    "A registry deletes manifests, not tags: every tag pointing to the same digest is removed too. All of these tags will be gone:"
                                } else {
                                    "These tags will be gone:"
                                }}
                            </p>
                            <ul class="delete-groups" data-testid="delete-tag-list">
                                {groups
                                    .iter()
                                    .map(|group| {
                                        view! {
                                            <li>
                                                {(!group.digest.is_empty()).then(|| view! {
                                                    <code class="muted digest-short" title=group.digest.clone()>
                                                        {format::short_digest(&group.digest)}
                                                    </code>
                                                })}
                                                <span class="chips">
                                                    {group
                                                        .tags
                                                        .iter()
                                                        .map(|t| {
                                                            let extra = !selected.contains(t);
                                                            view! {
                                                                <span
                                                                    class="chip"
                                                                    class:chip-warning=extra
                                                                    title=if extra { "Also removed: shares the digest" } else { "Selected" }
                                                                    data-testid="delete-affected-tag"
                                                                    data-tag=t.clone()
                                                                >
                                                                    <Icon glyph=Glyph::Tag/>
                                                                    {t.clone()}
                                                                </span>
                                                            }
                                                        })
                                                        .collect_view()}
                                                </span>
                                            </li>
                                        }
                                    })
                                    .collect_view()}
                            </ul>
                            <div class="callout" data-testid="delete-gc-note">
                                <Icon glyph=Glyph::Info/>
                                <p>
                                    "Deleting frees no disk space by itself: the registry reclaims the space only when its "
                                    <strong>"garbage collection"</strong>
                                    " runs (for example "
                                    <code>"registry garbage-collect"</code>
                                    ")."
                                </p>
                            </div>
                            {move || {
                                let (done, total) = progress.get();
                                (busy.get() && total > 1).then(|| view! {
                                    <div class="progress-wrap" data-testid="delete-progress">
                                        <progress max=total value=done></progress>
                                        <span class="muted">{format!("Deleting {done} of {total}…")}</span>
                                    </div>
                                })
                            }}
                            {move || {
                                let errors = failures.get();
                                (!errors.is_empty()).then(|| view! {
                                    <div class="callout callout-danger" role="alert" data-testid="delete-errors">
                                        <Icon glyph=Glyph::Alert/>
                                        <ul>{errors.into_iter().map(|e| view! { <li>{e}</li> }).collect_view()}</ul>
                                    </div>
                                })
                            }}
                            <footer class="dialog-footer">
                                <button
                                    class="btn"
                                    type="button"
                                    data-testid="delete-cancel"
                                    data-autofocus="true"
                                    disabled=move || busy.get()
                                    on:click=move |_| on_close.run(())
                                >
                                    "Cancel"
                                </button>
                                <button
                                    class="btn btn-danger"
                                    type="button"
                                    id="delete-confirm"
                                    data-testid="delete-confirm"
                                    disabled=move || busy.get()
                                    on:click={
                                        let run = run.clone();
                                        let groups = groups.clone();
                                        move |_| run(groups.clone())
                                    }
                                >
                                    {move || busy.get().then(|| view! { <span class="spinner spinner-inline"></span> })}
                                    <Icon glyph=Glyph::Trash/>
                                    {format!("Delete {}", format::plural(total_tags, "tag", "tags"))}
                                </button>
                            </footer>
                        }
                            .into_any()
                    }
                }}
            </div>
        </Dialog>
    }
}
