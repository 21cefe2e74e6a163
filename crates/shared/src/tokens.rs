//! Access tokens (`/api/auth/tokens`, `/api/admin/tokens`): secrets for scripts and CI that
//! stand in for a session, limited by scope.
use serde::{Deserialize, Serialize};

use crate::auth::Role;
use crate::redacted_debug;

/// The prefix every access-token secret starts with; it tells the server (and secret
/// scanners) that a bearer credential is an access token and not a session.
pub const TOKEN_PREFIX: &str = "rgp_";

/// Live tokens one user may hold at a time.
pub const MAX_LIVE_TOKENS_PER_USER: i64 = 50;

/// What a token may do. A set, not a ladder: `admin` does not include tag deletes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum TokenScope {
    /// Everything a signed-in user can read: health, catalog, registries, repositories, tags,
    /// manifests, and the owner's own profile.
    Read,
    /// `read` plus tag deletes; needs the owner's role to allow deleting.
    Write,
    /// `read` plus `/api/admin/*`; needs the owner to be an administrator.
    Admin,
}

impl TokenScope {
    pub const ALL: [TokenScope; 3] = [TokenScope::Read, TokenScope::Write, TokenScope::Admin];

    pub fn as_str(self) -> &'static str {
        match self {
            TokenScope::Read => "read",
            TokenScope::Write => "write",
            TokenScope::Admin => "admin",
        }
    }

    pub fn parse(s: &str) -> Option<TokenScope> {
        Self::ALL.into_iter().find(|c| c.as_str() == s)
    }

    /// Whether an owner with `role` may hold (and use) this scope.
    pub fn allowed_for(self, role: Role) -> bool {
        match self {
            TokenScope::Read => true,
            TokenScope::Write => role.can_delete(),
            TokenScope::Admin => role == Role::Admin,
        }
    }
}

impl std::fmt::Display for TokenScope {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A token as its owner (and an administrator) sees it: never its secret or hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TokenInfo {
    #[cfg_attr(feature = "openapi", schema(example = 7))]
    pub id: i64,
    #[cfg_attr(feature = "openapi", schema(example = "ci-deploy"))]
    pub name: String,
    /// The first 8 characters of the secret after `rgp_`, to tell tokens apart.
    #[cfg_attr(feature = "openapi", schema(example = "4fQx9LmZ"))]
    pub prefix: String,
    /// In the order `read`, `write`, `admin`.
    pub scopes: Vec<TokenScope>,
    /// RFC 3339, UTC.
    #[cfg_attr(feature = "openapi", schema(example = "2026-12-02T14:30:00Z"))]
    pub created_at: String,
    /// RFC 3339, UTC; the token is refused from then on (`token_expired`).
    #[cfg_attr(feature = "openapi", schema(example = "2027-01-01T14:30:00Z"))]
    pub expires_at: String,
    /// RFC 3339, UTC; written at most once a minute.
    pub last_used_at: Option<String>,
    pub last_used_ip: Option<String>,
}

/// `GET /api/auth/tokens`: the caller's tokens, newest first.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TokenList {
    pub tokens: Vec<TokenInfo>,
}

/// A token with its owner, for administrators.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AdminTokenInfo {
    #[serde(flatten)]
    pub token: TokenInfo,
    #[cfg_attr(feature = "openapi", schema(example = "alice"))]
    pub username: String,
}

/// `GET /api/admin/tokens`: everyone's tokens (or one user's), newest first.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AdminTokenList {
    pub tokens: Vec<AdminTokenInfo>,
}

/// `POST /api/auth/tokens`.
#[derive(Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreateTokenRequest {
    /// 1 to 64 printable characters.
    #[cfg_attr(
        feature = "openapi",
        schema(min_length = 1, max_length = 64, example = "ci-deploy")
    )]
    pub name: String,
    /// At least one; each must be allowed by the caller's role.
    #[cfg_attr(feature = "openapi", schema(min_items = 1))]
    pub scopes: Vec<TokenScope>,
    /// 1 to `TOKEN_MAX_DAYS` (365 unless configured).
    #[cfg_attr(feature = "openapi", schema(minimum = 1, example = 30))]
    pub expires_in_days: i64,
    /// The caller's current password.
    #[cfg_attr(feature = "openapi", schema(format = Password))]
    pub password: String,
}
redacted_debug!(CreateTokenRequest { name, scopes, expires_in_days } hide { password });

/// The answer to `POST /api/auth/tokens`: the only time the secret is shown.
#[derive(Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreatedToken {
    pub token: TokenInfo,
    /// `rgp_` and 32 base62 characters (190 bits). Send as `Authorization: Bearer <secret>`.
    #[cfg_attr(
        feature = "openapi",
        schema(example = "rgp_4fQx9LmZ0aB1cD2eF3gH4iJ5kL6mN7oP")
    )]
    pub secret: String,
}
redacted_debug!(CreatedToken { token } hide { secret });
