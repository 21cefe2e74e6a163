//! What an operator sees of the fleet from one replica: its database, itself, the background
//! jobs' leases and the cache coherence.
use shared::admin::{CacheStatus, DatabaseStatus, JobStatus, ReplicaStatus, SystemStatus};

use crate::background::PRUNE_JOB;
use crate::config::Settings;
use crate::db::{Backend, Db};
use crate::error::AppResult;
use crate::metrics::Metrics;
use crate::storage;

/// The status as this replica sees it now. A database that does not answer shows as not
/// ready (the lease rows then stay unknown) rather than failing the page.
pub async fn status(
    db: &Db,
    settings: &Settings,
    metrics: &Metrics,
    replica: &str,
    started_at: &str,
) -> AppResult<SystemStatus> {
    let ready = tokio::time::timeout(std::time::Duration::from_secs(3), db.ping())
        .await
        .is_ok_and(|r| r.is_ok());
    let holder = if ready {
        storage::leases::holder(db, PRUNE_JOB).await?
    } else {
        None
    };
    let pool = db.pool();
    let backend = db.backend();
    Ok(SystemStatus {
        database: DatabaseStatus {
            backend: backend.as_str().to_string(),
            location: settings.database.location.to_string(),
            ready,
            max_connections: match backend {
                Backend::Sqlite => crate::db::sqlite::MAX_CONNECTIONS,
                Backend::Postgres => settings.database.max_connections,
            },
            open_connections: pool.size(),
            idle_connections: u32::try_from(pool.num_idle()).unwrap_or(u32::MAX),
            statements: db.statements(),
        },
        replica: ReplicaStatus {
            id: replica.to_string(),
            version: env!("CARGO_PKG_VERSION").to_string(),
            started_at: started_at.to_string(),
        },
        jobs: vec![JobStatus {
            job: PRUNE_JOB.to_string(),
            interval_secs: settings.prune_interval.as_secs(),
            held_here: holder.as_ref().is_some_and(|(h, _)| h == replica),
            lease_expires_at: holder.as_ref().map(|(_, ms)| {
                storage::to_rfc3339(
                    chrono::DateTime::from_timestamp_millis(*ms).unwrap_or_default(),
                )
            }),
            holder: holder.map(|(h, _)| h),
            runs_here: metrics.background_runs(PRUNE_JOB),
        }],
        cache: CacheStatus {
            coherence: match backend {
                Backend::Sqlite => "local",
                Backend::Postgres => "notify",
            }
            .to_string(),
            ttl_secs: settings.registry_client.cache_ttl.as_secs(),
            invalidations_local: metrics.cache_invalidations("local"),
            invalidations_received: metrics.cache_invalidations("notification"),
        },
    })
}
