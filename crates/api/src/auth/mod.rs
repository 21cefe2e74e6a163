//! Authentication: passwords, TOTP, backup codes, sessions (JWT) and the sign-in flow.
pub mod account;
pub mod attempts;
pub mod backup_codes;
pub mod client_ip;
pub mod jwt;
pub mod password;
pub mod session;
pub mod sign_in;
pub mod totp;

pub use session::{AuthUser, Credential};

use crate::config::ThrottleSettings;

/// What the sign-in flow and account self-service need, and nothing more: the database, the
/// password hasher, the key of secrets at rest, the session signer, metrics and the throttle
/// limits. Built from the application state by `AppState::auth`.
#[derive(Clone, Copy)]
pub struct AuthServices<'a> {
    pub pool: &'a crate::db::Db,
    pub hasher: &'a password::PasswordHasher,
    pub cipher: &'a crate::crypto::SecretCipher,
    pub jwt: &'a jwt::JwtKeys,
    pub metrics: &'a crate::metrics::Metrics,
    pub throttle: ThrottleSettings,
    /// `TOKEN_MAX_DAYS`.
    pub token_max_days: i64,
}

/// A random URL-safe token of `bytes` random bytes (CSPRNG).
pub fn random_token(bytes: usize) -> String {
    use base64::Engine as _;
    use rand::RngCore as _;
    let mut buf = vec![0u8; bytes];
    rand::rngs::OsRng.fill_bytes(&mut buf);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(buf)
}

/// Hex SHA-256, used to store high-entropy tokens and codes.
pub fn sha256_hex(input: &str) -> String {
    use sha2::Digest as _;
    hex::encode(sha2::Sha256::digest(input.as_bytes()))
}
