use shared::error::ErrorCode;

use super::InvalidValue;

/// The name of a configured registry: a slug used in URLs, `[a-z0-9][a-z0-9-]{0,62}`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RegistryName(String);

impl RegistryName {
    pub fn parse(raw: &str) -> Result<Self, InvalidValue> {
        if Self::is_valid(raw) {
            Ok(Self(raw.to_string()))
        } else {
            Err(InvalidValue::new(
                ErrorCode::InvalidRegistryName,
                "registry names are 1 to 63 characters: lowercase letters, digits and '-', starting with a letter or digit",
            ))
        }
    }

    pub fn is_valid(name: &str) -> bool {
        let b = name.as_bytes();
        (1..=63).contains(&b.len())
            && b[0].is_ascii_alphanumeric()
            && !b[0].is_ascii_uppercase()
            && b.iter()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for RegistryName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_accepted() {
        for ok in ["default", "a", "prod-eu-1", "0x"] {
            assert!(RegistryName::parse(ok).is_ok(), "{ok}");
        }
    }

    #[test]
    fn anything_else_is_refused() {
        for bad in ["", "-x", "Prod", "a_b", "a/b", "a.b", &"a".repeat(64)] {
            assert_eq!(
                RegistryName::parse(bad).unwrap_err().code(),
                "invalid_registry_name",
                "{bad}"
            );
        }
    }
}
