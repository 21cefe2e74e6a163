//! The `login_failures` table: failed sign-in attempts (password or code) per username and
//! client IP. Kept in the database so the CLI's `user unlock` clears it for a running server.
use sqlx::SqlitePool;

use super::unix_now;

pub async fn record_failure(
    pool: &SqlitePool,
    username: &str,
    ip: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO login_failures (username, ip, at) VALUES (?, ?, ?)")
        .bind(username)
        .bind(ip)
        .bind(unix_now())
        .execute(pool)
        .await?;
    Ok(())
}

#[derive(Debug, Clone, Copy)]
pub enum Key<'a> {
    Username(&'a str),
    Ip(&'a str),
}

/// Seconds until one more attempt is allowed for `key`, or `None` when it is allowed now.
pub async fn retry_after(
    pool: &SqlitePool,
    key: Key<'_>,
    window_secs: i64,
    max_failures: i64,
) -> Result<Option<i64>, sqlx::Error> {
    let now = unix_now();
    let since = now - window_secs;
    let (column, value) = match key {
        Key::Username(u) => ("username", u),
        Key::Ip(ip) => ("ip", ip),
    };
    let count: i64 = sqlx::query_scalar(&format!(
        "SELECT COUNT(*) FROM login_failures WHERE {column} = ? AND at > ?"
    ))
    .bind(value)
    .bind(since)
    .fetch_one(pool)
    .await?;
    if count < max_failures {
        return Ok(None);
    }
    // Allowed again once enough of the failures have left the window for the count to drop
    // below the limit.
    let pivot: i64 = sqlx::query_scalar(&format!(
        "SELECT at FROM login_failures WHERE {column} = ? AND at > ? ORDER BY at ASC LIMIT 1 OFFSET ?"
    ))
    .bind(value)
    .bind(since)
    .bind(count - max_failures)
    .fetch_one(pool)
    .await?;
    Ok(Some((pivot + window_secs - now).max(1)))
}

/// When the user's throttle lifts, if it is in force.
pub async fn throttled_until(
    pool: &SqlitePool,
    username: &str,
    window_secs: i64,
    max_failures: i64,
) -> Result<Option<i64>, sqlx::Error> {
    Ok(
        retry_after(pool, Key::Username(username), window_secs, max_failures)
            .await?
            .map(|secs| unix_now() + secs),
    )
}

/// Forgets the user's failures (admin unlock, successful sign-in).
pub async fn clear_user(pool: &SqlitePool, username: &str) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM login_failures WHERE username = ?")
        .bind(username)
        .execute(pool)
        .await?;
    Ok(())
}

pub async fn prune(pool: &SqlitePool, window_secs: i64) -> Result<u64, sqlx::Error> {
    let result = sqlx::query("DELETE FROM login_failures WHERE at <= ?")
        .bind(unix_now() - window_secs)
        .execute(pool)
        .await?;
    Ok(result.rows_affected())
}
