//! The OpenAPI 3.1 document of the API (`GET /api/openapi.json`).
//!
//! Operations come from the handlers' `#[utoipa::path]` attributes and schemas from the shared
//! DTOs' `ToSchema` derives, so the document cannot drift from the types on the wire. Error
//! responses are added here, from the error catalog in `shared::error`: which codes an
//! operation can answer follows from what it is (signed in, admin only, has a body, talks to
//! a registry) plus the operation's own codes in [`OPERATION_ERRORS`].
use std::collections::BTreeMap;

use actix_web::dev::ResourceDef;
use serde_json::json;
use shared::error::{ErrorBody, ErrorCode, ERROR_CODES};
use shared::tokens::TokenScope;
use utoipa::openapi::example::ExampleBuilder;
use utoipa::openapi::header::HeaderBuilder;
use utoipa::openapi::path::{Operation, ParameterIn};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{
    ContentBuilder, OpenApi as Document, Ref, RefOr, ResponseBuilder, Schema, ServerBuilder,
};
use utoipa::{Modify, OpenApi, PartialSchema, ToSchema};

use crate::routes::{self, Access};

/// Codes an operation answers with beyond those of its kind (see [`error_codes_of`]).
const OPERATION_ERRORS: &[(&str, &[ErrorCode])] = &[
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
fn needs_credentials(operation: &Operation) -> bool {
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

fn add_errors(method: &str, path: &str, operation: &mut Operation) {
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

struct Finish;

impl Modify for Finish {
    fn modify(&self, doc: &mut Document) {
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearerAuth",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some(
                        "The `token` of `POST /api/auth/verify-2fa` (or of a password change).",
                    ))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "eventsSecret",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "A registry's events secret (set with `events_secret` on the registry).",
                    ))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "metricsToken",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "`METRICS_TOKEN`, when the server is configured with one.",
                    ))
                    .build(),
            ),
        );
        let (name, schema) = (ErrorBody::name(), ErrorBody::schema());
        components.schemas.insert(name.into_owned(), schema);
        components.add_security_scheme(
            "accessToken",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("rgp_…")
                    .description(Some(
                        "An access token (`rgp_…`, from `POST /api/auth/tokens`), sent like a \
                         session. The scopes listed on an operation are the one it needs; \
                         operations without `accessToken` refuse tokens with 403 \
                         `session_required`.",
                    ))
                    .build(),
            ),
        );
        for (path, item) in doc.paths.paths.iter_mut() {
            for (method, operation) in [
                ("get", &mut item.get),
                ("put", &mut item.put),
                ("post", &mut item.post),
                ("delete", &mut item.delete),
                ("patch", &mut item.patch),
                ("head", &mut item.head),
            ] {
                if let Some(operation) = operation {
                    add_errors(method, path, operation);
                }
            }
        }
    }
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "registry-gui API",
        description = "The JSON API of registry-gui: sign-in with mandatory TOTP two-factor \
            authentication, user and registry administration, and browsing and deleting in \
            Docker/OCI registries.\n\n\
            Sign in with `POST /api/auth/login` and then `POST /api/auth/verify-2fa`; send the \
            session token as `Authorization: Bearer <token>`. Scripts and CI use an access \
            token instead (`POST /api/auth/tokens`, `rgp_…`), sent the same way and limited to \
            the scope each operation names. Every error is a JSON `ErrorBody` \
            with a stable `error` code (the catalog is in the `ErrorBody` schema). Every \
            response carries an `X-Request-Id` header, also written to the server's log.",
        license(name = "Apache-2.0", identifier = "Apache-2.0"),
    ),
    tags(
        (name = "auth", description = "Sign-in, two-factor authentication and sessions."),
        (name = "account", description = "The signed-in user's own account."),
        (name = "access tokens", description = "The caller's access tokens for scripts and CI (interactive sessions only)."),
        (name = "registries", description = "Browsing and deleting in registries."),
        (name = "admin: users", description = "User administration (administrators only)."),
        (name = "admin: registries", description = "Registry administration (administrators only)."),
        (name = "registry login", description = "registry-gui as a registry's login: the token realm and the registry's notifications."),
        (name = "admin: permissions", description = "Repository grants beyond the role (administrators only)."),
        (name = "admin: access tokens", description = "Everyone's access tokens (administrators only)."),
        (name = "admin: audit", description = "The audit log (administrators only)."),
        (name = "operations", description = "Liveness, metrics and this document."),
    ),
)]
struct Root;

/// The whole document.
pub fn document() -> Document {
    let mut doc = Root::openapi();
    for part in [
        routes::auth::Doc::openapi(),
        routes::tokens::Doc::openapi(),
        routes::registry::Doc::openapi(),
        routes::admin::Doc::openapi(),
        routes::grants::Doc::openapi(),
        routes::registry_login::Doc::openapi(),
        routes::registry_events::Doc::openapi(),
        routes::docs::Doc::openapi(),
        routes::ops::Doc::openapi(),
    ] {
        doc.merge(part);
    }
    doc.servers = Some(vec![ServerBuilder::new()
        .url("/")
        .description(Some("This server"))
        .build()]);
    Finish.modify(&mut doc);
    doc
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
        let doc = serde_json::to_value(document()).unwrap_or_default();
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

/// The schema of a type by name, for tests.
pub fn schema_of(doc: &Document, name: &str) -> Option<RefOr<Schema>> {
    doc.components.as_ref()?.schemas.get(name).cloned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emitted_errors_are_checked_against_their_operations_documentation() {
        assert_eq!(
            documents_error("GET", "/api/auth/me", "invalid_token", 401),
            Some(true)
        );
        assert_eq!(
            documents_error("GET", "/api/auth/me", "grant_exists", 409),
            Some(false)
        );
        assert_eq!(
            documents_error("GET", "/api/auth/me", "invalid_token", 400),
            Some(false)
        );
        // The catch-all repository route carries the union of the operations it serves.
        assert_eq!(
            documents_error(
                "DELETE",
                "/api/repositories/{tail:.*}",
                "delete_disabled",
                409
            ),
            Some(true)
        );
        assert_eq!(
            documents_error("POST", "/auth/token", "token_required", 401),
            Some(true)
        );
        assert_eq!(
            documents_error("GET", "/no/such/route", "not_found", 404),
            None
        );
    }

    fn operations(doc: &Document) -> Vec<(String, String, Operation)> {
        let json = serde_json::to_value(doc).unwrap();
        let mut out = Vec::new();
        for (path, item) in json["paths"].as_object().unwrap() {
            for (method, op) in item.as_object().unwrap() {
                let op: Operation = serde_json::from_value(op.clone()).unwrap();
                out.push((method.to_uppercase(), path.clone(), op));
            }
        }
        out
    }

    #[test]
    fn the_document_is_openapi_3_1_with_unique_operation_ids() {
        let doc = serde_json::to_value(document()).unwrap();
        assert_eq!(doc["openapi"], "3.1.0");
        let ops = operations(&document());
        let mut ids: Vec<_> = ops
            .iter()
            .map(|(_, _, op)| op.operation_id.clone().expect("every operation has an id"))
            .collect();
        let n = ids.len();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), n, "operation ids must be unique");
    }

    #[test]
    fn the_published_error_code_enum_lists_each_code_once() {
        let doc = serde_json::to_value(document()).unwrap();
        let codes = doc["components"]["schemas"]["ErrorBody"]["properties"]["error"]["enum"]
            .as_array()
            .unwrap()
            .clone();
        let unique: std::collections::HashSet<_> = codes.iter().collect();
        assert_eq!(unique.len(), codes.len(), "{codes:?}");
        for c in ERROR_CODES {
            assert!(codes.contains(&json!(c.as_str())), "{}", c.as_str());
        }
    }

    #[test]
    fn every_operation_documents_its_errors_with_examples() {
        for (method, path, op) in operations(&document()) {
            let statuses: Vec<&String> = op.responses.responses.keys().collect();
            assert!(
                statuses.iter().any(|s| s.starts_with('2')),
                "{method} {path} has no success response"
            );
            assert!(
                statuses.iter().any(|s| *s == "500"),
                "{method} {path} does not document 500"
            );
            let secured = needs_credentials(&op);
            if secured {
                assert!(
                    statuses.iter().any(|s| *s == "401"),
                    "{method} {path} needs a session but does not document 401"
                );
            }
            if op.request_body.is_some() {
                for s in ["400", "413", "415"] {
                    assert!(statuses.iter().any(|x| *x == s), "{method} {path}: {s}");
                }
            }
        }
    }

    #[test]
    fn every_cataloged_code_is_documented_on_some_operation() {
        let text = serde_json::to_string(&document()).unwrap();
        for c in ERROR_CODES {
            assert!(
                text.contains(&format!("\"error\":\"{}\"", c.as_str())),
                "{} has no example anywhere",
                c.as_str()
            );
        }
    }

    #[test]
    fn operation_error_table_names_real_operations() {
        // The codes are `ErrorCode` values, checked by the compiler; the operation ids are not.
        let ops = operations(&document());
        for (id, _) in OPERATION_ERRORS {
            assert!(
                ops.iter()
                    .any(|(_, _, op)| op.operation_id.as_deref() == Some(id)),
                "no operation {id}"
            );
        }
    }

    /// `docs/openapi.json` is the published copy; `make openapi` rewrites it.
    #[test]
    fn the_published_copy_is_current() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/openapi.json");
        let published = std::fs::read_to_string(path).unwrap_or_default();
        let current = document().to_pretty_json().unwrap();
        assert!(
            published.trim_end() == current.trim_end(),
            "docs/openapi.json is out of date: run `make openapi`"
        );
    }

    #[test]
    fn secrets_are_write_only_in_the_schemas() {
        let doc = document();
        let info = serde_json::to_value(schema_of(&doc, "RegistryInfo").unwrap()).unwrap();
        let props = info["properties"].as_object().unwrap();
        assert!(props.contains_key("has_credentials"));
        assert!(!props.contains_key("password"));
    }
}
