//! The `live_sessions` table: every session issued and not yet ended. A session token is only
//! accepted while its `jti` is here, so logout, revocation and a restored backup end sessions at
//! once, and the count of rows is the real number of active sessions.
use sqlx::Any;

use crate::db::Db;

use super::unix_now;

#[tracing::instrument(level = "trace", skip_all)]
pub async fn insert<'e, E>(
    executor: E,
    jti: &str,
    user_id: i64,
    expires_at: i64,
) -> Result<(), sqlx::Error>
where
    E: sqlx::Executor<'e, Database = Any>,
{
    sqlx::query("INSERT INTO live_sessions (jti, user_id, expires_at) VALUES ($1, $2, $3)")
        .bind(jti)
        .bind(user_id)
        .bind(expires_at)
        .execute(executor)
        .await?;
    Ok(())
}

/// The user of session `jti` when the session is live and belongs to `user_id`, in one read
/// (what every request with a session costs).
#[tracing::instrument(level = "trace", skip_all)]
pub async fn live_user(
    pool: &Db,
    jti: &str,
    user_id: i64,
) -> Result<Option<super::users::UserRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {} FROM live_sessions s JOIN users u ON u.id = s.user_id
         WHERE s.jti = $1 AND s.user_id = $2 AND s.expires_at > $3",
        super::users::COLUMNS_AS_U
    ))
    .bind(jti)
    .bind(user_id)
    .bind(unix_now())
    .fetch_optional(pool)
    .await
}

/// Ends one session (logout).
#[tracing::instrument(level = "trace", skip_all)]
pub async fn end(pool: &Db, jti: &str) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM live_sessions WHERE jti = $1")
        .bind(jti)
        .execute(pool)
        .await?;
    Ok(())
}

/// Ends every session (a restored backup: sessions issued before it must not come back).
#[tracing::instrument(level = "trace", skip_all)]
pub async fn end_all(tx: &mut sqlx::Transaction<'_, Any>) -> Result<u64, sqlx::Error> {
    let sessions = sqlx::query("DELETE FROM live_sessions")
        .execute(&mut **tx)
        .await?;
    sqlx::query("DELETE FROM login_challenges")
        .execute(&mut **tx)
        .await?;
    Ok(sessions.rows_affected())
}

#[tracing::instrument(level = "trace", skip_all)]
pub async fn count_for_user(pool: &Db, user_id: i64) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT COUNT(*) FROM live_sessions WHERE user_id = $1 AND expires_at > $2")
        .bind(user_id)
        .bind(unix_now())
        .fetch_one(pool)
        .await
}

#[tracing::instrument(level = "trace", skip_all)]
pub async fn count_all(pool: &Db) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT COUNT(*) FROM live_sessions WHERE expires_at > $1")
        .bind(unix_now())
        .fetch_one(pool)
        .await
}

/// Expired sessions are refused by their `exp` anyway: their rows can go.
#[tracing::instrument(level = "trace", skip_all)]
pub async fn prune_expired(pool: &Db) -> Result<u64, sqlx::Error> {
    let result = sqlx::query("DELETE FROM live_sessions WHERE expires_at <= $1")
        .bind(unix_now())
        .execute(pool)
        .await?;
    Ok(result.rows_affected())
}
