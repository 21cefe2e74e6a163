//! Repository permissions (`/api/admin/grants`): who may read and change which registry and
//! namespace, beyond what their role gives.
use serde::{Deserialize, Serialize};

/// What a grant (or the role, on a registry with `default_access: role`) allows in a
/// repository. Ordered: `read` < `write`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum AccessLevel {
    /// Browse and pull.
    Read,
    /// Read, and delete tags (and push, through the registry login).
    Write,
}

impl AccessLevel {
    pub fn as_str(self) -> &'static str {
        match self {
            AccessLevel::Read => "read",
            AccessLevel::Write => "write",
        }
    }

    pub fn parse(s: &str) -> Option<AccessLevel> {
        match s {
            "read" => Some(AccessLevel::Read),
            "write" => Some(AccessLevel::Write),
            _ => None,
        }
    }
}

impl std::fmt::Display for AccessLevel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a registry gives users without a grant there.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum DefaultAccess {
    /// The role decides, everywhere: viewers read, editors write (the behaviour before grants).
    #[default]
    Role,
    /// Only grants give access (administrators always have it).
    None,
}

impl DefaultAccess {
    pub fn as_str(self) -> &'static str {
        match self {
            DefaultAccess::Role => "role",
            DefaultAccess::None => "none",
        }
    }

    pub fn parse(s: &str) -> Option<DefaultAccess> {
        match s {
            "role" => Some(DefaultAccess::Role),
            "none" => Some(DefaultAccess::None),
            _ => None,
        }
    }
}

/// One grant: `user` gets `access` to the repositories of `registry` matching `pattern`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Grant {
    #[cfg_attr(feature = "openapi", schema(example = 12))]
    pub id: i64,
    #[cfg_attr(feature = "openapi", schema(example = "alice"))]
    pub user: String,
    #[cfg_attr(feature = "openapi", schema(example = "default"))]
    pub registry: String,
    /// A repository name whose segments may be `*` (exactly one segment) and whose last segment
    /// may be `**` (one or more segments).
    #[cfg_attr(feature = "openapi", schema(example = "team-a/**"))]
    pub pattern: String,
    pub access: AccessLevel,
    /// RFC 3339, UTC.
    pub created_at: String,
    /// The administrator (or `cli`) who added it.
    pub created_by: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GrantList {
    pub grants: Vec<Grant>,
}

/// `POST /api/admin/grants`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreateGrantRequest {
    #[cfg_attr(feature = "openapi", schema(example = "alice"))]
    pub user: String,
    #[cfg_attr(feature = "openapi", schema(example = "default"))]
    pub registry: String,
    #[cfg_attr(feature = "openapi", schema(example = "team-a/**"))]
    pub pattern: String,
    pub access: AccessLevel,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GrantResponse {
    pub grant: Grant,
}

/// A grant as its holder sees it (in `GET /api/auth/me`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OwnGrant {
    pub registry: String,
    pub pattern: String,
    pub access: AccessLevel,
}

/// What the role gives on a registry before grants: administrators `write` everywhere; on a
/// registry with `default_access: role` editors `write` and viewers `read`; nothing otherwise.
/// The server and the SPA both ask this.
pub fn base_level(role: crate::auth::Role, default: DefaultAccess) -> Option<AccessLevel> {
    use crate::auth::Role;
    match (role, default) {
        (Role::Admin, _) => Some(AccessLevel::Write),
        (_, DefaultAccess::None) => None,
        (Role::Editor, DefaultAccess::Role) => Some(AccessLevel::Write),
        (Role::Viewer, DefaultAccess::Role) => Some(AccessLevel::Read),
    }
}

/// Whether the (valid) grant pattern matches the repository name: `*` is exactly one segment,
/// a final `**` one or more. Allocation-free; the server and the SPA both ask this.
pub fn pattern_matches(pattern: &str, name: &str) -> bool {
    let (body, any_tail) = match pattern.strip_suffix("**") {
        Some("") => return !name.is_empty(),
        Some(rest) => match rest.strip_suffix('/') {
            Some(body) => (body, true),
            None => return false,
        },
        None => (pattern, false),
    };
    let mut parts = name.split('/');
    for segment in body.split('/') {
        match parts.next() {
            Some(part) if segment == "*" || segment == part => {}
            _ => return false,
        }
    }
    parts.next().is_some() == any_tail
}

#[cfg(test)]
mod tests {
    use super::pattern_matches as m;

    #[test]
    fn patterns_match_as_documented() {
        assert!(m("team-a", "team-a") && !m("team-a", "team-a/x"));
        assert!(
            m("team-a/*", "team-a/x") && !m("team-a/*", "team-a/x/y") && !m("team-a/*", "team-a")
        );
        assert!(
            m("team-a/**", "team-a/x") && m("team-a/**", "team-a/x/y") && !m("team-a/**", "team-a")
        );
        assert!(!m("team-a/**", "team-ab/x"));
        assert!(m("*/app", "x/app") && !m("*/app", "app") && !m("*/app", "x/y/app"));
        assert!(m("*", "alpine") && !m("*", "a/b"));
        assert!(m("**", "alpine") && m("**", "a/b/c"));
        assert!(m("*/**", "a/b") && !m("*/**", "a"));
    }
}
