//! The validated settings `serve` and the CLI run with, and the parsers that produce them.
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use url::Url;

use super::{ConfigError, ServeArgs};
use crate::secret::Secret;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

/// The built-in first-admin password: an account using it must change it before use.
pub const DEFAULT_ADMIN_PASSWORD: &str = "admin123";

#[derive(Debug, Clone)]
pub struct DatabaseSettings {
    pub location: DatabaseLocation,
    pub secret_key: Option<Secret>,
    /// `DATABASE_MAX_CONNECTIONS` (PostgreSQL; the LISTEN connection comes on top).
    pub max_connections: u32,
}

impl DatabaseSettings {
    /// The SQLite file, when the database is one.
    pub fn sqlite_path(&self) -> Option<&Path> {
        match &self.location {
            DatabaseLocation::Sqlite(path) => Some(path),
            DatabaseLocation::Postgres(_) => None,
        }
    }
}

/// Where the database is: `DATABASE_URL`.
#[derive(Debug, Clone)]
pub enum DatabaseLocation {
    /// The SQLite file (the default, `data/registry-gui.db`).
    Sqlite(PathBuf),
    /// A `postgres://` or `postgresql://` URL; it may carry a password.
    Postgres(Secret),
}

impl std::fmt::Display for DatabaseLocation {
    /// The file, or the URL without its password (safe for logs and messages).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DatabaseLocation::Sqlite(path) => write!(f, "{}", path.display()),
            DatabaseLocation::Postgres(url) => match Url::parse(url.expose()) {
                Ok(mut u) => {
                    if u.password().is_some() {
                        let _ = u.set_password(Some("***"));
                    }
                    write!(f, "{u}")
                }
                Err(_) => f.write_str("postgres://(unparsable URL)"),
            },
        }
    }
}

/// `postgres://…` or `postgresql://…` select PostgreSQL; anything else is a SQLite file
/// ([`database_path`]).
pub fn database_location(url: Option<&str>) -> Result<DatabaseLocation, ConfigError> {
    let raw = url.map(str::trim).unwrap_or_default();
    if raw.starts_with("postgres://") || raw.starts_with("postgresql://") {
        let parsed = Url::parse(raw).map_err(|e| {
            ConfigError::new("DATABASE_URL", format!("not a valid PostgreSQL URL ({e})"))
        })?;
        if parsed.host_str().is_none_or(str::is_empty) && !raw.contains("host=") {
            return Err(ConfigError::new(
                "DATABASE_URL",
                "the PostgreSQL URL names no host",
            ));
        }
        return Ok(DatabaseLocation::Postgres(Secret::new(raw)));
    }
    database_path(url).map(DatabaseLocation::Sqlite)
}

#[derive(Debug, Clone)]
pub struct BootstrapRegistry {
    pub name: String,
    pub url: Url,
    pub username: Option<String>,
    pub password: Option<Secret>,
    pub pull_host: Option<String>,
}

#[derive(Debug, Clone, Copy)]
pub struct ThrottleSettings {
    pub window_secs: i64,
    /// Failures per (user, client address): one address cannot lock the user out elsewhere.
    pub max_failures_per_user: i64,
    pub max_failures_per_ip: i64,
    /// Failures per user across every address (distributed guessing).
    pub max_failures_per_user_total: i64,
}

#[derive(Debug, Clone)]
pub struct RegistryClientSettings {
    pub timeout: Duration,
    pub connect_timeout: Duration,
    pub concurrency: usize,
    pub cache_ttl: Duration,
    pub manifest_cache_bytes: u64,
    /// `host` or `host:port`, lowercase; `None` allows any host that is not forbidden.
    pub allowed_hosts: Option<Vec<String>>,
}

/// Everything `serve` needs, validated.
#[derive(Debug, Clone)]
pub struct Settings {
    pub host: String,
    pub port: u16,
    pub database: DatabaseSettings,
    pub static_dir: PathBuf,
    pub registry: BootstrapRegistry,
    pub jwt_secret: Option<Secret>,
    pub jwt_expiry_hours: i64,
    pub admin_password: Secret,
    pub bcrypt_cost: u32,
    pub throttle: ThrottleSettings,
    pub audit_retention_days: i64,
    /// `TOKEN_MAX_DAYS`: the longest lifetime of an access token.
    pub token_max_days: i64,
    /// `PUBLIC_URL` without a trailing slash; `None`: `http://localhost:<bound port>`.
    pub public_url: Option<String>,
    /// `TOKEN_ISSUER`.
    pub token_issuer: String,
    /// `REGISTRY_TOKEN_TTL_SECS`.
    pub registry_token_ttl_secs: i64,
    /// `EVENT_RETENTION_DAYS`.
    pub event_retention_days: i64,
    /// `PRUNE_INTERVAL_SECS`.
    pub prune_interval: Duration,
    pub trusted_proxies: Vec<IpAddr>,
    pub registry_client: RegistryClientSettings,
    pub log_format: LogFormat,
    pub metrics_token: Option<Secret>,
    pub request_timeout: Duration,
}

pub(super) fn parse_num<T: std::str::FromStr>(
    var: &'static str,
    value: Option<&str>,
    default: T,
    what: &str,
) -> Result<T, ConfigError> {
    match value.map(str::trim) {
        None | Some("") => Ok(default),
        Some(v) => v
            .parse()
            .map_err(|_| ConfigError::new(var, format!("{v:?} is not {what}"))),
    }
}

pub(super) fn parse_range<T>(
    var: &'static str,
    value: Option<&str>,
    default: T,
    range: std::ops::RangeInclusive<T>,
) -> Result<T, ConfigError>
where
    T: std::str::FromStr + PartialOrd + std::fmt::Display + Copy,
{
    let what = format!("a number from {} to {}", range.start(), range.end());
    let n = parse_num(var, value, default, &what)?;
    if range.contains(&n) {
        Ok(n)
    } else {
        Err(ConfigError::new(var, format!("{n} is not {what}")))
    }
}

pub(super) fn non_empty(value: Option<String>) -> Option<String> {
    value.filter(|v| !v.trim().is_empty())
}

/// Turns `sqlite://data/x.db`, `sqlite:///abs/x.db`, `sqlite:x.db` or a plain path into a file path.
pub fn database_path(url: Option<&str>) -> Result<PathBuf, ConfigError> {
    let raw = url.map(str::trim).filter(|s| !s.is_empty());
    let raw = raw.unwrap_or("sqlite://data/registry-gui.db");
    let without_scheme = raw
        .strip_prefix("sqlite://")
        .or_else(|| raw.strip_prefix("sqlite:"))
        .unwrap_or(raw);
    let path = without_scheme.split('?').next().unwrap_or_default();
    if path.is_empty() || path == ":memory:" {
        return Err(ConfigError::new(
            "DATABASE_URL",
            format!("{raw:?} does not name a database file"),
        ));
    }
    if raw.contains("://") && !raw.starts_with("sqlite://") {
        return Err(ConfigError::new(
            "DATABASE_URL",
            format!("{raw:?} is not a sqlite:// URL"),
        ));
    }
    Ok(PathBuf::from(path))
}

/// Parses a registry URL: http or https with a host.
pub fn parse_registry_url(raw: &str) -> Result<Url, String> {
    let url = Url::parse(raw.trim()).map_err(|e| format!("{raw:?} is not a URL ({e})"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!("{raw:?} must use http or https"));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(format!("{raw:?} has no host"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        // Never echo the credentials back (the message goes to clients and logs).
        let mut shown = url.clone();
        let _ = shown.set_username("");
        let _ = shown.set_password(None);
        return Err(format!(
            "{:?} must not carry credentials; set a username and password instead",
            shown.as_str()
        ));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(format!("{raw:?} must not have a query or fragment"));
    }
    Ok(url)
}

pub(super) fn default_static_dir() -> PathBuf {
    // `make run` builds into crates/web/dist; a container or tarball puts dist/ beside the binary.
    let candidates = ["crates/web/dist", "dist"];
    candidates
        .iter()
        .map(PathBuf::from)
        .find(|p| p.join("index.html").is_file())
        .unwrap_or_else(|| PathBuf::from(candidates[0]))
}

/// `REGISTRY_ALLOWED_HOSTS`: lowercase `host` / `host:port` entries; `None` when unset or empty.
pub fn parse_allowed_hosts(value: Option<&str>) -> Option<Vec<String>> {
    value
        .filter(|s| !s.trim().is_empty())
        .map(|s| list(Some(s)).map(|h| h.to_ascii_lowercase()).collect())
}

pub(super) fn list(value: Option<&str>) -> impl Iterator<Item = &str> {
    value
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

impl Settings {
    /// Settings for tests and embedding: every default, listening on 127.0.0.1:0.
    pub fn for_tests(database_path: &Path) -> Settings {
        let mut settings = ServeArgs::default()
            .settings()
            .expect("the defaults are valid");
        settings.host = "127.0.0.1".into();
        settings.port = 0;
        settings.database.location = DatabaseLocation::Sqlite(database_path.to_path_buf());
        settings.bcrypt_cost = 4;
        settings
    }
}
