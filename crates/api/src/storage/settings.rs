//! Key/value settings persisted across restarts (e.g. the generated JWT secret).
use crate::db::Db;

#[tracing::instrument(level = "trace", skip_all)]
pub async fn get(pool: &Db, key: &str) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar("SELECT value FROM settings WHERE key = $1")
        .bind(key)
        .fetch_optional(pool)
        .await
}

/// Stores `value` unless the key already has one; returns the value that is stored. Two
/// processes racing at first start agree on one value.
#[tracing::instrument(level = "trace", skip_all)]
pub async fn get_or_insert(pool: &Db, key: &str, value: &str) -> Result<String, sqlx::Error> {
    sqlx::query("INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT(key) DO NOTHING")
        .bind(key)
        .bind(value)
        .execute(pool)
        .await?;
    sqlx::query_scalar("SELECT value FROM settings WHERE key = $1")
        .bind(key)
        .fetch_one(pool)
        .await
}

/// Deletes a setting; `true` when there was one.
#[tracing::instrument(level = "trace", skip_all)]
pub async fn delete(pool: &Db, key: &str) -> Result<bool, sqlx::Error> {
    let result = sqlx::query("DELETE FROM settings WHERE key = $1")
        .bind(key)
        .execute(pool)
        .await?;
    Ok(result.rows_affected() == 1)
}
