//! Cache coherence across replicas. Registry listings are cached per replica for
//! `CACHE_TTL_SECS`; a change made through one replica (a delete, a push it was notified of, a
//! registry edited or removed) is applied to its own caches at once and, on PostgreSQL,
//! announced with `NOTIFY` to every other replica, which applies it when the notification
//! arrives — before the changing request is answered plus the notification's trip. The TTL
//! stays the fallback (a replica that missed notifications while its LISTEN connection was down
//! drops all its listings when it reconnects). Immutable content (manifests and configs by
//! digest) needs no coordination.
use serde::{Deserialize, Serialize};

use crate::db::{postgres, Backend, Db};
use crate::domain::RepositoryName;
use crate::metrics::Metrics;
use crate::registry::RegistryPool;

/// PostgreSQL limits a notification to 8000 bytes; longer tag lists become "every tag".
const MAX_PAYLOAD: usize = 7_000;

/// What changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Change {
    /// The replica that made the change (it has applied it already).
    pub origin: String,
    pub registry: String,
    /// `None`: the registry itself (edited or removed): drop its client and caches.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repository: Option<String>,
    /// Tags known to have changed (their digests are forgotten); `None` with a repository:
    /// forget every tag digest of the registry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags: Option<Vec<String>>,
}

/// Applies changes here and announces them to the other replicas.
#[derive(Clone, Copy)]
pub struct Coherence<'a> {
    pub db: &'a Db,
    pub registries: &'a RegistryPool,
    pub metrics: &'a Metrics,
    pub replica: &'a str,
}

impl Coherence<'_> {
    /// Tags of `repository` changed (deleted, pushed or moved).
    pub async fn repository_changed(&self, registry: &str, repository: &str, tags: &[String]) {
        let change = Change {
            origin: self.replica.to_string(),
            registry: registry.to_string(),
            repository: Some(repository.to_string()),
            tags: Some(tags.to_vec()),
        };
        self.apply_and_announce(change).await;
    }

    /// The registry was edited or removed.
    pub async fn registry_changed(&self, registry: &str) {
        let change = Change {
            origin: self.replica.to_string(),
            registry: registry.to_string(),
            repository: None,
            tags: None,
        };
        self.apply_and_announce(change).await;
    }

    async fn apply_and_announce(&self, mut change: Change) {
        apply(self.registries, &change);
        self.metrics.cache_invalidation("local");
        if self.db.backend() != Backend::Postgres {
            return;
        }
        let mut payload = serde_json::to_string(&change).unwrap_or_default();
        if payload.len() > MAX_PAYLOAD {
            change.tags = None;
            payload = serde_json::to_string(&change).unwrap_or_default();
        }
        // A failed announcement leaves the other replicas on their TTL: logged, never a
        // failure of the change itself (which has happened).
        if let Err(e) = postgres::notify(self.db, &payload).await {
            tracing::warn!(error = %e, "cannot announce a cache invalidation to the other replicas");
        }
    }
}

/// Drops what `change` names from this replica's caches.
pub fn apply(registries: &RegistryPool, change: &Change) {
    let Some(repository) = &change.repository else {
        registries.forget(&change.registry);
        return;
    };
    let Some(client) = registries.cached(&change.registry) else {
        // Nothing cached for that registry here.
        return;
    };
    match (RepositoryName::parse(repository), &change.tags) {
        (Ok(repo), Some(tags)) => client.invalidate_repository(&repo, tags),
        _ => client.invalidate_all_tags(),
    }
}

/// Applies the other replicas' announcements for as long as the process runs (PostgreSQL
/// only). Reconnects by itself; after any gap it drops every listing (it may have missed
/// announcements).
pub fn spawn_listener(
    url: String,
    replica: String,
    registries: std::sync::Arc<RegistryPool>,
    metrics: std::sync::Arc<Metrics>,
) {
    tokio::spawn(async move {
        loop {
            let mut listener = match sqlx::postgres::PgListener::connect(&url).await {
                Ok(l) => l,
                Err(e) => {
                    tracing::warn!(error = %postgres::redact(&e.to_string(), &url), "cannot open the LISTEN connection; retrying");
                    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
                    continue;
                }
            };
            if let Err(e) = listener.listen(postgres::CACHE_CHANNEL).await {
                tracing::warn!(error = %e, "LISTEN failed; retrying");
                tokio::time::sleep(std::time::Duration::from_secs(1)).await;
                continue;
            }
            // Whatever was announced while we were not listening is lost: start cold.
            registries.clear_listings();
            loop {
                match listener.try_recv().await {
                    Ok(Some(notification)) => {
                        match serde_json::from_str::<Change>(notification.payload()) {
                            Ok(change) if change.origin == replica => {}
                            Ok(change) => {
                                apply(&registries, &change);
                                metrics.cache_invalidation("notification");
                            }
                            Err(e) => tracing::warn!(error = %e, "unreadable cache notification"),
                        }
                    }
                    // The connection dropped; the next call reconnects and listens again.
                    Ok(None) => {
                        tracing::warn!("the LISTEN connection dropped; reconnecting");
                        registries.clear_listings();
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "the LISTEN connection failed; reconnecting");
                        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
                        break;
                    }
                }
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_change_travels_as_compact_json_and_reads_back() {
        let change = Change {
            origin: "r1".into(),
            registry: "default".into(),
            repository: Some("team/app".into()),
            tags: Some(vec!["v1".into()]),
        };
        let text = serde_json::to_string(&change).unwrap();
        assert_eq!(
            text,
            r#"{"origin":"r1","registry":"default","repository":"team/app","tags":["v1"]}"#
        );
        assert_eq!(serde_json::from_str::<Change>(&text).unwrap(), change);
        let registry_only: Change =
            serde_json::from_str(r#"{"origin":"r2","registry":"x"}"#).unwrap();
        assert_eq!(registry_only.repository, None);
    }
}
