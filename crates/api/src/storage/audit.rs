//! The `audit_log` table.
use shared::admin::AuditEvent;
use sqlx::Any;

use crate::db::Db;

use super::now_rfc3339;

/// Who performs an action, for the audit log and the self-modification rule.
#[derive(Debug, Clone)]
pub struct Actor {
    /// `None` for the CLI (an operator on the server).
    pub user_id: Option<i64>,
    pub name: String,
    pub ip: Option<String>,
}

impl Actor {
    pub fn cli() -> Self {
        Self {
            user_id: None,
            name: "cli".into(),
            ip: None,
        }
    }
}

/// One event to record. `actor` is the user acting (or trying to), `target` what was acted on.
#[derive(Debug, Clone, Default)]
pub struct NewEvent<'a> {
    pub actor: Option<&'a str>,
    pub ip: Option<&'a str>,
    pub action: &'a str,
    pub target: Option<&'a str>,
    pub outcome: &'a str,
    pub detail: Option<&'a str>,
}

#[tracing::instrument(level = "trace", skip_all)]
pub async fn record<'e, E>(executor: E, event: NewEvent<'_>) -> Result<(), sqlx::Error>
where
    E: sqlx::Executor<'e, Database = Any>,
{
    record_returning_id(executor, event).await.map(|_| ())
}

/// Records an event and returns its id.
#[tracing::instrument(level = "trace", skip_all)]
pub async fn record_returning_id<'e, E>(
    executor: E,
    event: NewEvent<'_>,
) -> Result<i64, sqlx::Error>
where
    E: sqlx::Executor<'e, Database = Any>,
{
    sqlx::query_scalar(
        "INSERT INTO audit_log (time, actor, ip, action, target, outcome, detail)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(now_rfc3339())
    .bind(event.actor)
    .bind(event.ip)
    .bind(event.action)
    .bind(event.target)
    .bind(event.outcome)
    .bind(event.detail)
    .fetch_one(executor)
    .await
}

/// Brings the detail of an event up to date (the count of a `login_throttled` event).
#[tracing::instrument(level = "trace", skip_all)]
pub async fn update_detail<'e, E>(executor: E, id: i64, detail: &str) -> Result<(), sqlx::Error>
where
    E: sqlx::Executor<'e, Database = Any>,
{
    sqlx::query("UPDATE audit_log SET detail = $1 WHERE id = $2")
        .bind(detail)
        .bind(id)
        .execute(executor)
        .await?;
    Ok(())
}

/// Deletes events older than `days` days; returns how many.
#[tracing::instrument(level = "trace", skip_all)]
pub async fn prune_older_than(pool: &Db, days: i64) -> Result<u64, sqlx::Error> {
    let cutoff = super::to_rfc3339(chrono::Utc::now() - chrono::Duration::days(days));
    // RFC 3339 UTC with second precision sorts as text.
    let result = sqlx::query("DELETE FROM audit_log WHERE time < $1")
        .bind(cutoff)
        .execute(pool)
        .await?;
    Ok(result.rows_affected())
}

#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Events where this user is the actor or the target.
    pub user: Option<String>,
    pub action: Option<String>,
    /// Only events with a smaller id (the next page).
    pub before: Option<i64>,
    pub limit: i64,
}

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    time: String,
    actor: Option<String>,
    ip: Option<String>,
    action: String,
    target: Option<String>,
    outcome: String,
    detail: Option<String>,
}

/// Newest first; returns the page and the id to pass as `before` for the next one.
#[tracing::instrument(level = "trace", skip_all)]
pub async fn list(
    pool: &Db,
    filter: &Filter,
) -> Result<(Vec<AuditEvent>, Option<i64>), sqlx::Error> {
    // Each filter is written only when set, so every query keeps an index it can use; the
    // placeholders are numbered in order of the filters present.
    let mut sql = String::from(
        "SELECT id, time, actor, ip, action, target, outcome, detail FROM audit_log WHERE 1 = 1",
    );
    let mut n = 0;
    let mut next = || {
        n += 1;
        n
    };
    if filter.user.is_some() {
        let p = next();
        sql.push_str(&format!(" AND (actor = ${p} OR target = ${p})"));
    }
    if filter.action.is_some() {
        sql.push_str(&format!(" AND action = ${}", next()));
    }
    if filter.before.is_some() {
        sql.push_str(&format!(" AND id < ${}", next()));
    }
    // One extra row tells whether there is a next page.
    sql.push_str(&format!(" ORDER BY id DESC LIMIT ${}", next()));
    let mut q = sqlx::query_as::<_, Row>(&sql);
    if let Some(user) = &filter.user {
        q = q.bind(user.clone());
    }
    if let Some(action) = &filter.action {
        q = q.bind(action.clone());
    }
    if let Some(before) = filter.before {
        q = q.bind(before);
    }
    let mut rows: Vec<Row> = q.bind(filter.limit + 1).fetch_all(pool).await?;
    let more = rows.len() as i64 > filter.limit;
    rows.truncate(filter.limit as usize);
    let next_before = if more {
        rows.last().map(|r| r.id)
    } else {
        None
    };
    let events = rows
        .into_iter()
        .map(|r| AuditEvent {
            id: r.id,
            time: r.time,
            actor: r.actor,
            ip: r.ip,
            action: r.action,
            target: r.target,
            outcome: r.outcome,
            detail: r.detail,
        })
        .collect();
    Ok((events, next_before))
}
