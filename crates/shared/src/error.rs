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

/// One entry of the error catalog: a code, the HTTP status it comes with, and what it means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ErrorCode {
    pub code: &'static str,
    pub status: u16,
    pub meaning: &'static str,
}

const fn e(code: &'static str, status: u16, meaning: &'static str) -> ErrorCode {
    ErrorCode {
        code,
        status,
        meaning,
    }
}

/// Every `error` code the API answers with. This list is the contract published in the OpenAPI
/// document; the server logs an error whenever it sends a code missing here.
/// A code may appear with two statuses (`registry_host_forbidden`: refused when a registry is
/// added, or found at request time behind a redirect).
pub const ERROR_CODES: &[ErrorCode] = &[
    e("invalid_json", 400, "The request body is not well-formed JSON."),
    e("invalid_request", 400, "The JSON body is well-formed but a field is missing, has the wrong type or is out of range."),
    e("invalid_query", 400, "A query parameter is not valid (e.g. `page=0`, `sort=colour`)."),
    e("invalid_path", 400, "A path segment is not valid."),
    e("invalid_username", 400, "The username is not 2 to 64 characters of lowercase letters, digits, `.`, `_` or `-`, starting with a letter or digit."),
    e("invalid_registry_name", 400, "The registry name is not 1 to 63 characters of lowercase letters, digits and `-`, starting with a letter or digit."),
    e("invalid_name", 400, "The repository name does not follow the distribution name grammar."),
    e("invalid_tag", 400, "The tag does not match `^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$`."),
    e("invalid_digest", 400, "The digest is not `sha256:`, `sha384:` or `sha512:` followed by that many lowercase hex digits."),
    e("invalid_url", 400, "The registry URL is not an absolute http(s) URL without credentials, query or fragment."),
    e("invalid_pull_host", 400, "The pull host is not a `host[:port]`."),
    e("registry_host_forbidden", 400, "The registry URL points at a link-local or cloud-metadata address."),
    e("registry_host_not_allowed", 400, "The registry host is not in `REGISTRY_ALLOWED_HOSTS`."),
    e("weak_password", 400, "The password has fewer than 8 characters (not bytes), equals the username or repeats one character."),
    e("password_too_long", 400, "The password is longer than bcrypt's 72 bytes (refused at sign-in too, never truncated)."),
    e("credentials_required", 400, "The registry URL moves to another host or port: give the password again in the same request (the stored one is never sent to a new host)."),
    e("password_unchanged", 400, "The new password equals the current one."),
    e("invalid_credentials", 401, "Wrong username or password (the same answer for unknown users)."),
    e("invalid_login_token", 401, "The login token of the second step is unknown, expired or used up."),
    e("invalid_code", 401, "The TOTP or backup code is wrong."),
    e("code_reused", 401, "The TOTP code was already used; wait for the next one."),
    e("invalid_token", 401, "No session, or the session is expired, revoked or malformed."),
    e("forbidden", 403, "The caller's role does not allow this action."),
    e("account_locked", 403, "The account is locked by an administrator."),
    e("password_change_required", 403, "The password must be changed (`POST /api/auth/change-password`) before anything else."),
    e("not_found", 404, "No such endpoint, repository, tag or manifest."),
    e("user_not_found", 404, "There is no user with that name."),
    e("registry_not_found", 404, "There is no registry with that name."),
    e("method_not_allowed", 405, "The endpoint exists but not with this HTTP method."),
    e("user_exists", 409, "A user with that name already exists."),
    e("cannot_modify_self", 409, "Administrators cannot delete, lock, demote or reset their own account."),
    e("last_admin", 409, "The change would leave no active administrator."),
    e("registry_exists", 409, "A registry with that name already exists."),
    e("registry_bootstrapped", 409, "The registry comes from `REGISTRY_URL` and would come back at the next start."),
    e("registry_read_only", 409, "The registry is configured read-only in the GUI."),
    e("delete_disabled", 409, "The registry refuses deletes (`storage.delete.enabled` is false)."),
    e("totp_not_enabled", 409, "Backup codes need two-factor authentication to be set up first."),
    e("payload_too_large", 413, "The request body is larger than 64 KiB."),
    e("unsupported_media_type", 415, "The request body must be sent as `Content-Type: application/json`."),
    e("too_many_attempts", 429, "Too many failed sign-in attempts; see `Retry-After`."),
    e("internal_error", 500, "An unexpected error; it has been logged with the request id."),
    e("registry_unreachable", 502, "The registry cannot be reached."),
    e("registry_auth_failed", 502, "The registry refused the configured credentials."),
    e("registry_error", 502, "The registry answered with an unexpected error."),
    e("registry_bad_content", 502, "The registry sent content that does not parse or does not match its digest."),
    e("registry_host_forbidden", 502, "The registry redirected to, or its token realm is, a forbidden address."),
    e("server_busy", 503, "Too many password checks in flight from this client address (at most 2) or in all; see `Retry-After`."),
    e("registry_timeout", 504, "The registry did not answer within `REGISTRY_TIMEOUT_SECS`."),
    e("request_timeout", 504, "The request took longer than `REQUEST_TIMEOUT_SECS`."),
];

/// Whether `code` with `status` is in [`ERROR_CODES`].
pub fn is_cataloged(code: &str, status: u16) -> bool {
    ERROR_CODES
        .iter()
        .any(|c| c.code == code && c.status == status)
}

/// The codes of the catalog that come with `status`, in catalog order.
pub fn codes_with_status(status: u16) -> impl Iterator<Item = &'static ErrorCode> {
    ERROR_CODES.iter().filter(move |c| c.status == status)
}

#[cfg(feature = "openapi")]
fn error_code_schema() -> utoipa::openapi::schema::Object {
    use utoipa::openapi::schema::{ObjectBuilder, SchemaType, Type};
    // A code listed with two statuses is one enum value.
    let mut codes: Vec<&str> = Vec::new();
    for c in ERROR_CODES {
        if !codes.contains(&c.code) {
            codes.push(c.code);
        }
    }
    let table: String = ERROR_CODES
        .iter()
        .map(|c| format!("\n| `{}` | {} | {} |", c.code, c.status, c.meaning))
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
                c.code
                    .chars()
                    .all(|ch| ch.is_ascii_lowercase() || ch == '_'),
                "{}",
                c.code
            );
            assert!((400..600).contains(&c.status), "{}", c.code);
            assert!(seen.insert((c.code, c.status)), "{} listed twice", c.code);
        }
        assert!(is_cataloged("invalid_token", 401));
        assert!(!is_cataloged("invalid_token", 403));
        assert!(codes_with_status(409).any(|c| c.code == "last_admin"));
    }
}
