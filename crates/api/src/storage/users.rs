//! The `users` table.
use shared::auth::Role;
use sqlx::{Any, Transaction};

use crate::db::Db;

use super::{now_rfc3339, Flag};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct UserRow {
    pub id: i64,
    pub username: String,
    pub password_hash: String,
    pub role: String,
    /// Clear-text secret of databases before encryption at rest; emptied at start-up.
    pub totp_secret: Option<String>,
    /// The TOTP secret, AES-256-GCM under the server's secret key.
    pub totp_secret_encrypted: Option<String>,
    #[sqlx(try_from = "Flag")]
    pub totp_enabled: bool,
    pub totp_last_step: Option<i64>,
    #[sqlx(try_from = "Flag")]
    pub must_change_password: bool,
    pub token_version: i64,
    #[sqlx(try_from = "Flag")]
    pub locked: bool,
    pub failed_logins: i64,
    pub default_registry: Option<String>,
    pub created_at: String,
    pub last_login_at: Option<String>,
    pub last_login_ip: Option<String>,
}

impl UserRow {
    pub fn role(&self) -> Role {
        // The CHECK constraint guarantees one of the three; viewer is the safe fallback.
        Role::parse(&self.role).unwrap_or(Role::Viewer)
    }
}

const COLUMNS: &str =
    "id, username, password_hash, role, totp_secret, totp_secret_encrypted, totp_enabled, totp_last_step, \
    must_change_password, token_version, locked, failed_logins, default_registry, \
    created_at, last_login_at, last_login_ip";

/// [`COLUMNS`] of the table aliased `u`, for joins.
pub(super) const COLUMNS_AS_U: &str =
    "u.id, u.username, u.password_hash, u.role, u.totp_secret, u.totp_secret_encrypted, \
    u.totp_enabled, u.totp_last_step, u.must_change_password, u.token_version, u.locked, \
    u.failed_logins, u.default_registry, u.created_at, u.last_login_at, u.last_login_ip";

#[tracing::instrument(level = "trace", skip_all)]
pub async fn count(pool: &Db) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT COUNT(*) FROM users")
        .fetch_one(pool)
        .await
}

#[tracing::instrument(level = "trace", skip_all)]
pub async fn count_admins<'e, E>(executor: E) -> Result<i64, sqlx::Error>
where
    E: sqlx::Executor<'e, Database = Any>,
{
    sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE role = 'admin'")
        .fetch_one(executor)
        .await
}

#[tracing::instrument(level = "trace", skip_all)]
pub async fn find_by_username<'e, E>(
    executor: E,
    username: &str,
) -> Result<Option<UserRow>, sqlx::Error>
where
    E: sqlx::Executor<'e, Database = Any>,
{
    sqlx::query_as(&format!("SELECT {COLUMNS} FROM users WHERE username = $1"))
        .bind(username)
        .fetch_optional(executor)
        .await
}

#[tracing::instrument(level = "trace", skip_all)]
pub async fn find_by_id<'e, E>(executor: E, id: i64) -> Result<Option<UserRow>, sqlx::Error>
where
    E: sqlx::Executor<'e, Database = Any>,
{
    sqlx::query_as(&format!("SELECT {COLUMNS} FROM users WHERE id = $1"))
        .bind(id)
        .fetch_optional(executor)
        .await
}

#[tracing::instrument(level = "trace", skip_all)]
pub async fn list(pool: &Db) -> Result<Vec<UserRow>, sqlx::Error> {
    sqlx::query_as(&format!("SELECT {COLUMNS} FROM users ORDER BY username"))
        .fetch_all(pool)
        .await
}

pub struct NewUser<'a> {
    pub username: &'a str,
    pub password_hash: &'a str,
    pub role: Role,
    pub must_change_password: bool,
}

/// Inserts a user; `Ok(None)` when the username is taken.
#[tracing::instrument(level = "trace", skip_all)]
pub async fn insert<'e, E>(executor: E, user: NewUser<'_>) -> Result<Option<i64>, sqlx::Error>
where
    E: sqlx::Executor<'e, Database = Any>,
{
    sqlx::query_scalar(
        "INSERT INTO users (username, password_hash, role, must_change_password, created_at)
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT(username) DO NOTHING RETURNING id",
    )
    .bind(user.username)
    .bind(user.password_hash)
    .bind(user.role.as_str())
    .bind(Flag(user.must_change_password))
    .bind(now_rfc3339())
    .fetch_optional(executor)
    .await
}

/// Sets a new password hash and ends every session and pending sign-in step of the user (the
/// token version moves on): nothing obtained with the old password outlives it.
#[tracing::instrument(level = "trace", skip_all)]
pub async fn set_password(
    pool: &Db,
    id: i64,
    password_hash: &str,
    must_change_password: bool,
) -> Result<(), sqlx::Error> {
    let mut tx = pool.begin().await?;
    sqlx::query(
        "UPDATE users SET password_hash = $1, must_change_password = $2,
         token_version = token_version + 1 WHERE id = $3",
    )
    .bind(password_hash)
    .bind(Flag(must_change_password))
    .bind(id)
    .execute(&mut *tx)
    .await?;
    end_sign_ins(&mut tx, id).await?;
    tx.commit().await
}

/// Ends every session and pending sign-in step of the user (inside the caller's change).
async fn end_sign_ins(tx: &mut Transaction<'_, Any>, id: i64) -> Result<(), sqlx::Error> {
    for statement in [
        "DELETE FROM login_challenges WHERE user_id = $1",
        "DELETE FROM live_sessions WHERE user_id = $1",
    ] {
        sqlx::query(statement).bind(id).execute(&mut **tx).await?;
    }
    Ok(())
}

#[tracing::instrument(level = "trace", skip_all)]
pub async fn set_must_change_password(pool: &Db, id: i64) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE users SET must_change_password = 1 WHERE id = $1")
        .bind(id)
        .execute(pool)
        .await?;
    Ok(())
}

/// Ends every session and pending sign-in step of the user.
#[tracing::instrument(level = "trace", skip_all)]
pub async fn revoke_sessions(tx: &mut Transaction<'_, Any>, id: i64) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE users SET token_version = token_version + 1 WHERE id = $1")
        .bind(id)
        .execute(&mut **tx)
        .await?;
    end_sign_ins(tx, id).await
}

#[tracing::instrument(level = "trace", skip_all)]
pub async fn set_role(
    tx: &mut Transaction<'_, Any>,
    id: i64,
    role: Role,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE users SET role = $1 WHERE id = $2")
        .bind(role.as_str())
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

#[tracing::instrument(level = "trace", skip_all)]
pub async fn set_locked<'e, E>(executor: E, id: i64, locked: bool) -> Result<(), sqlx::Error>
where
    E: sqlx::Executor<'e, Database = Any>,
{
    sqlx::query("UPDATE users SET locked = $1 WHERE id = $2")
        .bind(Flag(locked))
        .bind(id)
        .execute(executor)
        .await?;
    Ok(())
}

#[tracing::instrument(level = "trace", skip_all)]
pub async fn delete(tx: &mut Transaction<'_, Any>, id: i64) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM users WHERE id = $1")
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// A successful sign-in: records when and from where and resets the failure counter.
#[tracing::instrument(level = "trace", skip_all)]
pub async fn record_login<'e, E>(executor: E, id: i64, ip: &str) -> Result<(), sqlx::Error>
where
    E: sqlx::Executor<'e, Database = Any>,
{
    sqlx::query(
        "UPDATE users SET last_login_at = $1, last_login_ip = $2, failed_logins = 0 WHERE id = $3",
    )
    .bind(now_rfc3339())
    .bind(ip)
    .bind(id)
    .execute(executor)
    .await?;
    Ok(())
}

#[tracing::instrument(level = "trace", skip_all)]
pub async fn increment_failed_logins(pool: &Db, username: &str) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE users SET failed_logins = failed_logins + 1 WHERE username = $1")
        .bind(username)
        .execute(pool)
        .await?;
    Ok(())
}

/// Accepts TOTP time step `step` for the user only if it is later than every step used
/// before. The compare-and-set in one statement makes concurrent replays lose.
#[tracing::instrument(level = "trace", skip_all)]
pub async fn claim_totp_step<'e, E>(executor: E, id: i64, step: i64) -> Result<bool, sqlx::Error>
where
    E: sqlx::Executor<'e, Database = Any>,
{
    let result = sqlx::query(
        "UPDATE users SET totp_last_step = $1
         WHERE id = $2 AND (totp_last_step IS NULL OR totp_last_step < $3)",
    )
    .bind(step)
    .bind(id)
    .bind(step)
    .execute(executor)
    .await?;
    Ok(result.rows_affected() == 1)
}

/// Completes enrollment: stores the (encrypted) secret, switches 2FA on, records the step used
/// and ends every other pending sign-in step. `false` when the account is already enrolled:
/// an old enrollment step must never replace the secret of an account that enrolled since.
#[tracing::instrument(level = "trace", skip_all)]
pub async fn enable_totp(
    tx: &mut Transaction<'_, Any>,
    id: i64,
    secret_encrypted: &str,
    step: i64,
) -> Result<bool, sqlx::Error> {
    let result = sqlx::query(
        "UPDATE users SET totp_secret_encrypted = $1, totp_secret = NULL, totp_enabled = 1,
         totp_last_step = $2 WHERE id = $3 AND totp_enabled = 0",
    )
    .bind(secret_encrypted)
    .bind(step)
    .bind(id)
    .execute(&mut **tx)
    .await?;
    if result.rows_affected() != 1 {
        return Ok(false);
    }
    sqlx::query("DELETE FROM login_challenges WHERE user_id = $1")
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(true)
}

/// Clears TOTP and backup codes and ends sessions and pending sign-in steps: the user enrolls
/// again at next login.
#[tracing::instrument(level = "trace", skip_all)]
pub async fn reset_two_factor(tx: &mut Transaction<'_, Any>, id: i64) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE users SET totp_secret = NULL, totp_secret_encrypted = NULL, totp_enabled = 0,
         totp_last_step = NULL, token_version = token_version + 1 WHERE id = $1",
    )
    .bind(id)
    .execute(&mut **tx)
    .await?;
    sqlx::query("DELETE FROM backup_codes WHERE user_id = $1")
        .bind(id)
        .execute(&mut **tx)
        .await?;
    end_sign_ins(tx, id).await
}

/// Users whose TOTP secret is still stored in clear (databases from before encryption at rest).
#[tracing::instrument(level = "trace", skip_all)]
pub async fn with_clear_totp_secret(
    tx: &mut Transaction<'_, Any>,
) -> Result<Vec<(i64, String)>, sqlx::Error> {
    sqlx::query_as("SELECT id, totp_secret FROM users WHERE totp_secret IS NOT NULL")
        .fetch_all(&mut **tx)
        .await
}

#[tracing::instrument(level = "trace", skip_all)]
pub async fn store_encrypted_totp_secret(
    tx: &mut Transaction<'_, Any>,
    id: i64,
    secret_encrypted: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE users SET totp_secret_encrypted = $1, totp_secret = NULL WHERE id = $2")
        .bind(secret_encrypted)
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

#[tracing::instrument(level = "trace", skip_all)]
pub async fn set_default_registry(
    pool: &Db,
    id: i64,
    registry: Option<&str>,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE users SET default_registry = $1 WHERE id = $2")
        .bind(registry)
        .bind(id)
        .execute(pool)
        .await?;
    Ok(())
}
