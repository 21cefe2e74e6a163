//! The `login_failures` table: sign-in attempts (password or code) per username and client
//! address inside the throttle window. Kept in the database so the CLI's `user unlock` clears it
//! for a running server, and so that every replica counts the same attempts.
//!
//! An attempt is *claimed* before the password or code is checked: one `INSERT … SELECT … WHERE
//! count < limit` statement, which SQLite runs under the write lock, so a burst of parallel
//! attempts cannot all read "under the limit" before any of them is counted. A successful
//! attempt gives its claim back ([`release`]); a failed one leaves it as the recorded failure.
use crate::db::Db;

use super::unix_now;

/// The limits of one window.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub window_secs: i64,
    pub per_user_and_ip: i64,
    pub per_ip: i64,
    pub per_user_total: i64,
}

/// Which limit refused an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// This user from this address.
    UserAtIp,
    /// This address, whatever the user.
    Ip,
    /// This user from every address together.
    UserTotal,
}

impl Scope {
    pub fn describe(self) -> &'static str {
        match self {
            Scope::UserAtIp => "per-user limit for this address",
            Scope::Ip => "per-address limit",
            Scope::UserTotal => "per-user limit across all addresses",
        }
    }
}

/// The outcome of [`claim`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Claim {
    /// The attempt may be evaluated; the id is its row (give it back with [`release`]).
    Granted(i64),
    Refused {
        retry_after_secs: i64,
        scope: Scope,
    },
}

/// Claims one attempt for `username` from `ip`, or says which limit refuses it and for how long.
#[tracing::instrument(level = "trace", skip_all)]
pub async fn claim(
    pool: &Db,
    username: &str,
    ip: &str,
    limits: Limits,
) -> Result<Claim, sqlx::Error> {
    let now = unix_now();
    let since = now - limits.window_secs;
    // PostgreSQL runs concurrent statements side by side: the claim is serialised explicitly.
    let mut tx = pool.begin_serialized("login_failures").await?;
    let inserted: Option<i64> = sqlx::query_scalar(
        "INSERT INTO login_failures (username, ip, at)
         SELECT $1, $2, $3
         WHERE (SELECT COUNT(*) FROM login_failures WHERE username = $1 AND ip = $2 AND at > $4) < $5
           AND (SELECT COUNT(*) FROM login_failures WHERE ip = $2 AND at > $4) < $6
           AND (SELECT COUNT(*) FROM login_failures WHERE username = $1 AND at > $4) < $7
         RETURNING id",
    )
    .bind(username)
    .bind(ip)
    .bind(now)
    .bind(since)
    .bind(limits.per_user_and_ip)
    .bind(limits.per_ip)
    .bind(limits.per_user_total)
    .fetch_optional(&mut *tx)
    .await?;
    tx.commit().await?;
    if let Some(id) = inserted {
        return Ok(Claim::Granted(id));
    }
    let checks = [
        (
            Scope::UserAtIp,
            Key::UserAtIp(username, ip),
            limits.per_user_and_ip,
        ),
        (Scope::Ip, Key::Ip(ip), limits.per_ip),
        (
            Scope::UserTotal,
            Key::Username(username),
            limits.per_user_total,
        ),
    ];
    let mut refused: Option<(i64, Scope)> = None;
    for (scope, key, max) in checks {
        if let Some(secs) = retry_after(pool, key, limits.window_secs, max).await? {
            if refused.is_none_or(|(s, _)| secs > s) {
                refused = Some((secs, scope));
            }
        }
    }
    // The failures that filled the window may have aged out between the two statements.
    let (retry_after_secs, scope) = refused.unwrap_or((1, Scope::UserAtIp));
    Ok(Claim::Refused {
        retry_after_secs,
        scope,
    })
}

/// Gives back a claimed attempt that succeeded (or was never evaluated).
#[tracing::instrument(level = "trace", skip_all)]
pub async fn release(pool: &Db, claim_id: i64) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM login_failures WHERE id = $1")
        .bind(claim_id)
        .execute(pool)
        .await?;
    Ok(())
}

#[derive(Debug, Clone, Copy)]
pub enum Key<'a> {
    Username(&'a str),
    Ip(&'a str),
    UserAtIp(&'a str, &'a str),
}

/// Seconds until one more attempt is allowed for `key`, or `None` when it is allowed now.
#[tracing::instrument(level = "trace", skip_all)]
pub async fn retry_after(
    pool: &Db,
    key: Key<'_>,
    window_secs: i64,
    max_failures: i64,
) -> Result<Option<i64>, sqlx::Error> {
    let now = unix_now();
    let since = now - window_secs;
    // Every statement below binds (username, ip, since); a key that ignores one compares it
    // with itself.
    let (filter, username, ip) = match key {
        Key::Username(u) => ("username = $1 AND $2 = $2", u, ""),
        Key::Ip(ip) => ("$1 = $1 AND ip = $2", "", ip),
        Key::UserAtIp(u, ip) => ("username = $1 AND ip = $2", u, ip),
    };
    let count: i64 = sqlx::query_scalar(&format!(
        "SELECT COUNT(*) FROM login_failures WHERE {filter} AND at > $3"
    ))
    .bind(username)
    .bind(ip)
    .bind(since)
    .fetch_one(pool)
    .await?;
    if count < max_failures {
        return Ok(None);
    }
    // Allowed again once enough of the failures have left the window for the count to drop
    // below the limit.
    let pivot: Option<i64> = sqlx::query_scalar(&format!(
        "SELECT at FROM login_failures WHERE {filter} AND at > $3 ORDER BY at ASC LIMIT 1 OFFSET $4"
    ))
    .bind(username)
    .bind(ip)
    .bind(since)
    .bind(count - max_failures)
    .fetch_optional(pool)
    .await?;
    Ok(pivot.map(|at| (at + window_secs - now).max(1)))
}

/// When the user can sign in again from anywhere (the cap across all addresses), if it is in
/// force. The per-address limit only holds back that address, so it does not show here.
#[tracing::instrument(level = "trace", skip_all)]
pub async fn throttled_until(
    pool: &Db,
    username: &str,
    window_secs: i64,
    max_failures_total: i64,
) -> Result<Option<i64>, sqlx::Error> {
    Ok(retry_after(
        pool,
        Key::Username(username),
        window_secs,
        max_failures_total,
    )
    .await?
    .map(|secs| unix_now() + secs))
}

/// Forgets the user's failures (admin unlock).
#[tracing::instrument(level = "trace", skip_all)]
pub async fn clear_user(pool: &Db, username: &str) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM login_failures WHERE username = $1")
        .bind(username)
        .execute(pool)
        .await?;
    Ok(())
}

/// Forgets the user's failures from one address (a successful sign-in from there). Failures from
/// other addresses stay: a guesser elsewhere gets no fresh budget from the real user's sign-in.
#[tracing::instrument(level = "trace", skip_all)]
pub async fn clear_user_at_ip(pool: &Db, username: &str, ip: &str) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM login_failures WHERE username = $1 AND ip = $2")
        .bind(username)
        .bind(ip)
        .execute(pool)
        .await?;
    Ok(())
}

#[tracing::instrument(level = "trace", skip_all)]
pub async fn prune(pool: &Db, window_secs: i64) -> Result<u64, sqlx::Error> {
    let result = sqlx::query("DELETE FROM login_failures WHERE at <= $1")
        .bind(unix_now() - window_secs)
        .execute(pool)
        .await?;
    Ok(result.rows_affected())
}

/// Records one refusal under `key` as at most one audit event a minute: the first refusal of
/// a minute writes `event` with `detail(count)`, later ones bring that event's detail up to
/// date. One transaction, so concurrent refusals keep one event with the right count.
#[tracing::instrument(level = "trace", skip_all)]
pub async fn record_notice(
    pool: &Db,
    key: &str,
    event: super::audit::NewEvent<'_>,
    detail: impl FnOnce(i64) -> String,
) -> Result<(), sqlx::Error> {
    let mut tx = pool.begin().await?;
    let count = count_refusal(&mut tx, key).await?;
    let detail = detail(count.refused);
    match count.audit_id {
        Some(id) => super::audit::update_detail(&mut *tx, id, &detail).await?,
        None => {
            let event = super::audit::NewEvent {
                detail: Some(&detail),
                ..event
            };
            let id = super::audit::record_returning_id(&mut *tx, event).await?;
            attach_notice(&mut tx, key, id).await?;
        }
    }
    tx.commit().await
}

/// Counts one refused attempt under `key` (e.g. `user:alice`, `ip:192.0.2.1`) and says whether
/// it starts a new minute: then the caller writes one audit event ([`attach_notice`]); within
/// the minute, [`NoticeCount::audit_id`] names that event so its count can be brought up to date.
#[tracing::instrument(level = "trace", skip_all)]
pub async fn count_refusal(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    key: &str,
) -> Result<NoticeCount, sqlx::Error> {
    let now = unix_now();
    let (refused, audit_id): (i64, Option<i64>) = sqlx::query_as(
        "INSERT INTO throttle_notices (key, minute_start, refused, audit_id) VALUES ($1, $2, 1, NULL)
         ON CONFLICT(key) DO UPDATE SET
           refused = CASE WHEN throttle_notices.minute_start > $2 - 60
             THEN throttle_notices.refused + 1 ELSE 1 END,
           audit_id = CASE WHEN throttle_notices.minute_start > $2 - 60
             THEN throttle_notices.audit_id ELSE NULL END,
           minute_start = CASE WHEN throttle_notices.minute_start > $2 - 60
             THEN throttle_notices.minute_start ELSE $2 END
         RETURNING refused, audit_id",
    )
    .bind(key)
    .bind(now)
    .fetch_one(&mut **tx)
    .await?;
    Ok(NoticeCount { refused, audit_id })
}

#[derive(Debug, Clone, Copy)]
pub struct NoticeCount {
    /// Refused attempts under this key in the current minute, this one included.
    pub refused: i64,
    /// The minute's audit event, once written.
    pub audit_id: Option<i64>,
}

/// Records which audit event stands for the current minute of `key`.
#[tracing::instrument(level = "trace", skip_all)]
pub async fn attach_notice(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    key: &str,
    audit_id: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE throttle_notices SET audit_id = $1 WHERE key = $2")
        .bind(audit_id)
        .bind(key)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

#[tracing::instrument(level = "trace", skip_all)]
pub async fn prune_notices(pool: &Db) -> Result<u64, sqlx::Error> {
    let result = sqlx::query("DELETE FROM throttle_notices WHERE minute_start <= $1")
        .bind(unix_now() - 120)
        .execute(pool)
        .await?;
    Ok(result.rows_affected())
}
