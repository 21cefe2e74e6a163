//! The `backup_codes` table: only keyed hashes are stored; each code works once.
use sqlx::{Any, Transaction};

use crate::db::Db;

use super::now_rfc3339;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct BackupCodeRow {
    pub id: i64,
    pub code_hash: String,
}

/// Replaces every code of the user with `hashes`.
#[tracing::instrument(level = "trace", skip_all)]
pub async fn replace_all(
    tx: &mut Transaction<'_, Any>,
    user_id: i64,
    hashes: &[String],
) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM backup_codes WHERE user_id = $1")
        .bind(user_id)
        .execute(&mut **tx)
        .await?;
    for hash in hashes {
        sqlx::query("INSERT INTO backup_codes (user_id, code_hash, keyed) VALUES ($1, $2, 1)")
            .bind(user_id)
            .bind(hash)
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

#[tracing::instrument(level = "trace", skip_all)]
pub async fn count_unused(pool: &Db, user_id: i64) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT COUNT(*) FROM backup_codes WHERE user_id = $1 AND used_at IS NULL")
        .bind(user_id)
        .fetch_one(pool)
        .await
}

/// Marks the user's unused code with this hash as used; `false` if there is none (a wrong code,
/// or a concurrent request used it first).
#[tracing::instrument(level = "trace", skip_all)]
pub async fn use_code(
    tx: &mut Transaction<'_, Any>,
    user_id: i64,
    code_hash: &str,
    legacy_hash: Option<&str>,
) -> Result<bool, sqlx::Error> {
    // `keyed = 2`: made under the key of the database `migrate-db` copied from. The outer
    // `used_at IS NULL` is re-checked after the row lock, so two uses at once cannot both win.
    let result = sqlx::query(
        "UPDATE backup_codes SET used_at = $1 WHERE id = (
           SELECT id FROM backup_codes
           WHERE user_id = $2 AND used_at IS NULL
             AND ((code_hash = $3 AND keyed = 1) OR (code_hash = $4 AND keyed = 2)) LIMIT 1)
         AND used_at IS NULL",
    )
    .bind(now_rfc3339())
    .bind(user_id)
    .bind(code_hash)
    .bind(legacy_hash)
    .execute(&mut **tx)
    .await?;
    Ok(result.rows_affected() == 1)
}

/// Codes still stored as a plain SHA-256 (databases from before keyed hashes).
#[tracing::instrument(level = "trace", skip_all)]
pub async fn unkeyed(tx: &mut Transaction<'_, Any>) -> Result<Vec<BackupCodeRow>, sqlx::Error> {
    sqlx::query_as("SELECT id, code_hash FROM backup_codes WHERE keyed = 0")
        .fetch_all(&mut **tx)
        .await
}

#[tracing::instrument(level = "trace", skip_all)]
pub async fn store_keyed(
    tx: &mut Transaction<'_, Any>,
    id: i64,
    keyed_hash: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE backup_codes SET code_hash = $1, keyed = 1 WHERE id = $2")
        .bind(keyed_hash)
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}
