//! The administrative command line. It works directly on the database (same `DATABASE_URL`),
//! enforcing the same rules as the API, so an operator can recover without editing SQL.
//!
//! Exit codes: 0 success, 1 refused or failed (one line saying why), 2 usage or configuration.
mod grants;
mod migrate_db;
mod registries;
mod tokens;

use std::path::Path;
use std::process::ExitCode;

use crate::db::Db;
use shared::admin::CreateUserRequest;
use shared::auth::Role;

use crate::admin::{self, Actor};
use crate::auth::password::PasswordHasher;
use crate::config::{Command, ConfigError, DatabaseArgs, UserCommand};
use crate::db_lock::DatabaseLock;
use crate::error::AppError;

enum CliError {
    /// Exit 2.
    Usage(String),
    /// Exit 1.
    Refused(String),
}

impl From<ConfigError> for CliError {
    fn from(e: ConfigError) -> Self {
        CliError::Usage(e.to_string())
    }
}

impl From<AppError> for CliError {
    fn from(e: AppError) -> Self {
        match e {
            AppError::Internal(inner) => CliError::Refused(format!("{inner:#}")),
            other => CliError::Refused(format!("{} ({})", other, other.code())),
        }
    }
}

impl From<sqlx::Error> for CliError {
    fn from(e: sqlx::Error) -> Self {
        CliError::Refused(format!("database error: {e}"))
    }
}

pub async fn run(command: Command) -> ExitCode {
    match dispatch(command).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(CliError::Usage(m)) => {
            eprintln!("registry-gui: {m}");
            ExitCode::from(2)
        }
        Err(CliError::Refused(m)) => {
            eprintln!("registry-gui: {m}");
            ExitCode::from(1)
        }
    }
}

/// Opens and migrates the database like `serve` does, secrets at rest included.
async fn open(db: &DatabaseArgs) -> Result<Db, CliError> {
    let settings = db.settings()?;
    let pool = crate::db::connect(&settings).await?;
    // Only with the key the server uses: a key file generated here, next to a database whose
    // server has SECRET_KEY, would encrypt its secrets under a key the server does not have.
    let key_file_exists = settings
        .sqlite_path()
        .is_some_and(|p| crate::crypto::key_file_for(p).exists());
    if settings.secret_key.is_some() || key_file_exists {
        let cipher = crate::crypto::SecretCipher::load(&settings)?;
        crate::bootstrap::protect_secrets(&pool, &cipher)
            .await
            .map_err(|e| CliError::Refused(format!("{e:#}")))?;
    }
    Ok(pool)
}

fn bcrypt_cost() -> Result<u32, CliError> {
    match std::env::var("BCRYPT_COST") {
        Ok(v) if !v.trim().is_empty() => v
            .trim()
            .parse()
            .ok()
            .filter(|c| (4..=31).contains(c))
            .ok_or_else(|| {
                CliError::Usage(
                    "invalid configuration: BCRYPT_COST: not a number from 4 to 31".into(),
                )
            }),
        _ => Ok(12),
    }
}

fn parse_role(raw: &str) -> Result<Role, CliError> {
    Role::parse(&raw.trim().to_ascii_lowercase()).ok_or_else(|| {
        CliError::Usage(format!("unknown role {raw:?}: use admin, editor or viewer"))
    })
}

async fn dispatch(command: Command) -> Result<(), CliError> {
    match command {
        Command::Serve(_) => Err(CliError::Usage("serve is not a CLI command".into())),
        Command::User(cmd) => user(cmd).await,
        Command::Registry(cmd) => registries::run(cmd).await,
        Command::Grant(cmd) => grants::run(cmd).await,
        Command::Token(cmd) => tokens::run(cmd).await,
        Command::Backup { file, db } => backup(&db, &file).await,
        Command::Restore { file, yes, db } => restore(&db, &file, yes).await,
        Command::MigrateDb {
            from,
            to,
            from_secret_key,
            secret_key,
        } => migrate_db::run(&from, &to, from_secret_key, secret_key).await,
        Command::Healthcheck { port } => healthcheck(&port).await,
        Command::Openapi => {
            let doc = crate::routes::openapi::document()
                .to_pretty_json()
                .map_err(|e| CliError::Refused(format!("cannot write the document: {e}")))?;
            println!("{doc}");
            Ok(())
        }
    }
}

async fn user(cmd: UserCommand) -> Result<(), CliError> {
    let actor = Actor::cli();
    match cmd {
        UserCommand::List { json, db, throttle } => {
            let throttle = throttle.settings()?;
            let pool = open(&db).await?;
            let users = admin::users::list(&pool, &throttle).await?;
            if json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&shared::admin::UserList { users })
                        .unwrap_or_default()
                );
            } else {
                println!(
                    "{:<24} {:<7} {:<5} {:<7} {:<20}",
                    "USERNAME", "ROLE", "2FA", "STATE", "LAST LOGIN"
                );
                for u in users {
                    let state = if u.locked {
                        "locked"
                    } else if u.active {
                        "active"
                    } else {
                        "throttled"
                    };
                    println!(
                        "{:<24} {:<7} {:<5} {:<7} {:<20}",
                        u.username,
                        u.role.as_str(),
                        if u.totp_enabled { "on" } else { "off" },
                        state,
                        u.last_login_at.as_deref().unwrap_or("never")
                    );
                }
            }
        }
        UserCommand::Create {
            name,
            password,
            role,
            db,
            throttle,
        } => {
            let throttle = throttle.settings()?;
            let role = parse_role(&role)?;
            let pool = open(&db).await?;
            let hasher = PasswordHasher::new(bcrypt_cost()?).await?;
            let created = admin::users::create(
                &pool,
                &hasher,
                &throttle,
                &actor,
                &CreateUserRequest {
                    username: name,
                    password,
                    role: Some(role),
                    is_admin: None,
                },
            )
            .await?;
            println!("created {} ({})", created.user.username, created.user.role);
            if let Some(p) = created.generated_password {
                println!("password: {p}");
            }
            println!(
                "they enroll two-factor authentication and change the password at first sign-in"
            );
        }
        UserCommand::Delete { name, db } => {
            let pool = open(&db).await?;
            admin::users::delete(&pool, &actor, &name).await?;
            println!("deleted {}", name.to_ascii_lowercase());
        }
        UserCommand::SetRole { name, role, db } => {
            let role = parse_role(&role)?;
            let pool = open(&db).await?;
            let user = admin::users::find(&pool, &name).await?;
            if user.role() != role {
                admin::users::set_role(&pool, &actor, &user, role).await?;
            }
            println!("{} is now {role}", user.username);
        }
        UserCommand::SetPassword { name, password, db } => {
            let pool = open(&db).await?;
            let hasher = PasswordHasher::new(bcrypt_cost()?).await?;
            let generated =
                admin::users::set_password(&pool, &hasher, &actor, &name, password.as_deref())
                    .await?;
            println!(
                "password set for {}; it must be changed at next sign-in",
                name.to_ascii_lowercase()
            );
            if let Some(p) = generated {
                println!("password: {p}");
            }
        }
        UserCommand::Reset2fa { name, db } => {
            let pool = open(&db).await?;
            admin::users::reset_two_factor(&pool, &actor, &name).await?;
            println!(
                "two-factor authentication reset for {}; they enroll again at next sign-in",
                name.to_ascii_lowercase()
            );
        }
        UserCommand::Unlock { name, db } => {
            let pool = open(&db).await?;
            admin::users::unlock(&pool, &actor, &name).await?;
            println!("unlocked {}", name.to_ascii_lowercase());
        }
    }
    Ok(())
}

/// The SQLite file `backup` and `restore` work on; with PostgreSQL, its own tools do this job
/// (they know its roles, its replication and its point-in-time recovery).
fn sqlite_only<'a>(
    settings: &'a crate::config::DatabaseSettings,
    command: &str,
) -> Result<&'a Path, CliError> {
    settings.sqlite_path().ok_or_else(|| {
        CliError::Refused(format!(
            "{command} works on the SQLite database; with PostgreSQL use pg_dump and pg_restore \
             (or psql) instead"
        ))
    })
}

/// A consistent online snapshot with `VACUUM INTO` (safe while the server runs).
async fn backup(db: &DatabaseArgs, file: &Path) -> Result<(), CliError> {
    let settings = db.settings()?;
    let db_path = sqlite_only(&settings, "backup")?;
    if file.exists() {
        return Err(CliError::Refused(format!(
            "{} already exists; choose a new file",
            file.display()
        )));
    }
    let pool = open(db).await?;
    let target = file.to_string_lossy().to_string();
    // VACUUM INTO accepts an empty file: create it private first, so the copy is never readable
    // by others, not even for a moment.
    crate::db::sqlite::create_private_file(file)
        .map_err(|e| CliError::Refused(format!("cannot create {}: {e}", file.display())))?;
    sqlx::query("VACUUM INTO ?")
        .bind(&target)
        .execute(&pool)
        .await
        .map_err(|e| {
            let _ = std::fs::remove_file(file);
            CliError::Refused(format!("backup to {} failed: {e}", file.display()))
        })?;
    let size = std::fs::metadata(file).map(|m| m.len()).unwrap_or(0);
    println!("backup written to {} ({size} bytes)", file.display());
    let key = crate::crypto::key_file_for(db_path);
    if key.exists() && db.secret_key.is_none() {
        println!(
            "note: the backup's secrets are encrypted with {}; keep a copy of it apart from the \
             backup (restore takes it from {} when present)",
            key.display(),
            crate::crypto::key_file_for(file).display()
        );
    }
    Ok(())
}

/// Replaces the database with a backup. Refuses without `--yes` and while a server runs.
async fn restore(db: &DatabaseArgs, file: &Path, yes: bool) -> Result<(), CliError> {
    let settings = db.settings()?;
    let db_path = sqlite_only(&settings, "restore")?;
    if !yes {
        return Err(CliError::Refused(format!(
            "restore replaces {} with {}; run again with --yes to confirm",
            db_path.display(),
            file.display()
        )));
    }
    if !file.is_file() {
        return Err(CliError::Refused(format!(
            "{} does not exist",
            file.display()
        )));
    }
    let Some(_lock) = DatabaseLock::exclusive(db_path)? else {
        return Err(CliError::Refused(format!(
            "a registry-gui server is using {}; stop it before restoring",
            db_path.display()
        )));
    };
    // Check that the file is one of our databases before touching the live one.
    let check = crate::db::open(&crate::config::DatabaseSettings {
        location: crate::config::DatabaseLocation::Sqlite(file.to_path_buf()),
        ..settings.clone()
    })
    .await?;
    let has_users: Option<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'users'",
    )
    .fetch_optional(&check)
    .await
    .map_err(|e| {
        CliError::Refused(format!(
            "{} is not a registry-gui backup: {e}",
            file.display()
        ))
    })?;
    if has_users.is_none() {
        check.close().await;
        return Err(CliError::Refused(format!(
            "{} is not a registry-gui backup",
            file.display()
        )));
    }
    let sample = crate::bootstrap::encrypted_sample(&check)
        .await
        .map_err(|e| CliError::Refused(format!("cannot read {}: {e}", file.display())))?;
    check.close().await;
    ensure_backup_key_fits(&settings, db_path, file, sample.as_deref())?;
    let staged = db_path.with_extension("restore-tmp");
    let _ = std::fs::remove_file(&staged);
    crate::db::sqlite::create_private_file(&staged)
        .and_then(|()| {
            std::io::copy(
                &mut std::fs::File::open(file)?,
                &mut std::fs::OpenOptions::new().write(true).open(&staged)?,
            )
        })
        .map_err(|e| CliError::Refused(format!("cannot copy the backup: {e}")))?;
    for suffix in ["-wal", "-shm"] {
        let mut p = db_path.as_os_str().to_owned();
        p.push(suffix);
        let _ = std::fs::remove_file(p);
    }
    std::fs::rename(&staged, db_path)
        .map_err(|e| CliError::Refused(format!("cannot replace the database: {e}")))?;
    // Bring the schema up to date in case the backup is older than this binary, and end every
    // session and pending sign-in step it holds: sessions issued before the restore must not
    // come back with it.
    let pool = open(db).await?;
    let ended = async {
        let mut tx = pool.begin().await?;
        crate::storage::sessions::end_all(&mut tx).await?;
        // Access tokens too: one revoked after the snapshot was taken would work again.
        let tokens = crate::storage::access_tokens::delete_all(&mut *tx).await?;
        tx.commit().await.map(|()| tokens)
    };
    let tokens = ended.await.map_err(|e| {
        CliError::Refused(format!("cannot end the restored sessions and tokens: {e}"))
    })?;
    if tokens > 0 {
        println!("revoked {tokens} access token(s) restored with the snapshot; create new ones");
    }
    pool.close().await;
    println!("restored {} from {}", db_path.display(), file.display());
    Ok(())
}

/// The secrets in a backup are encrypted with the key of the server that wrote it: `SECRET_KEY`
/// or its key file. Restoring where that key is missing would leave them unreadable, so this
/// refuses before anything is replaced. Without `SECRET_KEY` and without a key file at the
/// target, a key file next to the backup (`<backup>.key`) is taken along.
fn ensure_backup_key_fits(
    settings: &crate::config::DatabaseSettings,
    db_path: &Path,
    backup: &Path,
    sample: Option<&str>,
) -> Result<(), CliError> {
    let target_key = crate::crypto::key_file_for(db_path);
    let backup_key = crate::crypto::key_file_for(backup);
    if settings.secret_key.is_none() && !target_key.exists() {
        if backup_key.is_file() {
            let key = std::fs::read(&backup_key).map_err(|e| {
                CliError::Refused(format!("cannot read {}: {e}", backup_key.display()))
            })?;
            crate::crypto::write_private_file(&target_key, &key).map_err(|e| {
                CliError::Refused(format!("cannot write {}: {e}", target_key.display()))
            })?;
        } else if sample.is_some() {
            return Err(CliError::Refused(format!(
                "the backup's secrets are encrypted with the key of the server that wrote it; \
                 copy that key file to {} (or {}), or set SECRET_KEY, then restore again",
                target_key.display(),
                backup_key.display()
            )));
        }
    }
    if let Some(sample) = sample {
        let cipher = crate::crypto::SecretCipher::load(settings)?;
        if cipher.decrypt(sample).is_err() {
            return Err(CliError::Refused(
                "the backup's secrets were encrypted with another key than this database's \
                 SECRET_KEY or key file; nothing was changed"
                    .into(),
            ));
        }
    }
    Ok(())
}

async fn healthcheck(port: &str) -> Result<(), CliError> {
    let port: u16 = port.trim().parse().map_err(|_| {
        CliError::Usage(format!(
            "invalid configuration: PORT: {port:?} is not a port number"
        ))
    })?;
    let client = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(3))
        .build()
        .map_err(|e| CliError::Refused(e.to_string()))?;
    let res = client
        .get(format!("http://127.0.0.1:{port}/healthz"))
        .send()
        .await
        .map_err(|e| CliError::Refused(format!("unhealthy: {e}")))?;
    if res.status().is_success() {
        Ok(())
    } else {
        Err(CliError::Refused(format!(
            "unhealthy: /healthz answered {}",
            res.status()
        )))
    }
}
