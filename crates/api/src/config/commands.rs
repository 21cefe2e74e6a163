//! The command line: `serve` and its flags, and the administrative subcommands. Each flag falls
//! back to its environment variable; values arrive as strings and become [`Settings`] here.
use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

use super::settings::{
    database_location, default_static_dir, list, non_empty, parse_num, parse_range,
};
use super::{
    parse_allowed_hosts, parse_registry_url, BootstrapRegistry, ConfigError, DatabaseLocation,
    DatabaseSettings, LogFormat, RegistryClientSettings, Settings, ThrottleSettings,
    DEFAULT_ADMIN_PASSWORD,
};
use crate::secret::Secret;

#[derive(Debug, Parser)]
#[command(
    name = "registry-gui",
    version,
    about = "A secure web GUI and JSON API for Docker/OCI registries",
    args_conflicts_with_subcommands = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Without a subcommand, `registry-gui` serves.
    #[command(flatten)]
    pub serve: ServeArgs,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the web server (the default).
    Serve(Box<ServeArgs>),
    /// Manage users directly in the database (recovery and automation).
    #[command(subcommand)]
    User(UserCommand),
    /// Manage configured registries directly in the database.
    #[command(subcommand)]
    Registry(RegistryCommand),
    /// Manage repository grants directly in the database (effective on the next request).
    #[command(subcommand)]
    Grant(GrantCommand),
    /// Manage access tokens directly in the database (a running server sees changes at once).
    #[command(subcommand)]
    Token(TokenCommand),
    /// Write a consistent online snapshot of the database to FILE.
    Backup {
        file: PathBuf,
        #[command(flatten)]
        db: DatabaseArgs,
    },
    /// Print the OpenAPI 3.1 document of the API (the one served at `/api/openapi.json`).
    Openapi,
    /// Exit 0 when the local server answers `/healthz` (for container health checks).
    Healthcheck {
        #[arg(long, env = "PORT", default_value = "12000")]
        port: String,
    },
    /// Copy a SQLite database into an empty PostgreSQL one (the servers must be stopped):
    /// schema, every table, secrets re-encrypted under SECRET_KEY; prints the row counts.
    MigrateDb {
        /// The SQLite database, e.g. sqlite://data/registry-gui.db
        #[arg(long)]
        from: String,
        /// The empty PostgreSQL database, postgres://user:pass@host:port/db
        #[arg(long)]
        to: String,
        /// The key the SQLite database's secrets are encrypted with, when it is not its key
        /// file and not SECRET_KEY (a server that ran with another SECRET_KEY).
        #[arg(long, env = "FROM_SECRET_KEY", hide_env_values = true)]
        from_secret_key: Option<String>,
        /// The key for the PostgreSQL database: every replica's SECRET_KEY.
        #[arg(long, env = "SECRET_KEY", hide_env_values = true)]
        secret_key: Option<String>,
    },
    /// Replace the database with the snapshot in FILE (the server must be stopped).
    Restore {
        file: PathBuf,
        /// Confirm that the current database is to be replaced.
        #[arg(long)]
        yes: bool,
        #[command(flatten)]
        db: DatabaseArgs,
    },
}

#[derive(Debug, Clone, Default, Args)]
pub struct DatabaseArgs {
    /// sqlite://data/registry-gui.db (the default) or postgres://user:pass@host:port/db
    #[arg(long, env = "DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,
    /// Key for secrets at rest (SQLite: otherwise a key file next to the database; required
    /// with PostgreSQL, the same on every replica).
    #[arg(long, env = "SECRET_KEY", hide_env_values = true)]
    pub secret_key: Option<String>,
    /// Most PostgreSQL connections of the pool, 1-1000 (default 10; one LISTEN connection
    /// comes on top).
    #[arg(long, env = "DATABASE_MAX_CONNECTIONS")]
    pub database_max_connections: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// List users.
    List {
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        db: DatabaseArgs,
        #[command(flatten)]
        throttle: ThrottleArgs,
    },
    /// Create a user (a password is generated and printed when none is given).
    Create {
        name: String,
        #[arg(long)]
        password: Option<String>,
        #[arg(long, default_value = "editor")]
        role: String,
        #[command(flatten)]
        db: DatabaseArgs,
        #[command(flatten)]
        throttle: ThrottleArgs,
    },
    /// Delete a user.
    Delete {
        name: String,
        #[command(flatten)]
        db: DatabaseArgs,
    },
    /// Change a user's role (admin, editor or viewer).
    SetRole {
        name: String,
        role: String,
        #[command(flatten)]
        db: DatabaseArgs,
    },
    /// Set a new password (generated and printed when omitted); forces a change at next login.
    SetPassword {
        name: String,
        #[arg(long)]
        password: Option<String>,
        #[command(flatten)]
        db: DatabaseArgs,
    },
    /// Clear the user's TOTP secret and backup codes; they enroll again at next login.
    #[command(name = "reset-2fa")]
    Reset2fa {
        name: String,
        #[command(flatten)]
        db: DatabaseArgs,
    },
    /// Unlock a user and clear their sign-in throttle.
    Unlock {
        name: String,
        #[command(flatten)]
        db: DatabaseArgs,
    },
}

#[derive(Debug, Subcommand)]
pub enum GrantCommand {
    /// List grants (everyone's, or one user's).
    List {
        #[arg(long)]
        user: Option<String>,
        #[arg(long)]
        registry: Option<String>,
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        db: DatabaseArgs,
    },
    /// Give USER read or write access to the repositories of REGISTRY matching PATTERN.
    Add {
        user: String,
        registry: String,
        /// e.g. `team-a/**`, `team-a/*`, `*/app`, `team-a/app`.
        pattern: String,
        /// `read` or `write`.
        access: String,
        #[command(flatten)]
        db: DatabaseArgs,
    },
    /// Remove a grant by id.
    Remove {
        id: String,
        #[command(flatten)]
        db: DatabaseArgs,
    },
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create an access token for USER and print its secret (once).
    Create {
        user: String,
        /// 1 to 64 printable characters.
        #[arg(long)]
        name: String,
        /// Comma-separated: read, write, admin (each allowed by the user's role).
        #[arg(long, default_value = "read")]
        scope: String,
        /// Days until it expires, 1 to TOKEN_MAX_DAYS.
        #[arg(long = "expires-days", default_value = "30")]
        expires_days: String,
        #[arg(long, env = "TOKEN_MAX_DAYS")]
        token_max_days: Option<String>,
        /// Print the token and secret as JSON.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        db: DatabaseArgs,
    },
    /// List access tokens (everyone's, or one user's).
    List {
        #[arg(long)]
        user: Option<String>,
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        db: DatabaseArgs,
    },
    /// Revoke an access token by id; a running server refuses it on its next request.
    Revoke {
        id: String,
        #[command(flatten)]
        db: DatabaseArgs,
    },
}

/// `TOKEN_MAX_DAYS`: the longest lifetime of an access token.
pub fn token_max_days(value: Option<&str>) -> Result<i64, ConfigError> {
    parse_range("TOKEN_MAX_DAYS", value, 365, 1..=3650)
}

#[derive(Debug, Subcommand)]
pub enum RegistryCommand {
    /// List registries.
    List {
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        db: DatabaseArgs,
    },
    /// Add a registry.
    Add {
        name: String,
        url: String,
        #[arg(long)]
        username: Option<String>,
        #[arg(long)]
        password: Option<String>,
        #[arg(long)]
        pull_host: Option<String>,
        #[arg(long)]
        read_only: bool,
        #[arg(long)]
        insecure_tls: bool,
        /// `role` (the role decides, the default) or `none` (only grants give access).
        #[arg(long, default_value = "role")]
        default_access: String,
        /// Make registry-gui this registry's login for this `auth.token.service`.
        #[arg(long)]
        token_service: Option<String>,
        /// Comma-separated repository patterns anyone may pull without credentials.
        #[arg(long)]
        anonymous_pull: Option<String>,
        /// The notifications' bearer secret; `generate` prints a generated one once.
        #[arg(long)]
        events_secret: Option<String>,
        #[command(flatten)]
        db: DatabaseArgs,
    },
    /// Change a registry's pull host, read-only flag or default access.
    Update {
        name: String,
        #[arg(long)]
        pull_host: Option<String>,
        /// `true` or `false`.
        #[arg(long)]
        read_only: Option<String>,
        /// `role` or `none`.
        #[arg(long)]
        default_access: Option<String>,
        /// The `auth.token.service` registry-gui issues tokens for (empty: stop).
        #[arg(long)]
        token_service: Option<String>,
        /// Comma-separated repository patterns anyone may pull (empty: none).
        #[arg(long)]
        anonymous_pull: Option<String>,
        /// A new events secret, `generate` (printed once) or empty to remove it.
        #[arg(long)]
        events_secret: Option<String>,
        #[command(flatten)]
        db: DatabaseArgs,
    },
    /// Print the `config.yml` fragment that makes registry-gui this registry's login.
    AuthConfig {
        name: String,
        /// Also write the signing certificate (for `rootcertbundle`) to this file.
        #[arg(long)]
        certificate: Option<std::path::PathBuf>,
        #[arg(long, env = "PUBLIC_URL")]
        public_url: Option<String>,
        #[arg(long, env = "TOKEN_ISSUER")]
        token_issuer: Option<String>,
        #[command(flatten)]
        db: DatabaseArgs,
    },
    /// Remove a registry.
    Remove {
        name: String,
        #[command(flatten)]
        db: DatabaseArgs,
    },
}

/// The sign-in throttle, read by `serve` and by the CLI commands that show throttle state.
#[derive(Debug, Clone, Default, Args)]
pub struct ThrottleArgs {
    #[arg(long, env = "LOGIN_THROTTLE_WINDOW_SECS")]
    pub login_throttle_window_secs: Option<String>,
    /// Failures for one user from one address, per window.
    #[arg(long, env = "LOGIN_MAX_FAILURES_PER_USER")]
    pub login_max_failures_per_user: Option<String>,
    #[arg(long, env = "LOGIN_MAX_FAILURES_PER_IP")]
    pub login_max_failures_per_ip: Option<String>,
    /// Failures for one user from all addresses together, per window.
    #[arg(long, env = "LOGIN_MAX_FAILURES_PER_USER_TOTAL")]
    pub login_max_failures_per_user_total: Option<String>,
}

impl ThrottleArgs {
    pub fn settings(&self) -> Result<ThrottleSettings, ConfigError> {
        Ok(ThrottleSettings {
            window_secs: parse_range(
                "LOGIN_THROTTLE_WINDOW_SECS",
                self.login_throttle_window_secs.as_deref(),
                900,
                1..=86_400 * 30,
            )?,
            max_failures_per_user: parse_range(
                "LOGIN_MAX_FAILURES_PER_USER",
                self.login_max_failures_per_user.as_deref(),
                5,
                1..=1_000_000,
            )?,
            max_failures_per_ip: parse_range(
                "LOGIN_MAX_FAILURES_PER_IP",
                self.login_max_failures_per_ip.as_deref(),
                20,
                1..=1_000_000,
            )?,
            max_failures_per_user_total: parse_range(
                "LOGIN_MAX_FAILURES_PER_USER_TOTAL",
                self.login_max_failures_per_user_total.as_deref(),
                50,
                1..=1_000_000,
            )?,
        })
    }
}

/// The flags of `serve`; each falls back to its environment variable.
#[derive(Debug, Clone, Default, Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "HOST")]
    pub host: Option<String>,
    /// Port to listen on (0 picks a free one).
    #[arg(long, env = "PORT")]
    pub port: Option<String>,
    #[command(flatten)]
    pub db: DatabaseArgs,
    /// The built SPA (trunk's dist/).
    #[arg(long, env = "STATIC_DIR")]
    pub static_dir: Option<String>,
    /// The registry bootstrapped at start-up.
    #[arg(long, env = "REGISTRY_URL")]
    pub registry_url: Option<String>,
    #[arg(long, env = "REGISTRY_NAME")]
    pub registry_name: Option<String>,
    #[arg(long, env = "REGISTRY_AUTH_BASIC_USER")]
    pub registry_auth_basic_user: Option<String>,
    #[arg(long, env = "REGISTRY_AUTH_BASIC_PASSWORD", hide_env_values = true)]
    pub registry_auth_basic_password: Option<String>,
    /// The host users pull from, when it differs from REGISTRY_URL's.
    #[arg(long, env = "REGISTRY_PULL_HOST")]
    pub registry_pull_host: Option<String>,
    /// HS256 key for sessions (at least 32 bytes); generated and stored when unset.
    #[arg(long, env = "JWT_SECRET", hide_env_values = true)]
    pub jwt_secret: Option<String>,
    #[arg(long, env = "JWT_EXPIRY_HOURS")]
    pub jwt_expiry_hours: Option<String>,
    /// Password of the first admin, created when there are no users.
    #[arg(long, env = "ADMIN_PASSWORD", hide_env_values = true)]
    pub admin_password: Option<String>,
    #[arg(long, env = "BCRYPT_COST")]
    pub bcrypt_cost: Option<String>,
    #[command(flatten)]
    pub throttle: ThrottleArgs,
    /// Audit events older than this many days are deleted (at start-up and hourly).
    #[arg(long, env = "AUDIT_RETENTION_DAYS")]
    pub audit_retention_days: Option<String>,
    /// The longest lifetime of an access token, in days (1 to 3650).
    #[arg(long, env = "TOKEN_MAX_DAYS")]
    pub token_max_days: Option<String>,
    /// The address clients use to reach this server (the registry token realm is built from
    /// it); default `http://localhost:<port>`.
    #[arg(long, env = "PUBLIC_URL")]
    pub public_url: Option<String>,
    /// `iss` of registry tokens (the registry's `auth.token.issuer`).
    #[arg(long, env = "TOKEN_ISSUER")]
    pub token_issuer: Option<String>,
    /// Lifetime of registry tokens in seconds (30 to 3600).
    #[arg(long, env = "REGISTRY_TOKEN_TTL_SECS")]
    pub registry_token_ttl_secs: Option<String>,
    /// Registry push/delete events older than this many days are deleted.
    #[arg(long, env = "EVENT_RETENTION_DAYS")]
    pub event_retention_days: Option<String>,
    /// Seconds between rounds of the prune loop (expired sign-in steps, sessions, throttle
    /// records, old audit and registry events), 1 to 86400; one replica runs each round.
    #[arg(long, env = "PRUNE_INTERVAL_SECS")]
    pub prune_interval_secs: Option<String>,
    /// Comma-separated proxy addresses whose X-Forwarded-For is trusted.
    #[arg(long, env = "TRUSTED_PROXIES")]
    pub trusted_proxies: Option<String>,
    /// Comma-separated `host` or `host:port` entries registries may point at.
    #[arg(long, env = "REGISTRY_ALLOWED_HOSTS")]
    pub registry_allowed_hosts: Option<String>,
    #[arg(long, env = "REGISTRY_TIMEOUT_SECS")]
    pub registry_timeout_secs: Option<String>,
    /// Requests in flight per registry.
    #[arg(long, env = "REGISTRY_CONCURRENCY")]
    pub registry_concurrency: Option<String>,
    /// How long tag lists and the catalog are cached.
    #[arg(long, env = "CACHE_TTL_SECS")]
    pub cache_ttl_secs: Option<String>,
    /// Bytes of manifests and configs kept in memory.
    #[arg(long, env = "MANIFEST_CACHE_BYTES")]
    pub manifest_cache_bytes: Option<String>,
    /// `text` (default) or `json`.
    #[arg(long, env = "LOG_FORMAT")]
    pub log_format: Option<String>,
    /// When set, /metrics requires `Authorization: Bearer <token>`.
    #[arg(long, env = "METRICS_TOKEN", hide_env_values = true)]
    pub metrics_token: Option<String>,
    #[arg(long, env = "REQUEST_TIMEOUT_SECS")]
    pub request_timeout_secs: Option<String>,
}

impl DatabaseArgs {
    pub fn settings(&self) -> Result<DatabaseSettings, ConfigError> {
        let secret_key = non_empty(self.secret_key.clone()).map(Secret::new);
        if let Some(key) = &secret_key {
            if key.expose().len() < 32 {
                return Err(ConfigError::new(
                    "SECRET_KEY",
                    "must be at least 32 bytes long",
                ));
            }
        }
        let location = database_location(self.database_url.as_deref())?;
        if matches!(location, DatabaseLocation::Postgres(_)) && secret_key.is_none() {
            // Every replica must decrypt the same credentials and keys: a key file per
            // machine would give each its own.
            return Err(ConfigError::new(
                "SECRET_KEY",
                "is required with PostgreSQL (the same value on every replica)",
            ));
        }
        Ok(DatabaseSettings {
            location,
            secret_key,
            max_connections: parse_range(
                "DATABASE_MAX_CONNECTIONS",
                self.database_max_connections.as_deref(),
                10,
                1..=1000,
            )?,
        })
    }
}

impl ServeArgs {
    /// Validates every value; the first bad one is reported.
    pub fn settings(&self) -> Result<Settings, ConfigError> {
        // Loopback unless told otherwise: a first start must not expose the default admin password.
        let host = non_empty(self.host.clone()).unwrap_or_else(|| "127.0.0.1".into());
        let port = parse_num(
            "PORT",
            self.port.as_deref(),
            12000u16,
            "a port number (0-65535)",
        )?;

        let registry_url =
            non_empty(self.registry_url.clone()).unwrap_or_else(|| "http://localhost:5000".into());
        let registry_url =
            parse_registry_url(&registry_url).map_err(|m| ConfigError::new("REGISTRY_URL", m))?;
        let registry_name =
            non_empty(self.registry_name.clone()).unwrap_or_else(|| "default".into());
        if !crate::domain::RegistryName::is_valid(&registry_name) {
            return Err(ConfigError::new(
                "REGISTRY_NAME",
                format!("{registry_name:?} must match [a-z0-9][a-z0-9-]{{0,62}}"),
            ));
        }

        let jwt_secret = non_empty(self.jwt_secret.clone()).map(Secret::new);
        if let Some(secret) = &jwt_secret {
            if secret.expose().len() < 32 {
                return Err(ConfigError::new(
                    "JWT_SECRET",
                    format!(
                        "must be at least 32 bytes long (got {}); generate one with `openssl rand -hex 32`",
                        secret.expose().len()
                    ),
                ));
            }
        }

        let log_format = match self.log_format.as_deref().map(str::trim) {
            None | Some("") | Some("text") => LogFormat::Text,
            Some("json") => LogFormat::Json,
            Some(other) => {
                return Err(ConfigError::new(
                    "LOG_FORMAT",
                    format!("{other:?} is not text or json"),
                ))
            }
        };

        let trusted_proxies = list(self.trusted_proxies.as_deref())
            .map(|p| {
                p.parse::<IpAddr>().map_err(|_| {
                    ConfigError::new("TRUSTED_PROXIES", format!("{p:?} is not an IP address"))
                })
            })
            .collect::<Result<Vec<_>, _>>()?;

        let allowed_hosts = parse_allowed_hosts(self.registry_allowed_hosts.as_deref());

        Ok(Settings {
            host,
            port,
            database: self.db.settings()?,
            static_dir: non_empty(self.static_dir.clone())
                .map(PathBuf::from)
                .unwrap_or_else(default_static_dir),
            registry: BootstrapRegistry {
                name: registry_name,
                url: registry_url,
                username: non_empty(self.registry_auth_basic_user.clone()),
                password: non_empty(self.registry_auth_basic_password.clone()).map(Secret::new),
                pull_host: non_empty(self.registry_pull_host.clone()),
            },
            jwt_secret,
            jwt_expiry_hours: parse_range(
                "JWT_EXPIRY_HOURS",
                self.jwt_expiry_hours.as_deref(),
                24,
                1..=24 * 365,
            )?,
            admin_password: Secret::new(
                non_empty(self.admin_password.clone())
                    .unwrap_or_else(|| DEFAULT_ADMIN_PASSWORD.into()),
            ),
            bcrypt_cost: parse_range("BCRYPT_COST", self.bcrypt_cost.as_deref(), 12, 4..=31)?,
            throttle: self.throttle.settings()?,
            audit_retention_days: parse_range(
                "AUDIT_RETENTION_DAYS",
                self.audit_retention_days.as_deref(),
                365,
                1..=36_500,
            )?,
            token_max_days: token_max_days(self.token_max_days.as_deref())?,
            public_url: match non_empty(self.public_url.clone()) {
                None => None,
                Some(raw) => Some(
                    url::Url::parse(raw.trim().trim_end_matches('/'))
                        .ok()
                        .filter(|u| {
                            matches!(u.scheme(), "http" | "https") && u.host_str().is_some()
                        })
                        .map(|u| u.as_str().trim_end_matches('/').to_string())
                        .ok_or_else(|| {
                            ConfigError::new("PUBLIC_URL", "not an absolute http(s) URL")
                        })?,
                ),
            },
            token_issuer: non_empty(self.token_issuer.clone())
                .map(|i| i.trim().to_string())
                .unwrap_or_else(|| "registry-gui".to_string()),
            registry_token_ttl_secs: parse_range(
                "REGISTRY_TOKEN_TTL_SECS",
                self.registry_token_ttl_secs.as_deref(),
                300,
                30..=3600,
            )?,
            event_retention_days: parse_range(
                "EVENT_RETENTION_DAYS",
                self.event_retention_days.as_deref(),
                90,
                1..=36_500,
            )?,
            prune_interval: Duration::from_secs(parse_range(
                "PRUNE_INTERVAL_SECS",
                self.prune_interval_secs.as_deref(),
                600,
                1..=86_400,
            )?),
            trusted_proxies,
            registry_client: RegistryClientSettings {
                timeout: Duration::from_secs(parse_range(
                    "REGISTRY_TIMEOUT_SECS",
                    self.registry_timeout_secs.as_deref(),
                    30,
                    1..=3600,
                )?),
                connect_timeout: Duration::from_secs(3),
                concurrency: parse_range(
                    "REGISTRY_CONCURRENCY",
                    self.registry_concurrency.as_deref(),
                    16,
                    1..=1024,
                )?,
                cache_ttl: Duration::from_secs(parse_range(
                    "CACHE_TTL_SECS",
                    self.cache_ttl_secs.as_deref(),
                    30,
                    0..=86_400,
                )?),
                manifest_cache_bytes: parse_range(
                    "MANIFEST_CACHE_BYTES",
                    self.manifest_cache_bytes.as_deref(),
                    32 * 1024 * 1024,
                    0..=u64::MAX / 2,
                )?,
                allowed_hosts,
            },
            log_format,
            metrics_token: non_empty(self.metrics_token.clone()).map(Secret::new),
            request_timeout: Duration::from_secs(parse_range(
                "REQUEST_TIMEOUT_SECS",
                self.request_timeout_secs.as_deref(),
                60,
                1..=3600,
            )?),
        })
    }
}
