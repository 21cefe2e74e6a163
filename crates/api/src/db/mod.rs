//! The database: one pool for either back end (SQLite embedded, PostgreSQL for several
//! replicas), created once at start-up with its migrations applied.
//!
//! Storage code is written once, against sqlx's `Any` driver, in the SQL both engines speak:
//! `$N` placeholders, `ON CONFLICT`, `RETURNING`, `string_agg`, integers for flags. What only
//! one engine needs lives here: connection set-up ([`sqlite`], [`postgres`]), serialising
//! claims ([`Db::begin_serialized`]) and the per-statement time limit ([`Db`]'s executor).
mod executor;
pub mod postgres;
pub mod sqlite;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use sqlx::{Any, AnyPool};

use crate::config::{ConfigError, DatabaseLocation, DatabaseSettings};

/// How long one statement (pool wait included) may take before the request gets 503
/// `database_unavailable`: a database that accepts connections but never answers must not
/// hang requests.
pub const STATEMENT_TIMEOUT: Duration = Duration::from_secs(10);

/// How long a request waits for a free connection (inside [`STATEMENT_TIMEOUT`]).
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(8);

/// A transaction on either back end.
pub type Tx = sqlx::Transaction<'static, Any>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn as_str(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

/// The pool, its back end and a count of the statements it ran (`/metrics`, and the bench's
/// queries per request). Cloning shares all three.
#[derive(Debug, Clone)]
pub struct Db {
    pool: AnyPool,
    backend: Backend,
    statements: Arc<AtomicU64>,
}

impl Db {
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Statements run through this pool since start-up (transactions' statements excluded).
    pub fn statements(&self) -> u64 {
        self.statements.load(Ordering::Relaxed)
    }

    fn count_statement(&self) {
        self.statements.fetch_add(1, Ordering::Relaxed);
    }

    /// Begins a transaction, bounded like a statement.
    pub async fn begin(&self) -> Result<Tx, sqlx::Error> {
        self.count_statement();
        bounded(self.pool.begin()).await
    }

    /// Begins a transaction that no other transaction serialised on `key` runs beside: the
    /// "count, then insert if under the limit" claims stay exact under concurrency. SQLite
    /// serialises every writer already (the first write takes the database's write lock);
    /// PostgreSQL takes a transaction-scoped advisory lock on the key.
    pub async fn begin_serialized(&self, key: &str) -> Result<Tx, sqlx::Error> {
        let mut tx = self.begin().await?;
        match self.backend {
            Backend::Sqlite => {
                sqlx::query("UPDATE settings SET value = value WHERE 1 = 0")
                    .execute(&mut *tx)
                    .await?;
            }
            Backend::Postgres => {
                bounded(
                    sqlx::query("SELECT 1 FROM pg_advisory_xact_lock(hashtext($1))")
                        .bind(key)
                        .execute(&mut *tx),
                )
                .await?;
            }
        }
        Ok(tx)
    }

    /// Whether the database answers a trivial statement now (`/readyz`).
    pub async fn ping(&self) -> Result<(), sqlx::Error> {
        sqlx::query("SELECT 1").execute(self).await.map(drop)
    }

    /// The pool itself, for the few places that need the driver's own API.
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// Runs `fut` within [`STATEMENT_TIMEOUT`]; a statement that takes longer is a database that
/// does not answer (`PoolTimedOut`, mapped to 503 `database_unavailable`).
pub(crate) async fn bounded<T>(
    fut: impl std::future::Future<Output = Result<T, sqlx::Error>>,
) -> Result<T, sqlx::Error> {
    match tokio::time::timeout(STATEMENT_TIMEOUT, fut).await {
        Ok(result) => result,
        Err(_) => Err(sqlx::Error::PoolTimedOut),
    }
}

/// Whether `e` says the database is unreachable or not answering (rather than a bug in a
/// statement): such errors answer 503 `database_unavailable`.
pub fn is_unavailable(e: &sqlx::Error) -> bool {
    matches!(
        e,
        sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::Io(_)
            | sqlx::Error::Tls(_)
            | sqlx::Error::WorkerCrashed
    ) || matches!(e, sqlx::Error::Database(d) if d.code().is_some_and(|c| is_unavailable_sqlstate(&c)))
}

/// PostgreSQL's "the server is going away or cannot take you" states: admin shutdown, crash
/// shutdown, cannot connect now, too many connections.
fn is_unavailable_sqlstate(code: &str) -> bool {
    matches!(code, "57P01" | "57P02" | "57P03" | "53300") || code.starts_with("08")
}

/// Opens the database named by the settings and applies its migrations (serialised across
/// replicas starting together).
pub async fn connect(settings: &DatabaseSettings) -> Result<Db, ConfigError> {
    let db = open(settings).await?;
    migrate(&db).await.map_err(|e| {
        ConfigError::new(
            "DATABASE_URL",
            format!("{}: cannot apply migrations: {e}", settings.location),
        )
    })?;
    Ok(db)
}

/// Opens without migrating (used by `restore`, which replaces the file, and `migrate-db`).
pub async fn open(settings: &DatabaseSettings) -> Result<Db, ConfigError> {
    sqlx::any::install_default_drivers();
    let (pool, backend) = match &settings.location {
        DatabaseLocation::Sqlite(path) => (sqlite::open(path).await?, Backend::Sqlite),
        DatabaseLocation::Postgres(url) => (
            postgres::open(url.expose(), settings.max_connections).await?,
            Backend::Postgres,
        ),
    };
    Ok(Db {
        pool,
        backend,
        statements: Arc::new(AtomicU64::new(0)),
    })
}

/// Applies the back end's migrations (`migrations/sqlite` or `migrations/postgres`).
pub async fn migrate(db: &Db) -> Result<(), sqlx::migrate::MigrateError> {
    match db.backend {
        Backend::Sqlite => {
            sqlx::migrate!("../../migrations/sqlite")
                .run(&db.pool)
                .await
        }
        Backend::Postgres => postgres::migrate(&db.pool).await,
    }
}
