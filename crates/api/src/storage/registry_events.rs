//! The `registry_events` table: manifest pushes and deletes the registry reported, once per
//! event id.
use crate::db::Db;

pub struct NewEvent<'a> {
    pub registry_id: i64,
    pub event_id: &'a str,
    pub action: &'a str,
    pub repository: &'a str,
    pub tag: Option<&'a str>,
    pub digest: Option<&'a str>,
    pub actor: Option<&'a str>,
    pub addr: Option<&'a str>,
    pub at: i64,
}

/// Stores the event; `false` when its id was stored before (a redelivery).
#[tracing::instrument(level = "trace", skip_all)]
pub async fn insert<'e, E>(executor: E, e: NewEvent<'_>) -> Result<bool, sqlx::Error>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    let result = sqlx::query(
        "INSERT INTO registry_events (registry_id, event_id, action, repository, tag, digest, actor,
         addr, at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT DO NOTHING",
    )
    .bind(e.registry_id)
    .bind(e.event_id)
    .bind(e.action)
    .bind(e.repository)
    .bind(e.tag)
    .bind(e.digest)
    .bind(e.actor)
    .bind(e.addr)
    .bind(e.at)
    .execute(executor)
    .await?;
    Ok(result.rows_affected() == 1)
}

/// One tag's latest push: tag, digest, actor, unix time.
pub type Push = (String, String, Option<String>, i64);

/// The latest push of each tag of `repository`.
#[tracing::instrument(level = "trace", skip_all)]
pub async fn latest_pushes(
    pool: &Db,
    registry_id: i64,
    repository: &str,
) -> Result<Vec<Push>, sqlx::Error> {
    // The newest push of each (tag, digest), with who pushed it; ties keep one row.
    let mut rows: Vec<Push> = sqlx::query_as(
        "SELECT e.tag, e.digest, e.actor, e.at FROM registry_events e
         WHERE e.registry_id = $1 AND e.repository = $2 AND e.action = 'push'
           AND e.tag IS NOT NULL AND e.digest IS NOT NULL
           AND e.at = (SELECT MAX(l.at) FROM registry_events l
             WHERE l.registry_id = e.registry_id AND l.repository = e.repository
               AND l.action = 'push' AND l.tag = e.tag AND l.digest = e.digest)
         ORDER BY e.tag, e.digest",
    )
    .bind(registry_id)
    .bind(repository)
    .fetch_all(pool)
    .await?;
    rows.dedup_by(|a, b| a.0 == b.0 && a.1 == b.1);
    Ok(rows)
}

/// Deletes events older than `days` (by their own timestamp).
#[tracing::instrument(level = "trace", skip_all)]
pub async fn prune_older_than(pool: &Db, days: i64) -> Result<u64, sqlx::Error> {
    let result = sqlx::query("DELETE FROM registry_events WHERE at < $1")
        .bind(super::unix_now() - days * 86_400)
        .execute(pool)
        .await?;
    Ok(result.rows_affected())
}
