//! The `revoked_sessions` table: JWT ids revoked before their expiry (logout).
use sqlx::SqlitePool;

use super::unix_now;

pub async fn revoke(pool: &SqlitePool, jti: &str, expires_at: i64) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO revoked_sessions (jti, expires_at) VALUES (?, ?) ON CONFLICT(jti) DO NOTHING",
    )
    .bind(jti)
    .bind(expires_at)
    .execute(pool)
    .await?;
    Ok(())
}

pub async fn is_revoked(pool: &SqlitePool, jti: &str) -> Result<bool, sqlx::Error> {
    let found: Option<i64> = sqlx::query_scalar("SELECT 1 FROM revoked_sessions WHERE jti = ?")
        .bind(jti)
        .fetch_optional(pool)
        .await?;
    Ok(found.is_some())
}

/// Expired tokens are refused by their `exp` anyway: their revocation rows can go.
pub async fn prune_expired(pool: &SqlitePool) -> Result<u64, sqlx::Error> {
    let result = sqlx::query("DELETE FROM revoked_sessions WHERE expires_at < ?")
        .bind(unix_now())
        .execute(pool)
        .await?;
    Ok(result.rows_affected())
}
