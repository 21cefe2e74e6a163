//! Backup codes: 10 single-use codes of 60 random bits each, like `k7pm-x3qa-9fzd`.
//!
//! They are stored as SHA-256 hashes: at 60 bits of entropy a fast hash is not the weak
//! point, and verifying a code stays cheap (bcrypt over 10 codes would cost seconds).

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

pub fn hash(code: &str) -> String {
    super::sha256_hex(&normalize(code))
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
        assert_eq!(hash("k7pm-x3qa-9fzd"), hash("K7PM X3QA 9FZD"));
        assert_ne!(hash("k7pm-x3qa-9fzd"), hash("k7pm-x3qa-9fze"));
    }

    #[test]
    fn totp_codes_do_not_look_like_backup_codes() {
        assert!(!looks_like_backup_code("123456"));
    }
}
