//! The `live_sessions` table: every session issued and not yet ended. A session token is only
//! accepted while its `jti` is here, so logout, revocation and a restored backup end sessions at
//! once, and the count of rows is the real number of active sessions.
use sqlx::{Sqlite, SqlitePool};

use super::unix_now;

#[tracing::instrument(level = "trace", skip_all)]
pub async fn insert<'e, E>(
    executor: E,
    jti: &str,
    user_id: i64,
    expires_at: i64,
) -> Result<(), sqlx::Error>
where
    E: sqlx::Executor<'e, Database = Sqlite>,
{
    sqlx::query("INSERT INTO live_sessions (jti, user_id, expires_at) VALUES (?, ?, ?)")
        .bind(jti)
        .bind(user_id)
        .bind(expires_at)
        .execute(executor)
        .await?;
    Ok(())
}

/// Whether the session `jti` of `user_id` is live (issued, not ended, not expired).
#[tracing::instrument(level = "trace", skip_all)]
pub async fn is_live(pool: &SqlitePool, jti: &str, user_id: i64) -> Result<bool, sqlx::Error> {
    let found: Option<i64> = sqlx::query_scalar(
        "SELECT 1 FROM live_sessions WHERE jti = ? AND user_id = ? AND expires_at > ?",
    )
    .bind(jti)
    .bind(user_id)
    .bind(unix_now())
    .fetch_optional(pool)
    .await?;
    Ok(found.is_some())
}

/// Ends one session (logout).
#[tracing::instrument(level = "trace", skip_all)]
pub async fn end(pool: &SqlitePool, jti: &str) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM live_sessions WHERE jti = ?")
        .bind(jti)
        .execute(pool)
        .await?;
    Ok(())
}

/// Ends every session (a restored backup: sessions issued before it must not come back).
#[tracing::instrument(level = "trace", skip_all)]
pub async fn end_all<'e, E>(executor: E) -> Result<u64, sqlx::Error>
where
    E: sqlx::Executor<'e, Database = Sqlite>,
{
    let result = sqlx::query("DELETE FROM live_sessions; DELETE FROM login_challenges;")
        .execute(executor)
        .await?;
    Ok(result.rows_affected())
}

#[tracing::instrument(level = "trace", skip_all)]
pub async fn count_for_user(pool: &SqlitePool, user_id: i64) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT COUNT(*) FROM live_sessions WHERE user_id = ? AND expires_at > ?")
        .bind(user_id)
        .bind(unix_now())
        .fetch_one(pool)
        .await
}

#[tracing::instrument(level = "trace", skip_all)]
pub async fn count_all(pool: &SqlitePool) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT COUNT(*) FROM live_sessions WHERE expires_at > ?")
        .bind(unix_now())
        .fetch_one(pool)
        .await
}

/// Expired sessions are refused by their `exp` anyway: their rows can go.
#[tracing::instrument(level = "trace", skip_all)]
pub async fn prune_expired(pool: &SqlitePool) -> Result<u64, sqlx::Error> {
    let result = sqlx::query("DELETE FROM live_sessions WHERE expires_at <= ?")
        .bind(unix_now())
        .execute(pool)
        .await?;
    Ok(result.rows_affected())
}
