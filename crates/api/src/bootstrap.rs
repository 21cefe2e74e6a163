//! What start-up puts in place: the first admin, the JWT secret and the configured registry.
use crate::db::Db;

use crate::auth::password::PasswordHasher;
use crate::config::{BootstrapRegistry, DEFAULT_ADMIN_PASSWORD};
use crate::crypto::SecretCipher;
use crate::secret::Secret;
use crate::storage::{backup_codes, registries, settings, users};

/// Where versions before encryption at rest kept the generated secret, in clear.
const CLEAR_JWT_SECRET_KEY: &str = "jwt_secret";
const JWT_SECRET_KEY: &str = "jwt_secret_encrypted";
/// The hash key of the database `migrate-db` copied from, when it differs (encrypted).
pub const LEGACY_HASH_KEY: &str = "legacy_hash_key_encrypted";

/// Gives `cipher` the legacy hash key `migrate-db` left, so backup codes made before the
/// migration keep working.
pub async fn load_legacy_hash_key(pool: &Db, cipher: &mut SecretCipher) -> anyhow::Result<()> {
    if let Some(stored) = settings::get(pool, LEGACY_HASH_KEY).await? {
        let bytes = hex::decode(cipher.decrypt(&stored)?)?;
        let key: [u8; 32] = bytes
            .try_into()
            .map_err(|_| anyhow::anyhow!("{LEGACY_HASH_KEY} does not hold a 32-byte key"))?;
        cipher.set_legacy_hash_key(key);
    }
    Ok(())
}

/// With no users at all, creates `admin` with `password`. Flags it for a forced change when the
/// password is the built-in default.
pub async fn ensure_first_admin(
    pool: &Db,
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

/// Warns while an admin's password is the built-in default (not merely flagged for a change:
/// an admin-set password also forces a change, and that is no reason to warn).
/// Returns whether it warned.
pub async fn warn_about_default_password(
    pool: &Db,
    hasher: &PasswordHasher,
) -> anyhow::Result<bool> {
    let hashes: Vec<String> = sqlx::query_scalar(
        "SELECT password_hash FROM users WHERE role = 'admin' AND must_change_password = 1",
    )
    .fetch_all(pool)
    .await?;
    for hash in hashes {
        if hasher.verify(DEFAULT_ADMIN_PASSWORD, Some(&hash)).await? {
            tracing::warn!(
                "an administrator account still uses the default password {DEFAULT_ADMIN_PASSWORD:?}: \
                 sign in and change it now (set ADMIN_PASSWORD before the first start to avoid this)"
            );
            return Ok(true);
        }
    }
    Ok(false)
}

/// The HS256 secret: `JWT_SECRET` when set, else one generated once (48 random bytes) and kept
/// encrypted in the settings table, so restarts and replicas share it and a copy of the database
/// alone cannot sign a token. A clear secret left by an older version is discarded (a new one is
/// generated): it may sit in old copies of the database.
pub async fn jwt_secret(
    pool: &Db,
    cipher: &SecretCipher,
    configured: Option<&Secret>,
) -> anyhow::Result<Secret> {
    if settings::delete(pool, CLEAR_JWT_SECRET_KEY).await? {
        tracing::info!("discarded the JWT secret stored in clear by an older version");
    }
    if let Some(secret) = configured {
        return Ok(secret.clone());
    }
    let generated = cipher.encrypt(&crate::auth::random_token(48))?;
    let stored = settings::get_or_insert(pool, JWT_SECRET_KEY, &generated).await?;
    Ok(Secret::new(cipher.decrypt(&stored)?))
}

/// Encrypts the TOTP secrets and wraps the backup-code hashes that older versions stored in
/// clear, in one transaction, then checkpoints the WAL so the clear values leave it too. Old
/// backup codes keep working (see `auth::backup_codes`).
pub async fn protect_secrets(pool: &Db, cipher: &SecretCipher) -> anyhow::Result<()> {
    // A write first takes the write lock (waiting for a busy server): a deferred transaction
    // that read first could fail at once with SQLITE_BUSY when it tried to write. Replicas
    // starting together on PostgreSQL take turns.
    let mut tx = pool.begin_serialized("protect_secrets").await?;
    let clear = users::with_clear_totp_secret(&mut tx).await?;
    for (id, secret) in &clear {
        users::store_encrypted_totp_secret(&mut tx, *id, &cipher.encrypt(secret)?).await?;
    }
    let unkeyed = backup_codes::unkeyed(&mut tx).await?;
    for row in &unkeyed {
        backup_codes::store_keyed(
            &mut tx,
            row.id,
            &crate::auth::backup_codes::wrap(cipher, &row.code_hash),
        )
        .await?;
    }
    tx.commit().await?;
    if !clear.is_empty() || !unkeyed.is_empty() {
        if pool.backend() == crate::db::Backend::Sqlite {
            sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
                .execute(pool)
                .await?;
        }
        tracing::info!(
            totp_secrets = clear.len(),
            backup_codes = unkeyed.len(),
            "encrypted secrets stored in clear by an older version"
        );
    }
    Ok(())
}

/// Creates or updates the registry configured through `REGISTRY_*`.
pub async fn bootstrap_registry(
    pool: &Db,
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
            // Only for a new row: an existing one keeps what an admin chose.
            default_access: "role",
            token_service: None,
            anonymous_pull: "",
            events_secret_hash: None,
            created_by: None,
        },
    )
    .await?;
    Ok(())
}

/// One encrypted value of the database, to check that a key fits it (`restore`). A backup
/// from an older version may lack some of the tables or columns: those are skipped.
pub async fn encrypted_sample(pool: &Db) -> Result<Option<String>, sqlx::Error> {
    let queries = [
        "SELECT value FROM settings WHERE key = 'jwt_secret_encrypted'",
        "SELECT totp_secret_encrypted FROM users WHERE totp_secret_encrypted IS NOT NULL LIMIT 1",
        "SELECT password_encrypted FROM registries WHERE password_encrypted IS NOT NULL LIMIT 1",
    ];
    for query in queries {
        if let Ok(Some(value)) = sqlx::query_scalar::<_, String>(query)
            .fetch_optional(pool)
            .await
        {
            return Ok(Some(value));
        }
    }
    Ok(None)
}

const REGISTRY_TOKEN_KEY: &str = "registry_token_key_encrypted";

/// The registry token signing key and certificate: generated at the first start, stored in
/// the database encrypted under the secret key (so every replica signs with the same key), and
/// never returned. Concurrent first starts keep whichever pair was stored first.
pub async fn registry_token_signer(
    pool: &Db,
    cipher: &SecretCipher,
    issuer: &str,
    ttl_secs: i64,
) -> anyhow::Result<crate::registry::signer::TokenSigner> {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD;
    let stored = match settings::get(pool, REGISTRY_TOKEN_KEY).await? {
        Some(value) => value,
        None => {
            let (key, cert) =
                tokio::task::spawn_blocking(crate::registry::signer::generate).await??;
            let fresh = cipher.encrypt(&format!("{}.{}", b64.encode(&key), b64.encode(&cert)))?;
            settings::get_or_insert(pool, REGISTRY_TOKEN_KEY, &fresh).await?
        }
    };
    let clear = cipher.decrypt(&stored)?;
    let (key, cert) = clear
        .split_once('.')
        .ok_or_else(|| anyhow::anyhow!("the stored registry token key is malformed"))?;
    crate::registry::signer::TokenSigner::new(
        &b64.decode(key)?,
        &b64.decode(cert)?,
        issuer,
        ttl_secs,
    )
}
