//! The `job_leases` table: which process runs a background job until when (Unix
//! milliseconds). A lease is taken only when it is free, expired or already ours, in one
//! statement, so two replicas can never both hold it.
use super::unix_now_millis;
use crate::db::Db;

/// Takes or renews the lease on `job` for `holder` until `ttl_ms` from now; `false` when
/// another holder's lease is still running.
#[tracing::instrument(level = "trace", skip_all)]
pub async fn acquire(db: &Db, job: &str, holder: &str, ttl_ms: i64) -> Result<bool, sqlx::Error> {
    let now = unix_now_millis();
    let taken: Option<String> = sqlx::query_scalar(
        "INSERT INTO job_leases (job, holder, expires_at) VALUES ($1, $2, $3)
         ON CONFLICT (job) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
         WHERE job_leases.expires_at <= $4 OR job_leases.holder = excluded.holder
         RETURNING holder",
    )
    .bind(job)
    .bind(holder)
    .bind(now + ttl_ms)
    .bind(now)
    .fetch_optional(db)
    .await?;
    Ok(taken.is_some())
}

/// The current holder of `job` and when its lease ends (Unix milliseconds), if any.
#[tracing::instrument(level = "trace", skip_all)]
pub async fn holder(db: &Db, job: &str) -> Result<Option<(String, i64)>, sqlx::Error> {
    sqlx::query_as("SELECT holder, expires_at FROM job_leases WHERE job = $1")
        .bind(job)
        .fetch_optional(db)
        .await
}
