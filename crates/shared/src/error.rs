use serde::{Deserialize, Serialize};

/// The body of every error the API returns: a stable machine-readable `error` code and a
/// human-readable `message`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(
    feature = "openapi",
    schema(example = json!({"error": "invalid_token", "message": "the session is invalid or has expired"}))
)]
pub struct ErrorBody {
    /// A stable code from the error catalog; clients switch on it.
    #[cfg_attr(feature = "openapi", schema(schema_with = error_code_schema))]
    pub error: String,
    /// For people; may change between versions.
    pub message: String,
}

impl ErrorBody {
    pub fn new(error: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            error: error.into(),
            message: message.into(),
        }
    }
}

impl std::fmt::Display for ErrorBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// Declares [`ErrorCode`] from one line per code: variant, wire code, HTTP status, meaning.
macro_rules! error_codes {
    ($($variant:ident = $code:literal, $status:literal, $meaning:literal;)*) => {
        /// Every `error` code the API answers with, with the HTTP status it comes with and what
        /// it means. The server builds every error from one of these, the OpenAPI document
        /// publishes them, and the SPA matches on them. Adding a code is one line here.
        ///
        /// A code may stand twice with two statuses (`registry_host_forbidden`: 400 when a
        /// registry is added, 502 when found behind a redirect at request time); the wire code
        /// is the same.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum ErrorCode {
            $(#[doc = $meaning] $variant,)*
        }

        impl ErrorCode {
            /// Every code, in catalog order.
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$variant,)*];

            /// The wire code (`ErrorBody.error`).
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(ErrorCode::$variant => $code,)*
                }
            }

            /// The HTTP status this code comes with.
            pub const fn status(self) -> u16 {
                match self {
                    $(ErrorCode::$variant => $status,)*
                }
            }

            /// What the code means, for documentation.
            pub const fn meaning(self) -> &'static str {
                match self {
                    $(ErrorCode::$variant => $meaning,)*
                }
            }
        }
    };
}

error_codes! {
    InvalidJson = "invalid_json", 400, "The request body is not well-formed JSON.";
    InvalidRequest = "invalid_request", 400, "The JSON body is well-formed but a field is missing, has the wrong type or is out of range.";
    InvalidQuery = "invalid_query", 400, "A query parameter is not valid (e.g. `page=0`, `sort=colour`).";
    InvalidPath = "invalid_path", 400, "A path segment is not valid.";
    InvalidUsername = "invalid_username", 400, "The username is not 2 to 64 characters of lowercase letters, digits, `.`, `_` or `-`, starting with a letter or digit.";
    InvalidRegistryName = "invalid_registry_name", 400, "The registry name is not 1 to 63 characters of lowercase letters, digits and `-`, starting with a letter or digit.";
    InvalidName = "invalid_name", 400, "The repository name does not follow the distribution name grammar.";
    InvalidTag = "invalid_tag", 400, "The tag does not match `^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$`.";
    InvalidDigest = "invalid_digest", 400, "The digest is not `sha256:`, `sha384:` or `sha512:` followed by that many lowercase hex digits.";
    InvalidUrl = "invalid_url", 400, "The registry URL is not an absolute http(s) URL without credentials, query or fragment.";
    InvalidPullHost = "invalid_pull_host", 400, "The pull host is not a `host[:port]`.";
    RegistryHostForbidden = "registry_host_forbidden", 400, "The registry URL points at a link-local or cloud-metadata address.";
    RegistryHostNotAllowed = "registry_host_not_allowed", 400, "The registry host is not in `REGISTRY_ALLOWED_HOSTS`.";
    WeakPassword = "weak_password", 400, "The password has fewer than 8 characters (not bytes), equals the username or repeats one character.";
    PasswordTooLong = "password_too_long", 400, "The password is longer than bcrypt's 72 bytes (refused at sign-in too, never truncated).";
    CredentialsRequired = "credentials_required", 400, "The registry URL moves to another host or port: give the password again in the same request (the stored one is never sent to a new host).";
    UnsupportedGrantType = "unsupported_grant_type", 400, "The token endpoint's OAuth2 form has a `grant_type` other than `password`.";
    UnknownService = "unknown_service", 400, "The token request names no `service`, or one no registry has as its `token_service`.";
    InvalidScope = "invalid_scope", 400, "A `scope` of the token request is not `type:name:actions`.";
    InvalidPattern = "invalid_pattern", 400, "The grant pattern is not a repository name whose segments may be `*` (one segment) and whose last segment may be `**` (one or more).";
    PasswordUnchanged = "password_unchanged", 400, "The new password equals the current one.";
    InvalidCredentials = "invalid_credentials", 401, "Wrong username or password (the same answer for unknown users).";
    InvalidLoginToken = "invalid_login_token", 401, "The login token of the second step is unknown, expired or used up.";
    InvalidCode = "invalid_code", 401, "The TOTP or backup code is wrong.";
    CodeReused = "code_reused", 401, "The TOTP code was already used; wait for the next one.";
    TokenRequired = "token_required", 401, "The registry login takes an access token as the password, not the account password (accounts use two-factor authentication).";
    InvalidToken = "invalid_token", 401, "No session or access token, or the session is expired, revoked or malformed, or the access token unknown or revoked.";
    TokenExpired = "token_expired", 401, "The access token has passed its `expires_at`.";
    Forbidden = "forbidden", 403, "The caller's role does not allow this action.";
    InsufficientScope = "insufficient_scope", 403, "The access token lacks the scope this endpoint needs, or its owner's role no longer allows that scope.";
    SessionRequired = "session_required", 403, "Only a signed-in session may do this (credentials, sessions and access tokens are never managed with an access token).";
    AccountLocked = "account_locked", 403, "The account is locked by an administrator.";
    PasswordChangeRequired = "password_change_required", 403, "The password must be changed (`POST /api/auth/change-password`) before anything else.";
    NotFound = "not_found", 404, "No such endpoint, repository, tag or manifest.";
    UserNotFound = "user_not_found", 404, "There is no user with that name.";
    RegistryNotFound = "registry_not_found", 404, "There is no registry with that name.";
    GrantNotFound = "grant_not_found", 404, "There is no grant with that id.";
    TokenNotFound = "token_not_found", 404, "There is no access token with that id (of the caller's, for `/api/auth/tokens`).";
    MethodNotAllowed = "method_not_allowed", 405, "The endpoint exists but not with this HTTP method.";
    UserExists = "user_exists", 409, "A user with that name already exists.";
    CannotModifySelf = "cannot_modify_self", 409, "Administrators cannot delete, lock, demote or reset their own account.";
    LastAdmin = "last_admin", 409, "The change would leave no active administrator.";
    RegistryExists = "registry_exists", 409, "A registry with that name already exists.";
    RegistryBootstrapped = "registry_bootstrapped", 409, "The registry comes from `REGISTRY_URL` and would come back at the next start.";
    RegistryReadOnly = "registry_read_only", 409, "The registry is configured read-only in the GUI.";
    DeleteDisabled = "delete_disabled", 409, "The registry refuses deletes (`storage.delete.enabled` is false).";
    GrantExists = "grant_exists", 409, "The user already has a grant with that pattern on that registry; remove it to change the level.";
    TooManyTokens = "too_many_tokens", 409, "The user already holds 50 live access tokens; revoke one first.";
    TokenServiceNotSet = "token_service_not_set", 409, "The registry has no `token_service`: registry-gui is not its login.";
    TotpNotEnabled = "totp_not_enabled", 409, "Backup codes need two-factor authentication to be set up first.";
    PayloadTooLarge = "payload_too_large", 413, "The request body is larger than 64 KiB.";
    UnsupportedMediaType = "unsupported_media_type", 415, "The request body must be sent as `Content-Type: application/json`.";
    TooManyAttempts = "too_many_attempts", 429, "Too many failed sign-in attempts, or failed access-token authentications from this address; see `Retry-After`.";
    InternalError = "internal_error", 500, "An unexpected error; it has been logged with the request id.";
    RegistryUnreachable = "registry_unreachable", 502, "The registry cannot be reached.";
    RegistryAuthFailed = "registry_auth_failed", 502, "The registry refused the configured credentials.";
    RegistryError = "registry_error", 502, "The registry answered with an unexpected error.";
    RegistryBadContent = "registry_bad_content", 502, "The registry sent content that does not parse or does not match its digest.";
    RegistryHostForbiddenUpstream = "registry_host_forbidden", 502, "The registry redirected to, or its token realm is, a forbidden address.";
    DatabaseUnavailable = "database_unavailable", 503, "The database does not answer (unreachable, or no answer within 10 s); the replica recovers by itself when it returns.";
    ServerBusy = "server_busy", 503, "Too many password checks in flight from this client address (at most 2) or in all; see `Retry-After`.";
    RegistryTimeout = "registry_timeout", 504, "The registry did not answer within `REGISTRY_TIMEOUT_SECS`.";
    RequestTimeout = "request_timeout", 504, "The request took longer than `REQUEST_TIMEOUT_SECS`.";
}

impl ErrorCode {
    /// The code sent as `code` (the first of the catalog when it has two statuses); `None` for
    /// a code this version does not know (a newer server).
    pub fn from_wire(code: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|c| c.as_str() == code)
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The published catalog: every code with its status, in order.
pub const ERROR_CODES: &[ErrorCode] = ErrorCode::ALL;

/// Whether `code` with `status` is in [`ERROR_CODES`].
pub fn is_cataloged(code: &str, status: u16) -> bool {
    ERROR_CODES
        .iter()
        .any(|c| c.as_str() == code && c.status() == status)
}

/// The codes of the catalog that come with `status`, in catalog order.
pub fn codes_with_status(status: u16) -> impl Iterator<Item = ErrorCode> {
    ERROR_CODES
        .iter()
        .copied()
        .filter(move |c| c.status() == status)
}

#[cfg(feature = "openapi")]
fn error_code_schema() -> utoipa::openapi::schema::Object {
    use utoipa::openapi::schema::{ObjectBuilder, SchemaType, Type};
    // A code listed with two statuses is one enum value.
    let mut codes: Vec<&str> = Vec::new();
    for c in ERROR_CODES {
        if !codes.contains(&c.as_str()) {
            codes.push(c.as_str());
        }
    }
    let table: String = ERROR_CODES
        .iter()
        .map(|c| format!("\n| `{}` | {} | {} |", c.as_str(), c.status(), c.meaning()))
        .collect();
    ObjectBuilder::new()
        .schema_type(SchemaType::Type(Type::String))
        .enum_values(Some(codes))
        .description(Some(format!(
            "A stable error code.\n\n| code | status | meaning |\n|---|---|---|{table}"
        )))
        .build()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalog_codes_are_snake_case_and_each_status_pair_is_listed_once() {
        let mut seen = std::collections::HashSet::new();
        for c in ERROR_CODES {
            assert!(
                c.as_str()
                    .chars()
                    .all(|ch| ch.is_ascii_lowercase() || ch == '_'),
                "{c}"
            );
            assert!((400..600).contains(&c.status()), "{c}");
            assert!(seen.insert((c.as_str(), c.status())), "{c} listed twice");
        }
        assert!(is_cataloged("invalid_token", 401));
        assert!(!is_cataloged("invalid_token", 403));
        assert!(codes_with_status(409).any(|c| c == ErrorCode::LastAdmin));
        assert_eq!(
            ErrorCode::from_wire("code_reused"),
            Some(ErrorCode::CodeReused)
        );
        assert_eq!(ErrorCode::from_wire("no_such_code"), None);
        assert_eq!(
            ErrorCode::from_wire("registry_host_forbidden"),
            Some(ErrorCode::RegistryHostForbidden)
        );
        assert_eq!(ErrorCode::RegistryHostForbiddenUpstream.status(), 502);
    }
}
