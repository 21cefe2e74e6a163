//! One registry's HTTP client: authentication, bounded concurrency, pagination, manifests and
//! blobs, with every upstream failure mapped to a stable API error.
use std::collections::HashMap;
use std::hash::{Hash as _, Hasher as _};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use reqwest::header::HeaderMap;
use reqwest::Method;
use reqwest::StatusCode;
use serde::Deserialize;
use shared::error::ErrorCode;
use url::Url;

use super::cache::{ContentCache, TtlCache};
use super::challenge::CachedToken;
use super::ssrf;
use crate::config::RegistryClientSettings;
use crate::domain::RepositoryName;
use crate::error::{AppError, AppResult};
use crate::metrics::Metrics;
use crate::secret::Secret;

mod content;
mod lists;
mod probe;
mod tokens;
mod transport;

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
    pub token_service: Option<String>,
}

/// For a registry whose `auth.token` is registry-gui: tokens for `service` are signed here.
#[derive(Clone)]
pub(crate) struct LocalTokens {
    pub service: String,
    pub signer: Arc<crate::registry::signer::TokenSigner>,
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
    pub local_tokens: Option<LocalTokens>,
    pub fingerprint: Fingerprint,
}

/// A client for one configured registry. Cheap to share; rebuilt when its row changes.
pub struct RegistryClient {
    name: String,
    base: String,
    base_url: Url,
    http: reqwest::Client,
    credentials: Option<(String, Secret)>,
    local_tokens: Option<LocalTokens>,
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
    AppError::upstream(ErrorCode::RegistryAuthFailed, message)
}

fn registry_error(message: impl Into<String>) -> AppError {
    AppError::upstream(ErrorCode::RegistryError, message)
}

fn bad_content(message: impl Into<String>) -> AppError {
    AppError::upstream(ErrorCode::RegistryBadContent, message)
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
            local_tokens,
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
            local_tokens,
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
