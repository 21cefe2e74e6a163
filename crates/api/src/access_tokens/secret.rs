//! Token secrets: `rgp_` and 32 base62 characters from the OS CSPRNG (32 × log2 62 ≈ 190 bits).
use rand::distributions::Alphanumeric;
use rand::Rng as _;
use shared::tokens::TOKEN_PREFIX;

/// Characters after `rgp_`.
pub const SECRET_CHARS: usize = 32;
/// Characters after `rgp_` kept in clear as the visible prefix.
pub const PREFIX_CHARS: usize = 8;

/// A fresh secret and its visible prefix.
pub fn generate() -> (String, String) {
    let body: String = rand::rngs::OsRng
        .sample_iter(&Alphanumeric)
        .take(SECRET_CHARS)
        .map(char::from)
        .collect();
    let prefix = body[..PREFIX_CHARS].to_string();
    (format!("{TOKEN_PREFIX}{body}"), prefix)
}

/// Whether `secret` has the form of a token this server issues (checked before any lookup).
pub fn well_formed(secret: &str) -> bool {
    secret.strip_prefix(TOKEN_PREFIX).is_some_and(|body| {
        body.len() == SECRET_CHARS && body.bytes().all(|b| b.is_ascii_alphanumeric())
    })
}

/// What is stored: the hex SHA-256 of the whole secret. A slow hash would buy nothing against a
/// 190-bit secret and would cost every request milliseconds.
pub fn hash(secret: &str) -> String {
    crate::auth::sha256_hex(secret)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_prefixed_base62_with_190_bits() {
        let (secret, prefix) = generate();
        assert!(well_formed(&secret), "{secret}");
        assert_eq!(&secret[4..12], prefix);
        assert_eq!(secret.len(), 4 + SECRET_CHARS);
        assert!((SECRET_CHARS as f64) * 62f64.log2() >= 160.0);
        assert_ne!(generate().0, secret);
    }

    #[test]
    fn malformed_secrets_are_refused_before_lookup() {
        assert!(!well_formed("rgp_short"));
        assert!(!well_formed(&format!("xyz_{}", "a".repeat(SECRET_CHARS))));
        assert!(!well_formed(&format!(
            "rgp_{}!",
            "a".repeat(SECRET_CHARS - 1)
        )));
        assert!(well_formed(&format!("rgp_{}", "a".repeat(SECRET_CHARS))));
    }

    #[test]
    fn the_hash_is_sha256_hex_and_not_the_secret() {
        let (secret, _) = generate();
        let h = hash(&secret);
        assert_eq!(h.len(), 64);
        assert!(!h.contains(&secret[4..]));
    }
}
