//! What start-up puts in place: the first admin, the JWT secret and the configured registry.
use sqlx::SqlitePool;

use crate::auth::password::PasswordHasher;
use crate::config::{BootstrapRegistry, DEFAULT_ADMIN_PASSWORD};
use crate::crypto::SecretCipher;
use crate::secret::Secret;
use crate::storage::{registries, settings, users};

const JWT_SECRET_KEY: &str = "jwt_secret";

/// With no users at all, creates `admin` with `password`. Flags it for a forced change when the
/// password is the built-in default.
pub async fn ensure_first_admin(
    pool: &SqlitePool,
    hasher: &PasswordHasher,
    password: &Secret,
) -> anyhow::Result<()> {
    if users::count(pool).await? > 0 {
        return Ok(());
    }
    let hash = hasher.hash(password.expose()).await?;
    let is_default = password.expose() == DEFAULT_ADMIN_PASSWORD;
    let created = users::insert(
        pool,
        users::NewUser {
            username: "admin",
            password_hash: &hash,
            role: shared::auth::Role::Admin,
            must_change_password: is_default,
        },
    )
    .await?;
    if created.is_some() {
        tracing::info!("created the first administrator account \"admin\"");
    }
    Ok(())
}

/// Warns while an admin still signs in with the built-in default password.
pub async fn warn_about_default_password(pool: &SqlitePool) -> anyhow::Result<()> {
    let pending: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM users WHERE role = 'admin' AND must_change_password = 1",
    )
    .fetch_one(pool)
    .await?;
    if pending > 0 {
        tracing::warn!(
            "an administrator account still uses the default password {DEFAULT_ADMIN_PASSWORD:?}: \
             sign in and change it now (set ADMIN_PASSWORD before the first start to avoid this)"
        );
    }
    Ok(())
}

/// The HS256 secret: `JWT_SECRET` when set, else one generated once (48 random bytes) and kept
/// in the settings table so restarts keep sessions valid.
pub async fn jwt_secret(pool: &SqlitePool, configured: Option<&Secret>) -> anyhow::Result<Secret> {
    if let Some(secret) = configured {
        return Ok(secret.clone());
    }
    let generated = crate::auth::random_token(48);
    let stored = settings::get_or_insert(pool, JWT_SECRET_KEY, &generated).await?;
    Ok(Secret::new(stored))
}

/// Creates or updates the registry configured through `REGISTRY_*`.
pub async fn bootstrap_registry(
    pool: &SqlitePool,
    cipher: &SecretCipher,
    registry: &BootstrapRegistry,
) -> anyhow::Result<()> {
    let encrypted = registry
        .password
        .as_ref()
        .map(|p| cipher.encrypt(p.expose()))
        .transpose()?;
    let url = registry.url.as_str().trim_end_matches('/').to_string();
    registries::upsert_bootstrapped(
        pool,
        registries::NewRegistry {
            name: &registry.name,
            url: &url,
            username: registry.username.as_deref(),
            password_encrypted: encrypted.as_deref(),
            pull_host: registry.pull_host.as_deref(),
            insecure_tls: false,
            read_only: false,
            created_by: None,
        },
    )
    .await?;
    Ok(())
}
