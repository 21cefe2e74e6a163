//! Who is calling: a signed-in user as the request extractor (`routes::extract`) found them.
use shared::auth::Role;

use super::jwt::Claims;
use crate::error::AppError;
use crate::storage::users::UserRow;

/// A signed-in user. Extracting it (`routes::extract`) verifies the token, that it is a live
/// session, the user's token version and lock, and the forced password change.
#[derive(Debug, Clone)]
pub struct AuthUser {
    pub user: UserRow,
    pub claims: Claims,
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
}
