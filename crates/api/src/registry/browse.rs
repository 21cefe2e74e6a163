//! Browsing: health, catalog pages, tag lists with details, manifest details. Plain functions
//! over a resolved registry; the routes only parse and serialize.
use std::cmp::Ordering;
use std::collections::HashMap;
use std::sync::Arc;

use futures::{stream, StreamExt as _, TryStreamExt as _};
use serde::Deserialize;
use shared::error::ErrorCode;
use shared::registry::{
    CatalogPage, HealthResponse, ImageConfigInfo, ManifestDetails, PlatformDetails, PullCommands,
    RepositorySummary, TagPage, TagSummary,
};

use super::client::RegistryClient;
use super::manifest::{normalize_time, time_key, Descriptor, Manifest, ManifestKind, Platform};
use super::summary::{is_fatal, summarize, ImageSummary};
use super::RegistryHandle;
use crate::domain::{Digest, Reference, RepositoryName, Tag};
use crate::error::{AppError, AppResult};

pub const DEFAULT_PER_PAGE: usize = 100;
pub const MAX_PER_PAGE: usize = 1000;

fn invalid_query(message: impl Into<String>) -> AppError {
    AppError::bad_request(ErrorCode::InvalidQuery, message)
}

/// `page` (from 1) and `per_page` (1–1000, default 100).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Paging {
    pub page: usize,
    pub per_page: usize,
}

impl Paging {
    pub fn parse(page: Option<&str>, per_page: Option<&str>) -> AppResult<Self> {
        let page = match page.map(str::trim).filter(|s| !s.is_empty()) {
            None => 1,
            Some(p) => p.parse::<usize>().ok().filter(|p| *p >= 1).ok_or_else(|| {
                invalid_query(format!("page must be a whole number from 1 (got {p:?})"))
            })?,
        };
        let per_page = match per_page.map(str::trim).filter(|s| !s.is_empty()) {
            None => DEFAULT_PER_PAGE,
            Some(p) => p
                .parse::<usize>()
                .ok()
                .filter(|p| (1..=MAX_PER_PAGE).contains(p))
                .ok_or_else(|| {
                    invalid_query(format!(
                        "per_page must be a whole number from 1 to {MAX_PER_PAGE} (got {p:?})"
                    ))
                })?,
        };
        Ok(Self { page, per_page })
    }

    /// The slice of `total` items this page covers.
    pub fn range(&self, total: usize) -> std::ops::Range<usize> {
        let start = (self.page - 1).saturating_mul(self.per_page).min(total);
        let end = start.saturating_add(self.per_page).min(total);
        start..end
    }
}

pub fn parse_bool(name: &str, value: Option<&str>) -> AppResult<bool> {
    match value.map(|v| v.trim().to_ascii_lowercase()).as_deref() {
        None | Some("") | Some("false") | Some("0") | Some("no") => Ok(false),
        Some("true") | Some("1") | Some("yes") => Ok(true),
        Some(other) => Err(invalid_query(format!(
            "{name} must be true or false (got {other:?})"
        ))),
    }
}

/// The query of `GET /api/catalog`.
#[derive(Debug, Default, Deserialize)]
pub struct CatalogQuery {
    pub registry: Option<String>,
    pub q: Option<String>,
    pub page: Option<String>,
    pub per_page: Option<String>,
    pub refresh: Option<String>,
}

/// The query of `GET /api/repositories/{repo}/tags`.
#[derive(Debug, Default, Deserialize)]
pub struct TagListQuery {
    pub registry: Option<String>,
    pub details: Option<String>,
    pub sort: Option<String>,
    pub order: Option<String>,
    pub q: Option<String>,
    pub page: Option<String>,
    pub per_page: Option<String>,
    pub refresh: Option<String>,
}

/// `?registry=` and `?refresh=` of the other registry endpoints.
#[derive(Debug, Default, Deserialize)]
pub struct RegistryQuery {
    pub registry: Option<String>,
    pub refresh: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TagSort {
    Name,
    Created,
    Size,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortOrder {
    Asc,
    Desc,
}

#[derive(Debug, Clone)]
pub struct TagListOptions {
    pub details: bool,
    pub sort: TagSort,
    pub order: SortOrder,
    pub q: Option<String>,
    pub paging: Paging,
    pub refresh: bool,
}

impl TagListOptions {
    pub fn parse(query: &TagListQuery) -> AppResult<Self> {
        let sort = match query.sort.as_deref().map(str::trim).unwrap_or("") {
            "" | "name" => TagSort::Name,
            "created" | "date" => TagSort::Created,
            "size" => TagSort::Size,
            other => {
                return Err(invalid_query(format!(
                    "sort must be name, created or size (got {other:?})"
                )))
            }
        };
        let order = match query.order.as_deref().map(str::trim).unwrap_or("") {
            "" => {
                // Newest and biggest first are what people look for.
                if sort == TagSort::Name {
                    SortOrder::Asc
                } else {
                    SortOrder::Desc
                }
            }
            "asc" => SortOrder::Asc,
            "desc" => SortOrder::Desc,
            other => {
                return Err(invalid_query(format!(
                    "order must be asc or desc (got {other:?})"
                )))
            }
        };
        Ok(Self {
            // Sorting by date or size needs the details of every tag anyway.
            details: parse_bool("details", query.details.as_deref())? || sort != TagSort::Name,
            sort,
            order,
            q: query
                .q
                .clone()
                .map(|q| q.trim().to_ascii_lowercase())
                .filter(|q| !q.is_empty()),
            paging: Paging::parse(query.page.as_deref(), query.per_page.as_deref())?,
            refresh: parse_bool("refresh", query.refresh.as_deref())?,
        })
    }
}

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
    q: Option<&str>,
    paging: Paging,
    refresh: bool,
) -> AppResult<CatalogPage> {
    let names = handle.client.catalog(refresh).await?;
    let q = q
        .map(|q| q.trim().to_ascii_lowercase())
        .filter(|q| !q.is_empty());
    let repositories = |names: &mut dyn Iterator<Item = &String>| {
        names
            .map(|name| RepositorySummary {
                name: name.clone(),
                namespace: name.rsplit_once('/').map(|(ns, _)| ns.to_string()),
            })
            .collect::<Vec<_>>()
    };
    let (total, page) = match &q {
        None => {
            let range = paging.range(names.len());
            (names.len(), repositories(&mut names[range].iter()))
        }
        Some(q) => {
            let matching: Vec<&String> = names.iter().filter(|n| n.contains(q.as_str())).collect();
            let range = paging.range(matching.len());
            (
                matching.len(),
                repositories(&mut matching[range].iter().copied()),
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

/// The host users pull from: `pull_host` when set, else the URL's host (and port).
pub fn pull_host(handle: &RegistryHandle) -> String {
    let configured = handle.pull_host.as_deref().map(|h| {
        h.trim()
            .trim_start_matches("https://")
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .to_string()
    });
    if let Some(host) = configured.filter(|h| !h.is_empty()) {
        return host;
    }
    let url = handle.client.base_url();
    let host = url.host_str().unwrap_or_default();
    match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_string(),
    }
}

pub fn pull_commands(
    host: &str,
    repo: &RepositoryName,
    tag: Option<&str>,
    digest: &str,
) -> PullCommands {
    let by_digest = format!("{host}/{repo}@{digest}");
    let reference = tag.map_or_else(|| by_digest.clone(), |t| format!("{host}/{repo}:{t}"));
    PullCommands {
        docker: format!("docker pull {reference}"),
        podman: format!("podman pull {reference}"),
        by_digest: format!("docker pull {by_digest}"),
    }
}

/// One image's own content: layers, config, history.
async fn image_details(
    client: &RegistryClient,
    repo: &RepositoryName,
    digest: &str,
    manifest: &Manifest,
    platform: Option<&Platform>,
) -> AppResult<PlatformDetails> {
    let mut error = None;
    let config = match manifest.image_config() {
        Some(c) => match client.config(repo, &c.digest).await {
            Ok(config) => Some(config),
            Err(e) if is_fatal(&e) => return Err(e),
            Err(e) => {
                error = Some(format!("config: {e}"));
                None
            }
        },
        None => None,
    };
    let mut details = PlatformDetails {
        os: String::new(),
        architecture: String::new(),
        variant: None,
        digest: digest.to_string(),
        media_type: manifest.media_type.clone(),
        size: manifest.image_size(),
        created: None,
        layers: manifest.layer_infos(),
        config: None,
        history: Vec::new(),
        error,
    };
    if let Some(c) = &config {
        details.os = c.info.os.clone().unwrap_or_default();
        details.architecture = c.info.architecture.clone().unwrap_or_default();
        details.variant = c.info.variant.clone();
        details.created = c.created.clone();
        details.config = Some(c.info.clone());
        details.history = c.history.clone();
    }
    if let Some(info) = &manifest.schema1 {
        details.size = 0;
        details.os = info.os.clone().unwrap_or_default();
        details.architecture = info.architecture.clone().unwrap_or_default();
        details.created = info.created.clone();
        details.history = info.history.clone();
        details.config = Some(ImageConfigInfo {
            architecture: info.architecture.clone(),
            os: info.os.clone(),
            ..ImageConfigInfo::default()
        });
    }
    if details.created.is_none() {
        details.created = manifest.created_annotation().and_then(normalize_time);
    }
    if let Some(p) = platform {
        details.os = p.os.clone();
        details.architecture = p.architecture.clone();
        if p.variant.is_some() {
            details.variant = p.variant.clone();
        }
    }
    Ok(details)
}

async fn child_details(
    client: &RegistryClient,
    repo: &RepositoryName,
    child: &Descriptor,
) -> AppResult<PlatformDetails> {
    let platform = child.platform.clone().unwrap_or(Platform {
        os: String::new(),
        architecture: String::new(),
        variant: None,
    });
    let fetched = match Digest::parse(&child.digest) {
        Ok(d) => client.manifest(repo, &Reference::Digest(d)).await,
        Err(e) => Err(e.into()),
    };
    match fetched {
        Ok((digest, manifest)) => {
            image_details(client, repo, &digest, &manifest, Some(&platform)).await
        }
        Err(e) if is_fatal(&e) => Err(e),
        // A child missing on a partial mirror: show the rest.
        Err(e) => Ok(PlatformDetails {
            os: platform.os,
            architecture: platform.architecture,
            variant: platform.variant,
            digest: child.digest.clone(),
            media_type: child.media_type.clone(),
            size: 0,
            created: None,
            layers: Vec::new(),
            config: None,
            history: Vec::new(),
            error: Some(e.to_string()),
        }),
    }
}

/// `GET /api/repositories/{repo}/manifests/{reference}`.
pub async fn manifest_details(
    handle: &RegistryHandle,
    repo: &RepositoryName,
    reference: &Reference,
    refresh: bool,
) -> AppResult<ManifestDetails> {
    let client = &handle.client;
    let cached = match reference {
        Reference::Tag(tag) if !refresh => client
            .cached_tag_digest(repo, tag.as_str())
            .and_then(|d| Some((d.to_string(), client.content.manifest(&d)?))),
        _ => None,
    };
    let (digest, manifest) = match cached {
        Some(found) => found,
        None => client.manifest(repo, reference).await?,
    };

    let mut details = ManifestDetails {
        registry: handle.name.clone(),
        repository: repo.to_string(),
        tag: match reference {
            Reference::Tag(t) => Some(t.to_string()),
            Reference::Digest(_) => None,
        },
        digest: digest.clone(),
        media_type: manifest.media_type.clone(),
        is_index: manifest.is_index(),
        size: 0,
        created: None,
        annotations: manifest.annotations.clone(),
        layers: Vec::new(),
        config: None,
        history: Vec::new(),
        platforms: Vec::new(),
        tags_sharing_digest: Vec::new(),
        pull_commands: pull_commands(
            &pull_host(handle),
            repo,
            match reference {
                Reference::Tag(t) => Some(t.as_str()),
                Reference::Digest(_) => None,
            },
            &digest,
        ),
    };
    if manifest.kind == ManifestKind::Index {
        let children: Vec<&Descriptor> = manifest.platform_children().collect();
        let platforms: Vec<PlatformDetails> =
            stream::iter(children.into_iter().map(|c| child_details(client, repo, c)))
                .buffered(client.concurrency().max(1))
                .try_collect()
                .await?;
        details.size = platforms.iter().map(|p| p.size).sum();
        details.created = manifest
            .created_annotation()
            .and_then(normalize_time)
            .or_else(|| {
                platforms
                    .iter()
                    .filter_map(|p| p.created.as_deref())
                    .max_by_key(|c| time_key(c))
                    .map(str::to_string)
            });
        details.platforms = platforms;
    } else {
        let own = image_details(client, repo, &digest, &manifest, None).await?;
        details.size = own.size;
        details.created = own.created.clone();
        details.layers = own.layers.clone();
        details.config = own.config.clone();
        details.history = own.history.clone();
        details.platforms = vec![own];
    }
    let asked = details.tag.clone();
    details.tags_sharing_digest = tags_pointing_to(client, repo, &digest, refresh)
        .await?
        .into_iter()
        .filter(|t| Some(t) != asked.as_ref())
        .collect();
    Ok(details)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paging_defaults_and_bounds() {
        assert_eq!(
            Paging::parse(None, None).unwrap(),
            Paging {
                page: 1,
                per_page: 100
            }
        );
        assert_eq!(
            Paging::parse(Some("3"), Some("1000")).unwrap(),
            Paging {
                page: 3,
                per_page: 1000
            }
        );
        for (page, per_page) in [
            (Some("0"), None),
            (Some("-1"), None),
            (Some("x"), None),
            (None, Some("0")),
            (None, Some("1001")),
        ] {
            assert_eq!(
                Paging::parse(page, per_page).unwrap_err().code(),
                "invalid_query"
            );
        }
        let p = Paging {
            page: 2,
            per_page: 10,
        };
        assert_eq!(p.range(15), 10..15);
        assert_eq!(p.range(5), 5..5);
        assert_eq!(
            Paging {
                page: usize::MAX,
                per_page: 1000
            }
            .range(5),
            5..5
        );
    }

    #[test]
    fn missing_values_sort_last_in_both_orders() {
        let mut v = vec![None, Some(2), Some(1), None, Some(3)];
        v.sort_by(|a, b| compare_missing_last(*a, *b, SortOrder::Desc));
        assert_eq!(v, vec![Some(3), Some(2), Some(1), None, None]);
        v.sort_by(|a, b| compare_missing_last(*a, *b, SortOrder::Asc));
        assert_eq!(v, vec![Some(1), Some(2), Some(3), None, None]);
    }

    #[test]
    fn tag_list_options_are_validated() {
        let q = |sort: &str, order: &str| TagListQuery {
            sort: Some(sort.into()),
            order: Some(order.into()),
            ..TagListQuery::default()
        };
        let o = TagListOptions::parse(&q("created", "")).unwrap();
        assert!(o.details);
        assert_eq!(o.order, SortOrder::Desc);
        assert_eq!(
            TagListOptions::parse(&q("name", "")).unwrap().order,
            SortOrder::Asc
        );
        assert_eq!(
            TagListOptions::parse(&q("bogus", "")).unwrap_err().code(),
            "invalid_query"
        );
        assert_eq!(
            TagListOptions::parse(&q("name", "up")).unwrap_err().code(),
            "invalid_query"
        );
    }

    #[test]
    fn pull_commands_use_tags_or_digests() {
        let repo = RepositoryName::parse("team/app").unwrap();
        let d = format!("sha256:{}", "a".repeat(64));
        let c = pull_commands("registry.example.com", &repo, Some("v1"), &d);
        assert_eq!(c.docker, "docker pull registry.example.com/team/app:v1");
        assert_eq!(c.podman, "podman pull registry.example.com/team/app:v1");
        assert_eq!(
            c.by_digest,
            format!("docker pull registry.example.com/team/app@{d}")
        );
        let c = pull_commands("h:5000", &repo, None, &d);
        assert_eq!(c.docker, format!("docker pull h:5000/team/app@{d}"));
    }
}
