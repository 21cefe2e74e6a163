use shared::password_policy;

use super::InvalidValue;

/// bcrypt ignores what follows 72 bytes, so longer passwords are refused, never truncated.
pub const MAX_BYTES: usize = password_policy::MAX_BYTES;

/// A password that satisfies the policy of `shared::password_policy`.
pub struct Password(String);

impl Password {
    pub fn parse(raw: &str, username: &str) -> Result<Self, InvalidValue> {
        password_policy::check(raw, username)
            .map_err(|problem| InvalidValue::new(problem.code(), problem.message()))?;
        Ok(Self(raw.to_string()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password([redacted])")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seventy_two_bytes_are_accepted_and_seventy_three_refused() {
        assert!(Password::parse(&"ab".repeat(36), "alice").is_ok());
        let err = Password::parse(&format!("{}c", "ab".repeat(36)), "alice").unwrap_err();
        assert_eq!(err.code(), "password_too_long");
    }

    #[test]
    fn the_minimum_counts_characters_not_bytes() {
        // Three characters in eight bytes: too short.
        let err = Password::parse("€é€", "alice").unwrap_err();
        assert_eq!(err.code(), "weak_password");
        assert!(Password::parse("€é€€é€€é", "alice").is_ok());
    }

    #[test]
    fn short_passwords_and_the_username_are_refused() {
        assert_eq!(
            Password::parse("short", "alice").unwrap_err().code(),
            "weak_password"
        );
        assert_eq!(
            Password::parse("alice.smith", "Alice.Smith")
                .unwrap_err()
                .code(),
            "weak_password"
        );
        assert_eq!(
            Password::parse("aaaaaaaaaa", "bob").unwrap_err().code(),
            "weak_password"
        );
    }
}
