//! Repository names, tags and digests per the OCI distribution grammar. They are checked
//! before any registry URL is built, so `..`, `?`, `#` or encoded slashes never reach upstream.
use shared::error::ErrorCode;

use super::InvalidValue;

/// `[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*`, at most 255 bytes.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RepositoryName(String);

impl RepositoryName {
    pub const MAX_LEN: usize = 255;

    pub fn is_valid(raw: &str) -> bool {
        raw.len() <= Self::MAX_LEN && raw.split('/').all(is_path_component)
    }

    pub fn parse(raw: &str) -> Result<Self, InvalidValue> {
        if Self::is_valid(raw) {
            Ok(Self(raw.to_string()))
        } else {
            Err(InvalidValue::new(
                ErrorCode::InvalidName,
                format!(
                    "{:?} is not a valid repository name: lowercase letters and digits, separated by '.', '_', '__', '-' or '/'",
                    truncate(raw)
                ),
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Everything before the last `/`, if any.
    pub fn namespace(&self) -> Option<&str> {
        self.0.rsplit_once('/').map(|(ns, _)| ns)
    }
}

pub(super) fn is_path_component(c: &str) -> bool {
    let b = c.as_bytes();
    if b.is_empty() || !is_alnum(b[0]) || !is_alnum(b[b.len() - 1]) {
        return false;
    }
    let mut i = 0;
    while i < b.len() {
        if is_alnum(b[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < b.len() && !is_alnum(b[i]) {
            i += 1;
        }
        let sep = &b[start..i];
        let ok = sep == b"." || sep == b"_" || sep == b"__" || sep.iter().all(|&x| x == b'-');
        if !ok {
            return false;
        }
    }
    true
}

fn is_alnum(b: u8) -> bool {
    b.is_ascii_lowercase() || b.is_ascii_digit()
}

fn truncate(s: &str) -> String {
    s.chars().take(80).collect()
}

impl std::fmt::Display for RepositoryName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// `[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}`
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Tag(String);

impl Tag {
    pub fn parse(raw: &str) -> Result<Self, InvalidValue> {
        if Self::is_valid(raw) {
            Ok(Self(raw.to_string()))
        } else {
            Err(InvalidValue::new(
                ErrorCode::InvalidTag,
                format!(
                    "{:?} is not a valid tag: up to 128 letters, digits, '_', '.' or '-', not starting with '.' or '-'",
                    truncate(raw)
                ),
            ))
        }
    }

    pub fn is_valid(raw: &str) -> bool {
        let b = raw.as_bytes();
        (1..=128).contains(&b.len())
            && (b[0].is_ascii_alphanumeric() || b[0] == b'_')
            && b.iter()
                .all(|&c| c.is_ascii_alphanumeric() || c == b'_' || c == b'.' || c == b'-')
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for Tag {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// `algorithm:hex` with one of the algorithms registries implement (sha256, sha384, sha512) and
/// exactly its length of lowercase hex. The OCI grammar allows other algorithms, but the
/// distribution registry answers them with 400 or even 500, so they are refused up front.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Digest(String);

impl Digest {
    pub fn parse(raw: &str) -> Result<Self, InvalidValue> {
        if Self::is_valid(raw) {
            Ok(Self(raw.to_string()))
        } else {
            Err(InvalidValue::new(
                ErrorCode::InvalidDigest,
                format!(
                    "{:?} is not a valid digest (expected sha256:, sha384: or sha512: and that many lowercase hex digits)",
                    truncate(raw)
                ),
            ))
        }
    }

    pub fn is_valid(raw: &str) -> bool {
        let Some((algorithm, encoded)) = raw.split_once(':') else {
            return false;
        };
        let hex_of = |len: usize| {
            encoded.len() == len
                && encoded
                    .bytes()
                    .all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(&c))
        };
        match algorithm {
            "sha256" => hex_of(64),
            "sha384" => hex_of(96),
            "sha512" => hex_of(128),
            _ => false,
        }
    }

    /// The sha256 digest of `bytes`.
    pub fn sha256_of(bytes: &[u8]) -> Self {
        use sha2::Digest as _;
        Self(format!(
            "sha256:{}",
            hex::encode(sha2::Sha256::digest(bytes))
        ))
    }

    /// Whether `bytes` hash to this digest; `None` when the algorithm is not one we can check.
    pub fn verify(&self, bytes: &[u8]) -> Option<bool> {
        use sha2::Digest as _;
        let (algorithm, encoded) = self.0.split_once(':')?;
        match algorithm {
            "sha256" => Some(hex::encode(sha2::Sha256::digest(bytes)) == encoded),
            "sha384" => Some(hex::encode(sha2::Sha384::digest(bytes)) == encoded),
            "sha512" => Some(hex::encode(sha2::Sha512::digest(bytes)) == encoded),
            _ => None,
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for Digest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// What a manifest is asked for by: a tag or a digest.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Reference {
    Tag(Tag),
    Digest(Digest),
}

impl Reference {
    pub fn parse(raw: &str) -> Result<Self, InvalidValue> {
        if raw.contains(':') {
            Digest::parse(raw).map(Reference::Digest)
        } else {
            Tag::parse(raw).map(Reference::Tag)
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            Reference::Tag(t) => t.as_str(),
            Reference::Digest(d) => d.as_str(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repository_names_at_any_depth_are_accepted() {
        for ok in [
            "alpine",
            "library/alpine",
            "team/app",
            "a/b/c/deep",
            "my.app_name-x",
            "a__b",
            "a---b",
            "0",
        ] {
            assert!(RepositoryName::parse(ok).is_ok(), "{ok}");
        }
    }

    #[test]
    fn hostile_repository_names_are_refused() {
        for bad in [
            "", "..", "a/../b", "a/./b", "Alpine", "-a", "a-", "a_", "a___b", "a._b", "a//b", "/a",
            "a/", "a?b", "a#b", "a%2Fb", "a b", "a\\b",
        ] {
            assert_eq!(
                RepositoryName::parse(bad).unwrap_err().code(),
                "invalid_name",
                "{bad:?}"
            );
        }
        assert!(RepositoryName::parse(&"a".repeat(256)).is_err());
    }

    #[test]
    fn namespace_is_everything_before_the_last_slash() {
        let name = RepositoryName::parse("a/b/c/deep").unwrap();
        assert_eq!(name.namespace(), Some("a/b/c"));
        assert_eq!(RepositoryName::parse("x").unwrap().namespace(), None);
    }

    #[test]
    fn tags_follow_the_grammar() {
        for ok in ["latest", "v1.2.3", "_x", "A-b_c.d", &"a".repeat(128)] {
            assert!(Tag::parse(ok).is_ok(), "{ok}");
        }
        for bad in ["", ".x", "-x", "a/b", "a:b", "a?b", &"a".repeat(129)] {
            assert_eq!(Tag::parse(bad).unwrap_err().code(), "invalid_tag", "{bad}");
        }
    }

    #[test]
    fn digests_follow_the_grammar() {
        let hex = "a".repeat(64);
        assert!(Digest::parse(&format!("sha256:{hex}")).is_ok());
        assert!(Digest::parse(&format!("sha512:{}", "0".repeat(128))).is_ok());
        assert!(Digest::parse(&format!("sha384:{}", "f".repeat(96))).is_ok());
        for bad in [
            "multihash+base58:QmRZxt2b1FVZPNqd8hsiykDL3TdBDeTSPX9Kv46HmX4Gx8".to_string(),
            format!("0:{}", "0".repeat(32)),
            format!("sha384:{}", "f".repeat(64)),
            "sha256:".to_string(),
            format!("sha256:{}", "A".repeat(64)),
            format!("sha256:{}", "a".repeat(63)),
            "sha256".to_string(),
            ":abc".to_string(),
            "sha256:../../x".to_string(),
        ] {
            assert_eq!(
                Digest::parse(&bad).unwrap_err().code(),
                "invalid_digest",
                "{bad}"
            );
        }
    }

    #[test]
    fn digest_verification_detects_tampering() {
        let d = Digest::sha256_of(b"hello");
        assert_eq!(d.verify(b"hello"), Some(true));
        assert_eq!(d.verify(b"hellO"), Some(false));
    }

    #[test]
    fn references_are_tags_or_digests() {
        assert!(matches!(
            Reference::parse("latest").unwrap(),
            Reference::Tag(_)
        ));
        let d = format!("sha256:{}", "b".repeat(64));
        assert!(matches!(
            Reference::parse(&d).unwrap(),
            Reference::Digest(_)
        ));
        assert_eq!(
            Reference::parse("sha256:zz").unwrap_err().code(),
            "invalid_digest"
        );
    }
}
