//! The `login_challenges` table: the step between a correct password and the second factor.
//! Only a hash of the login token is stored.
use sqlx::{Any, Transaction};

use crate::db::Db;

use super::unix_now;
use super::users::UserRow;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    Verify,
    Enroll,
}

impl Purpose {
    fn as_str(self) -> &'static str {
        match self {
            Purpose::Verify => "verify",
            Purpose::Enroll => "enroll",
        }
    }
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ChallengeRow {
    pub token_hash: String,
    pub user_id: i64,
    pub purpose: String,
    /// The secret being enrolled, encrypted like `users.totp_secret_encrypted`.
    pub pending_secret: Option<String>,
    pub attempts: i64,
    pub expires_at: i64,
}

impl ChallengeRow {
    pub fn purpose(&self) -> Purpose {
        if self.purpose == "enroll" {
            Purpose::Enroll
        } else {
            Purpose::Verify
        }
    }
}

/// Writes a sign-in step for `user`, only while the user row still has the token version and
/// lock state that `user` was read with; `false` when it changed in between.
#[tracing::instrument(level = "trace", skip_all)]
pub async fn insert(
    pool: &Db,
    token_hash: &str,
    user: &UserRow,
    purpose: Purpose,
    pending_secret: Option<&str>,
    expires_at: i64,
) -> Result<bool, sqlx::Error> {
    let result = sqlx::query(
        "INSERT INTO login_challenges (token_hash, user_id, purpose, pending_secret, expires_at)
         SELECT $1, id, $2, $3, $4 FROM users WHERE id = $5 AND token_version = $6 AND locked = 0",
    )
    .bind(token_hash)
    .bind(purpose.as_str())
    .bind(pending_secret)
    .bind(expires_at)
    .bind(user.id)
    .bind(user.token_version)
    .execute(pool)
    .await?;
    Ok(result.rows_affected() == 1)
}

/// The live challenge for this token hash, if it has not expired.
#[tracing::instrument(level = "trace", skip_all)]
pub async fn find_live(pool: &Db, token_hash: &str) -> Result<Option<ChallengeRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT token_hash, user_id, purpose, pending_secret, attempts, expires_at
         FROM login_challenges WHERE token_hash = $1 AND expires_at > $2",
    )
    .bind(token_hash)
    .bind(unix_now())
    .fetch_optional(pool)
    .await
}

/// Claims one code check on the login token before the code is looked at: `false` when the
/// token is unknown, expired or has had `max_attempts` checks already (then it is spent). One
/// statement, so a burst of parallel guesses gets exactly `max_attempts` checks.
#[tracing::instrument(level = "trace", skip_all)]
pub async fn claim_attempt(
    pool: &Db,
    token_hash: &str,
    max_attempts: i64,
) -> Result<bool, sqlx::Error> {
    let result = sqlx::query(
        "UPDATE login_challenges SET attempts = attempts + 1
         WHERE token_hash = $1 AND attempts < $2 AND expires_at > $3",
    )
    .bind(token_hash)
    .bind(max_attempts)
    .bind(unix_now())
    .execute(pool)
    .await?;
    Ok(result.rows_affected() == 1)
}

/// Consumes the challenge; `false` when another request consumed it first.
#[tracing::instrument(level = "trace", skip_all)]
pub async fn consume(tx: &mut Transaction<'_, Any>, token_hash: &str) -> Result<bool, sqlx::Error> {
    let result = sqlx::query("DELETE FROM login_challenges WHERE token_hash = $1")
        .bind(token_hash)
        .execute(&mut **tx)
        .await?;
    Ok(result.rows_affected() == 1)
}

#[tracing::instrument(level = "trace", skip_all)]
pub async fn prune_expired(pool: &Db) -> Result<u64, sqlx::Error> {
    let result = sqlx::query("DELETE FROM login_challenges WHERE expires_at <= $1")
        .bind(unix_now())
        .execute(pool)
        .await?;
    Ok(result.rows_affected())
}
