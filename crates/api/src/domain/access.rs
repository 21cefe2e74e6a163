//! Repository access: grant patterns and the one rule that turns a role, a registry's default
//! and a user's grants into what they may do in a repository. Pure logic, no I/O: the
//! `permissions` service loads the inputs once per request, everything asks [`Access`].
use shared::error::ErrorCode;
use shared::permissions::AccessLevel;

use super::oci_names::is_path_component;
use super::{InvalidValue, RepositoryName};

/// A grant pattern: a repository name whose segments may be `*` (exactly one segment) and
/// whose last segment may be `**` (one or more segments).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepositoryPattern {
    text: String,
    /// Bytes of `text` before the first wildcard segment, without its `/`: the literal prefix
    /// every matching name starts with.
    prefix_len: usize,
    exact: bool,
}

impl RepositoryPattern {
    pub fn parse(raw: &str) -> Result<Self, InvalidValue> {
        Self::parse_owned(raw.to_string())
    }

    /// [`Self::parse`] keeping the string it is given (no copy: grants are parsed per request).
    pub fn parse_owned(raw: String) -> Result<Self, InvalidValue> {
        let invalid = || {
            InvalidValue::new(
                ErrorCode::InvalidPattern,
                format!(
                    "{:?} is not a valid pattern: a repository name whose segments may be `*` (one segment) and whose last segment may be `**` (one or more)",
                    raw.chars().take(80).collect::<String>()
                ),
            )
        };
        if raw.is_empty() || raw.len() > RepositoryName::MAX_LEN {
            return Err(invalid());
        }
        let count = raw.split('/').count();
        let raw_len = raw.len();
        let mut prefix_len: Option<usize> = None;
        let mut offset = 0;
        for (i, part) in raw.split('/').enumerate() {
            match part {
                "**" if i == count - 1 => {}
                "*" => {}
                p if is_path_component(p) => {
                    offset += p.len() + 1;
                    continue;
                }
                _ => return Err(invalid()),
            }
            prefix_len.get_or_insert(offset.saturating_sub(1));
            offset += part.len() + 1;
        }
        Ok(Self {
            prefix_len: prefix_len.unwrap_or(raw_len),
            exact: prefix_len.is_none(),
            text: raw,
        })
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }

    pub fn matches(&self, name: &str) -> bool {
        // One definition of matching, shared with the SPA.
        shared::permissions::pattern_matches(&self.text, name)
    }

    /// The literal segments before the first wildcard (`team-a/x` of `team-a/x/*`), or `None`
    /// when the pattern starts with one.
    fn literal_prefix(&self) -> Option<&str> {
        (self.prefix_len > 0).then(|| &self.text[..self.prefix_len])
    }

    /// Whether the pattern is a plain repository name (no wildcard).
    fn is_exact(&self) -> bool {
        self.exact
    }
}

impl std::fmt::Display for RepositoryPattern {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)
    }
}

/// What one caller may do in the repositories of one registry, for one request.
#[derive(Debug, Clone)]
pub struct Access {
    /// From the role: administrators `write` everywhere; others their role level when the
    /// registry's default access is `role`, nothing when it is `none`.
    base: Option<AccessLevel>,
    grants: Vec<(RepositoryPattern, AccessLevel)>,
    /// The credential's ceiling: `write` for a session, the scope for an access token.
    cap: AccessLevel,
}

impl Access {
    pub fn new(
        base: Option<AccessLevel>,
        grants: Vec<(RepositoryPattern, AccessLevel)>,
        cap: AccessLevel,
    ) -> Self {
        Self { base, grants, cap }
    }

    /// The highest of the base and every matching grant, capped by the credential; `None` when
    /// the repository is not even readable.
    pub fn level(&self, repository: &str) -> Option<AccessLevel> {
        let granted = self
            .grants
            .iter()
            .filter(|(p, _)| p.matches(repository))
            .map(|(_, level)| *level)
            .max();
        self.base.max(granted).map(|level| level.min(self.cap))
    }

    pub fn can_read(&self, repository: &str) -> bool {
        self.level(repository).is_some()
    }

    /// Whether the registry exists for the caller at all: some base access or some grant.
    pub fn sees_registry(&self) -> bool {
        self.base.is_some() || !self.grants.is_empty()
    }

    /// Whether every repository is readable (no filtering needed).
    pub fn reads_everything(&self) -> bool {
        self.base.is_some()
    }

    /// The readable names of a sorted, deduplicated catalog, in order. Patterns with a literal
    /// prefix only look at the names that start with it (two binary searches, no allocation), so
    /// 50 grants over 10,000 names cost a few hundred comparisons, not half a million.
    pub fn readable<'a>(&self, sorted: &'a [String]) -> Vec<&'a String> {
        if self.reads_everything() {
            return sorted.iter().collect();
        }
        let mut found: Vec<usize> = Vec::new();
        for (pattern, _) in &self.grants {
            let candidates = match pattern.literal_prefix() {
                None => 0..sorted.len(),
                Some(prefix) => {
                    // Every match starts with the prefix, and those names sort together.
                    let start = sorted.partition_point(|n| n.as_str() < prefix);
                    let end = if pattern.is_exact() {
                        start + usize::from(sorted.get(start).is_some_and(|n| n == prefix))
                    } else {
                        sorted.partition_point(|n| n.as_str() < prefix || n.starts_with(prefix))
                    };
                    start..end.max(start)
                }
            };
            found.extend(candidates.filter(|&i| pattern.matches(&sorted[i])));
        }
        // Index order is name order; several patterns may find one name.
        found.sort_unstable();
        found.dedup();
        found.into_iter().map(|i| &sorted[i]).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use AccessLevel::{Read, Write};

    fn p(s: &str) -> RepositoryPattern {
        RepositoryPattern::parse(s).unwrap()
    }

    #[test]
    fn the_pattern_examples_of_the_contract() {
        assert!(p("team-a").matches("team-a"));
        assert!(!p("team-a").matches("team-a/x"));
        assert!(p("team-a/*").matches("team-a/x"));
        assert!(!p("team-a/*").matches("team-a/x/y"));
        assert!(!p("team-a/*").matches("team-a"));
        assert!(p("team-a/**").matches("team-a/x"));
        assert!(p("team-a/**").matches("team-a/x/y"));
        assert!(!p("team-a/**").matches("team-a"));
        assert!(!p("team-a/**").matches("team-ab/x"));
        assert!(p("*/app").matches("x/app"));
        assert!(!p("*/app").matches("app"));
        assert!(!p("*/app").matches("x/y/app"));
        assert!(p("*").matches("alpine"));
        assert!(!p("*").matches("library/alpine"));
        assert!(p("**").matches("alpine"));
        assert!(p("**").matches("a/b/c"));
    }

    #[test]
    fn anything_else_is_an_invalid_pattern() {
        for bad in [
            "",
            "/",
            "team-a/",
            "/team-a",
            "Team",
            "team a",
            "team-a/**/x",
            "**/x",
            "***",
            "te*m",
            "team-a//x",
            "..",
            "a/../b",
            "a?b",
        ] {
            let err = RepositoryPattern::parse(bad).unwrap_err();
            assert_eq!(err.error_code(), ErrorCode::InvalidPattern, "{bad:?}");
        }
        assert!(RepositoryPattern::parse(&"a".repeat(256)).is_err());
        for good in ["a", "a/*/b", "*/*", "a.b_c__d--e/**", "*/**"] {
            assert!(RepositoryPattern::parse(good).is_ok(), "{good}");
        }
    }

    #[test]
    fn literal_prefixes_stop_at_the_first_wildcard() {
        assert_eq!(p("team-a/**").literal_prefix(), Some("team-a"));
        assert_eq!(p("team-a/x/*").literal_prefix(), Some("team-a/x"));
        assert_eq!(p("team-a/*/y").literal_prefix(), Some("team-a"));
        assert_eq!(p("team-a/x").literal_prefix(), Some("team-a/x"));
        assert!(p("team-a/x").is_exact() && !p("team-a/*").is_exact());
        assert_eq!(p("*/app").literal_prefix(), None);
        assert_eq!(p("**").literal_prefix(), None);
    }

    #[test]
    fn the_highest_level_wins_and_the_credential_caps_it() {
        let grants = vec![(p("team-a/**"), Write), (p("team-a/secret"), Read)];
        let viewer = Access::new(Some(Read), grants.clone(), Write);
        assert_eq!(viewer.level("team-a/app"), Some(Write));
        assert_eq!(viewer.level("team-b/app"), Some(Read));
        let restricted = Access::new(None, grants.clone(), Write);
        assert_eq!(restricted.level("team-b/app"), None);
        assert_eq!(restricted.level("team-a"), None);
        assert!(restricted.sees_registry());
        let token = Access::new(None, grants, Read);
        assert_eq!(token.level("team-a/app"), Some(Read));
        assert!(!Access::new(None, vec![], Write).sees_registry());
    }

    #[test]
    fn readable_filters_a_sorted_catalog_like_level_does() {
        let mut names: Vec<String> = [
            "team-a",
            "team-a-x/y",
            "team-a.b/c",
            "team-a/one",
            "team-a/one/deep",
            "team-a0",
            "team-ab/x",
            "team-b/app",
            "x/app",
            "x/y/app",
            "alpine",
            "team-a/two",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        names.sort();
        for patterns in [
            vec!["team-a/**"],
            vec!["team-a/*"],
            vec!["team-a"],
            vec!["*/app"],
            vec!["*"],
            vec!["**"],
            vec!["team-a/one", "x/*", "nothing/**"],
        ] {
            let access = Access::new(None, patterns.iter().map(|s| (p(s), Read)).collect(), Write);
            let expected: Vec<&String> = names.iter().filter(|n| access.can_read(n)).collect();
            assert_eq!(access.readable(&names), expected, "{patterns:?}");
        }
    }
}
