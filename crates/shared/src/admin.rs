//! Administration DTOs (`/api/admin/*`, `/api/registries`).
use serde::{Deserialize, Serialize};

use crate::auth::Role;
use crate::redacted_debug;

/// A user as an administrator sees them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AdminUser {
    pub username: String,
    pub role: Role,
    pub is_admin: bool,
    pub totp_enabled: bool,
    pub backup_codes_remaining: i64,
    pub created_at: String,
    pub last_login_at: Option<String>,
    pub last_login_ip: Option<String>,
    pub failed_logins: i64,
    /// Set while sign-in is throttled for the user from every address (the cap across all
    /// addresses, `LOGIN_MAX_FAILURES_PER_USER_TOTAL`); the per-address limit holds back only
    /// the address that failed and does not show here.
    pub locked_until: Option<String>,
    /// Locked by an administrator.
    pub locked: bool,
    /// Neither locked by an administrator nor throttled.
    pub active: bool,
    pub must_change_password: bool,
    /// Live sessions: issued, not logged out, revoked or expired.
    pub active_sessions: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UserList {
    pub users: Vec<AdminUser>,
}

#[derive(Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreateUserRequest {
    #[cfg_attr(
        feature = "openapi",
        schema(pattern = r"^[a-z0-9][a-z0-9._-]{1,63}$", example = "alice")
    )]
    pub username: String,
    /// Generated (and returned once) when absent.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(min_length = 8, max_length = 72, format = Password))]
    pub password: Option<String>,
    #[serde(default)]
    pub role: Option<Role>,
    /// For scripts: `true` means admin, `false` means editor.
    #[serde(default)]
    pub is_admin: Option<bool>,
}
redacted_debug!(CreateUserRequest { username, role, is_admin } hide { password });

#[derive(Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreateUserResponse {
    pub user: AdminUser,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub generated_password: Option<String>,
}
redacted_debug!(CreateUserResponse { user } hide { generated_password });

#[derive(Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UpdateUserRequest {
    #[serde(default)]
    pub role: Option<Role>,
    #[serde(default)]
    pub is_admin: Option<bool>,
    /// A new password the user must change at next sign-in (not for your own account).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(min_length = 8, max_length = 72, format = Password))]
    pub password: Option<String>,
    #[serde(default)]
    pub locked: Option<bool>,
}
redacted_debug!(UpdateUserRequest { role, is_admin, locked } hide { password });

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UpdateUserResponse {
    pub user: AdminUser,
}

/// A configured registry. Credentials are write-only: only `has_credentials` is ever returned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RegistryInfo {
    pub name: String,
    pub url: String,
    pub pull_host: String,
    pub read_only: bool,
    pub insecure_tls: bool,
    pub has_credentials: bool,
    pub is_default: bool,
    /// What users without a grant here get: `role` (their role decides) or `none`.
    pub default_access: crate::permissions::DefaultAccess,
    /// The `service` this registry's `auth.token` names when registry-gui is its login.
    #[serde(default)]
    pub token_service: Option<String>,
    /// Repository patterns anyone may pull through the registry login, without credentials.
    #[serde(default)]
    pub anonymous_pull: Vec<String>,
    /// Whether an events secret is set (the secret itself is write-only).
    #[serde(default)]
    pub has_events_secret: bool,
    pub created_at: String,
    pub created_by: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RegistryList {
    pub registries: Vec<RegistryInfo>,
}

#[derive(Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreateRegistryRequest {
    /// Used in URLs and in `?registry=`.
    #[cfg_attr(
        feature = "openapi",
        schema(pattern = r"^[a-z0-9][a-z0-9-]{0,62}$", example = "harbor")
    )]
    pub name: String,
    /// Where the server reaches the registry: `http(s)://host[:port]`, no credentials.
    #[cfg_attr(
        feature = "openapi",
        schema(pattern = r"^https?://", example = "https://harbor.example.com")
    )]
    pub url: String,
    #[serde(default)]
    pub username: Option<String>,
    #[serde(default)]
    pub password: Option<String>,
    #[serde(default)]
    pub pull_host: Option<String>,
    #[serde(default)]
    pub insecure_tls: bool,
    #[serde(default)]
    pub read_only: bool,
    /// `role` (default) or `none` (only grants give access).
    #[serde(default)]
    pub default_access: crate::permissions::DefaultAccess,
    /// Makes registry-gui this registry's token service for `service` (its `auth.token.service`).
    #[serde(default)]
    pub token_service: Option<String>,
    /// Repository patterns (grant grammar) anyone may pull without credentials.
    #[serde(default)]
    pub anonymous_pull: Vec<String>,
    /// The bearer secret of its notifications; `"generate"` makes one, returned once.
    #[serde(default)]
    pub events_secret: Option<String>,
}
redacted_debug!(CreateRegistryRequest { name, url, username, pull_host, insecure_tls, read_only, default_access, token_service, anonymous_pull } hide { password, events_secret });

/// Partial update. For `username`, `password` and `pull_host` an empty string clears the value.
#[derive(Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UpdateRegistryRequest {
    #[serde(default)]
    pub url: Option<String>,
    #[serde(default)]
    pub username: Option<String>,
    #[serde(default)]
    pub password: Option<String>,
    #[serde(default)]
    pub pull_host: Option<String>,
    #[serde(default)]
    pub insecure_tls: Option<bool>,
    #[serde(default)]
    pub read_only: Option<bool>,
    #[serde(default)]
    pub default_access: Option<crate::permissions::DefaultAccess>,
    /// An empty string stops serving tokens for this registry.
    #[serde(default)]
    pub token_service: Option<String>,
    #[serde(default)]
    pub anonymous_pull: Option<Vec<String>>,
    /// A new events secret, `"generate"` for a generated one (returned once), `""` to remove it.
    #[serde(default)]
    pub events_secret: Option<String>,
}
redacted_debug!(UpdateRegistryRequest { url, username, pull_host, insecure_tls, read_only, default_access, token_service, anonymous_pull } hide { password, events_secret });

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RegistryResponse {
    pub registry: RegistryInfo,
    /// A generated events secret, in this response only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub events_secret: Option<String>,
}

/// `GET /api/admin/registries/{name}/token-auth`: what the registry's `config.yml` needs to use
/// registry-gui as its login and to report pushes.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TokenAuthConfig {
    pub service: String,
    pub issuer: String,
    /// `{PUBLIC_URL}/auth/token`.
    pub realm: String,
    /// The token signing certificate, for `auth.token.rootcertbundle`.
    pub certificate_pem: String,
    /// `{PUBLIC_URL}/api/registries/{name}/events`.
    pub events_url: String,
    /// A `config.yml` fragment (`auth.token` and `notifications`); the events secret appears as
    /// a placeholder, never itself.
    pub config_snippet: String,
}

/// The result of `POST /api/admin/registries/{name}/test`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RegistryTestResult {
    pub reachable: bool,
    /// The HTTP status of `GET /v2/` after authentication, when the registry answered.
    pub status: Option<u16>,
    pub api_version: Option<String>,
    pub auth_ok: bool,
    pub latency_ms: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// One audit log entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuditEvent {
    pub id: i64,
    pub time: String,
    pub actor: Option<String>,
    pub ip: Option<String>,
    pub action: String,
    pub target: Option<String>,
    pub outcome: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuditPage {
    pub events: Vec<AuditEvent>,
    /// Pass as `before` to get the next (older) page; `null` at the end.
    pub next_before: Option<i64>,
}

/// `GET /api/admin/system`: the database, the replica that answered, the background jobs and
/// the cache coherence, for operators of one or several replicas.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SystemStatus {
    pub database: DatabaseStatus,
    pub replica: ReplicaStatus,
    pub jobs: Vec<JobStatus>,
    pub cache: CacheStatus,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DatabaseStatus {
    /// `sqlite` or `postgres`.
    pub backend: String,
    /// Where: the SQLite file, or the PostgreSQL URL without its password.
    pub location: String,
    /// The database answered a trivial statement within 3 s just now.
    pub ready: bool,
    /// `DATABASE_MAX_CONNECTIONS` (PostgreSQL; SQLite's pool is fixed at 8).
    pub max_connections: u32,
    pub open_connections: u32,
    pub idle_connections: u32,
    /// Statements this replica started since it started.
    pub statements: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReplicaStatus {
    /// This process among the replicas (random per start; the lease holder name).
    pub id: String,
    pub version: String,
    pub started_at: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct JobStatus {
    /// `prune`.
    pub job: String,
    pub interval_secs: u64,
    /// The replica holding the job's lease, if any holds one.
    pub holder: Option<String>,
    /// The lease is this replica's.
    pub held_here: bool,
    pub lease_expires_at: Option<String>,
    /// Rounds this replica ran since it started.
    pub runs_here: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CacheStatus {
    /// `notify` (PostgreSQL: changes are announced to every replica) or `local` (SQLite: one
    /// process).
    pub coherence: String,
    /// `CACHE_TTL_SECS`, the fallback.
    pub ttl_secs: u64,
    /// Invalidations made here, and received from other replicas.
    pub invalidations_local: u64,
    pub invalidations_received: u64,
}
