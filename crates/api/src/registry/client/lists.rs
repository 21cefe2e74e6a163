//! Paginated lists (catalog and tags), bounded in size, and their short-lived caches.
use std::sync::Arc;

use reqwest::header::{HeaderMap, LINK};
use reqwest::Method;
use reqwest::StatusCode;
use serde::Deserialize;
use shared::error::ErrorCode;
use url::Url;

use crate::domain::{RepositoryName, Tag};
use crate::error::{AppError, AppResult};

use super::*;

impl RegistryClient {
    /// Walks a paginated list (`_catalog` or `tags/list`), following `Link: <…>; rel="next"`.
    pub(super) async fn walk_pages(
        &self,
        op: &'static str,
        first_path: &str,
        scope: String,
        field: &'static str,
        allow_missing: bool,
    ) -> AppResult<Vec<String>> {
        #[derive(Deserialize)]
        struct Page {
            #[serde(default)]
            repositories: Option<Vec<String>>,
            #[serde(default)]
            tags: Option<Vec<String>>,
        }
        let mut sizes = std::iter::once(Some(PAGE_SIZE)).chain(FALLBACK_PAGE_SIZES);
        let mut next = Some(self.page_url(first_path, sizes.next().flatten())?);
        let mut names = Vec::new();
        let mut name_bytes = 0usize;
        let mut seen = std::collections::HashSet::new();
        let mut pages = 0;
        while let Some(url) = next.take() {
            pages += 1;
            if pages > MAX_PAGES || !seen.insert(url.to_string()) {
                break;
            }
            let response = self
                .send(Call {
                    op,
                    method: Method::GET,
                    url: url.clone(),
                    accept: Some("application/json"),
                    scope: Some(scope.clone()),
                    limit: LIST_LIMIT,
                })
                .await?;
            if response.status == StatusCode::BAD_REQUEST
                && names.is_empty()
                && response.error_code().as_deref() == Some("PAGINATION_NUMBER_INVALID")
            {
                if let Some(size) = sizes.next() {
                    seen.clear();
                    pages = 0;
                    next = Some(self.page_url(first_path, size)?);
                    continue;
                }
            }
            if response.status == StatusCode::NOT_FOUND && allow_missing {
                // NAME_UNKNOWN on the first page: the registry never knew the repository.
                // Any other 404 (some registries answer so for an emptied repository, or for a
                // page that went away) ends the list with what was read.
                if names.is_empty() && response.error_code().as_deref() == Some("NAME_UNKNOWN") {
                    return Err(AppError::not_found(
                        ErrorCode::NotFound,
                        "the registry does not know this repository",
                    ));
                }
                return Ok(names);
            }
            if response.status == StatusCode::NOT_FOUND {
                return Err(AppError::not_found(
                    ErrorCode::NotFound,
                    "the registry does not know this resource",
                ));
            }
            if !response.status.is_success() {
                return Err(self.unexpected(op, &response));
            }
            let page: Page = serde_json::from_slice(&response.body).map_err(|e| {
                bad_content(format!(
                    "registry {:?} sent a malformed {op} page: {e}",
                    self.name
                ))
            })?;
            let items = if field == "repositories" {
                page.repositories
            } else {
                page.tags
            };
            let items = items.unwrap_or_default();
            name_bytes += items.iter().map(String::len).sum::<usize>();
            names.extend(items);
            if names.len() > MAX_LIST_NAMES || name_bytes > MAX_LIST_BYTES {
                return Err(bad_content(format!(
                    "registry {:?} sent more than {MAX_LIST_NAMES} names or {} MiB of names in its {op} list",
                    self.name,
                    MAX_LIST_BYTES >> 20
                )));
            }
            next = self.next_link(&url, &response.headers)?;
        }
        Ok(names)
    }

    pub(super) fn page_url(&self, path: &str, n: Option<usize>) -> AppResult<Url> {
        let mut url = self.v2(path)?;
        if let Some(n) = n {
            url.query_pairs_mut().append_pair("n", &n.to_string());
        }
        Ok(url)
    }

    /// The `rel="next"` target, which must stay on this registry.
    pub(super) fn next_link(&self, current: &Url, headers: &HeaderMap) -> AppResult<Option<Url>> {
        for value in headers.get_all(LINK).iter().filter_map(|v| v.to_str().ok()) {
            for link in value.split(',') {
                let Some((target, params)) = link.trim().split_once(';') else {
                    continue;
                };
                let is_next = params.split(';').any(|p| {
                    let p = p.trim().replace(' ', "");
                    p.eq_ignore_ascii_case("rel=\"next\"") || p.eq_ignore_ascii_case("rel=next")
                });
                if !is_next {
                    continue;
                }
                let target = target.trim().trim_start_matches('<').trim_end_matches('>');
                let url = current
                    .join(target)
                    .map_err(|_| bad_content("the registry sent an invalid pagination link"))?;
                let same_origin = url.scheme() == self.base_url.scheme()
                    && url.host_str() == self.base_url.host_str()
                    && url.port_or_known_default() == self.base_url.port_or_known_default()
                    && url.path().starts_with(&format!(
                        "{}/v2/",
                        self.base_url.path().trim_end_matches('/')
                    ));
                if !same_origin {
                    return Err(bad_content(
                        "the registry's pagination link leaves the registry",
                    ));
                }
                return Ok(Some(url));
            }
        }
        Ok(None)
    }

    /// Every repository, walked server-side; cached for the TTL unless `refresh`.
    pub async fn catalog(&self, refresh: bool) -> AppResult<Arc<Vec<String>>> {
        if !refresh {
            if let Some(names) = self.catalog.get(&()) {
                self.metrics.cache_hit();
                return Ok(names);
            }
            self.metrics.cache_miss();
        }
        let _flight = self.flight("\0catalog").lock().await;
        if !refresh {
            if let Some(names) = self.catalog.get(&()) {
                return Ok(names);
            }
        }
        let mut names = self
            .walk_pages(
                "catalog",
                "_catalog",
                "registry:catalog:*".into(),
                "repositories",
                false,
            )
            .await?;
        // Never pass on a name that is not a repository name: it would end up in URLs.
        let before = names.len();
        names.retain(|n| RepositoryName::is_valid(n));
        if names.len() < before {
            tracing::warn!(
                registry = %self.name,
                skipped = before - names.len(),
                "skipped catalog names that are not valid repository names"
            );
        }
        names.sort_unstable();
        names.dedup();
        let names = Arc::new(names);
        self.catalog.insert((), names.clone());
        Ok(names)
    }

    /// Every tag of `repo` (empty for an emptied repository: `[]` or `null`); 404 `not_found`
    /// when the registry does not know the repository (`NAME_UNKNOWN`). Cached for the TTL
    /// unless `refresh`.
    pub async fn tags(&self, repo: &RepositoryName, refresh: bool) -> AppResult<Arc<Vec<String>>> {
        let key = repo.as_str().to_string();
        if !refresh {
            if let Some(tags) = self.tags.get(&key) {
                self.metrics.cache_hit();
                return Ok(tags);
            }
            self.metrics.cache_miss();
        }
        let _flight = self.flight(&key).lock().await;
        if !refresh {
            if let Some(tags) = self.tags.get(&key) {
                return Ok(tags);
            }
        }
        let mut tags = self
            .walk_pages(
                "tags",
                &format!("{repo}/tags/list"),
                pull_scope(repo),
                "tags",
                true,
            )
            .await
            .map_err(|e| match e.error_code() {
                ErrorCode::NotFound => crate::registry::not_found::repository(&self.name, repo),
                _ => e,
            })?;
        // A registry is not trusted to send only valid tags; those would fail later anyway.
        tags.retain(|t| Tag::is_valid(t));
        tags.sort_unstable();
        tags.dedup();
        let tags = Arc::new(tags);
        self.tags.insert(key, tags.clone());
        Ok(tags)
    }

    /// The digest `tag` pointed at when last seen within the TTL.
    pub fn cached_tag_digest(&self, repo: &RepositoryName, tag: &str) -> Option<Arc<str>> {
        let hit = self
            .tag_digests
            .get(&(repo.as_str().to_string(), tag.to_string()));
        if hit.is_some() {
            self.metrics.cache_hit();
        } else {
            self.metrics.cache_miss();
        }
        hit
    }

    pub(super) fn remember_tag(&self, repo: &RepositoryName, tag: &str, digest: &str) {
        self.tag_digests.insert(
            (repo.as_str().to_string(), tag.to_string()),
            Arc::from(digest),
        );
    }

    /// Forgets every tag's digest and tag list, and the catalog (another replica changed more
    /// tags than a notification names).
    pub fn invalidate_all_tags(&self) {
        self.tag_digests.clear();
        self.tags.clear();
        self.catalog.clear();
    }

    /// Forgets what we know about `repo`'s tags (after a delete).
    pub fn invalidate_repository(&self, repo: &RepositoryName, tags: &[String]) {
        let key = repo.as_str().to_string();
        if let Some(known) = self.tags.get(&key) {
            for tag in known.iter() {
                self.tag_digests.remove(&(key.clone(), tag.clone()));
            }
        }
        for tag in tags {
            self.tag_digests.remove(&(key.clone(), tag.clone()));
        }
        self.tags.remove(&key);
        self.catalog.clear();
    }
}
