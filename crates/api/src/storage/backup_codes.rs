//! The `backup_codes` table: only hashes are stored; each code works once.
use sqlx::{Sqlite, SqlitePool, Transaction};

use super::now_rfc3339;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct BackupCodeRow {
    pub id: i64,
    pub code_hash: String,
}

/// Replaces every code of the user with `hashes`.
pub async fn replace_all(
    tx: &mut Transaction<'_, Sqlite>,
    user_id: i64,
    hashes: &[String],
) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM backup_codes WHERE user_id = ?")
        .bind(user_id)
        .execute(&mut **tx)
        .await?;
    for hash in hashes {
        sqlx::query("INSERT INTO backup_codes (user_id, code_hash) VALUES (?, ?)")
            .bind(user_id)
            .bind(hash)
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

pub async fn unused(pool: &SqlitePool, user_id: i64) -> Result<Vec<BackupCodeRow>, sqlx::Error> {
    sqlx::query_as("SELECT id, code_hash FROM backup_codes WHERE user_id = ? AND used_at IS NULL")
        .bind(user_id)
        .fetch_all(pool)
        .await
}

pub async fn count_unused(pool: &SqlitePool, user_id: i64) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT COUNT(*) FROM backup_codes WHERE user_id = ? AND used_at IS NULL")
        .bind(user_id)
        .fetch_one(pool)
        .await
}

/// Marks a code used; `false` if a concurrent request used it first.
pub async fn mark_used(pool: &SqlitePool, id: i64) -> Result<bool, sqlx::Error> {
    let result =
        sqlx::query("UPDATE backup_codes SET used_at = ? WHERE id = ? AND used_at IS NULL")
            .bind(now_rfc3339())
            .bind(id)
            .execute(pool)
            .await?;
    Ok(result.rows_affected() == 1)
}
