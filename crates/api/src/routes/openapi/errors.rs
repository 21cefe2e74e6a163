//! Which error responses each operation documents: those of its kind (signed in, has a body,
//! talks to a registry, …) plus its own in [`OPERATION_ERRORS`]; and, from the finished
//! document, the check of every error actually answered (`documents_error`).
use std::collections::BTreeMap;

use actix_web::dev::ResourceDef;
use serde_json::json;
use shared::error::{ErrorCode, ERROR_CODES};
use shared::tokens::TokenScope;
use utoipa::openapi::example::ExampleBuilder;
use utoipa::openapi::header::HeaderBuilder;
use utoipa::openapi::path::{Operation, ParameterIn};
use utoipa::openapi::security::SecurityRequirement;
use utoipa::openapi::{ContentBuilder, Ref, RefOr, ResponseBuilder};
use utoipa::PartialSchema;

use crate::routes::{self, Access};

/// Codes an operation answers with beyond those of its kind (see [`error_codes_of`]).
pub(super) const OPERATION_ERRORS: &[(&str, &[ErrorCode])] = &[
    (
        "login",
        &[
            ErrorCode::InvalidCredentials,
            ErrorCode::PasswordTooLong,
            ErrorCode::AccountLocked,
            ErrorCode::TooManyAttempts,
            ErrorCode::ServerBusy,
        ],
    ),
    (
        "verify_two_factor",
        &[
            ErrorCode::InvalidLoginToken,
            ErrorCode::InvalidCode,
            ErrorCode::CodeReused,
            ErrorCode::AccountLocked,
            ErrorCode::TooManyAttempts,
        ],
    ),
    ("update_me", &[ErrorCode::RegistryNotFound]),
    (
        "change_password",
        &[
            ErrorCode::InvalidCredentials,
            ErrorCode::WeakPassword,
            ErrorCode::PasswordTooLong,
            ErrorCode::PasswordUnchanged,
            ErrorCode::TooManyAttempts,
            ErrorCode::ServerBusy,
        ],
    ),
    (
        "regenerate_backup_codes",
        &[
            ErrorCode::InvalidCredentials,
            ErrorCode::PasswordTooLong,
            ErrorCode::TotpNotEnabled,
            ErrorCode::TooManyAttempts,
            ErrorCode::ServerBusy,
        ],
    ),
    (
        "create_user",
        &[
            ErrorCode::InvalidUsername,
            ErrorCode::WeakPassword,
            ErrorCode::PasswordTooLong,
            ErrorCode::UserExists,
        ],
    ),
    (
        "update_user",
        &[
            ErrorCode::UserNotFound,
            ErrorCode::WeakPassword,
            ErrorCode::PasswordTooLong,
            ErrorCode::CannotModifySelf,
            ErrorCode::LastAdmin,
        ],
    ),
    (
        "delete_user",
        &[
            ErrorCode::UserNotFound,
            ErrorCode::CannotModifySelf,
            ErrorCode::LastAdmin,
        ],
    ),
    (
        "reset_two_factor",
        &[ErrorCode::UserNotFound, ErrorCode::CannotModifySelf],
    ),
    ("user_activity", &[ErrorCode::UserNotFound]),
    (
        "create_token",
        &[
            ErrorCode::Forbidden,
            ErrorCode::InvalidCredentials,
            ErrorCode::PasswordTooLong,
            ErrorCode::TooManyTokens,
            ErrorCode::ServerBusy,
        ],
    ),
    ("revoke_token", &[ErrorCode::TokenNotFound]),
    (
        "list_grants",
        &[ErrorCode::UserNotFound, ErrorCode::RegistryNotFound],
    ),
    (
        "create_grant",
        &[
            ErrorCode::InvalidPattern,
            ErrorCode::UserNotFound,
            ErrorCode::RegistryNotFound,
            ErrorCode::GrantExists,
        ],
    ),
    ("delete_grant", &[ErrorCode::GrantNotFound]),
    (
        "token_get",
        &[
            ErrorCode::UnknownService,
            ErrorCode::InvalidScope,
            ErrorCode::TokenRequired,
            ErrorCode::InvalidCredentials,
            ErrorCode::TooManyAttempts,
        ],
    ),
    (
        "token_post",
        &[
            ErrorCode::UnsupportedGrantType,
            ErrorCode::UnknownService,
            ErrorCode::InvalidScope,
            ErrorCode::TokenRequired,
            ErrorCode::InvalidCredentials,
            ErrorCode::TooManyAttempts,
            ErrorCode::PayloadTooLarge,
        ],
    ),
    (
        "receive_events",
        &[
            ErrorCode::InvalidToken,
            ErrorCode::RegistryNotFound,
            ErrorCode::PayloadTooLarge,
            ErrorCode::InvalidRequest,
        ],
    ),
    (
        "token_auth",
        &[ErrorCode::RegistryNotFound, ErrorCode::TokenServiceNotSet],
    ),
    ("admin_list_tokens", &[ErrorCode::UserNotFound]),
    ("admin_revoke_token", &[ErrorCode::TokenNotFound]),
    (
        "create_registry",
        &[
            ErrorCode::InvalidRegistryName,
            ErrorCode::InvalidUrl,
            ErrorCode::InvalidPullHost,
            ErrorCode::RegistryHostForbidden,
            ErrorCode::RegistryHostNotAllowed,
            ErrorCode::RegistryExists,
            ErrorCode::RegistryNotFound,
            ErrorCode::InvalidPattern,
        ],
    ),
    (
        "update_registry",
        &[
            ErrorCode::RegistryNotFound,
            ErrorCode::InvalidUrl,
            ErrorCode::InvalidPullHost,
            ErrorCode::RegistryHostForbidden,
            ErrorCode::RegistryHostNotAllowed,
            ErrorCode::CredentialsRequired,
            ErrorCode::InvalidPattern,
            ErrorCode::RegistryExists,
        ],
    ),
    (
        "delete_registry",
        &[ErrorCode::RegistryNotFound, ErrorCode::RegistryBootstrapped],
    ),
    ("test_registry", &[ErrorCode::RegistryNotFound]),
    (
        "list_tags",
        &[
            ErrorCode::InvalidName,
            ErrorCode::NotFound,
            ErrorCode::MethodNotAllowed,
        ],
    ),
    (
        "get_manifest",
        &[
            ErrorCode::InvalidName,
            ErrorCode::InvalidTag,
            ErrorCode::InvalidDigest,
            ErrorCode::NotFound,
            ErrorCode::MethodNotAllowed,
        ],
    ),
    (
        "delete_manifest",
        &[
            ErrorCode::InvalidName,
            ErrorCode::InvalidTag,
            ErrorCode::InvalidDigest,
            ErrorCode::NotFound,
            ErrorCode::RegistryReadOnly,
            ErrorCode::DeleteDisabled,
            ErrorCode::MethodNotAllowed,
        ],
    ),
    (
        "delete_tags",
        &[
            ErrorCode::InvalidName,
            ErrorCode::InvalidTag,
            ErrorCode::NotFound,
            ErrorCode::RegistryReadOnly,
            ErrorCode::DeleteDisabled,
            ErrorCode::MethodNotAllowed,
        ],
    ),
    ("health", &[ErrorCode::MethodNotAllowed]),
    ("catalog", &[ErrorCode::MethodNotAllowed]),
];

/// What an operation is, as far as its errors go.
struct Kind<'a> {
    path: &'a str,
    operation_id: &'a str,
    signed_in: bool,
    access: Access,
    has_body: bool,
    has_query: bool,
    has_path: bool,
}

/// Every code `kind` can answer with, in catalog order.
fn error_codes_of(kind: &Kind) -> Vec<ErrorCode> {
    let mut codes: Vec<ErrorCode> = vec![ErrorCode::InternalError, ErrorCode::RequestTimeout];
    // Everything but liveness and the documents reads the database.
    if !matches!(
        kind.operation_id,
        "healthz" | "healthz_head" | "openapi_json"
    ) {
        codes.push(ErrorCode::DatabaseUnavailable);
    }
    if kind.signed_in {
        codes.push(ErrorCode::InvalidToken);
        if kind.path.starts_with("/api/") {
            codes.extend([ErrorCode::AccountLocked, ErrorCode::PasswordChangeRequired]);
            // A bearer credential may be an access token wherever a session is accepted: an
            // expired one, and failures from an address past its budget, answer here too.
            codes.extend([ErrorCode::TokenExpired, ErrorCode::TooManyAttempts]);
        }
        match kind.access {
            Access::Session => codes.push(ErrorCode::SessionRequired),
            Access::Token(TokenScope::Read) | Access::Public => {}
            Access::Token(_) => codes.push(ErrorCode::InsufficientScope),
        }
    }
    if kind.path.starts_with("/api/admin/") {
        codes.push(ErrorCode::Forbidden);
    }
    if kind.has_body {
        codes.extend([
            ErrorCode::InvalidJson,
            ErrorCode::InvalidRequest,
            ErrorCode::PayloadTooLarge,
            ErrorCode::UnsupportedMediaType,
        ]);
    }
    if kind.has_query {
        codes.push(ErrorCode::InvalidQuery);
    }
    if kind.has_path {
        codes.push(ErrorCode::InvalidPath);
    }
    let registry = ["/api/health", "/api/catalog", "/api/repositories/"]
        .iter()
        .any(|p| kind.path.starts_with(p));
    if registry {
        codes.extend([
            ErrorCode::RegistryNotFound,
            ErrorCode::RegistryUnreachable,
            ErrorCode::RegistryAuthFailed,
            ErrorCode::RegistryError,
            ErrorCode::RegistryBadContent,
            ErrorCode::RegistryHostForbiddenUpstream,
            ErrorCode::RegistryTimeout,
        ]);
        if kind.operation_id == "delete_manifest" || kind.operation_id == "delete_tags" {
            codes.push(ErrorCode::Forbidden);
        }
    }
    if kind.path == "/api/admin/registries/{name}/test" {
        // The probe reports upstream failures in its body; only the stored password can fail.
        codes.push(ErrorCode::RegistryAuthFailed);
    }
    if let Some((_, own)) = OPERATION_ERRORS
        .iter()
        .find(|(id, _)| *id == kind.operation_id)
    {
        codes.extend(own.iter().copied());
    }
    ERROR_CODES
        .iter()
        .copied()
        .filter(|c| codes.contains(c))
        .collect()
}

fn error_response(codes: &[ErrorCode]) -> RefOr<utoipa::openapi::Response> {
    let list = codes
        .iter()
        .map(|c| format!("`{c}`"))
        .collect::<Vec<_>>()
        .join(", ");
    let examples = codes.iter().map(|c| {
        (
            c.as_str(),
            ExampleBuilder::new()
                .summary(c.meaning())
                .value(Some(json!({"error": c.as_str(), "message": c.meaning()})))
                .build(),
        )
    });
    let mut response = ResponseBuilder::new()
        .description(format!("Error: {list}."))
        .content(
            "application/json",
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("ErrorBody")))
                .examples_from_iter(examples)
                .build(),
        );
    if codes
        .iter()
        .any(|c| matches!(c, ErrorCode::TooManyAttempts | ErrorCode::ServerBusy))
    {
        response = response.header(
            "Retry-After",
            HeaderBuilder::new()
                .schema(u64::schema())
                .description(Some("Seconds until the next attempt is allowed."))
                .build(),
        );
    }
    RefOr::T(response.build())
}

/// Whether some security requirement of `operation` names a scheme (an empty one means
/// "optional"). The requirement's fields are private in utoipa, hence the round trip via JSON.
pub(super) fn needs_credentials(operation: &Operation) -> bool {
    serde_json::to_value(&operation.security)
        .unwrap_or_default()
        .as_array()
        .is_some_and(|reqs| {
            reqs.iter()
                .any(|r| r.as_object().is_some_and(|o| !o.is_empty()))
        })
}

/// Who may call the documented operation: the access of the registered route it is served by.
fn access_for(method: &str, path: &str) -> Access {
    routes::all_routes()
        .into_iter()
        .find(|(m, pattern)| *m == method && ResourceDef::new(pattern.as_str()).is_match(path))
        .map_or(Access::Session, |(m, pattern)| {
            routes::access_of(m, &pattern)
        })
}

/// Says in the operation which access-token scope it needs, in its security requirements
/// (`accessToken: [scope]`) and in words.
fn add_token_access(access: Access, operation: &mut Operation) {
    let note = match access {
        Access::Public => return,
        Access::Session => "**Access tokens:** not accepted; an interactive session only \
            (403 `session_required`)."
            .to_string(),
        Access::Token(scope) => {
            let mut requirements = operation.security.take().unwrap_or_default();
            requirements.push(SecurityRequirement::new("accessToken", [scope.as_str()]));
            operation.security = Some(requirements);
            match scope {
                TokenScope::Read => "**Access tokens:** any scope (`read` is part of each).".into(),
                other => format!("**Access tokens:** scope `{other}`."),
            }
        }
    };
    let description = operation.description.get_or_insert_with(String::new);
    if !description.is_empty() {
        description.push_str("\n\n");
    }
    description.push_str(&note);
}

pub(super) fn add_errors(method: &str, path: &str, operation: &mut Operation) {
    let signed_in = needs_credentials(operation);
    let access = if signed_in {
        access_for(method, path)
    } else {
        Access::Public
    };
    add_token_access(access, operation);
    let kind = Kind {
        path,
        operation_id: operation.operation_id.as_deref().unwrap_or_default(),
        signed_in,
        access,
        has_body: operation.request_body.is_some(),
        has_query: operation
            .parameters
            .iter()
            .flatten()
            .any(|p| p.parameter_in == ParameterIn::Query),
        has_path: path.contains('{'),
    };
    let mut by_status: BTreeMap<u16, Vec<ErrorCode>> = BTreeMap::new();
    for code in error_codes_of(&kind) {
        by_status.entry(code.status()).or_default().push(code);
    }
    for (status, codes) in by_status {
        operation
            .responses
            .responses
            .entry(status.to_string())
            .or_insert_with(|| error_response(&codes));
    }
}

/// (method, route pattern) → the (code, status) pairs documented for it.
type ErrorsByRoute =
    std::collections::HashMap<(String, String), std::collections::HashSet<(String, u16)>>;

/// The error `(code, status)` pairs the document lists for each registered route, keyed by
/// (lower-case method, full route pattern). A catch-all route gets the union of the operations
/// it serves. Built once, from the document itself.
fn documented_errors() -> &'static ErrorsByRoute {
    use std::collections::HashMap;
    static MAP: std::sync::OnceLock<ErrorsByRoute> = std::sync::OnceLock::new();
    MAP.get_or_init(|| {
        let doc = serde_json::to_value(super::document()).unwrap_or_default();
        let routes = routes::all_routes();
        let mut map: ErrorsByRoute = HashMap::new();
        let Some(paths) = doc["paths"].as_object() else {
            return map;
        };
        for (path, item) in paths {
            let Some(item) = item.as_object() else {
                continue;
            };
            for (method, operation) in item {
                let Some((_, pattern)) = routes.iter().find(|(m, pattern)| {
                    *m == method.as_str() && ResourceDef::new(pattern.as_str()).is_match(path)
                }) else {
                    continue;
                };
                let entry = map.entry((method.clone(), pattern.clone())).or_default();
                for (status, response) in operation["responses"].as_object().into_iter().flatten() {
                    let Ok(status) = status.parse::<u16>() else {
                        continue;
                    };
                    let examples = &response["content"]["application/json"]["examples"];
                    for code in examples.as_object().into_iter().flatten().map(|(k, _)| k) {
                        entry.insert((code.clone(), status));
                    }
                }
            }
        }
        map
    })
}

/// Whether the document lists error `code` with `status` for the route `method pattern`;
/// `None` for a route it does not describe.
pub fn documents_error(method: &str, pattern: &str, code: &str, status: u16) -> Option<bool> {
    documented_errors()
        .get(&(method.to_ascii_lowercase(), pattern.to_string()))
        .map(|codes| codes.contains(&(code.to_string(), status)))
}
