//! The registry's notifications (`POST /api/registries/{name}/events`): manifest pushes and
//! deletes become audit events and the "pushed by/at" of tags; everything is counted.
use crate::db::Db;
use serde::Deserialize;
use shared::error::ErrorCode;
use shared::registry::TagSummary;

use crate::error::{AppError, AppResult};
use crate::metrics::Metrics;
use crate::storage::registries::{self, RegistryRow};
use crate::storage::{audit, registry_events, unix_now, unix_to_rfc3339};

/// Largest envelope accepted.
pub const MAX_ENVELOPE_BYTES: usize = 1024 * 1024;

#[derive(Deserialize)]
struct Envelope {
    events: Vec<Event>,
}

#[derive(Deserialize)]
struct Event {
    id: String,
    #[serde(default)]
    timestamp: Option<String>,
    action: String,
    #[serde(default)]
    target: Target,
    #[serde(default)]
    request: Option<Request>,
    #[serde(default)]
    actor: Option<Actor>,
}

#[derive(Deserialize, Default)]
struct Target {
    #[serde(default, rename = "mediaType")]
    media_type: Option<String>,
    #[serde(default)]
    digest: Option<String>,
    #[serde(default)]
    repository: Option<String>,
    #[serde(default)]
    tag: Option<String>,
}

#[derive(Deserialize)]
struct Request {
    #[serde(default)]
    addr: Option<String>,
}

#[derive(Deserialize)]
struct Actor {
    #[serde(default)]
    name: Option<String>,
}

/// Whether the event is about a manifest (blob events name layer or config media types).
fn is_manifest(target: &Target) -> bool {
    match target.media_type.as_deref() {
        Some(t) => t.contains("manifest") || t.contains("image.index"),
        // Distribution's manifest deletes carry only the digest (and maybe the tag).
        None => target.tag.is_some() || target.digest.is_some(),
    }
}

/// `host:port` (or `[v6]:port`) without the port.
fn without_port(addr: &str) -> String {
    addr.parse::<std::net::SocketAddr>()
        .map(|a| a.ip().to_string())
        .unwrap_or_else(|_| addr.to_string())
}

fn timestamp(raw: Option<&str>) -> i64 {
    raw.and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
        .map_or_else(unix_now, |t| t.timestamp())
}

/// The registry for a delivery, after its bearer secret: 404 for an unknown registry, 401 for a
/// wrong or missing secret (or a registry without one).
pub async fn authorize(pool: &Db, name: &str, bearer: Option<&str>) -> AppResult<RegistryRow> {
    let row = registries::find(pool, name)
        .await?
        .ok_or_else(|| AppError::registry_not_found(name))?;
    let presented = bearer.map(crate::auth::sha256_hex);
    // Digests are compared, not secrets: how long a comparison takes says nothing useful
    // about the secret.
    let ok = matches!((&row.events_secret_hash, presented), (Some(stored), Some(given)) if *stored == given);
    if !ok {
        return Err(AppError::unauthorized(
            ErrorCode::InvalidToken,
            "wrong or missing events secret",
        ));
    }
    Ok(row)
}

/// What an envelope brought.
#[derive(Debug, Default)]
pub struct Received {
    pub received: usize,
    /// Events stored for the first time (redeliveries are not).
    pub stored: usize,
    /// Repositories whose tags changed, with the tags the events name: caches forget them.
    pub changed: std::collections::BTreeMap<String, Vec<String>>,
}

/// Stores and audits the manifest events of an envelope.
pub async fn receive(
    pool: &Db,
    metrics: &Metrics,
    row: &RegistryRow,
    body: &[u8],
) -> AppResult<Received> {
    let envelope: Envelope = serde_json::from_slice(body).map_err(|e| {
        AppError::bad_request(
            ErrorCode::InvalidRequest,
            format!("not a notification envelope: {e}"),
        )
    })?;
    let mut stored = 0;
    let mut changed: std::collections::BTreeMap<String, Vec<String>> = Default::default();
    for event in &envelope.events {
        metrics.registry_event(&event.action);
        let manifest_event =
            matches!(event.action.as_str(), "push" | "delete") && is_manifest(&event.target);
        let Some(repository) = event
            .target
            .repository
            .as_deref()
            .filter(|_| manifest_event)
        else {
            continue;
        };
        let actor = event
            .actor
            .as_ref()
            .and_then(|a| a.name.as_deref())
            .filter(|n| !n.is_empty());
        let addr = event
            .request
            .as_ref()
            .and_then(|r| r.addr.as_deref())
            .map(without_port);
        let tags = changed.entry(repository.to_string()).or_default();
        if let Some(tag) = event.target.tag.as_deref() {
            tags.push(tag.to_string());
        }
        let mut tx = pool.begin().await?;
        let new = registry_events::insert(
            &mut *tx,
            registry_events::NewEvent {
                registry_id: row.id,
                event_id: &event.id,
                action: &event.action,
                repository,
                tag: event.target.tag.as_deref(),
                digest: event.target.digest.as_deref(),
                actor,
                addr: addr.as_deref(),
                at: timestamp(event.timestamp.as_deref()),
            },
        )
        .await?;
        if new {
            let target = format!(
                "{}/{repository}{}{}",
                row.name,
                event
                    .target
                    .tag
                    .as_deref()
                    .map(|t| format!(":{t}"))
                    .unwrap_or_default(),
                event
                    .target
                    .digest
                    .as_deref()
                    .map(|d| format!("@{d}"))
                    .unwrap_or_default(),
            );
            audit::record(
                &mut *tx,
                audit::NewEvent {
                    actor,
                    ip: addr.as_deref(),
                    action: if event.action == "push" {
                        "image_pushed"
                    } else {
                        "image_deleted"
                    },
                    target: Some(&target),
                    outcome: "success",
                    detail: event.target.media_type.as_deref(),
                },
            )
            .await?;
            stored += 1;
        }
        tx.commit().await?;
    }
    Ok(Received {
        received: envelope.events.len(),
        stored,
        changed,
    })
}

/// Fills `pushed_at`/`pushed_by` of tags whose current digest has a push event.
pub async fn annotate(
    pool: &Db,
    registry_id: i64,
    repository: &str,
    tags: &mut [TagSummary],
) -> AppResult<()> {
    if tags.iter().all(|t| t.digest.is_none()) {
        return Ok(());
    }
    let pushes = registry_events::latest_pushes(pool, registry_id, repository).await?;
    for tag in tags {
        let Some(digest) = tag.digest.as_deref() else {
            continue;
        };
        if let Some((_, _, actor, at)) = pushes
            .iter()
            .find(|(t, d, _, _)| *t == tag.name && d == digest)
        {
            tag.pushed_at = Some(unix_to_rfc3339(*at));
            tag.pushed_by = actor.clone();
        }
    }
    Ok(())
}

/// The push event of `tag` at `digest`, if one was received: (RFC 3339 time, actor).
pub async fn pushed(
    pool: &Db,
    registry_id: i64,
    repository: &str,
    tag: &str,
    digest: &str,
) -> AppResult<Option<(String, Option<String>)>> {
    let pushes = registry_events::latest_pushes(pool, registry_id, repository).await?;
    Ok(pushes
        .into_iter()
        .find(|(t, d, _, _)| t == tag && d == digest)
        .map(|(_, _, actor, at)| (unix_to_rfc3339(at), actor)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_lose_their_port() {
        assert_eq!(without_port("127.0.0.1:51234"), "127.0.0.1");
        assert_eq!(without_port("[::1]:5000"), "::1");
        assert_eq!(without_port("somehost"), "somehost");
    }

    #[test]
    fn manifest_events_are_told_from_blob_events() {
        let t = |m: Option<&str>, tag: Option<&str>| Target {
            media_type: m.map(str::to_string),
            digest: Some("sha256:x".into()),
            repository: Some("r".into()),
            tag: tag.map(str::to_string),
        };
        assert!(is_manifest(&t(
            Some("application/vnd.oci.image.manifest.v1+json"),
            Some("1")
        )));
        assert!(is_manifest(&t(
            Some("application/vnd.oci.image.index.v1+json"),
            None
        )));
        assert!(is_manifest(&t(
            Some("application/vnd.docker.distribution.manifest.v2+json"),
            None
        )));
        assert!(!is_manifest(&t(Some("application/octet-stream"), None)));
        assert!(!is_manifest(&t(
            Some("application/vnd.oci.image.layer.v1.tar+gzip"),
            None
        )));
        assert!(is_manifest(&t(None, None)));
    }
}
