//! Registry management. Only admins point the server at a URL, and never at link-local or
//! metadata addresses (see `registry::check_registry_url`).
use crate::db::Db;
use shared::admin::{CreateRegistryRequest, RegistryInfo, RegistryResponse, UpdateRegistryRequest};
use shared::error::ErrorCode;

use super::{record, Actor};
use crate::config::{parse_registry_url, RegistryClientSettings};
use crate::crypto::SecretCipher;
use crate::domain::RegistryName;
use crate::error::{AppError, AppResult};
use crate::storage::registries::{self, RegistryRow};

/// The wire form: credentials are write-only, so only `has_credentials` is returned.
pub fn to_info(row: &RegistryRow, default_name: Option<&str>) -> RegistryInfo {
    RegistryInfo {
        name: row.name.clone(),
        url: row.url.clone(),
        pull_host: row.pull_host.clone().unwrap_or_else(|| host_of(&row.url)),
        read_only: row.read_only,
        insecure_tls: row.insecure_tls,
        has_credentials: row.username.is_some() || row.password_encrypted.is_some(),
        is_default: default_name == Some(row.name.as_str()),
        default_access: row.default_access(),
        token_service: row.token_service.clone(),
        anonymous_pull: row.anonymous_pull(),
        has_events_secret: row.events_secret_hash.is_some(),
        created_at: row.created_at.clone(),
        created_by: row.created_by.clone(),
    }
}

/// `host[:port]` of a URL, as users type it after `docker pull`.
pub fn host_of(url: &str) -> String {
    url::Url::parse(url)
        .ok()
        .and_then(|u| {
            let host = u.host_str()?.to_string();
            Some(match u.port() {
                Some(p) => format!("{host}:{p}"),
                None => host,
            })
        })
        .unwrap_or_default()
}

/// The registry a user gets when they name none: their choice if it still exists, else the
/// one configured through `REGISTRY_URL`.
pub async fn default_name(pool: &Db, user_default: Option<&str>) -> AppResult<Option<String>> {
    if let Some(name) = user_default {
        if registries::find(pool, name).await?.is_some() {
            return Ok(Some(name.to_string()));
        }
    }
    Ok(registries::find_bootstrapped(pool).await?.map(|r| r.name))
}

pub async fn list(pool: &Db, user_default: Option<&str>) -> AppResult<Vec<RegistryInfo>> {
    let default = default_name(pool, user_default).await?;
    Ok(registries::list(pool)
        .await?
        .iter()
        .map(|r| to_info(r, default.as_deref()))
        .collect())
}

/// A `token_service`: what the registry's `auth.token.service` says; 1 to 255 printable
/// characters without spaces. `None` (stop serving tokens) for an empty string.
fn validate_token_service(raw: &str) -> AppResult<Option<String>> {
    let value = raw.trim();
    if value.is_empty() {
        return Ok(None);
    }
    if value.len() > 255 || value.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err(AppError::bad_request(
            ErrorCode::InvalidRequest,
            "token_service must be 1 to 255 printable characters without spaces",
        ));
    }
    Ok(Some(value.to_string()))
}

/// `anonymous_pull` patterns (the grant grammar), stored newline-separated.
fn validate_anonymous_pull(patterns: &[String]) -> AppResult<String> {
    let mut out: Vec<String> = Vec::new();
    for p in patterns.iter().map(|p| p.trim()).filter(|p| !p.is_empty()) {
        let pattern = crate::domain::RepositoryPattern::parse(p)?;
        if !out.iter().any(|o| o == pattern.as_str()) {
            out.push(pattern.as_str().to_string());
        }
    }
    Ok(out.join("\n"))
}

/// The events secret to store (its hash) and, when generated, to return once.
fn events_secret(raw: &str) -> AppResult<(Option<String>, Option<String>)> {
    match raw.trim() {
        "" => Ok((None, None)),
        "generate" => {
            let secret = crate::auth::random_token(32);
            Ok((Some(crate::auth::sha256_hex(&secret)), Some(secret)))
        }
        s if s.len() < 16 => Err(AppError::bad_request(
            ErrorCode::InvalidRequest,
            "events_secret must be at least 16 characters, or \"generate\"",
        )),
        s => Ok((Some(crate::auth::sha256_hex(s)), None)),
    }
}

fn token_service_taken(service: &str) -> AppError {
    AppError::conflict(
        ErrorCode::RegistryExists,
        format!("another registry already has the token_service {service:?}"),
    )
}

fn is_unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(d) if d.is_unique_violation())
}

fn validate_pull_host(raw: &str) -> AppResult<Option<String>> {
    let value = raw.trim().trim_end_matches('/');
    if value.is_empty() {
        return Ok(None);
    }
    let ok = !value.contains("://")
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b".-:[]/_".contains(&b))
        && url::Url::parse(&format!("https://{value}")).is_ok_and(|u| u.host_str().is_some());
    if ok {
        Ok(Some(value.to_string()))
    } else {
        Err(AppError::bad_request(
            ErrorCode::InvalidPullHost,
            "pull_host must be a host name with an optional port, like registry.example.com:5000",
        ))
    }
}

fn validate_url(raw: &str, settings: &RegistryClientSettings, exempt: bool) -> AppResult<String> {
    let url =
        parse_registry_url(raw).map_err(|m| AppError::bad_request(ErrorCode::InvalidUrl, m))?;
    crate::registry::check_registry_url(&url, settings.allowed_hosts.as_deref(), exempt)?;
    Ok(url.as_str().trim_end_matches('/').to_string())
}

/// Whether two registry URLs reach the same host and port with the same scheme (the scheme's
/// default port counts): a stored password may go there. https → http would send it in clear.
fn same_origin_host(a: &str, b: &str) -> bool {
    match (url::Url::parse(a), url::Url::parse(b)) {
        (Ok(a), Ok(b)) => {
            a.scheme() == b.scheme()
                && a.host_str().map(str::to_ascii_lowercase)
                    == b.host_str().map(str::to_ascii_lowercase)
                && a.port_or_known_default() == b.port_or_known_default()
        }
        _ => false,
    }
}

fn non_empty(value: Option<&str>) -> Option<&str> {
    value.map(str::trim).filter(|v| !v.is_empty())
}

/// Adds a registry. It is not contacted (use `test`).
pub async fn create(
    pool: &Db,
    cipher: &SecretCipher,
    settings: &RegistryClientSettings,
    actor: &Actor,
    req: &CreateRegistryRequest,
) -> AppResult<RegistryResponse> {
    let name = RegistryName::parse(req.name.trim())?;
    let url = validate_url(&req.url, settings, false)?;
    let pull_host = validate_pull_host(req.pull_host.as_deref().unwrap_or_default())?;
    let password = non_empty(req.password.as_deref())
        .map(|p| cipher.encrypt(p))
        .transpose()?;
    let token_service = validate_token_service(req.token_service.as_deref().unwrap_or_default())?;
    let anonymous_pull = validate_anonymous_pull(&req.anonymous_pull)?;
    let (secret_hash, generated) = events_secret(req.events_secret.as_deref().unwrap_or_default())?;
    let created = registries::insert(
        pool,
        registries::NewRegistry {
            name: name.as_str(),
            url: &url,
            username: non_empty(req.username.as_deref()),
            password_encrypted: password.as_deref(),
            pull_host: pull_host.as_deref(),
            insecure_tls: req.insecure_tls,
            read_only: req.read_only,
            default_access: req.default_access.as_str(),
            token_service: token_service.as_deref(),
            anonymous_pull: &anonymous_pull,
            events_secret_hash: secret_hash.as_deref(),
            created_by: Some(&actor.name),
        },
    )
    .await
    .map_err(|e| match &token_service {
        Some(service) if is_unique_violation(&e) => token_service_taken(service),
        _ => e.into(),
    })?;
    if !created {
        return Err(AppError::conflict(
            ErrorCode::RegistryExists,
            format!("a registry named {:?} already exists", name.as_str()),
        ));
    }
    record(pool, actor, "registry_added", name.as_str(), Some(&url)).await?;
    let row = registries::find(pool, name.as_str())
        .await?
        .ok_or_else(|| AppError::registry_not_found(name.as_str()))?;
    Ok(RegistryResponse {
        registry: to_info(&row, None),
        events_secret: generated,
    })
}

pub async fn update(
    pool: &Db,
    cipher: &SecretCipher,
    settings: &RegistryClientSettings,
    actor: &Actor,
    name: &str,
    req: &UpdateRegistryRequest,
) -> AppResult<RegistryResponse> {
    let mut row = registries::find(pool, name)
        .await?
        .ok_or_else(|| AppError::registry_not_found(name))?;
    if let Some(url) = &req.url {
        // A new URL passes exactly the checks of a new registry, also for the bootstrapped one
        // (only its configured URL is exempt from REGISTRY_ALLOWED_HOSTS); the same URL again
        // (an edit form sends every field) is no change.
        let unchanged = parse_registry_url(url)
            .is_ok_and(|u| u.as_str().trim_end_matches('/') == row.url.trim_end_matches('/'));
        let new_url = validate_url(url, settings, unchanged && row.bootstrapped)?;
        let keeps_password = req.password.is_none() && row.password_encrypted.is_some();
        if keeps_password && !same_origin_host(&row.url, &new_url) {
            return Err(AppError::bad_request(
                ErrorCode::CredentialsRequired,
                "the URL moves to another host, port or scheme: give the password again in the same request (the stored password is never sent to a new host)",
            ));
        }
        row.url = new_url;
    }
    if let Some(username) = &req.username {
        row.username = non_empty(Some(username)).map(str::to_string);
    }
    if let Some(password) = &req.password {
        row.password_encrypted = non_empty(Some(password))
            .map(|p| cipher.encrypt(p))
            .transpose()?;
    }
    if let Some(pull_host) = &req.pull_host {
        row.pull_host = validate_pull_host(pull_host)?;
    }
    if let Some(v) = req.insecure_tls {
        // Switching certificate checks off exposes the stored password to whoever can intercept
        // the connection: only with the password given again.
        if v && !row.insecure_tls && req.password.is_none() && row.password_encrypted.is_some() {
            return Err(AppError::bad_request(
                ErrorCode::CredentialsRequired,
                "turning TLS verification off: give the password again in the same request",
            ));
        }
        row.insecure_tls = v;
    }
    if let Some(v) = req.read_only {
        row.read_only = v;
    }
    if let Some(service) = &req.token_service {
        row.token_service = validate_token_service(service)?;
    }
    if let Some(patterns) = &req.anonymous_pull {
        row.anonymous_pull = validate_anonymous_pull(patterns)?;
    }
    let mut generated = None;
    if let Some(raw) = &req.events_secret {
        let (hash, secret) = events_secret(raw)?;
        row.events_secret_hash = hash;
        generated = secret;
    }
    let mut detail = None;
    if let Some(v) = req.default_access {
        if v != row.default_access() {
            detail = Some(format!(
                "default access: {} -> {}",
                row.default_access,
                v.as_str()
            ));
        }
        row.default_access = v.as_str().to_string();
    }
    let updated = registries::update(pool, &row)
        .await
        .map_err(|e| match &row.token_service {
            Some(service) if is_unique_violation(&e) => token_service_taken(service),
            _ => e.into(),
        })?;
    if !updated {
        return Err(AppError::registry_not_found(name));
    }
    record(pool, actor, "registry_updated", name, detail.as_deref()).await?;
    Ok(RegistryResponse {
        registry: to_info(&row, None),
        events_secret: generated,
    })
}

pub async fn delete(pool: &Db, actor: &Actor, name: &str) -> AppResult<()> {
    let row = registries::find(pool, name)
        .await?
        .ok_or_else(|| AppError::registry_not_found(name))?;
    if row.bootstrapped {
        return Err(AppError::conflict(
            ErrorCode::RegistryBootstrapped,
            "this registry is configured through REGISTRY_URL and would come back at the next start; change the server's environment instead",
        ));
    }
    if !registries::delete(pool, name).await? {
        return Err(AppError::registry_not_found(name));
    }
    record(pool, actor, "registry_removed", name, None).await
}
