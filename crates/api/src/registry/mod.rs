//! The registry client: auth challenges, pagination, manifests and caching.
//!
//! - [`RegistryPool`] holds one [`RegistryClient`] per configured registry (rebuilt when its
//!   row changes) and the content cache they share.
//! - [`Resolver`] picks the registry of a request: `?registry=`, else the user's default, else
//!   the bootstrapped one.
//! - [`browse`] and [`delete`] are what the routes call; [`ssrf`] guards every address.
pub mod browse;
pub mod cache;
pub mod challenge;
pub mod client;
pub mod delete;
pub mod manifest;
pub mod not_found;
pub mod signer;
pub mod ssrf;
pub mod summary;

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use crate::db::Db;
use shared::error::ErrorCode;
use url::Url;

pub use client::{Fingerprint, RegistryClient};
pub use ssrf::check_registry_url;

use crate::config::RegistryClientSettings;
use crate::crypto::SecretCipher;
use crate::domain::RegistryName;
use crate::error::{AppError, AppResult};
use crate::metrics::Metrics;
use crate::secret::Secret;
use crate::storage::registries::{self, RegistryRow};
use cache::ContentCache;

/// One client per configured registry, created on first use.
pub struct RegistryPool {
    settings: RegistryClientSettings,
    metrics: Arc<Metrics>,
    /// Signs tokens for registries whose login is registry-gui.
    signer: Option<Arc<signer::TokenSigner>>,
    content: Arc<ContentCache>,
    clients: RwLock<HashMap<String, Arc<RegistryClient>>>,
}

/// A registry resolved for one request: its current settings and its client.
#[derive(Debug, Clone)]
pub struct RegistryHandle {
    pub id: i64,
    pub name: String,
    pub url: String,
    pub pull_host: Option<String>,
    pub read_only: bool,
    pub bootstrapped: bool,
    pub default_access: shared::permissions::DefaultAccess,
    pub client: Arc<RegistryClient>,
}

impl RegistryHandle {
    /// 409 `registry_read_only` for registries configured without deletes through the GUI.
    pub fn ensure_writable(&self) -> AppResult<()> {
        if self.read_only {
            return Err(AppError::conflict(
                ErrorCode::RegistryReadOnly,
                format!(
                    "registry {:?} is read-only: deletes are disabled for it",
                    self.name
                ),
            ));
        }
        Ok(())
    }
}

impl RegistryPool {
    pub fn new(
        settings: RegistryClientSettings,
        metrics: Arc<Metrics>,
        signer: Option<Arc<signer::TokenSigner>>,
    ) -> Self {
        let content = Arc::new(ContentCache::new(
            settings.manifest_cache_bytes,
            metrics.clone(),
        ));
        Self {
            settings,
            metrics,
            signer,
            content,
            clients: RwLock::new(HashMap::new()),
        }
    }

    pub fn settings(&self) -> &RegistryClientSettings {
        &self.settings
    }

    pub fn metrics(&self) -> &Arc<Metrics> {
        &self.metrics
    }

    /// Drops the cached client (and its caches) of a registry that was edited or removed.
    pub fn forget(&self, name: &str) {
        self.clients
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .remove(name);
    }

    /// The client of registry `name`, if one is cached (with its caches).
    pub fn cached(&self, name: &str) -> Option<Arc<RegistryClient>> {
        self.clients
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(name)
            .cloned()
    }

    /// Forgets every registry's tag lists, tag digests and catalog (content stays: it is
    /// immutable).
    pub fn clear_listings(&self) {
        let clients: Vec<Arc<RegistryClient>> = self
            .clients
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .values()
            .cloned()
            .collect();
        for client in clients {
            client.invalidate_all_tags();
        }
    }

    /// Drops every client and everything cached (the next requests start cold).
    pub fn clear_caches(&self) {
        self.clients
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
        self.content.clear();
    }

    /// Bytes held by the manifest/config cache.
    pub fn content_cache_bytes(&self) -> u64 {
        self.content.weight()
    }

    /// The client for `row`, reused while url, credentials and TLS settings are unchanged.
    pub fn client_for(
        &self,
        row: &RegistryRow,
        cipher: &SecretCipher,
    ) -> AppResult<Arc<RegistryClient>> {
        let fingerprint = Fingerprint {
            url: row.url.clone(),
            username: row.username.clone(),
            password_encrypted: row.password_encrypted.clone(),
            insecure_tls: row.insecure_tls,
            token_service: row.token_service.clone(),
        };
        if let Some(client) = self
            .clients
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(&row.name)
        {
            if client.fingerprint == fingerprint {
                return Ok(client.clone());
            }
        }
        let base_url = Url::parse(&row.url).map_err(|e| {
            AppError::Internal(anyhow::anyhow!(
                "registry {:?} has an invalid stored URL: {e}",
                row.name
            ))
        })?;
        let password = match &row.password_encrypted {
            Some(encrypted) => Some(Secret::new(cipher.decrypt(encrypted).map_err(|e| {
                tracing::error!(registry = %row.name, error = %e, "cannot decrypt a registry password");
                AppError::upstream(ErrorCode::RegistryAuthFailed,
                    format!(
                        "the stored password of registry {:?} cannot be decrypted (was SECRET_KEY or the key file changed?)",
                        row.name
                    ),
                )
            })?)),
            None => None,
        };
        let credentials = match (&row.username, password) {
            (Some(user), Some(password)) if !user.is_empty() => Some((user.clone(), password)),
            (Some(user), None) if !user.is_empty() => Some((user.clone(), Secret::new(""))),
            _ => None,
        };
        let spec = client::ClientSpec {
            name: row.name.clone(),
            base_url,
            credentials,
            insecure_tls: row.insecure_tls,
            // Registries whose login is registry-gui: sign our own tokens, no realm round trip.
            local_tokens: match (&row.token_service, &self.signer) {
                (Some(service), Some(signer)) => Some(client::LocalTokens {
                    service: service.clone(),
                    signer: signer.clone(),
                }),
                _ => None,
            },
            fingerprint,
        };
        let client = Arc::new(RegistryClient::new(
            spec,
            &self.settings,
            self.metrics.clone(),
            self.content.clone(),
        )?);
        self.clients
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(row.name.clone(), client.clone());
        Ok(client)
    }

    /// A handle for `row` (its current settings and its client).
    pub fn handle(&self, row: &RegistryRow, cipher: &SecretCipher) -> AppResult<RegistryHandle> {
        Ok(RegistryHandle {
            id: row.id,
            name: row.name.clone(),
            url: row.url.clone(),
            pull_host: row.pull_host.clone().filter(|h| !h.trim().is_empty()),
            read_only: row.read_only,
            bootstrapped: row.bootstrapped,
            default_access: row.default_access(),
            client: self.client_for(row, cipher)?,
        })
    }
}

/// What finding a registry for a request needs: the registries table, the clients and the key
/// of stored passwords. Services take this, not the whole application state.
#[derive(Clone, Copy)]
pub struct Resolver<'a> {
    pub pool: &'a Db,
    pub clients: &'a RegistryPool,
    pub cipher: &'a SecretCipher,
}

impl Resolver<'_> {
    /// The registry named `name`: 404 `registry_not_found` when there is none.
    pub async fn by_name(&self, name: &str) -> AppResult<RegistryHandle> {
        if !RegistryName::is_valid(name) {
            return Err(AppError::registry_not_found(name));
        }
        let row = registries::find(self.pool, name)
            .await?
            .ok_or_else(|| AppError::registry_not_found(name))?;
        self.clients.handle(&row, self.cipher)
    }

    /// The registry a request is about: `requested` (`?registry=<name>`), else the user's
    /// default registry (when it still exists), else the bootstrapped one; 404
    /// `registry_not_found` when none applies.
    pub async fn for_request(
        &self,
        user_default: Option<&str>,
        requested: Option<&str>,
    ) -> AppResult<RegistryHandle> {
        if let Some(name) = requested.map(str::trim).filter(|n| !n.is_empty()) {
            return self.by_name(name).await;
        }
        if let Some(name) = user_default {
            if let Some(row) = registries::find(self.pool, name).await? {
                return self.clients.handle(&row, self.cipher);
            }
        }
        let row = registries::find_bootstrapped(self.pool)
            .await?
            .ok_or_else(|| {
                AppError::not_found(ErrorCode::RegistryNotFound, "no registry is configured")
            })?;
        self.clients.handle(&row, self.cipher)
    }

    /// `POST /api/admin/registries/{name}/test`: contacts the registry afresh (no cached
    /// token) and reports reachability, API version, whether the credentials work and the
    /// latency. 404 `registry_not_found` for an unknown name; contact problems are in the
    /// result's `error`.
    pub async fn test(&self, name: &str) -> AppResult<shared::admin::RegistryTestResult> {
        Ok(self.by_name(name).await?.client.probe().await)
    }
}
