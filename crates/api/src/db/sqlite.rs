//! The SQLite file: private files, pragmas, and the files that belong to it.
use std::path::{Path, PathBuf};
use std::time::Duration;

use sqlx::any::AnyPoolOptions;
use sqlx::AnyPool;

use crate::config::ConfigError;

/// SQLite serialises writers anyway: a few connections serve concurrent readers.
pub const MAX_CONNECTIONS: u32 = 8;

/// Opens (creating file and folder if missing) the SQLite database at `path`.
///
/// The database and its `-wal`/`-shm` files are private to the server's user (0600; SQLite
/// gives the side files the mode of the database file), and a folder the server creates for it
/// is 0700: they hold password hashes and encrypted secrets.
pub async fn open(path: &Path) -> Result<AnyPool, ConfigError> {
    let db_err = |message: String| ConfigError::new("DATABASE_URL", message);
    let owned = path.to_path_buf();
    tokio::task::spawn_blocking(move || prepare_private_files(&owned))
        .await
        .map_err(|e| db_err(e.to_string()))?
        .map_err(db_err)?;
    AnyPoolOptions::new()
        .max_connections(MAX_CONNECTIONS)
        .min_connections(1)
        .acquire_timeout(Duration::from_secs(15))
        .after_connect(|conn, _| {
            Box::pin(async move {
                // Per connection: the Any driver takes only a URL, so the pragmas come here.
                // Deleted secrets (a replaced TOTP secret, a used login step) are overwritten,
                // not left in free pages of the file.
                sqlx::Executor::execute(
                    &mut *conn,
                    "PRAGMA busy_timeout = 10000; PRAGMA journal_mode = WAL; \
                     PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; \
                     PRAGMA secure_delete = ON;",
                )
                .await
                .map(drop)
            })
        })
        .connect(&url_for(path))
        .await
        .map_err(|e| db_err(format!("cannot open {}: {e}", path.display())))
}

/// `sqlite:<path>?mode=rwc`, the path percent-encoded (the driver decodes it).
fn url_for(path: &Path) -> String {
    let mut url = String::from("sqlite:");
    for byte in path.as_os_str().as_encoded_bytes() {
        match byte {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'/' | b'.' | b'-' | b'_' => {
                url.push(char::from(*byte))
            }
            _ => url.push_str(&format!("%{byte:02X}")),
        }
    }
    url.push_str("?mode=rwc");
    url
}

/// The database file, its SQLite side files and its key file.
pub fn related_files(path: &Path) -> Vec<PathBuf> {
    let mut files = vec![path.to_path_buf()];
    for suffix in ["-wal", "-shm"] {
        let mut p = path.as_os_str().to_owned();
        p.push(suffix);
        files.push(PathBuf::from(p));
    }
    files.push(crate::crypto::key_file_for(path));
    files
}

/// Creates the folder (0700) and an empty database file (0600) when missing.
fn prepare_private_files(path: &Path) -> Result<(), String> {
    create_private_dir(path)?;
    if !path.exists() {
        create_private_file(path).map_err(|e| format!("cannot create {}: {e}", path.display()))?;
    }
    restrict_existing(path)
}

/// Creates the database's folder, 0700, when it is missing (an existing folder is left as is).
pub fn create_private_dir(db_path: &Path) -> Result<(), String> {
    if let Some(dir) = db_path.parent().filter(|d| !d.as_os_str().is_empty()) {
        if !dir.exists() {
            let mut builder = std::fs::DirBuilder::new();
            builder.recursive(true);
            #[cfg(unix)]
            {
                use std::os::unix::fs::DirBuilderExt as _;
                builder.mode(0o700);
            }
            builder
                .create(dir)
                .map_err(|e| format!("cannot create directory {}: {e}", dir.display()))?;
        }
    }
    Ok(())
}

/// An empty file only the owner can read and write (`create_new`: never an existing file).
pub fn create_private_file(path: &Path) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    options.open(path).map(drop)
}

/// Takes group and other permissions away from the files of an existing database (older
/// versions created them 0644).
fn restrict_existing(path: &Path) -> Result<(), String> {
    #[cfg(unix)]
    for file in related_files(path) {
        use std::os::unix::fs::PermissionsExt as _;
        let Ok(meta) = std::fs::metadata(&file) else {
            continue;
        };
        if meta.is_file() && meta.permissions().mode() & 0o077 != 0 {
            std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600))
                .map_err(|e| format!("cannot make {} private: {e}", file.display()))?;
        }
    }
    Ok(())
}
