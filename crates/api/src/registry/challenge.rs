//! Registry authentication: `WWW-Authenticate` challenges and Docker token-spec tokens.
use std::collections::HashMap;
use std::time::{Duration, Instant};

use serde::Deserialize;

/// A parsed `WWW-Authenticate` challenge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Challenge {
    Basic,
    Bearer {
        realm: String,
        service: Option<String>,
        scope: Option<String>,
    },
}

/// Parses the challenges of one or more `WWW-Authenticate` values; prefers `Bearer` when a
/// server offers both. Parameters may come in any order, quoted or not, and quoted values may
/// hold commas (`scope="repository:a:pull,push"`).
pub fn parse_challenges<'a>(values: impl IntoIterator<Item = &'a str>) -> Option<Challenge> {
    let mut basic = false;
    for value in values {
        for (scheme, params) in split_challenges(value) {
            if scheme.eq_ignore_ascii_case("bearer") {
                if let Some(realm) = params.get("realm").filter(|r| !r.is_empty()) {
                    return Some(Challenge::Bearer {
                        realm: realm.clone(),
                        service: params.get("service").cloned(),
                        scope: params.get("scope").cloned().filter(|s| !s.is_empty()),
                    });
                }
            } else if scheme.eq_ignore_ascii_case("basic") {
                basic = true;
            }
        }
    }
    basic.then_some(Challenge::Basic)
}

/// `scheme k=v, k="v", scheme2 k=v` → [(scheme, params)].
fn split_challenges(input: &str) -> Vec<(String, HashMap<String, String>)> {
    let mut out: Vec<(String, HashMap<String, String>)> = Vec::new();
    let chars: Vec<char> = input.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        while i < chars.len() && (chars[i] == ',' || chars[i].is_whitespace()) {
            i += 1;
        }
        let start = i;
        while i < chars.len() && !matches!(chars[i], '=' | ',' | ' ' | '\t') {
            i += 1;
        }
        let token: String = chars[start..i].iter().collect();
        if token.is_empty() {
            break;
        }
        // Skip whitespace to see whether this token is a parameter name or a new scheme.
        let mut j = i;
        while j < chars.len() && chars[j].is_whitespace() {
            j += 1;
        }
        if j < chars.len() && chars[j] == '=' && !out.is_empty() {
            // A parameter of the current challenge (`=` not followed by '=' as in token68).
            i = j + 1;
            while i < chars.len() && chars[i].is_whitespace() {
                i += 1;
            }
            let mut value = String::new();
            if i < chars.len() && chars[i] == '"' {
                i += 1;
                while i < chars.len() {
                    match chars[i] {
                        '\\' if i + 1 < chars.len() => {
                            value.push(chars[i + 1]);
                            i += 2;
                        }
                        '"' => {
                            i += 1;
                            break;
                        }
                        c => {
                            value.push(c);
                            i += 1;
                        }
                    }
                }
            } else {
                while i < chars.len() && chars[i] != ',' {
                    value.push(chars[i]);
                    i += 1;
                }
            }
            if let Some((_, params)) = out.last_mut() {
                params.insert(token.to_ascii_lowercase(), value.trim().to_string());
            }
        } else {
            out.push((token, HashMap::new()));
        }
    }
    out
}

/// The token endpoint's answer; servers send `token`, `access_token` or both.
#[derive(Debug, Deserialize)]
pub struct TokenResponse {
    #[serde(default)]
    pub token: Option<String>,
    #[serde(default)]
    pub access_token: Option<String>,
    #[serde(default)]
    pub expires_in: Option<u64>,
}

/// The token spec's default lifetime when `expires_in` is absent.
pub const DEFAULT_TOKEN_LIFETIME: Duration = Duration::from_secs(60);

impl TokenResponse {
    pub fn into_token(self) -> Option<CachedToken> {
        let value = self
            .token
            .filter(|t| !t.is_empty())
            .or(self.access_token.filter(|t| !t.is_empty()))?;
        let lifetime = self
            .expires_in
            .filter(|s| *s > 0)
            .map(Duration::from_secs)
            .unwrap_or(DEFAULT_TOKEN_LIFETIME)
            .min(Duration::from_secs(3600));
        // Renew a little early so a token does not expire between our check and its use.
        let margin = (lifetime / 10).min(Duration::from_secs(10));
        Some(CachedToken {
            value,
            valid_until: Instant::now() + lifetime - margin,
        })
    }
}

#[derive(Debug, Clone)]
pub struct CachedToken {
    pub value: String,
    pub valid_until: Instant,
}

impl CachedToken {
    pub fn is_fresh(&self) -> bool {
        Instant::now() < self.valid_until
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bearer(realm: &str, service: Option<&str>, scope: Option<&str>) -> Challenge {
        Challenge::Bearer {
            realm: realm.into(),
            service: service.map(Into::into),
            scope: scope.map(Into::into),
        }
    }

    #[test]
    fn bearer_parameters_are_read_in_any_order_and_quoting() {
        let expected = bearer(
            "https://auth.example.com/token",
            Some("registry.example.com"),
            Some("repository:team/app:pull,push"),
        );
        for header in [
            r#"Bearer realm="https://auth.example.com/token",service="registry.example.com",scope="repository:team/app:pull,push""#,
            r#"Bearer scope="repository:team/app:pull,push", service="registry.example.com", realm="https://auth.example.com/token""#,
            r#"bearer service=registry.example.com,realm="https://auth.example.com/token",scope="repository:team/app:pull,push""#,
            r#"BEARER   Realm = "https://auth.example.com/token" , SERVICE="registry.example.com",scope="repository:team/app:pull,push""#,
        ] {
            assert_eq!(
                parse_challenges([header]),
                Some(expected.clone()),
                "{header}"
            );
        }
    }

    #[test]
    fn escapes_and_missing_parameters_are_handled() {
        assert_eq!(
            parse_challenges([r#"Bearer realm="http://a/t\"x\"""#]),
            Some(bearer("http://a/t\"x\"", None, None))
        );
        assert_eq!(parse_challenges([r#"Bearer service="x""#]), None);
        assert_eq!(parse_challenges(["Negotiate"]), None);
        assert_eq!(parse_challenges([""]), None);
    }

    #[test]
    fn basic_is_recognised_and_bearer_wins_when_both_are_offered() {
        assert_eq!(
            parse_challenges([r#"Basic realm="registry""#]),
            Some(Challenge::Basic)
        );
        assert_eq!(
            parse_challenges([r#"Basic realm="r", Bearer realm="http://t/token",service="s""#]),
            Some(bearer("http://t/token", Some("s"), None))
        );
        assert_eq!(
            parse_challenges([r#"Basic realm="r""#, r#"Bearer realm="http://t/token""#]),
            Some(bearer("http://t/token", None, None))
        );
    }

    #[test]
    fn tokens_come_from_either_field_and_default_to_sixty_seconds() {
        let t: TokenResponse = serde_json::from_str(r#"{"access_token":"abc"}"#).unwrap();
        let token = t.into_token().unwrap();
        assert_eq!(token.value, "abc");
        let left = token.valid_until - Instant::now();
        assert!(
            left > Duration::from_secs(50) && left <= Duration::from_secs(60),
            "{left:?}"
        );

        let t: TokenResponse =
            serde_json::from_str(r#"{"token":"t","access_token":"a","expires_in":300}"#).unwrap();
        assert_eq!(t.into_token().unwrap().value, "t");
        let t: TokenResponse = serde_json::from_str(r#"{"token":""}"#).unwrap();
        assert!(t.into_token().is_none());
    }
}
