//! PostgreSQL: the pool, migrations serialised across replicas, and the notifications that keep
//! the replicas' caches coherent.
use std::time::Duration;

use sqlx::any::AnyPoolOptions;
use sqlx::AnyPool;

use crate::config::ConfigError;

/// The channel replicas announce cache invalidations on (see `coherence`).
pub const CACHE_CHANNEL: &str = "registry_gui_cache";

/// How long start-up keeps trying to reach the database (a replica may start before it).
const STARTUP_PATIENCE: Duration = Duration::from_secs(30);

/// Opens the pool (`max_connections` from `DATABASE_MAX_CONNECTIONS`); start-up waits up to
/// 30 s for a database that is still coming up.
pub async fn open(url: &str, max_connections: u32) -> Result<AnyPool, ConfigError> {
    let options = || {
        AnyPoolOptions::new()
            .max_connections(max_connections)
            .min_connections(0)
            .acquire_timeout(super::ACQUIRE_TIMEOUT)
            // Not the pool's own idea of health: a dead connection fails its next statement and
            // is replaced; testing each one on checkout would double the round trips.
            .test_before_acquire(false)
            .after_connect(|conn, _| {
                Box::pin(async move {
                    // A statement the server itself gives up on comes back as an error before
                    // the client-side bound (`STATEMENT_TIMEOUT`) would cut it.
                    for statement in [
                        "SET statement_timeout = '9s'",
                        "SET application_name = 'registry-gui'",
                    ] {
                        sqlx::Executor::execute(&mut *conn, statement).await?;
                    }
                    Ok(())
                })
            })
    };
    let deadline = tokio::time::Instant::now() + STARTUP_PATIENCE;
    loop {
        match options().connect(url).await {
            Ok(pool) => return Ok(pool),
            Err(e) if tokio::time::Instant::now() < deadline && super::is_unavailable(&e) => {
                tracing::warn!(error = %e, "the database is not reachable yet; retrying");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
            Err(e) => {
                return Err(ConfigError::new(
                    "DATABASE_URL",
                    format!(
                        "cannot connect to PostgreSQL: {}",
                        redact(&e.to_string(), url)
                    ),
                ))
            }
        }
    }
}

/// Applies `migrations/postgres`. sqlx takes a session advisory lock before it reads what is
/// applied, so replicas starting together apply each migration once and the others wait.
pub async fn migrate(pool: &AnyPool) -> Result<(), sqlx::migrate::MigrateError> {
    sqlx::migrate!("../../migrations/postgres").run(pool).await
}

/// Tells every replica (this one included) to drop what `payload` names from its caches.
pub async fn notify(db: &super::Db, payload: &str) -> Result<(), sqlx::Error> {
    sqlx::query("SELECT 1 FROM pg_notify($1, $2)")
        .bind(CACHE_CHANNEL)
        .bind(payload)
        .execute(db)
        .await
        .map(drop)
}

/// An error message without the URL's password, should the driver quote it.
pub fn redact(message: &str, url: &str) -> String {
    match url::Url::parse(url)
        .ok()
        .and_then(|u| u.password().map(str::to_string))
    {
        Some(password) if !password.is_empty() => message.replace(&password, "***"),
        _ => message.to_string(),
    }
}
