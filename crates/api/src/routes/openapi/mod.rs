//! The OpenAPI 3.1 document of the API (`GET /api/openapi.json`).
//!
//! Operations come from the handlers' `#[utoipa::path]` attributes and schemas from the shared
//! DTOs' `ToSchema` derives, so the document cannot drift from the types on the wire. Error
//! responses are added here, from the error catalog in `shared::error`: which codes an
//! operation can answer follows from what it is (signed in, admin only, has a body, talks to
//! a registry) plus the operation's own codes (`errors::OPERATION_ERRORS`).
use shared::error::ErrorBody;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{OpenApi as Document, RefOr, Schema, ServerBuilder};
use utoipa::{Modify, OpenApi, PartialSchema, ToSchema};

use crate::routes;

mod errors;

use errors::add_errors;
pub use errors::documents_error;

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
        (name = "admin: system", description = "The database, the answering replica, background jobs and cache coherence (administrators only)."),
        (name = "operations", description = "Liveness, readiness, metrics and this document."),
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

/// The schema of a type by name, for tests.
pub fn schema_of(doc: &Document, name: &str) -> Option<RefOr<Schema>> {
    doc.components.as_ref()?.schemas.get(name).cloned()
}

#[cfg(test)]
mod tests {
    use super::errors::{needs_credentials, OPERATION_ERRORS};
    use super::*;
    use serde_json::json;
    use shared::error::ERROR_CODES;
    use utoipa::openapi::path::Operation;

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
