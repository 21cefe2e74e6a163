use crate::error::AppError;

/// A password that satisfies the policy: 8 to 72 bytes (bcrypt ignores what follows 72 bytes,
/// so longer ones are refused rather than silently truncated) and not the username.
pub struct Password(String);

impl Password {
    pub const MIN_BYTES: usize = 8;
    pub const MAX_BYTES: usize = 72;

    pub fn parse(raw: &str, username: &str) -> Result<Self, AppError> {
        if raw.len() > Self::MAX_BYTES {
            return Err(AppError::bad_request(
                "password_too_long",
                "passwords can be at most 72 bytes long",
            ));
        }
        if raw.len() < Self::MIN_BYTES {
            return Err(AppError::bad_request(
                "weak_password",
                "passwords must be at least 8 characters long",
            ));
        }
        if raw.eq_ignore_ascii_case(username) {
            return Err(AppError::bad_request(
                "weak_password",
                "the password must not be the username",
            ));
        }
        if raw
            .chars()
            .all(|c| c == raw.chars().next().unwrap_or_default())
        {
            return Err(AppError::bad_request(
                "weak_password",
                "the password must not repeat a single character",
            ));
        }
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
    fn multibyte_characters_count_as_bytes() {
        // 25 three-byte characters = 75 bytes.
        let err = Password::parse(&"€".repeat(25), "alice").unwrap_err();
        assert_eq!(err.code(), "password_too_long");
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
