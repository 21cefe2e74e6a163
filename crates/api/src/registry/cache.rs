//! In-memory caches. Content fetched by digest never changes, so it is kept (bounded by bytes)
//! until evicted; what a tag or the catalog points to changes, so it lives for a short TTL.
use std::hash::Hash;
use std::sync::Arc;
use std::time::{Duration, Instant};

use quick_cache::sync::Cache;
use quick_cache::Weighter;

use super::manifest::{ImageConfig, Manifest};
use super::summary::ImageSummary;
use crate::metrics::Metrics;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ContentKind {
    Manifest,
    Config,
    Summary,
}

#[derive(Clone)]
pub enum Content {
    Manifest(Arc<Manifest>),
    Config(Arc<ImageConfig>),
    Summary(Arc<ImageSummary>),
}

#[derive(Clone)]
struct ContentWeighter;

/// Approximate heap bytes of an entry: its source bytes plus bookkeeping.
impl Weighter<(ContentKind, String), (u64, Content)> for ContentWeighter {
    fn weight(&self, key: &(ContentKind, String), value: &(u64, Content)) -> u64 {
        key.1.len() as u64 + value.0 + 128
    }
}

type ContentMap = Cache<(ContentKind, String), (u64, Content), ContentWeighter>;

/// Manifests, configs and per-digest summaries of every registry, keyed by digest. Sharing
/// across registries is safe: only content whose digest was verified is stored.
pub struct ContentCache {
    cache: Option<ContentMap>,
    metrics: Arc<Metrics>,
}

impl ContentCache {
    pub fn new(max_bytes: u64, metrics: Arc<Metrics>) -> Self {
        let cache = (max_bytes >= 4096).then(|| {
            // ~2 KiB per manifest or config on average.
            let items = (max_bytes / 2048).clamp(16, 1 << 20) as usize;
            Cache::with_weighter(items, max_bytes, ContentWeighter)
        });
        Self { cache, metrics }
    }

    fn get(&self, kind: ContentKind, digest: &str) -> Option<Content> {
        let cache = self.cache.as_ref()?;
        let hit = cache.get(&(kind, digest.to_string())).map(|(_, c)| c);
        if hit.is_some() {
            self.metrics.cache_hit();
        } else {
            self.metrics.cache_miss();
        }
        hit
    }

    fn put(&self, kind: ContentKind, digest: &str, weight: u64, content: Content) {
        if let Some(cache) = &self.cache {
            cache.insert((kind, digest.to_string()), (weight, content));
        }
    }

    pub fn manifest(&self, digest: &str) -> Option<Arc<Manifest>> {
        match self.get(ContentKind::Manifest, digest)? {
            Content::Manifest(m) => Some(m),
            _ => None,
        }
    }

    pub fn put_manifest(&self, digest: &str, manifest: Arc<Manifest>) {
        let weight = manifest.byte_size as u64;
        self.put(
            ContentKind::Manifest,
            digest,
            weight,
            Content::Manifest(manifest),
        );
    }

    pub fn config(&self, digest: &str) -> Option<Arc<ImageConfig>> {
        match self.get(ContentKind::Config, digest)? {
            Content::Config(c) => Some(c),
            _ => None,
        }
    }

    pub fn put_config(&self, digest: &str, config: Arc<ImageConfig>, source_bytes: usize) {
        self.put(
            ContentKind::Config,
            digest,
            source_bytes as u64,
            Content::Config(config),
        );
    }

    pub fn summary(&self, digest: &str) -> Option<Arc<ImageSummary>> {
        match self.get(ContentKind::Summary, digest)? {
            Content::Summary(s) => Some(s),
            _ => None,
        }
    }

    pub fn put_summary(&self, digest: &str, summary: Arc<ImageSummary>) {
        let weight = 64 + summary.platforms.len() as u64 * 160;
        self.put(
            ContentKind::Summary,
            digest,
            weight,
            Content::Summary(summary),
        );
    }

    pub fn clear(&self) {
        if let Some(cache) = &self.cache {
            cache.clear();
        }
    }

    /// Bytes currently held.
    pub fn weight(&self) -> u64 {
        self.cache.as_ref().map_or(0, Cache::weight)
    }
}

#[derive(Clone)]
struct TtlWeighter;

impl<K, V: Weigh> Weighter<K, (Instant, V)> for TtlWeighter {
    fn weight(&self, _key: &K, value: &(Instant, V)) -> u64 {
        value.1.weigh()
    }
}

/// How much an entry of a TTL cache counts against its capacity.
pub trait Weigh {
    fn weigh(&self) -> u64;
}

/// A list of names weighs what it holds in memory: each string's bytes and header, plus the
/// vector.
impl Weigh for Arc<Vec<String>> {
    fn weigh(&self) -> u64 {
        let strings: usize = self
            .iter()
            .map(|s| s.capacity() + std::mem::size_of::<String>())
            .sum();
        (strings + std::mem::size_of::<Vec<String>>()) as u64
    }
}

impl Weigh for Arc<str> {
    fn weigh(&self) -> u64 {
        1
    }
}

/// Entries that expire `ttl` after insertion; a TTL of zero disables the cache.
pub struct TtlCache<K, V> {
    cache: Option<Cache<K, (Instant, V), TtlWeighter>>,
    ttl: Duration,
}

impl<K: Eq + Hash + Clone, V: Clone + Weigh> TtlCache<K, V> {
    /// `capacity` is in weight units (entries, or bytes for lists of names).
    pub fn new(ttl: Duration, estimated_items: usize, capacity: u64) -> Self {
        let cache = (!ttl.is_zero() && capacity > 0)
            .then(|| Cache::with_weighter(estimated_items.max(16), capacity, TtlWeighter));
        Self { cache, ttl }
    }

    pub fn get(&self, key: &K) -> Option<V> {
        let (at, value) = self.cache.as_ref()?.get(key)?;
        (at.elapsed() < self.ttl).then_some(value)
    }

    pub fn insert(&self, key: K, value: V) {
        if let Some(cache) = &self.cache {
            cache.insert(key, (Instant::now(), value));
        }
    }

    pub fn remove(&self, key: &K) {
        if let Some(cache) = &self.cache {
            cache.remove(key);
        }
    }

    pub fn clear(&self) {
        if let Some(cache) = &self.cache {
            cache.clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ttl_entries_expire() {
        let cache: TtlCache<String, Arc<str>> = TtlCache::new(Duration::from_millis(30), 16, 100);
        cache.insert("a".into(), Arc::from("x"));
        assert_eq!(cache.get(&"a".to_string()).as_deref(), Some("x"));
        std::thread::sleep(Duration::from_millis(40));
        assert!(cache.get(&"a".to_string()).is_none());
    }

    #[test]
    fn a_zero_ttl_disables_caching() {
        let cache: TtlCache<String, Arc<str>> = TtlCache::new(Duration::ZERO, 16, 100);
        cache.insert("a".into(), Arc::from("x"));
        assert!(cache.get(&"a".to_string()).is_none());
    }

    #[test]
    fn the_content_cache_is_bounded_by_bytes() {
        let cache = ContentCache::new(64 * 1024, Arc::new(Metrics::new()));
        for i in 0..1000 {
            let config = Arc::new(ImageConfig::default());
            cache.put_config(&format!("sha256:{i:064}"), config, 1024);
        }
        assert!(cache.weight() <= 64 * 1024, "{}", cache.weight());
        assert!(cache.weight() > 16 * 1024);
    }
}
