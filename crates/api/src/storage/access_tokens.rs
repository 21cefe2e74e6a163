//! The `access_tokens` table. A token is found by the SHA-256 of its secret, together with its
//! owner, in one indexed read: checking a token costs no more than checking a session.
use sqlx::Any;

use crate::db::Db;

use super::unix_now;
use super::users::UserRow;

/// A stored token (without its hash, which nothing outside this module needs).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TokenRow {
    pub id: i64,
    pub user_id: i64,
    pub name: String,
    pub prefix: String,
    pub scopes: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub last_used_at: Option<i64>,
    pub last_used_ip: Option<String>,
}

/// A token with its owner's name, for administrators.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OwnedTokenRow {
    #[sqlx(flatten)]
    pub token: TokenRow,
    pub username: String,
}

const COLUMNS: &str = "t.id, t.user_id, t.name, t.prefix, t.scopes, t.created_at, t.expires_at, \
    t.last_used_at, t.last_used_ip";

pub struct NewToken<'a> {
    pub user_id: i64,
    pub name: &'a str,
    pub prefix: &'a str,
    pub secret_hash: &'a str,
    pub scopes: &'a str,
    pub expires_at: i64,
}

/// Inserts the token unless the owner already holds `max_live` unexpired tokens; the count and
/// the insert are one statement, so parallel creations cannot overshoot. `None` when refused.
#[tracing::instrument(level = "trace", skip_all)]
pub async fn insert_if_under(
    pool: &Db,
    token: NewToken<'_>,
    max_live: i64,
) -> Result<Option<i64>, sqlx::Error> {
    let now = unix_now();
    // PostgreSQL runs concurrent statements side by side: the claim is serialised explicitly.
    let mut tx = pool
        .begin_serialized(&format!("access_tokens:{}", token.user_id))
        .await?;
    let id: Option<i64> = sqlx::query_scalar(
        "INSERT INTO access_tokens (user_id, name, prefix, secret_hash, scopes, created_at, expires_at)
         SELECT $1, $2, $3, $4, $5, $6, $7
         WHERE (SELECT COUNT(*) FROM access_tokens WHERE user_id = $1 AND expires_at > $6) < $8
         RETURNING id",
    )
    .bind(token.user_id)
    .bind(token.name)
    .bind(token.prefix)
    .bind(token.secret_hash)
    .bind(token.scopes)
    .bind(now)
    .bind(token.expires_at)
    .bind(max_live)
    .fetch_optional(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(id)
}

#[tracing::instrument(level = "trace", skip_all)]
pub async fn find(pool: &Db, id: i64) -> Result<Option<OwnedTokenRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS}, u.username FROM access_tokens t JOIN users u ON u.id = t.user_id
         WHERE t.id = $1"
    ))
    .bind(id)
    .fetch_optional(pool)
    .await
}

/// What a request authenticated by a token needs: the token's id, scopes and times, and its
/// owner as stored now (role, lock and password state are re-read on every request).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TokenUse {
    pub token_id: i64,
    pub token_scopes: String,
    pub token_expires_at: i64,
    pub token_last_used_at: Option<i64>,
    #[sqlx(flatten)]
    pub owner: UserRow,
}

/// The token with this secret hash and its owner, or `None`.
#[tracing::instrument(level = "trace", skip_all)]
pub async fn find_by_hash(pool: &Db, secret_hash: &str) -> Result<Option<TokenUse>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT t.id AS token_id, t.scopes AS token_scopes, t.expires_at AS token_expires_at,
         t.last_used_at AS token_last_used_at, {}
         FROM access_tokens t JOIN users u ON u.id = t.user_id WHERE t.secret_hash = $1",
        super::users::COLUMNS_AS_U
    ))
    .bind(secret_hash)
    .fetch_optional(pool)
    .await
}

/// The user's tokens, newest first.
#[tracing::instrument(level = "trace", skip_all)]
pub async fn list_for_user(pool: &Db, user_id: i64) -> Result<Vec<TokenRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM access_tokens t WHERE t.user_id = $1 ORDER BY t.id DESC"
    ))
    .bind(user_id)
    .fetch_all(pool)
    .await
}

/// Everyone's tokens (or one user's), newest first.
#[tracing::instrument(level = "trace", skip_all)]
pub async fn list_all(
    pool: &Db,
    username: Option<&str>,
) -> Result<Vec<OwnedTokenRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS}, u.username FROM access_tokens t JOIN users u ON u.id = t.user_id
         WHERE $1 IS NULL OR u.username = $1 ORDER BY t.id DESC"
    ))
    .bind(username)
    .fetch_all(pool)
    .await
}

/// Deletes one token; `false` when there was none.
#[tracing::instrument(level = "trace", skip_all)]
pub async fn delete(pool: &Db, id: i64) -> Result<bool, sqlx::Error> {
    let result = sqlx::query("DELETE FROM access_tokens WHERE id = $1")
        .bind(id)
        .execute(pool)
        .await?;
    Ok(result.rows_affected() == 1)
}

/// Deletes every token of the user and returns what was deleted (for the audit log).
#[tracing::instrument(level = "trace", skip_all)]
pub async fn delete_for_user<'e, E>(
    executor: E,
    user_id: i64,
) -> Result<Vec<(i64, String)>, sqlx::Error>
where
    E: sqlx::Executor<'e, Database = Any>,
{
    sqlx::query_as("DELETE FROM access_tokens WHERE user_id = $1 RETURNING id, name")
        .bind(user_id)
        .fetch_all(executor)
        .await
}

/// Deletes every token (a restored backup: tokens revoked after it must not come back).
#[tracing::instrument(level = "trace", skip_all)]
pub async fn delete_all<'e, E>(executor: E) -> Result<u64, sqlx::Error>
where
    E: sqlx::Executor<'e, Database = Any>,
{
    let result = sqlx::query("DELETE FROM access_tokens")
        .execute(executor)
        .await?;
    Ok(result.rows_affected())
}

/// Records a use unless one was recorded in the last `min_interval_secs`: the condition is in
/// the statement, so concurrent requests of one script write once.
#[tracing::instrument(level = "trace", skip_all)]
pub async fn touch(
    pool: &Db,
    id: i64,
    ip: &str,
    min_interval_secs: i64,
) -> Result<(), sqlx::Error> {
    let now = unix_now();
    sqlx::query(
        "UPDATE access_tokens SET last_used_at = $1, last_used_ip = $2
         WHERE id = $3 AND (last_used_at IS NULL OR last_used_at <= $1 - $4)",
    )
    .bind(now)
    .bind(ip)
    .bind(id)
    .bind(min_interval_secs)
    .execute(pool)
    .await?;
    Ok(())
}

/// Live (unexpired) tokens in all, for `/metrics`.
#[tracing::instrument(level = "trace", skip_all)]
pub async fn count_live(pool: &Db) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT COUNT(*) FROM access_tokens WHERE expires_at > $1")
        .bind(unix_now())
        .fetch_one(pool)
        .await
}
