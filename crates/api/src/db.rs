//! The SQLite pool: created once at start-up, migrations applied.
use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::SqlitePool;

use crate::config::ConfigError;

/// Opens (creating file and folder if missing) and migrates the database.
///
/// A path that cannot be created or opened is a configuration error naming `DATABASE_URL`.
pub async fn connect(path: &Path) -> Result<SqlitePool, ConfigError> {
    let pool = open(path).await?;
    migrate(&pool).await.map_err(|e| {
        ConfigError::new(
            "DATABASE_URL",
            format!("{}: cannot apply migrations: {e}", path.display()),
        )
    })?;
    Ok(pool)
}

/// Opens without migrating (used by `restore`, which replaces the file).
pub async fn open(path: &Path) -> Result<SqlitePool, ConfigError> {
    let db_err = |message: String| ConfigError::new("DATABASE_URL", message);
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        let dir = dir.to_path_buf();
        let created = tokio::task::spawn_blocking(move || std::fs::create_dir_all(&dir))
            .await
            .map_err(|e| db_err(e.to_string()))?;
        created.map_err(|e| {
            db_err(format!(
                "cannot create directory {}: {e}",
                path.parent().unwrap_or(path).display()
            ))
        })?;
    }
    let options = SqliteConnectOptions::from_str("sqlite:")
        .map_err(|e| db_err(e.to_string()))?
        .filename(path)
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .foreign_keys(true)
        .busy_timeout(Duration::from_secs(10));
    let pool = SqlitePoolOptions::new()
        .max_connections(8)
        .min_connections(1)
        .acquire_timeout(Duration::from_secs(15))
        .connect_with(options)
        .await
        .map_err(|e| db_err(format!("cannot open {}: {e}", path.display())))?;
    Ok(pool)
}

pub async fn migrate(pool: &SqlitePool) -> Result<(), sqlx::migrate::MigrateError> {
    sqlx::migrate!("../../migrations").run(pool).await
}
