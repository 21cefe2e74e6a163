//! The password policy, defined once for the server (which enforces it) and the SPA (which
//! explains it before a round trip).

use crate::error::ErrorCode;

/// Fewest characters (Unicode scalar values, not bytes: `"€é€"` is three).
pub const MIN_CHARS: usize = 8;
/// bcrypt reads only 72 bytes; longer passwords are refused rather than silently truncated.
pub const MAX_BYTES: usize = 72;

/// One sentence for forms and docs.
pub const DESCRIPTION: &str =
    "At least 8 characters, at most 72 bytes; not the username, not one character repeated.";

/// Why a password is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasswordProblem {
    TooShort,
    TooLong,
    EqualsUsername,
    OneRepeatedCharacter,
}

impl PasswordProblem {
    /// The API error code (`password_too_long` or `weak_password`).
    pub fn code(self) -> ErrorCode {
        match self {
            PasswordProblem::TooLong => ErrorCode::PasswordTooLong,
            _ => ErrorCode::WeakPassword,
        }
    }

    pub fn message(self) -> &'static str {
        match self {
            PasswordProblem::TooShort => "passwords must be at least 8 characters long",
            PasswordProblem::TooLong => "passwords can be at most 72 bytes long",
            PasswordProblem::EqualsUsername => "the password must not be the username",
            PasswordProblem::OneRepeatedCharacter => {
                "the password must not repeat a single character"
            }
        }
    }
}

/// Checks `password` for `username` against the policy.
pub fn check(password: &str, username: &str) -> Result<(), PasswordProblem> {
    if password.len() > MAX_BYTES {
        return Err(PasswordProblem::TooLong);
    }
    if password.chars().count() < MIN_CHARS {
        return Err(PasswordProblem::TooShort);
    }
    if password.eq_ignore_ascii_case(username) {
        return Err(PasswordProblem::EqualsUsername);
    }
    let mut chars = password.chars();
    let first = chars.next();
    if chars.all(|c| Some(c) == first) {
        return Err(PasswordProblem::OneRepeatedCharacter);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn length_is_counted_in_characters_and_capped_in_bytes() {
        // Three characters, eight bytes.
        assert_eq!(check("€é€", "bob"), Err(PasswordProblem::TooShort));
        assert_eq!(check("€é€€é€€é", "bob"), Ok(()));
        assert_eq!(check(&"ab".repeat(36), "bob"), Ok(()));
        assert_eq!(
            check(&format!("{}c", "ab".repeat(36)), "bob"),
            Err(PasswordProblem::TooLong)
        );
        // 25 three-byte characters = 75 bytes.
        assert_eq!(check(&"€".repeat(25), "bob"), Err(PasswordProblem::TooLong));
    }

    #[test]
    fn the_username_and_one_repeated_character_are_refused() {
        assert_eq!(
            check("Alice.Smith", "alice.smith"),
            Err(PasswordProblem::EqualsUsername)
        );
        assert_eq!(
            check("aaaaaaaaaa", "bob"),
            Err(PasswordProblem::OneRepeatedCharacter)
        );
        assert_eq!(
            PasswordProblem::TooLong.code().as_str(),
            "password_too_long"
        );
        assert_eq!(PasswordProblem::TooShort.code().as_str(), "weak_password");
    }
}
