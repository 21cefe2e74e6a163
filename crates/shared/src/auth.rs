//! Sign-in, two-factor and profile DTOs (`/api/auth/*`).
use serde::{Deserialize, Serialize};

use crate::redacted_debug;

/// A user's role. `admin` can do everything, `editor` can browse and delete tags,
/// `viewer` can only browse.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Viewer,
    Editor,
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Editor => "editor",
            Role::Viewer => "viewer",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "admin" => Some(Role::Admin),
            "editor" => Some(Role::Editor),
            "viewer" => Some(Role::Viewer),
            _ => None,
        }
    }

    /// Editors and admins may delete tags.
    pub fn can_delete(self) -> bool {
        matches!(self, Role::Admin | Role::Editor)
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LoginRequest {
    #[cfg_attr(feature = "openapi", schema(example = "alice"))]
    pub username: String,
    #[cfg_attr(feature = "openapi", schema(format = Password))]
    pub password: String,
}
redacted_debug!(LoginRequest { username } hide { password });

/// The answer to a correct password: the second factor is always still to come.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum LoginResponse {
    /// The user has 2FA: send a TOTP or backup code with this login token.
    TotpRequired { login_token: String },
    /// First sign-in: enroll the secret in an authenticator app, then confirm with a code.
    TotpSetupRequired {
        login_token: String,
        totp_secret: String,
        otpauth_uri: String,
        qr_svg: String,
    },
}

impl std::fmt::Debug for LoginResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LoginResponse::TotpRequired { .. } => f.write_str("TotpRequired { .. }"),
            LoginResponse::TotpSetupRequired { .. } => f.write_str("TotpSetupRequired { .. }"),
        }
    }
}

impl LoginResponse {
    pub fn login_token(&self) -> &str {
        match self {
            LoginResponse::TotpRequired { login_token }
            | LoginResponse::TotpSetupRequired { login_token, .. } => login_token,
        }
    }
}

#[derive(Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VerifyTwoFactorRequest {
    pub login_token: String,
    /// A 6-digit TOTP code or one of the user's backup codes.
    pub code: String,
}
redacted_debug!(VerifyTwoFactorRequest {} hide { login_token, code });

/// The signed-in user as the user sees themself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UserProfile {
    pub username: String,
    pub role: Role,
    pub is_admin: bool,
    pub totp_enabled: bool,
    pub backup_codes_remaining: i64,
    pub created_at: String,
    pub last_login_at: Option<String>,
    pub last_login_ip: Option<String>,
    pub must_change_password: bool,
    pub default_registry: Option<String>,
    /// The caller's repository grants (beyond the role), for showing controls where they work.
    #[serde(default)]
    pub grants: Vec<crate::permissions::OwnGrant>,
}

/// A session: issued only after the second factor.
#[derive(Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SessionResponse {
    pub token: String,
    pub token_type: String,
    pub expires_at: String,
    pub user: UserProfile,
    /// Present exactly once: when enrollment completes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backup_codes: Option<Vec<String>>,
}
redacted_debug!(SessionResponse { token_type, expires_at, user } hide { token, backup_codes });

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VerifyTokenResponse {
    pub valid: bool,
    pub user: UserProfile,
    pub expires_at: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UpdateProfileRequest {
    /// The registry browsed by default; `null` clears the choice.
    #[serde(default)]
    pub default_registry: Option<String>,
}

#[derive(Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChangePasswordRequest {
    #[cfg_attr(feature = "openapi", schema(format = Password))]
    pub current_password: String,
    #[cfg_attr(feature = "openapi", schema(min_length = 8, max_length = 72, format = Password))]
    pub new_password: String,
}
redacted_debug!(ChangePasswordRequest {} hide { current_password, new_password });

#[derive(Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RegenerateBackupCodesRequest {
    pub password: String,
}
redacted_debug!(RegenerateBackupCodesRequest {} hide { password });

#[derive(Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BackupCodesResponse {
    pub backup_codes: Vec<String>,
}
redacted_debug!(BackupCodesResponse {} hide { backup_codes });

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn login_response_is_tagged_by_status() {
        let json = serde_json::to_value(LoginResponse::TotpRequired {
            login_token: "t".into(),
        })
        .unwrap();
        assert_eq!(json["status"], "totp_required");
        assert_eq!(json["login_token"], "t");
    }

    #[test]
    fn debug_output_hides_passwords() {
        let req = LoginRequest {
            username: "alice".into(),
            password: "hunter2hunter2".into(),
        };
        let printed = format!("{req:?}");
        assert!(printed.contains("alice"));
        assert!(!printed.contains("hunter2"));
    }

    #[test]
    fn roles_round_trip_as_lowercase_strings() {
        for role in [Role::Admin, Role::Editor, Role::Viewer] {
            assert_eq!(Role::parse(role.as_str()), Some(role));
            let json = serde_json::to_string(&role).unwrap();
            assert_eq!(json, format!("\"{}\"", role.as_str()));
        }
        assert_eq!(Role::parse("root"), None);
    }
}
