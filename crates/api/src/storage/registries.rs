//! The `registries` table. Passwords are stored encrypted (see `crypto`); this module only
//! moves the ciphertext.
use sqlx::Any;

use crate::db::Db;

use super::{now_rfc3339, Flag};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RegistryRow {
    pub id: i64,
    pub name: String,
    pub url: String,
    pub username: Option<String>,
    pub password_encrypted: Option<String>,
    pub pull_host: Option<String>,
    #[sqlx(try_from = "Flag")]
    pub insecure_tls: bool,
    #[sqlx(try_from = "Flag")]
    pub read_only: bool,
    #[sqlx(try_from = "Flag")]
    pub bootstrapped: bool,
    /// `role` or `none` (`shared::permissions::DefaultAccess`).
    pub default_access: String,
    /// The `auth.token.service` registry-gui issues tokens for, if any.
    pub token_service: Option<String>,
    /// Newline-separated patterns anyone may pull without credentials.
    pub anonymous_pull: String,
    /// SHA-256 (hex) of the notifications' bearer secret.
    pub events_secret_hash: Option<String>,
    pub created_at: String,
    pub created_by: Option<String>,
}

impl RegistryRow {
    pub fn anonymous_pull(&self) -> Vec<String> {
        self.anonymous_pull
            .lines()
            .filter(|l| !l.is_empty())
            .map(str::to_string)
            .collect()
    }

    pub fn default_access(&self) -> shared::permissions::DefaultAccess {
        // The CHECK constraint allows only the two; `none` is the safe fallback.
        shared::permissions::DefaultAccess::parse(&self.default_access)
            .unwrap_or(shared::permissions::DefaultAccess::None)
    }
}

const COLUMNS: &str = "id, name, url, username, password_encrypted, pull_host, insecure_tls, \
    read_only, bootstrapped, default_access, token_service, anonymous_pull, events_secret_hash, \
    created_at, created_by";

#[tracing::instrument(level = "trace", skip_all)]
pub async fn list(pool: &Db) -> Result<Vec<RegistryRow>, sqlx::Error> {
    sqlx::query_as(&format!("SELECT {COLUMNS} FROM registries ORDER BY name"))
        .fetch_all(pool)
        .await
}

#[tracing::instrument(level = "trace", skip_all)]
pub async fn find<'e, E>(executor: E, name: &str) -> Result<Option<RegistryRow>, sqlx::Error>
where
    E: sqlx::Executor<'e, Database = Any>,
{
    sqlx::query_as(&format!("SELECT {COLUMNS} FROM registries WHERE name = $1"))
        .bind(name)
        .fetch_optional(executor)
        .await
}

/// Which registry [`find_with_grants`] looks up.
#[derive(Debug, Clone, Copy)]
pub enum Lookup<'a> {
    Name(&'a str),
    Bootstrapped,
    /// The registry whose `token_service` this is.
    TokenService(&'a str),
}

/// The (pattern, access) pairs of one user's grants on one registry.
pub type GrantPairs = Vec<(String, String)>;

/// A registry and the (pattern, access) grants of one user there, in one statement: a
/// request's registry and permissions cost a single read. Patterns hold no whitespace (their
/// grammar), so they travel newline-separated.
#[tracing::instrument(level = "trace", skip_all)]
pub async fn find_with_grants(
    pool: &Db,
    lookup: Lookup<'_>,
    user_id: i64,
) -> Result<Option<(RegistryRow, GrantPairs)>, sqlx::Error> {
    #[derive(sqlx::FromRow)]
    struct Joined {
        #[sqlx(flatten)]
        row: RegistryRow,
        grants: Option<String>,
    }
    let condition = match lookup {
        Lookup::Name(_) => "name = $2",
        Lookup::Bootstrapped => "bootstrapped = 1 AND $2 IS NULL",
        Lookup::TokenService(_) => "token_service = $2",
    };
    let found: Option<Joined> = sqlx::query_as(&format!(
        "SELECT {COLUMNS}, (SELECT string_agg(g.access || ' ' || g.pattern, $3)
           FROM grants g WHERE g.user_id = $1 AND g.registry_id = registries.id) AS grants
         FROM registries WHERE {condition} ORDER BY id LIMIT 1"
    ))
    .bind(user_id)
    .bind(match lookup {
        Lookup::Name(value) | Lookup::TokenService(value) => Some(value),
        Lookup::Bootstrapped => None,
    })
    .bind("\n")
    .fetch_optional(pool)
    .await?;
    Ok(found.map(|j| {
        let grants = j
            .grants
            .unwrap_or_default()
            .lines()
            .filter_map(|line| {
                let (access, pattern) = line.split_once(' ')?;
                Some((pattern.to_string(), access.to_string()))
            })
            .collect();
        (j.row, grants)
    }))
}

/// The registry whose `token_service` is `service`.
#[tracing::instrument(level = "trace", skip_all)]
pub async fn find_by_token_service(
    pool: &Db,
    service: &str,
) -> Result<Option<RegistryRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM registries WHERE token_service = $1"
    ))
    .bind(service)
    .fetch_optional(pool)
    .await
}

/// The registry configured through `REGISTRY_URL`.
#[tracing::instrument(level = "trace", skip_all)]
pub async fn find_bootstrapped(pool: &Db) -> Result<Option<RegistryRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM registries WHERE bootstrapped = 1 ORDER BY id LIMIT 1"
    ))
    .fetch_optional(pool)
    .await
}

pub struct NewRegistry<'a> {
    pub name: &'a str,
    pub url: &'a str,
    pub username: Option<&'a str>,
    pub password_encrypted: Option<&'a str>,
    pub pull_host: Option<&'a str>,
    pub insecure_tls: bool,
    pub read_only: bool,
    pub default_access: &'a str,
    pub token_service: Option<&'a str>,
    pub anonymous_pull: &'a str,
    pub events_secret_hash: Option<&'a str>,
    pub created_by: Option<&'a str>,
}

/// Inserts a registry; `Ok(false)` when the name is taken.
#[tracing::instrument(level = "trace", skip_all)]
pub async fn insert(pool: &Db, r: NewRegistry<'_>) -> Result<bool, sqlx::Error> {
    let result = sqlx::query(
        "INSERT INTO registries (name, url, username, password_encrypted, pull_host, insecure_tls,
         read_only, default_access, token_service, anonymous_pull, events_secret_hash, created_at,
         created_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
         ON CONFLICT(name) DO NOTHING",
    )
    .bind(r.name)
    .bind(r.url)
    .bind(r.username)
    .bind(r.password_encrypted)
    .bind(r.pull_host)
    .bind(Flag(r.insecure_tls))
    .bind(Flag(r.read_only))
    .bind(r.default_access)
    .bind(r.token_service)
    .bind(r.anonymous_pull)
    .bind(r.events_secret_hash)
    .bind(now_rfc3339())
    .bind(r.created_by)
    .execute(pool)
    .await?;
    Ok(result.rows_affected() == 1)
}

/// Makes the registry from `REGISTRY_*` exist with exactly that configuration (created or
/// updated, never duplicated) and marks it as the bootstrapped one.
#[tracing::instrument(level = "trace", skip_all)]
pub async fn upsert_bootstrapped(pool: &Db, r: NewRegistry<'_>) -> Result<(), sqlx::Error> {
    let mut tx = pool.begin().await?;
    sqlx::query("UPDATE registries SET bootstrapped = 0 WHERE name <> $1")
        .bind(r.name)
        .execute(&mut *tx)
        .await?;
    sqlx::query(
        "INSERT INTO registries (name, url, username, password_encrypted, pull_host, insecure_tls,
         read_only, bootstrapped, created_at, created_by) VALUES ($1, $2, $3, $4, $5, 0, 0, 1, $6, NULL)
         ON CONFLICT(name) DO UPDATE SET url = excluded.url, username = excluded.username,
         password_encrypted = excluded.password_encrypted, pull_host = excluded.pull_host,
         bootstrapped = 1",
    )
    .bind(r.name)
    .bind(r.url)
    .bind(r.username)
    .bind(r.password_encrypted)
    .bind(r.pull_host)
    .bind(now_rfc3339())
    .execute(&mut *tx)
    .await?;
    tx.commit().await
}

/// Writes every field of `row` (looked up by id).
#[tracing::instrument(level = "trace", skip_all)]
pub async fn update(pool: &Db, row: &RegistryRow) -> Result<bool, sqlx::Error> {
    let result = sqlx::query(
        "UPDATE registries SET url = $1, username = $2, password_encrypted = $3, pull_host = $4,
         insecure_tls = $5, read_only = $6, default_access = $7, token_service = $8, anonymous_pull = $9,
         events_secret_hash = $10 WHERE id = $11",
    )
    .bind(&row.url)
    .bind(&row.username)
    .bind(&row.password_encrypted)
    .bind(&row.pull_host)
    .bind(Flag(row.insecure_tls))
    .bind(Flag(row.read_only))
    .bind(&row.default_access)
    .bind(&row.token_service)
    .bind(&row.anonymous_pull)
    .bind(&row.events_secret_hash)
    .bind(row.id)
    .execute(pool)
    .await?;
    Ok(result.rows_affected() == 1)
}

#[tracing::instrument(level = "trace", skip_all)]
pub async fn delete(pool: &Db, name: &str) -> Result<bool, sqlx::Error> {
    let mut tx = pool.begin().await?;
    let result = sqlx::query("DELETE FROM registries WHERE name = $1")
        .bind(name)
        .execute(&mut *tx)
        .await?;
    sqlx::query("UPDATE users SET default_registry = NULL WHERE default_registry = $1")
        .bind(name)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(result.rows_affected() == 1)
}
