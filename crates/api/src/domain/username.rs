use shared::error::ErrorCode;

use super::InvalidValue;

/// A username: stored and compared lowercase, `[a-z0-9][a-z0-9._-]{1,63}`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Username(String);

impl Username {
    /// Only case is folded: anything else that is not valid (`"abc\n"`, `" abc"`) is refused,
    /// never rewritten into another name.
    pub fn parse(raw: &str) -> Result<Self, InvalidValue> {
        let name = raw.to_ascii_lowercase();
        if Self::is_valid(&name) {
            Ok(Self(name))
        } else {
            Err(InvalidValue::new(
                ErrorCode::InvalidUsername,
                "usernames are 2 to 64 characters: lowercase letters, digits, '.', '_' or '-', starting with a letter or digit",
            ))
        }
    }

    fn is_valid(name: &str) -> bool {
        let bytes = name.as_bytes();
        (2..=64).contains(&bytes.len())
            && bytes[0].is_ascii_alphanumeric()
            && bytes
                .iter()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(b))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for Username {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_are_lowercased() {
        assert_eq!(Username::parse("Alice").unwrap().as_str(), "alice");
    }

    #[test]
    fn valid_usernames_are_accepted() {
        for ok in ["ab", "admin", "jane.doe", "ci_bot-2", &"a".repeat(64)] {
            assert!(Username::parse(ok).is_ok(), "{ok}");
        }
    }

    #[test]
    fn invalid_usernames_are_refused() {
        for bad in [
            "",
            "a",
            ".alice",
            "-bob",
            "al ice",
            "bob/x",
            "ünï",
            "abc\n",
            " abc",
            "abc ",
            &"a".repeat(65),
        ] {
            let err = Username::parse(bad).unwrap_err();
            assert_eq!(err.code(), "invalid_username", "{bad}");
        }
    }
}
