//! Backup codes: 10 single-use codes of 60 random bits each, like `k7pm-x3qa-9fzd`.
//!
//! They are stored as keyed hashes: HMAC-SHA256, under a key derived from the server's secret
//! key, of the code's SHA-256. At 60 bits of entropy a fast hash is not the weak point and
//! verifying stays cheap (bcrypt over 10 codes would cost seconds); the key means a copy of the
//! database alone does not let anyone test guesses offline. Hashing the SHA-256 (not the code)
//! lets start-up wrap the plain SHA-256 hashes of older databases in place.

use crate::crypto::SecretCipher;

pub const COUNT: usize = 10;
const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789"; // 31 symbols minus look-alikes
const GROUPS: usize = 3;
const GROUP_LEN: usize = 4;

/// A fresh set of codes, in the form shown to the user.
pub fn generate() -> Vec<String> {
    use rand::Rng as _;
    let mut rng = rand::rngs::OsRng;
    (0..COUNT)
        .map(|_| {
            (0..GROUPS)
                .map(|_| {
                    (0..GROUP_LEN)
                        .map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char)
                        .collect::<String>()
                })
                .collect::<Vec<_>>()
                .join("-")
        })
        .collect()
}

/// Lowercases and drops separators so `K7PM X3QA 9FZD` matches `k7pm-x3qa-9fzd`.
pub fn normalize(code: &str) -> String {
    code.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// Whether `code` has the shape of a backup code (as opposed to a TOTP code).
pub fn looks_like_backup_code(code: &str) -> bool {
    let n = normalize(code);
    n.len() == GROUPS * GROUP_LEN && n.bytes().all(|b| ALPHABET.contains(&b))
}

/// The plain SHA-256 that older databases stored.
pub fn unkeyed_hash(code: &str) -> String {
    super::sha256_hex(&normalize(code))
}

/// What is stored: the keyed hash of [`unkeyed_hash`].
pub fn hash(cipher: &SecretCipher, code: &str) -> String {
    wrap(cipher, &unkeyed_hash(code))
}

/// The keyed hash under the key of the database `migrate-db` came from, if it left one.
pub fn legacy_hash(cipher: &SecretCipher, code: &str) -> Option<String> {
    cipher.legacy_keyed_hash(&unkeyed_hash(code))
}

/// Turns a stored plain SHA-256 into the keyed hash of the same code.
pub fn wrap(cipher: &SecretCipher, unkeyed: &str) -> String {
    cipher.keyed_hash(unkeyed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ten_distinct_codes_with_enough_entropy_are_generated() {
        let codes = generate();
        assert_eq!(codes.len(), 10);
        let unique: std::collections::HashSet<_> = codes.iter().collect();
        assert_eq!(unique.len(), 10);
        // 12 symbols from 31: 12 * log2(31) ≈ 59.4 bits.
        let bits = (GROUPS * GROUP_LEN) as f64 * (ALPHABET.len() as f64).log2();
        assert!(bits >= 50.0);
        assert!(codes.iter().all(|c| looks_like_backup_code(c)));
    }

    #[test]
    fn codes_match_regardless_of_case_and_separators() {
        let c = SecretCipher::from_key(&[3u8; 32]);
        assert_eq!(hash(&c, "k7pm-x3qa-9fzd"), hash(&c, "K7PM X3QA 9FZD"));
        assert_ne!(hash(&c, "k7pm-x3qa-9fzd"), hash(&c, "k7pm-x3qa-9fze"));
    }

    #[test]
    fn a_wrapped_old_hash_equals_the_keyed_hash_of_the_code() {
        let c = SecretCipher::from_key(&[3u8; 32]);
        let old = unkeyed_hash("k7pm-x3qa-9fzd");
        assert_eq!(wrap(&c, &old), hash(&c, "k7pm-x3qa-9fzd"));
        assert_ne!(hash(&c, "k7pm-x3qa-9fzd"), old);
        let other = SecretCipher::from_key(&[4u8; 32]);
        assert_ne!(hash(&other, "k7pm-x3qa-9fzd"), hash(&c, "k7pm-x3qa-9fzd"));
    }

    #[test]
    fn totp_codes_do_not_look_like_backup_codes() {
        assert!(!looks_like_backup_code("123456"));
    }
}
