//! The `grants` table: repository permissions per user and registry.
use crate::db::Db;

use super::now_rfc3339;

/// A grant with the names of its user and registry.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct GrantRow {
    pub id: i64,
    pub user_id: i64,
    pub username: String,
    pub registry_id: i64,
    pub registry: String,
    pub pattern: String,
    pub access: String,
    pub created_at: String,
    pub created_by: Option<String>,
}

const SELECT: &str = "SELECT g.id, g.user_id, u.username, g.registry_id, r.name AS registry, \
    g.pattern, g.access, g.created_at, g.created_by \
    FROM grants g JOIN users u ON u.id = g.user_id JOIN registries r ON r.id = g.registry_id";

/// Inserts a grant; `None` when the user already has one with this pattern on this registry.
#[tracing::instrument(level = "trace", skip_all)]
pub async fn insert(
    pool: &Db,
    user_id: i64,
    registry_id: i64,
    pattern: &str,
    access: &str,
    created_by: &str,
) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar(
        "INSERT INTO grants (user_id, registry_id, pattern, access, created_at, created_by)
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (user_id, registry_id, pattern) DO NOTHING
         RETURNING id",
    )
    .bind(user_id)
    .bind(registry_id)
    .bind(pattern)
    .bind(access)
    .bind(now_rfc3339())
    .bind(created_by)
    .fetch_optional(pool)
    .await
}

#[tracing::instrument(level = "trace", skip_all)]
pub async fn find(pool: &Db, id: i64) -> Result<Option<GrantRow>, sqlx::Error> {
    sqlx::query_as(&format!("{SELECT} WHERE g.id = $1"))
        .bind(id)
        .fetch_optional(pool)
        .await
}

/// Grants, optionally of one user and/or one registry, by user, registry and pattern.
#[tracing::instrument(level = "trace", skip_all)]
pub async fn list(
    pool: &Db,
    user_id: Option<i64>,
    registry_id: Option<i64>,
) -> Result<Vec<GrantRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "{SELECT} WHERE ($1 IS NULL OR g.user_id = $1) AND ($2 IS NULL OR g.registry_id = $2)
         ORDER BY u.username, r.name, g.pattern"
    ))
    .bind(user_id)
    .bind(registry_id)
    .fetch_all(pool)
    .await
}

/// The (pattern, access) pairs of one user on one registry: what a request needs.
#[tracing::instrument(level = "trace", skip_all)]
pub async fn patterns(
    pool: &Db,
    user_id: i64,
    registry_id: i64,
) -> Result<Vec<(String, String)>, sqlx::Error> {
    sqlx::query_as("SELECT pattern, access FROM grants WHERE user_id = $1 AND registry_id = $2")
        .bind(user_id)
        .bind(registry_id)
        .fetch_all(pool)
        .await
}

/// The registries where the user holds at least one grant.
#[tracing::instrument(level = "trace", skip_all)]
pub async fn registries_of(pool: &Db, user_id: i64) -> Result<Vec<i64>, sqlx::Error> {
    sqlx::query_scalar("SELECT DISTINCT registry_id FROM grants WHERE user_id = $1")
        .bind(user_id)
        .fetch_all(pool)
        .await
}

/// Deletes one grant; `false` when there was none.
#[tracing::instrument(level = "trace", skip_all)]
pub async fn delete(pool: &Db, id: i64) -> Result<bool, sqlx::Error> {
    let result = sqlx::query("DELETE FROM grants WHERE id = $1")
        .bind(id)
        .execute(pool)
        .await?;
    Ok(result.rows_affected() == 1)
}

/// Whether the user holds at least one `write` grant (a viewer may then hold `write` tokens).
#[tracing::instrument(level = "trace", skip_all)]
pub async fn has_write(pool: &Db, user_id: i64) -> Result<bool, sqlx::Error> {
    let found: Option<i64> =
        sqlx::query_scalar("SELECT 1 FROM grants WHERE user_id = $1 AND access = 'write' LIMIT 1")
            .bind(user_id)
            .fetch_optional(pool)
            .await?;
    Ok(found.is_some())
}
