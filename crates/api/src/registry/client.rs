//! One registry's HTTP client: authentication, bounded concurrency, pagination, manifests and
//! blobs, with every upstream failure mapped to a stable API error.
use shared::error::ErrorCode;
use std::collections::HashMap;
use std::hash::{Hash as _, Hasher as _};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix_web::http::StatusCode;
use actix_web::web::Bytes;
use base64::Engine as _;
use reqwest::header::{HeaderMap, ACCEPT, AUTHORIZATION, LINK, WWW_AUTHENTICATE};
use reqwest::Method;
use serde::Deserialize;
use shared::admin::RegistryTestResult;
use url::Url;

use super::auth::{parse_challenges, CachedToken, Challenge, TokenResponse};
use super::cache::{ContentCache, TtlCache};
use super::manifest::{
    parse_config, parse_manifest, ImageConfig, Manifest, ManifestKind, MANIFEST_ACCEPT,
};
use super::ssrf;
use crate::config::RegistryClientSettings;
use crate::domain::{Digest, Reference, RepositoryName, Tag};
use crate::error::{AppError, AppResult};
use crate::metrics::Metrics;
use crate::secret::Secret;

const MANIFEST_LIMIT: usize = 4 * 1024 * 1024;
const CONFIG_LIMIT: usize = 8 * 1024 * 1024;
const LIST_LIMIT: usize = 32 * 1024 * 1024;
const TOKEN_LIMIT: usize = 1024 * 1024;
const PAGE_SIZE: usize = 1000;
/// Tried in turn when a registry refuses a page size with `PAGINATION_NUMBER_INVALID`.
const FALLBACK_PAGE_SIZES: [Option<usize>; 2] = [Some(100), None];
const MAX_PAGES: usize = 100_000;
/// A list walk (catalog or tags) stops with 502 `registry_bad_content` beyond this many names…
const MAX_LIST_NAMES: usize = 1_000_000;
/// …or this many bytes of names: a registry cannot make the server hold more.
const MAX_LIST_BYTES: usize = 64 * 1024 * 1024;
/// What the catalog cache and the tag-list cache may hold, in bytes of names (see `Weigh`).
const CATALOG_CACHE_BYTES: u64 = 96 * 1024 * 1024;
const TAGS_CACHE_BYTES: u64 = 64 * 1024 * 1024;
const FLIGHT_STRIPES: usize = 32;

/// What identifies a client's configuration: a change rebuilds it (and drops its caches).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fingerprint {
    pub url: String,
    pub username: Option<String>,
    pub password_encrypted: Option<String>,
    pub insecure_tls: bool,
}

/// The authentication a registry asked for last; used to authenticate up front and save a
/// 401 round trip per request.
#[derive(Debug, Clone)]
enum KnownAuth {
    Unknown,
    Basic,
    Bearer {
        realm: String,
        service: Option<String>,
    },
}

type TokenSlot = Arc<tokio::sync::Mutex<Option<CachedToken>>>;

/// An upstream answer with its body read (bounded).
pub struct Upstream {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Upstream {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The first `errors[].code` of a distribution error body.
    pub fn error_code(&self) -> Option<String> {
        #[derive(Deserialize)]
        struct Body {
            errors: Vec<Item>,
        }
        #[derive(Deserialize)]
        struct Item {
            code: String,
        }
        serde_json::from_slice::<Body>(&self.body)
            .ok()
            .and_then(|b| b.errors.into_iter().next())
            .map(|i| i.code)
    }
}

struct Call<'a> {
    op: &'static str,
    method: Method,
    url: Url,
    accept: Option<&'a str>,
    scope: Option<String>,
    limit: usize,
}

/// What a client is built from: one row of the `registries` table, password decrypted.
pub(crate) struct ClientSpec {
    pub name: String,
    pub base_url: Url,
    pub credentials: Option<(String, Secret)>,
    pub insecure_tls: bool,
    pub fingerprint: Fingerprint,
}

/// A client for one configured registry. Cheap to share; rebuilt when its row changes.
pub struct RegistryClient {
    name: String,
    base: String,
    base_url: Url,
    http: reqwest::Client,
    credentials: Option<(String, Secret)>,
    known_auth: Mutex<KnownAuth>,
    tokens: Mutex<HashMap<String, TokenSlot>>,
    permits: tokio::sync::Semaphore,
    concurrency: usize,
    metrics: Arc<Metrics>,
    pub(crate) fingerprint: Fingerprint,
    pub(crate) content: Arc<ContentCache>,
    catalog: TtlCache<(), Arc<Vec<String>>>,
    tags: TtlCache<String, Arc<Vec<String>>>,
    tag_digests: TtlCache<(String, String), Arc<str>>,
    flights: Vec<tokio::sync::Mutex<()>>,
}

impl std::fmt::Debug for RegistryClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RegistryClient")
            .field("name", &self.name)
            .field("base", &self.base)
            .finish_non_exhaustive()
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn auth_failed(message: impl Into<String>) -> AppError {
    AppError::upstream(
        StatusCode::BAD_GATEWAY,
        ErrorCode::RegistryAuthFailed,
        message,
    )
}

fn registry_error(message: impl Into<String>) -> AppError {
    AppError::upstream(StatusCode::BAD_GATEWAY, ErrorCode::RegistryError, message)
}

fn bad_content(message: impl Into<String>) -> AppError {
    AppError::upstream(
        StatusCode::BAD_GATEWAY,
        ErrorCode::RegistryBadContent,
        message,
    )
}

/// The metrics label of an error.
fn error_kind(e: &AppError) -> &'static str {
    match e.error_code() {
        ErrorCode::RegistryUnreachable => "unreachable",
        ErrorCode::RegistryTimeout => "timeout",
        ErrorCode::RegistryHostForbidden | ErrorCode::RegistryHostForbiddenUpstream => "forbidden",
        ErrorCode::RegistryAuthFailed => "auth_failed",
        ErrorCode::RegistryBadContent => "bad_content",
        _ => "error",
    }
}

impl RegistryClient {
    pub(crate) fn new(
        spec: ClientSpec,
        settings: &RegistryClientSettings,
        metrics: Arc<Metrics>,
        content: Arc<ContentCache>,
    ) -> AppResult<Self> {
        let ClientSpec {
            name,
            base_url,
            credentials,
            insecure_tls,
            fingerprint,
        } = spec;
        let concurrency = settings.concurrency.max(1);
        let http = reqwest::Client::builder()
            .connect_timeout(settings.connect_timeout.min(Duration::from_secs(3)))
            .timeout(settings.timeout)
            .redirect(ssrf::redirect_policy())
            .dns_resolver(Arc::new(ssrf::GuardedResolver))
            // An environment proxy would resolve names itself and void the address checks.
            .no_proxy()
            .danger_accept_invalid_certs(insecure_tls)
            .pool_max_idle_per_host(concurrency)
            .pool_idle_timeout(Duration::from_secs(60))
            .tcp_nodelay(true)
            .user_agent(concat!("registry-gui/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| {
                AppError::Internal(anyhow::Error::new(e).context("building an HTTP client"))
            })?;
        let base = base_url.as_str().trim_end_matches('/').to_string();
        let ttl = settings.cache_ttl;
        Ok(Self {
            name,
            base,
            base_url,
            http,
            credentials,
            known_auth: Mutex::new(KnownAuth::Unknown),
            tokens: Mutex::new(HashMap::new()),
            permits: tokio::sync::Semaphore::new(concurrency),
            concurrency,
            metrics,
            fingerprint,
            content,
            // One entry: the whole catalog, weighed by its real size.
            catalog: TtlCache::new(ttl, 1, CATALOG_CACHE_BYTES),
            tags: TtlCache::new(ttl, 1024, TAGS_CACHE_BYTES),
            tag_digests: TtlCache::new(ttl, 16_384, 200_000),
            flights: (0..FLIGHT_STRIPES)
                .map(|_| tokio::sync::Mutex::new(()))
                .collect(),
        })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// The base URL, without a trailing slash.
    pub fn base(&self) -> &str {
        &self.base
    }

    pub fn base_url(&self) -> &Url {
        &self.base_url
    }

    /// Requests this client runs at once against its registry.
    pub fn concurrency(&self) -> usize {
        self.concurrency
    }

    fn v2(&self, path: &str) -> AppResult<Url> {
        // Names, tags and digests are validated before they get here, so plain concatenation
        // cannot leave the /v2/ namespace.
        Url::parse(&format!("{}/v2/{path}", self.base))
            .map_err(|e| AppError::Internal(anyhow::anyhow!("registry URL: {e}")))
    }

    fn flight(&self, key: &str) -> &tokio::sync::Mutex<()> {
        let mut h = std::collections::hash_map::DefaultHasher::new();
        key.hash(&mut h);
        &self.flights[(h.finish() as usize) % self.flights.len()]
    }

    fn basic_header(&self) -> Option<String> {
        self.credentials.as_ref().map(|(user, password)| {
            let raw = format!("{user}:{}", password.expose());
            format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(raw)
            )
        })
    }

    fn transport_error(&self, e: &reqwest::Error) -> AppError {
        if let Some(host) = ssrf::forbidden_cause(e) {
            return ssrf::forbidden_upstream(&host);
        }
        let cause = error_chain(e);
        if e.is_connect() {
            return AppError::upstream(
                StatusCode::BAD_GATEWAY,
                ErrorCode::RegistryUnreachable,
                format!(
                    "cannot connect to registry {:?} at {}: {cause}",
                    self.name, self.base
                ),
            );
        }
        if e.is_timeout() {
            return AppError::upstream(
                StatusCode::GATEWAY_TIMEOUT,
                ErrorCode::RegistryTimeout,
                format!("registry {:?} did not answer in time", self.name),
            );
        }
        AppError::upstream(
            StatusCode::BAD_GATEWAY,
            ErrorCode::RegistryUnreachable,
            format!("request to registry {:?} failed: {cause}", self.name),
        )
    }

    /// The `Authorization` to send before any challenge, from what the registry asked last.
    async fn authorization_for(&self, scope: Option<&str>) -> AppResult<Option<String>> {
        let known = lock(&self.known_auth).clone();
        match known {
            KnownAuth::Unknown => Ok(None),
            KnownAuth::Basic => Ok(self.basic_header()),
            KnownAuth::Bearer { realm, service } => {
                let token = self.token(&realm, service.as_deref(), scope, None).await?;
                Ok(Some(format!("Bearer {token}")))
            }
        }
    }

    /// Answers a 401: learns the scheme and returns the `Authorization` to retry with.
    async fn answer_challenge(
        &self,
        challenge: Option<Challenge>,
        scope: Option<&str>,
        sent: Option<&str>,
    ) -> AppResult<String> {
        match challenge {
            None => Err(auth_failed(format!(
                "registry {:?} refused the request without a usable authentication challenge",
                self.name
            ))),
            Some(Challenge::Basic) => {
                *lock(&self.known_auth) = KnownAuth::Basic;
                let header = self.basic_header().ok_or_else(|| {
                    auth_failed(format!(
                        "registry {:?} requires credentials and none are configured",
                        self.name
                    ))
                })?;
                if sent == Some(header.as_str()) {
                    return Err(auth_failed(format!(
                        "registry {:?} refused the configured credentials",
                        self.name
                    )));
                }
                Ok(header)
            }
            Some(Challenge::Bearer {
                realm,
                service,
                scope: asked,
            }) => {
                *lock(&self.known_auth) = KnownAuth::Bearer {
                    realm: realm.clone(),
                    service: service.clone(),
                };
                let stale = sent.and_then(|s| s.strip_prefix("Bearer "));
                // Cache under our scope (what the next request looks up) but ask for what the
                // registry said it needs.
                let token = self
                    .token_for_scope(
                        &realm,
                        service.as_deref(),
                        scope.or(asked.as_deref()),
                        asked.as_deref().or(scope),
                        stale,
                    )
                    .await?;
                Ok(format!("Bearer {token}"))
            }
        }
    }

    async fn token(
        &self,
        realm: &str,
        service: Option<&str>,
        scope: Option<&str>,
        stale: Option<&str>,
    ) -> AppResult<String> {
        self.token_for_scope(realm, service, scope, scope, stale)
            .await
    }

    /// A cached token for `key`, or a new one for `scope` when there is none, it expired, or
    /// it is `stale` (the registry just refused it). Concurrent callers share one fetch.
    async fn token_for_scope(
        &self,
        realm: &str,
        service: Option<&str>,
        key: Option<&str>,
        scope: Option<&str>,
        stale: Option<&str>,
    ) -> AppResult<String> {
        let key = format!(
            "{realm} {} {}",
            service.unwrap_or_default(),
            key.unwrap_or_default()
        );
        let slot = {
            let mut tokens = lock(&self.tokens);
            if tokens.len() > 4096 {
                tokens.retain(|_, slot| {
                    Arc::strong_count(slot) > 1
                        || slot
                            .try_lock()
                            .map(|t| t.as_ref().is_some_and(CachedToken::is_fresh))
                            .unwrap_or(true)
                });
            }
            tokens.entry(key).or_default().clone()
        };
        let mut cached = slot.lock().await;
        if let Some(token) = cached.as_ref() {
            if token.is_fresh() && Some(token.value.as_str()) != stale {
                return Ok(token.value.clone());
            }
        }
        let token = self.fetch_token(realm, service, scope).await?;
        let value = token.value.clone();
        *cached = Some(token);
        Ok(value)
    }

    async fn fetch_token(
        &self,
        realm: &str,
        service: Option<&str>,
        scope: Option<&str>,
    ) -> AppResult<CachedToken> {
        let mut url = Url::parse(realm)
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some())
            .ok_or_else(|| {
                auth_failed(format!(
                    "registry {:?} named an invalid token realm",
                    self.name
                ))
            })?;
        ssrf::ensure_contactable(&url)?;
        {
            let mut query = url.query_pairs_mut();
            if let Some(service) = service {
                query.append_pair("service", service);
            }
            if let Some(scope) = scope {
                query.append_pair("scope", scope);
            }
        }
        let started = Instant::now();
        let mut request = self.http.get(url);
        if let Some(basic) = self.basic_header() {
            request = request.header(AUTHORIZATION, basic);
        }
        let result = async {
            let response = request.send().await.map_err(|e| self.transport_error(&e))?;
            let status = response.status();
            let body = read_limited(response, TOKEN_LIMIT).await.map_err(|e| match e {
                ReadError::Transport(e) => self.transport_error(&e),
                ReadError::TooLarge => bad_content("the token response is too large"),
            })?;
            if status == reqwest::StatusCode::UNAUTHORIZED || status == reqwest::StatusCode::FORBIDDEN {
                return Err(auth_failed(format!(
                    "the token service of registry {:?} refused the configured credentials ({status})",
                    self.name
                )));
            }
            if !status.is_success() {
                return Err(auth_failed(format!(
                    "the token service of registry {:?} answered {status}",
                    self.name
                )));
            }
            serde_json::from_slice::<TokenResponse>(&body)
                .ok()
                .and_then(TokenResponse::into_token)
                .ok_or_else(|| auth_failed(format!("registry {:?}'s token service sent no token", self.name)))
        }
        .await;
        self.metrics.upstream(
            &self.name,
            "token",
            started.elapsed(),
            result.as_ref().err().map(error_kind),
        );
        result
    }

    /// Sends one request under the concurrency limit, answering one auth challenge.
    async fn send(&self, call: Call<'_>) -> AppResult<Upstream> {
        ssrf::ensure_contactable(&call.url)?;
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|_| AppError::Internal(anyhow::anyhow!("registry semaphore closed")))?;
        let mut authorization = self.authorization_for(call.scope.as_deref()).await?;
        let mut answered = false;
        loop {
            let started = Instant::now();
            let result = self.send_once(&call, authorization.as_deref()).await;
            let response = match result {
                Ok(r) => r,
                Err(e) => {
                    self.metrics.upstream(
                        &self.name,
                        call.op,
                        started.elapsed(),
                        Some(error_kind(&e)),
                    );
                    return Err(e);
                }
            };
            if response.status == StatusCode::UNAUTHORIZED && !answered {
                self.metrics
                    .upstream(&self.name, call.op, started.elapsed(), None);
                answered = true;
                let challenge = parse_challenges(
                    response
                        .headers
                        .get_all(WWW_AUTHENTICATE)
                        .iter()
                        .filter_map(|v| v.to_str().ok()),
                );
                authorization = Some(
                    self.answer_challenge(
                        challenge,
                        call.scope.as_deref(),
                        authorization.as_deref(),
                    )
                    .await?,
                );
                continue;
            }
            if response.status == StatusCode::UNAUTHORIZED
                || response.status == StatusCode::FORBIDDEN
            {
                self.metrics
                    .upstream(&self.name, call.op, started.elapsed(), Some("auth_failed"));
                return Err(auth_failed(format!(
                    "registry {:?} refused access ({}) even after authenticating",
                    self.name, response.status
                )));
            }
            let kind = response.status.is_server_error().then_some("status_5xx");
            self.metrics
                .upstream(&self.name, call.op, started.elapsed(), kind);
            return Ok(response);
        }
    }

    async fn send_once(&self, call: &Call<'_>, authorization: Option<&str>) -> AppResult<Upstream> {
        let mut request = self.http.request(call.method.clone(), call.url.clone());
        if let Some(accept) = call.accept {
            request = request.header(ACCEPT, accept);
        }
        if let Some(authorization) = authorization {
            request = request.header(AUTHORIZATION, authorization);
        }
        let response = request.send().await.map_err(|e| self.transport_error(&e))?;
        let status =
            StatusCode::from_u16(response.status().as_u16()).unwrap_or(StatusCode::BAD_GATEWAY);
        let headers = response.headers().clone();
        let body = if call.method == Method::HEAD || status == StatusCode::UNAUTHORIZED {
            Bytes::new()
        } else {
            read_limited(response, call.limit)
                .await
                .map_err(|e| match e {
                    ReadError::Transport(e) => self.transport_error(&e),
                    ReadError::TooLarge => bad_content(format!(
                        "registry {:?} sent more than {} bytes for {}",
                        self.name, call.limit, call.op
                    )),
                })?
        };
        Ok(Upstream {
            status,
            headers,
            body,
        })
    }

    fn unexpected(&self, what: &str, response: &Upstream) -> AppError {
        let code = response.error_code().unwrap_or_default();
        registry_error(format!(
            "registry {:?} answered {} to {what} {code}",
            self.name, response.status
        ))
    }

    /// Walks a paginated list (`_catalog` or `tags/list`), following `Link: <…>; rel="next"`.
    async fn walk_pages(
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

    fn page_url(&self, path: &str, n: Option<usize>) -> AppResult<Url> {
        let mut url = self.v2(path)?;
        if let Some(n) = n {
            url.query_pairs_mut().append_pair("n", &n.to_string());
        }
        Ok(url)
    }

    /// The `rel="next"` target, which must stay on this registry.
    fn next_link(&self, current: &Url, headers: &HeaderMap) -> AppResult<Option<Url>> {
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
                ErrorCode::NotFound => AppError::not_found(
                    ErrorCode::NotFound,
                    format!(
                        "registry {:?} has no repository named {:?}",
                        self.name,
                        repo.as_str()
                    ),
                ),
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

    fn remember_tag(&self, repo: &RepositoryName, tag: &str, digest: &str) {
        self.tag_digests.insert(
            (repo.as_str().to_string(), tag.to_string()),
            Arc::from(digest),
        );
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

    /// Fetches a manifest by tag or digest with the full `Accept` list. Content fetched by
    /// digest is verified; content whose digest is verified is cached.
    pub async fn manifest(
        &self,
        repo: &RepositoryName,
        reference: &Reference,
    ) -> AppResult<(String, Arc<Manifest>)> {
        if let Reference::Digest(digest) = reference {
            if let Some(m) = self.content.manifest(digest.as_str()) {
                return Ok((digest.to_string(), m));
            }
        }
        let response = self
            .send(Call {
                op: "manifest_get",
                method: Method::GET,
                url: self.v2(&format!("{repo}/manifests/{}", reference.as_str()))?,
                accept: Some(MANIFEST_ACCEPT),
                scope: Some(pull_scope(repo)),
                limit: MANIFEST_LIMIT,
            })
            .await?;
        if response.status == StatusCode::NOT_FOUND {
            return Err(AppError::not_found(
                ErrorCode::NotFound,
                format!(
                    "{repo}:{} was not found in registry {:?}",
                    reference.as_str(),
                    self.name
                ),
            ));
        }
        if !response.status.is_success() {
            return Err(self.unexpected("manifest_get", &response));
        }
        let manifest = parse_manifest(&response.body, response.header("content-type"))
            .map_err(|e| bad_content(format!("{repo}:{}: {e}", reference.as_str())))?;
        let header_digest = response
            .header("docker-content-digest")
            .filter(|d| Digest::is_valid(d))
            .map(str::to_string);
        let signed_schema1 = manifest.kind == ManifestKind::Schema1;
        let (digest, verified) = match reference {
            Reference::Digest(asked) => match asked.verify(&response.body) {
                Some(true) => (asked.to_string(), true),
                Some(false) if signed_schema1 => (asked.to_string(), false),
                Some(false) => {
                    return Err(bad_content(format!(
                        "registry {:?} sent content that does not match {asked}",
                        self.name
                    )))
                }
                None => (asked.to_string(), false),
            },
            Reference::Tag(_) => {
                let computed = Digest::sha256_of(&response.body);
                match header_digest {
                    Some(header) if header == computed.as_str() => (header, true),
                    // A signed schema1 manifest's digest covers its payload without signatures.
                    Some(header) if signed_schema1 => (header, false),
                    Some(header) => match Digest::parse(&header)
                        .ok()
                        .and_then(|d| d.verify(&response.body))
                    {
                        Some(false) => {
                            return Err(bad_content(format!(
                            "registry {:?} sent a manifest that does not match its digest {header}",
                            self.name
                        )))
                        }
                        _ => (header, false),
                    },
                    None => (computed.to_string(), true),
                }
            }
        };
        let manifest = Arc::new(manifest);
        if verified {
            self.content.put_manifest(&digest, manifest.clone());
        }
        if let Reference::Tag(tag) = reference {
            self.remember_tag(repo, tag.as_str(), &digest);
        }
        Ok((digest, manifest))
    }

    /// What `tag` points at now (HEAD with the full `Accept` list, so a multi-arch tag gives
    /// its index digest, never a child's).
    pub async fn resolve_tag(&self, repo: &RepositoryName, tag: &Tag) -> AppResult<String> {
        let response = self
            .send(Call {
                op: "manifest_head",
                method: Method::HEAD,
                url: self.v2(&format!("{repo}/manifests/{tag}"))?,
                accept: Some(MANIFEST_ACCEPT),
                scope: Some(pull_scope(repo)),
                limit: 0,
            })
            .await?;
        if response.status == StatusCode::NOT_FOUND {
            return Err(AppError::not_found(
                ErrorCode::NotFound,
                format!("{repo}:{tag} was not found in registry {:?}", self.name),
            ));
        }
        if !response.status.is_success() {
            return Err(self.unexpected("manifest_head", &response));
        }
        match response
            .header("docker-content-digest")
            .filter(|d| Digest::is_valid(d))
        {
            Some(digest) => {
                self.remember_tag(repo, tag.as_str(), digest);
                Ok(digest.to_string())
            }
            // No header: the digest is the sha256 of the manifest as served.
            None => Ok(self.manifest(repo, &Reference::Tag(tag.clone())).await?.0),
        }
    }

    /// An image config blob, verified against its digest and cached.
    pub async fn config(&self, repo: &RepositoryName, digest: &str) -> AppResult<Arc<ImageConfig>> {
        if let Some(c) = self.content.config(digest) {
            return Ok(c);
        }
        let parsed = Digest::parse(digest)?;
        let response = self
            .send(Call {
                op: "blob_get",
                method: Method::GET,
                url: self.v2(&format!("{repo}/blobs/{digest}"))?,
                accept: None,
                scope: Some(pull_scope(repo)),
                limit: CONFIG_LIMIT,
            })
            .await?;
        if response.status == StatusCode::NOT_FOUND {
            return Err(AppError::not_found(
                ErrorCode::NotFound,
                format!(
                    "config {digest} of {repo} was not found in registry {:?}",
                    self.name
                ),
            ));
        }
        if !response.status.is_success() {
            return Err(self.unexpected("blob_get", &response));
        }
        let verified = match parsed.verify(&response.body) {
            Some(false) => {
                return Err(bad_content(format!(
                    "registry {:?} sent a config that does not match {digest}",
                    self.name
                )))
            }
            Some(true) => true,
            None => false,
        };
        let config = Arc::new(
            parse_config(&response.body)
                .map_err(|e| bad_content(format!("{repo}@{digest}: {e}")))?,
        );
        if verified {
            self.content
                .put_config(digest, config.clone(), response.body.len());
        }
        Ok(config)
    }

    /// `DELETE /v2/<repo>/manifests/<digest>`: removes the manifest and every tag on it.
    pub async fn delete_manifest(&self, repo: &RepositoryName, digest: &Digest) -> AppResult<()> {
        let response = self
            .send(Call {
                op: "manifest_delete",
                method: Method::DELETE,
                url: self.v2(&format!("{repo}/manifests/{digest}"))?,
                accept: Some(MANIFEST_ACCEPT),
                scope: Some(format!("repository:{repo}:delete")),
                limit: 64 * 1024,
            })
            .await?;
        let code = response.error_code();
        match response.status {
            s if s.is_success() => Ok(()),
            StatusCode::NOT_FOUND => Err(AppError::not_found(
                ErrorCode::NotFound,
                format!("{repo}@{digest} was not found in registry {:?}", self.name),
            )),
            StatusCode::METHOD_NOT_ALLOWED => Err(delete_disabled(&self.name)),
            _ if code.as_deref() == Some("UNSUPPORTED") => Err(delete_disabled(&self.name)),
            _ => Err(self.unexpected("manifest_delete", &response)),
        }
    }

    /// Contacts `GET /v2/` afresh (no cached token): reachability, API version, whether the
    /// configured credentials work, and the latency. Never fails; problems go in `error`.
    pub async fn probe(&self) -> RegistryTestResult {
        let started = Instant::now();
        let mut result = RegistryTestResult {
            reachable: false,
            status: None,
            api_version: None,
            auth_ok: false,
            latency_ms: 0,
            error: None,
        };
        let outcome = self.probe_into(&mut result).await;
        if let Err(e) = outcome {
            result.error = Some(e.to_string());
        }
        result.latency_ms = started.elapsed().as_millis() as u64;
        self.metrics.upstream(
            &self.name,
            "ping",
            started.elapsed(),
            (!result.reachable).then_some("unreachable"),
        );
        result
    }

    async fn probe_into(&self, result: &mut RegistryTestResult) -> AppResult<()> {
        let url = self.v2("")?;
        ssrf::ensure_contactable(&url)?;
        let get = |authorization: Option<String>| {
            let mut request = self.http.get(url.clone());
            if let Some(a) = authorization {
                request = request.header(AUTHORIZATION, a);
            }
            async move { request.send().await.map_err(|e| self.transport_error(&e)) }
        };
        let record = |result: &mut RegistryTestResult, response: &reqwest::Response| {
            result.reachable = true;
            result.status = Some(response.status().as_u16());
            if let Some(v) = response
                .headers()
                .get("docker-distribution-api-version")
                .and_then(|v| v.to_str().ok())
            {
                result.api_version = Some(v.to_string());
            }
        };
        let first = get(None).await?;
        record(result, &first);
        if first.status() != reqwest::StatusCode::UNAUTHORIZED {
            result.auth_ok = first.status().is_success();
            if !result.auth_ok {
                result.error = Some(format!("GET /v2/ answered {}", first.status()));
            }
            return Ok(());
        }
        let challenge = parse_challenges(
            first
                .headers()
                .get_all(WWW_AUTHENTICATE)
                .iter()
                .filter_map(|v| v.to_str().ok()),
        );
        let authorization = match challenge {
            None => {
                return Err(auth_failed(
                    "the registry answered 401 without a usable challenge",
                ))
            }
            Some(Challenge::Basic) => self.basic_header().ok_or_else(|| {
                auth_failed("the registry requires credentials and none are configured")
            })?,
            Some(Challenge::Bearer {
                realm,
                service,
                scope,
            }) => {
                let token = self
                    .fetch_token(&realm, service.as_deref(), scope.as_deref())
                    .await?;
                format!("Bearer {}", token.value)
            }
        };
        let second = get(Some(authorization)).await?;
        record(result, &second);
        result.auth_ok = second.status().is_success();
        if !result.auth_ok {
            result.error = Some(format!(
                "GET /v2/ answered {} after authenticating",
                second.status()
            ));
        }
        Ok(())
    }
}

pub(crate) fn delete_disabled(registry: &str) -> AppError {
    AppError::conflict(
        ErrorCode::DeleteDisabled,
        format!(
            "registry {registry:?} does not allow deletes: start it with \
             REGISTRY_STORAGE_DELETE_ENABLED=true (storage.delete.enabled: true); pull-through \
             caches never allow them"
        ),
    )
}

fn pull_scope(repo: &RepositoryName) -> String {
    format!("repository:{repo}:pull")
}

fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = s.source();
    }
    out
}

enum ReadError {
    Transport(reqwest::Error),
    TooLarge,
}

async fn read_limited(mut response: reqwest::Response, limit: usize) -> Result<Bytes, ReadError> {
    if response.content_length().is_some_and(|n| n > limit as u64) {
        return Err(ReadError::TooLarge);
    }
    let mut body =
        Vec::with_capacity(response.content_length().unwrap_or(0).min(limit as u64) as usize);
    while let Some(chunk) = response.chunk().await.map_err(ReadError::Transport)? {
        if body.len() + chunk.len() > limit {
            return Err(ReadError::TooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.into())
}
