//! A lock file beside the database: servers hold it shared, `restore` needs it exclusively,
//! so a restore can never swap the file under a running server.
use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};

use crate::config::ConfigError;

pub struct DatabaseLock {
    _file: File,
}

pub fn lock_path(db_path: &Path) -> PathBuf {
    let mut name = db_path.file_name().unwrap_or_default().to_os_string();
    name.push(".lock");
    db_path.with_file_name(name)
}

fn open(db_path: &Path) -> Result<File, ConfigError> {
    crate::db::sqlite::create_private_dir(db_path)
        .map_err(|e| ConfigError::new("DATABASE_URL", e))?;
    let path = lock_path(db_path);
    OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| {
            ConfigError::new(
                "DATABASE_URL",
                format!("cannot open {}: {e}", path.display()),
            )
        })
}

impl DatabaseLock {
    /// Taken by every server process; many can share it.
    pub async fn shared(db_path: &Path) -> Result<Self, ConfigError> {
        let path = db_path.to_path_buf();
        tokio::task::spawn_blocking(move || {
            let file = open(&path)?;
            file.try_lock_shared().map_err(|_| {
                ConfigError::new(
                    "DATABASE_URL",
                    format!(
                        "{} is being restored; try again when the restore has finished",
                        path.display()
                    ),
                )
            })?;
            Ok(Self { _file: file })
        })
        .await
        .map_err(|e| ConfigError::new("DATABASE_URL", e.to_string()))?
    }

    /// Taken by `restore`; `None` while any server holds the database.
    pub fn exclusive(db_path: &Path) -> Result<Option<Self>, ConfigError> {
        let file = open(db_path)?;
        match file.try_lock() {
            Ok(()) => Ok(Some(Self { _file: file })),
            Err(_) => Ok(None),
        }
    }
}
