//! Who is calling: a signed-in user as the request extractor (`routes::extract`) found them,
//! and with which credential.
use shared::auth::Role;
use shared::tokens::TokenScope;

use super::jwt::Claims;
use crate::error::AppError;
use crate::storage::users::UserRow;

/// How the caller proved who they are.
#[derive(Debug, Clone)]
pub enum Credential {
    /// An interactive session (password and second factor).
    Session(Claims),
    /// An access token: its id, the scopes it holds that the owner's role still allows, and
    /// its expiry (unix seconds).
    Token {
        id: i64,
        scopes: Vec<TokenScope>,
        expires_at: i64,
    },
}

/// A signed-in user. Extracting it (`routes::extract`) verifies the session or access token,
/// the user's token version and lock, the forced password change and, for a token, the scope
/// the route needs.
#[derive(Debug, Clone)]
pub struct AuthUser {
    pub user: UserRow,
    pub credential: Credential,
}

impl AuthUser {
    pub fn role(&self) -> Role {
        self.user.role()
    }

    pub fn username(&self) -> &str {
        &self.user.username
    }

    pub fn require_role(&self, allowed: impl Fn(Role) -> bool) -> Result<(), AppError> {
        if allowed(self.role()) {
            Ok(())
        } else {
            Err(AppError::forbidden_role())
        }
    }

    /// When the credential stops working (unix seconds).
    pub fn expires_at(&self) -> i64 {
        match &self.credential {
            Credential::Session(claims) => claims.exp,
            Credential::Token { expires_at, .. } => *expires_at,
        }
    }

    /// The session's claims; `None` for an access token.
    pub fn session(&self) -> Option<&Claims> {
        match &self.credential {
            Credential::Session(claims) => Some(claims),
            Credential::Token { .. } => None,
        }
    }
}
