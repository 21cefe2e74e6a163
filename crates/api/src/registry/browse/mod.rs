//! Browsing: health, catalog pages, tag lists with details, manifest details. Plain functions
//! over a resolved registry; the routes only parse and serialize.
use std::cmp::Ordering;
use std::collections::HashMap;
use std::sync::Arc;

use futures::{stream, StreamExt as _, TryStreamExt as _};
use shared::registry::{CatalogPage, HealthResponse, RepositorySummary, TagPage, TagSummary};

use super::client::RegistryClient;
use super::manifest::Manifest;
use super::summary::{is_fatal, summarize, ImageSummary};
use super::RegistryHandle;
use crate::domain::{Access, Digest, Reference, RepositoryName, Tag};
use crate::error::{AppError, AppResult};

mod details;
mod query;

pub use details::*;
pub use query::*;

/// `GET /api/health`: the registry's reachability; never fails.
pub async fn health(handle: &RegistryHandle) -> HealthResponse {
    let probe = handle.client.probe().await;
    HealthResponse {
        registry: handle.name.clone(),
        url: handle.url.clone(),
        reachable: probe.reachable,
        status: probe.status,
        api_version: probe.api_version,
        latency_ms: probe.latency_ms,
        error: probe.error,
    }
}

/// One page of the whole catalog (walked server-side), filtered by substring.
pub async fn catalog_page(
    handle: &RegistryHandle,
    access: &Access,
    q: Option<&str>,
    paging: Paging,
    refresh: bool,
) -> AppResult<CatalogPage> {
    let names = handle.client.catalog(refresh).await?;
    let q = q
        .map(|q| q.trim().to_ascii_lowercase())
        .filter(|q| !q.is_empty());
    let summary = |name: &String| RepositorySummary {
        name: name.clone(),
        namespace: name.rsplit_once('/').map(|(ns, _)| ns.to_string()),
    };
    // Only what the caller can read counts, in `total` and in paging.
    let (total, page) = match (&q, access.reads_everything()) {
        (None, true) => {
            let range = paging.range(names.len());
            (names.len(), names[range].iter().map(summary).collect())
        }
        _ => {
            let matching: Vec<&String> = access
                .readable(&names)
                .into_iter()
                .filter(|n| q.as_ref().is_none_or(|q| n.contains(q.as_str())))
                .collect();
            let range = paging.range(matching.len());
            (
                matching.len(),
                matching[range].iter().map(|n| summary(n)).collect(),
            )
        }
    };
    Ok(CatalogPage {
        registry: handle.name.clone(),
        repositories: page,
        total,
        page: paging.page,
        per_page: paging.per_page,
    })
}

struct Row {
    summary: TagSummary,
    created_key: Option<i64>,
}

fn row(tag: &str, digest: &str, s: &ImageSummary, error: Option<String>) -> Row {
    Row {
        summary: TagSummary {
            name: tag.to_string(),
            digest: Some(digest.to_string()),
            media_type: Some(s.media_type.clone()),
            size: s.size,
            created: s.created.clone(),
            platforms: s.platforms.clone(),
            error,
            pushed_at: None,
            pushed_by: None,
        },
        created_key: s.created_key,
    }
}

fn error_row(tag: &str, digest: Option<String>, e: &AppError) -> Row {
    Row {
        summary: TagSummary {
            name: tag.to_string(),
            digest,
            media_type: None,
            size: None,
            created: None,
            platforms: Vec::new(),
            pushed_at: None,
            pushed_by: None,
            error: Some(e.to_string()),
        },
        created_key: None,
    }
}

/// A digest's summary and what could not be read of it.
type Summarized = (Arc<ImageSummary>, Option<String>);

/// Where a tag points, as far as phase one of `tag_rows` got.
enum Pointed {
    Summary(String, Arc<ImageSummary>),
    Manifest(String, Arc<Manifest>),
    Failed(Row),
}

/// Where `tag` points: from the TTL cache when seen recently (and then usually straight to a
/// cached summary), else one manifest GET by tag, which also gives the digest.
async fn point(
    client: &RegistryClient,
    repo: &RepositoryName,
    tag: &str,
    refresh: bool,
) -> AppResult<Pointed> {
    let cached = if refresh {
        None
    } else {
        client.cached_tag_digest(repo, tag)
    };
    let fetched = match cached {
        Some(digest) => {
            if let Some(summary) = client.content.summary(&digest) {
                return Ok(Pointed::Summary(digest.to_string(), summary));
            }
            let reference = Reference::Digest(Digest::parse(&digest)?);
            client.manifest(repo, &reference).await
        }
        None => {
            client
                .manifest(repo, &Reference::Tag(Tag::parse(tag)?))
                .await
        }
    };
    match fetched {
        Ok((digest, manifest)) => Ok(Pointed::Manifest(digest, manifest)),
        Err(e) if is_fatal(&e) => Err(e),
        Err(e) => Ok(Pointed::Failed(error_row(tag, None, &e))),
    }
}

/// The details of `tags`, in order. Two phases, so that tags sharing a digest (`latest` and
/// its version tag) cost one summary: where each tag points, then one summary per digest.
async fn tag_rows(
    client: &RegistryClient,
    repo: &RepositoryName,
    tags: &[&str],
    refresh: bool,
) -> AppResult<Vec<Row>> {
    // The semaphore bounds requests; this only bounds futures alive at once.
    let width = client.concurrency().saturating_mul(4).max(8);
    let pointed: Vec<Pointed> =
        stream::iter(tags.iter().map(|tag| point(client, repo, tag, refresh)))
            .buffered(width)
            .try_collect()
            .await?;

    let mut pending: Vec<(&str, &Manifest)> = Vec::new();
    for p in &pointed {
        if let Pointed::Manifest(digest, manifest) = p {
            if !pending.iter().any(|(d, _)| *d == digest.as_str()) {
                pending.push((digest, manifest));
            }
        }
    }
    let summarized: Vec<(&str, AppResult<Summarized>)> =
        stream::iter(pending.into_iter().map(|(digest, manifest)| async move {
            (digest, summarize(client, repo, digest, manifest).await)
        }))
        .buffer_unordered(width)
        .collect()
        .await;
    let mut summaries: HashMap<&str, AppResult<Summarized>> =
        HashMap::with_capacity(summarized.len());
    for (digest, result) in summarized {
        match result {
            Err(e) if is_fatal(&e) => return Err(e),
            other => {
                summaries.insert(digest, other);
            }
        }
    }

    Ok(tags
        .iter()
        .zip(&pointed)
        .map(|(tag, p)| match p {
            Pointed::Summary(digest, summary) => row(tag, digest, summary, None),
            Pointed::Failed(r) => Row {
                summary: r.summary.clone(),
                created_key: None,
            },
            Pointed::Manifest(digest, _) => match summaries.get(digest.as_str()) {
                Some(Ok((summary, problem))) => row(tag, digest, summary, problem.clone()),
                Some(Err(e)) => error_row(tag, Some(digest.clone()), e),
                None => error_row(
                    tag,
                    Some(digest.clone()),
                    &AppError::Internal(anyhow::anyhow!("summary missing")),
                ),
            },
        })
        .collect())
}

fn compare_missing_last<T: Ord>(a: Option<T>, b: Option<T>, order: SortOrder) -> Ordering {
    match (a, b) {
        (Some(a), Some(b)) => match order {
            SortOrder::Asc => a.cmp(&b),
            SortOrder::Desc => b.cmp(&a),
        },
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => Ordering::Equal,
    }
}

/// `GET /api/repositories/{repo}/tags`. Sorted by name, only the requested page is looked
/// at; sorted by date or size every (filtered) tag's details are needed, from the caches
/// when warm.
pub async fn tag_page(
    handle: &RegistryHandle,
    repo: &RepositoryName,
    options: &TagListOptions,
    access: shared::permissions::AccessLevel,
) -> AppResult<TagPage> {
    let client = &handle.client;
    let all = client.tags(repo, options.refresh).await?;
    let mut names: Vec<&str> = match &options.q {
        None => all.iter().map(String::as_str).collect(),
        Some(q) => all
            .iter()
            .map(String::as_str)
            .filter(|t| t.to_ascii_lowercase().contains(q.as_str()))
            .collect(),
    };
    let total = names.len();
    let range = options.paging.range(total);
    let tags = if options.sort == TagSort::Name {
        if options.order == SortOrder::Desc {
            names.reverse();
        }
        let page = &names[range];
        if options.details {
            tag_rows(client, repo, page, options.refresh)
                .await?
                .into_iter()
                .map(|r| r.summary)
                .collect()
        } else {
            page.iter()
                .map(|name| TagSummary {
                    name: (*name).to_string(),
                    digest: None,
                    media_type: None,
                    size: None,
                    created: None,
                    platforms: Vec::new(),
                    error: None,
                    pushed_at: None,
                    pushed_by: None,
                })
                .collect()
        }
    } else {
        let mut rows = tag_rows(client, repo, &names, options.refresh).await?;
        rows.sort_by(|a, b| {
            let primary = match options.sort {
                TagSort::Size => {
                    compare_missing_last(a.summary.size, b.summary.size, options.order)
                }
                _ => compare_missing_last(a.created_key, b.created_key, options.order),
            };
            primary.then_with(|| a.summary.name.cmp(&b.summary.name))
        });
        rows.into_iter()
            .skip(range.start)
            .take(range.len())
            .map(|r| r.summary)
            .collect()
    };
    Ok(TagPage {
        registry: handle.name.clone(),
        repository: repo.to_string(),
        access,
        total,
        page: options.paging.page,
        per_page: options.paging.per_page,
        tags,
    })
}

/// Each tag of `tags` with the digest it points at (`None` when it vanished meanwhile).
/// `fresh` asks the registry (HEAD per tag) instead of trusting the TTL cache.
pub async fn tag_digests(
    client: &RegistryClient,
    repo: &RepositoryName,
    tags: &[String],
    fresh: bool,
) -> AppResult<Vec<(String, Option<String>)>> {
    let width = client.concurrency().saturating_mul(2).max(4);
    stream::iter(tags.iter().map(|tag| async move {
        if !fresh {
            if let Some(d) = client.cached_tag_digest(repo, tag) {
                return Ok((tag.clone(), Some(d.to_string())));
            }
        }
        match client.resolve_tag(repo, &Tag::parse(tag)?).await {
            Ok(d) => Ok((tag.clone(), Some(d))),
            Err(AppError::NotFound { .. }) => Ok((tag.clone(), None)),
            Err(e) => Err(e),
        }
    }))
    .buffered(width)
    .try_collect()
    .await
}

/// Every tag of `repo` that points at `digest`, sorted.
pub async fn tags_pointing_to(
    client: &RegistryClient,
    repo: &RepositoryName,
    digest: &str,
    fresh: bool,
) -> AppResult<Vec<String>> {
    let tags = client.tags(repo, fresh).await?;
    let mut matching: Vec<String> = tag_digests(client, repo, &tags, fresh)
        .await?
        .into_iter()
        .filter(|(_, d)| d.as_deref() == Some(digest))
        .map(|(t, _)| t)
        .collect();
    matching.sort();
    Ok(matching)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_values_sort_last_in_both_orders() {
        let mut v = vec![None, Some(2), Some(1), None, Some(3)];
        v.sort_by(|a, b| compare_missing_last(*a, *b, SortOrder::Desc));
        assert_eq!(v, vec![Some(3), Some(2), Some(1), None, None]);
        v.sort_by(|a, b| compare_missing_last(*a, *b, SortOrder::Asc));
        assert_eq!(v, vec![Some(1), Some(2), Some(3), None, None]);
    }
}
