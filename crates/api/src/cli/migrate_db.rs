//! `registry-gui migrate-db --from sqlite://… --to postgres://…`: moves a SQLite database into an
//! empty PostgreSQL one. The target's schema comes from its own migrations; every table is copied
//! in one transaction (in foreign-key order, ids kept), secrets are re-encrypted under the
//! target's `SECRET_KEY`, the identity sequences move past the copied ids, and the row counts
//! of both sides are compared before the commit. A target that holds any table is refused and
//! left unchanged.
use std::path::Path;

use sqlx::Row as _;

use super::CliError;
use crate::config::{DatabaseLocation, DatabaseSettings};
use crate::crypto::SecretCipher;
use crate::db::{Db, Tx};
use crate::db_lock::DatabaseLock;
use crate::secret::Secret;

/// The tables, parents before children. `job_leases` is left out: leases belong to running
/// processes, not to the data.
const TABLES: &[&str] = &[
    "users",
    "backup_codes",
    "login_challenges",
    "login_failures",
    "audit_log",
    "settings",
    "registries",
    "throttle_notices",
    "live_sessions",
    "access_tokens",
    "grants",
    "registry_events",
];

/// Tables with an identity `id` whose sequence must move past the copied rows.
const WITH_IDENTITY: &[&str] = &[
    "users",
    "backup_codes",
    "login_failures",
    "audit_log",
    "registries",
    "access_tokens",
    "grants",
];

/// Rows per INSERT (PostgreSQL takes at most 65,535 parameters a statement).
const BATCH_ROWS: usize = 200;

pub async fn run(
    from: &str,
    to: &str,
    from_secret_key: Option<String>,
    secret_key: Option<String>,
) -> Result<(), CliError> {
    let source_location = crate::config::database_location(Some(from))?;
    let DatabaseLocation::Sqlite(source_path) = &source_location else {
        return Err(CliError::Usage(
            "--from must name a SQLite database (sqlite://…)".into(),
        ));
    };
    // The target as `serve` would take it: the same URL and SECRET_KEY rules.
    let target_settings = crate::config::DatabaseArgs {
        database_url: Some(to.to_string()),
        secret_key,
        database_max_connections: Some("2".into()),
    }
    .settings()?;
    let (DatabaseLocation::Postgres(_), Some(secret_key)) =
        (&target_settings.location, &target_settings.secret_key)
    else {
        return Err(CliError::Usage(
            "--to must name a PostgreSQL database (postgres://…)".into(),
        ));
    };
    if !source_path.is_file() {
        return Err(CliError::Refused(format!(
            "{} does not exist",
            source_path.display()
        )));
    }
    // No server may write to the source while it is copied.
    let Some(_lock) = DatabaseLock::exclusive(source_path)? else {
        return Err(CliError::Refused(format!(
            "a registry-gui server is using {}; stop it before migrating",
            source_path.display()
        )));
    };
    let source_settings = DatabaseSettings {
        location: source_location.clone(),
        secret_key: source_key(source_path, from_secret_key, secret_key.expose()),
        max_connections: 2,
    };
    let source_cipher = SecretCipher::load(&source_settings)?;
    let target_cipher = SecretCipher::load(&target_settings)?;

    // The source as a server would open it: its migrations applied, clear secrets protected.
    let source = crate::db::connect(&source_settings).await?;
    crate::bootstrap::protect_secrets(&source, &source_cipher)
        .await
        .map_err(|e| CliError::Refused(format!("cannot read {}: {e:#}", source_path.display())))?;

    let target = crate::db::open(&target_settings).await?;
    let existing = tables_in(&target).await?;
    if !existing.is_empty() {
        return Err(CliError::Refused(format!(
            "the target database is not empty (it has {}); migrate-db only fills an empty \
             database, and left this one unchanged",
            existing.join(", ")
        )));
    }
    crate::db::migrate(&target)
        .await
        .map_err(|e| CliError::Refused(format!("cannot create the schema: {e}")))?;

    let keys = Keys {
        source: &source_cipher,
        target: &target_cipher,
    };
    let mut tx = target.begin().await?;
    let mut counts = Vec::new();
    for table in TABLES {
        let copied = copy_table(&source, &mut tx, table, &keys).await?;
        counts.push((*table, copied));
    }
    for table in WITH_IDENTITY {
        sqlx::query(&format!(
            "SELECT 1 FROM (SELECT setval(pg_get_serial_sequence('{table}', 'id'), \
             COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)) AS moved"
        ))
        .execute(&mut *tx)
        .await?;
    }
    // Verify before committing: every table holds what the source holds.
    for (table, copied) in &counts {
        let source_rows = count(&source, table).await?;
        let target_rows: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table}"))
            .fetch_one(&mut *tx)
            .await?;
        if source_rows != target_rows || *copied != source_rows {
            return Err(CliError::Refused(format!(
                "{table}: the source has {source_rows} rows, the copy {target_rows}; nothing \
                 was committed"
            )));
        }
    }
    if keys.source.hash_key() != keys.target.hash_key() {
        // Backup codes are keyed hashes and cannot be re-keyed: the old key comes along,
        // encrypted under the new one, and checks the codes it made (marked keyed = 2).
        sqlx::query("INSERT INTO settings (key, value) VALUES ($1, $2)")
            .bind(crate::bootstrap::LEGACY_HASH_KEY)
            .bind(
                target_cipher
                    .encrypt(&hex::encode(source_cipher.hash_key()))
                    .map_err(|e| CliError::Refused(e.to_string()))?,
            )
            .execute(&mut *tx)
            .await?;
        sqlx::query("UPDATE backup_codes SET keyed = 2 WHERE keyed = 1")
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    source.close().await;
    target.close().await;
    println!("migrated {} to PostgreSQL:", source_path.display());
    for (table, rows) in &counts {
        println!("  {table:<18} {rows:>8} rows");
    }
    println!(
        "start every replica with this DATABASE_URL and this SECRET_KEY; keep {} until they \
         run",
        source_path.display()
    );
    Ok(())
}

/// The key of the source's secrets: `--from-secret-key`, else its key file, else
/// `SECRET_KEY` (a server that ran with it).
fn source_key(path: &Path, explicit: Option<String>, secret_key: &str) -> Option<Secret> {
    if let Some(key) = explicit.filter(|k| !k.trim().is_empty()) {
        return Some(Secret::new(key));
    }
    if crate::crypto::key_file_for(path).is_file() {
        return None;
    }
    Some(Secret::new(secret_key))
}

struct Keys<'a> {
    source: &'a SecretCipher,
    target: &'a SecretCipher,
}

impl Keys<'_> {
    fn reencrypt(&self, value: &str) -> Result<String, CliError> {
        let clear = self.source.decrypt(value).map_err(|_| {
            CliError::Refused(
                "a secret of the source does not decrypt with its key: pass the key its server \
                 used with --from-secret-key (or put its key file beside it)"
                    .into(),
            )
        })?;
        self.target
            .encrypt(&clear)
            .map_err(|e| CliError::Refused(e.to_string()))
    }
}

/// Whether `table.column` holds a value encrypted under the server's key.
fn encrypted(table: &str, column: &str, row_key: Option<&str>) -> bool {
    match (table, column) {
        ("users", "totp_secret_encrypted")
        | ("registries", "password_encrypted")
        | ("login_challenges", "pending_secret") => true,
        ("settings", "value") => row_key.is_some_and(|k| k.ends_with("_encrypted")),
        _ => false,
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Integer,
    Text,
}

/// The target's columns of `table`, in order, with their kind.
async fn columns(tx: &mut Tx, table: &str) -> Result<Vec<(String, Kind)>, CliError> {
    let rows: Vec<(String, String)> = sqlx::query_as(
        "SELECT column_name::text, data_type::text FROM information_schema.columns
         WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position",
    )
    .bind(table)
    .fetch_all(&mut **tx)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(name, ty)| {
            let kind = if matches!(ty.as_str(), "bigint" | "integer" | "smallint") {
                Kind::Integer
            } else {
                Kind::Text
            };
            (name, kind)
        })
        .collect())
}

enum Value {
    Integer(Option<i64>),
    Text(Option<String>),
}

async fn copy_table(
    source: &Db,
    tx: &mut Tx,
    table: &str,
    keys: &Keys<'_>,
) -> Result<i64, CliError> {
    let columns = columns(tx, table).await?;
    let list = columns
        .iter()
        .map(|(c, _)| c.as_str())
        .collect::<Vec<_>>()
        .join(", ");
    let order = if WITH_IDENTITY.contains(&table) {
        " ORDER BY id"
    } else {
        ""
    };
    let rows = sqlx::query(&format!("SELECT {list} FROM {table}{order}"))
        .fetch_all(source)
        .await
        .map_err(|e| CliError::Refused(format!("cannot read {table} from the source: {e}")))?;
    let key_index = columns.iter().position(|(c, _)| c == "key");
    let mut values: Vec<Vec<Value>> = Vec::with_capacity(rows.len());
    for row in &rows {
        let row_key: Option<String> = match key_index {
            Some(i) => row.try_get(i)?,
            None => None,
        };
        let mut out = Vec::with_capacity(columns.len());
        for (i, (name, kind)) in columns.iter().enumerate() {
            out.push(match kind {
                Kind::Integer => Value::Integer(row.try_get(i)?),
                Kind::Text => {
                    let text: Option<String> = row.try_get(i)?;
                    let text = match text {
                        Some(v) if encrypted(table, name, row_key.as_deref()) => {
                            Some(keys.reencrypt(&v)?)
                        }
                        other => other,
                    };
                    Value::Text(text)
                }
            });
        }
        values.push(out);
    }
    for batch in values.chunks(BATCH_ROWS) {
        let mut sql = format!("INSERT INTO {table} ({list}) VALUES ");
        let mut n = 0;
        for (r, _) in batch.iter().enumerate() {
            if r > 0 {
                sql.push_str(", ");
            }
            sql.push('(');
            for c in 0..columns.len() {
                if c > 0 {
                    sql.push_str(", ");
                }
                n += 1;
                sql.push_str(&format!("${n}"));
            }
            sql.push(')');
        }
        let mut query = sqlx::query(&sql);
        for row in batch {
            for value in row {
                query = match value {
                    Value::Integer(v) => query.bind(*v),
                    Value::Text(v) => query.bind(v.clone()),
                };
            }
        }
        query
            .execute(&mut **tx)
            .await
            .map_err(|e| CliError::Refused(format!("cannot copy {table}: {e}")))?;
    }
    Ok(values.len() as i64)
}

async fn count(db: &Db, table: &str) -> Result<i64, CliError> {
    Ok(sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table}"))
        .fetch_one(db)
        .await?)
}

/// The tables (and sequences, views …) already in the target's schema.
async fn tables_in(db: &Db) -> Result<Vec<String>, CliError> {
    Ok(sqlx::query_scalar(
        "SELECT c.relname::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'v', 'm', 'p')
         ORDER BY 1",
    )
    .fetch_all(db)
    .await?)
}
