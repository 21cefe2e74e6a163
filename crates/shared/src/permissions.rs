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
