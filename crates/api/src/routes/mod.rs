//! HTTP routes: one module per resource, each with `config`.
pub mod admin;
pub mod auth;
pub mod docs;
pub mod extract;
pub mod grants;
pub mod openapi;
pub mod ops;
pub mod registry;
pub mod registry_events;
pub mod registry_login;
pub mod repository_path;
pub mod spa;
pub mod tokens;

use std::sync::OnceLock;

use actix_web::dev::{Payload, ResourceDef};
use actix_web::error::{PathError, PayloadError, QueryPayloadError};
use actix_web::http::StatusCode;
use actix_web::{web, FromRequest, HttpRequest, HttpResponse};
use futures::future::LocalBoxFuture;
use serde::de::DeserializeOwned;
use shared::error::ErrorCode;
use shared::tokens::TokenScope;

use crate::error::{AppError, AppResult};

/// Who may call a route, declared beside it in its module's `routes!` table. Sessions are
/// checked by role in the handlers; for an access token this is the whole rule, enforced by the
/// extractor (`extract::authenticate`) before any handler runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// No credential (sign-in, health probes, this document).
    Public,
    /// An interactive session only; an access token gets 403 `session_required`.
    Session,
    /// A session, or an access token holding this scope.
    Token(TokenScope),
}

impl Access {
    #[doc(hidden)]
    pub const fn named(name: &str) -> Access {
        match name.as_bytes() {
            b"public" => Access::Public,
            b"session" => Access::Session,
            b"read" => Access::Token(TokenScope::Read),
            b"write" => Access::Token(TokenScope::Write),
            b"admin" => Access::Token(TokenScope::Admin),
            _ => panic!("access is public, session, read, write or admin"),
        }
    }
}

/// One registered route.
#[derive(Debug, Clone, Copy)]
pub struct Route {
    /// Lower case, as in actix's `web::get`.
    pub method: &'static str,
    /// The actix pattern, relative to the module's scope.
    pub pattern: &'static str,
    pub access: Access,
}

/// Declares a module's routes once: `ROUTES` lists them with who may call them and `register`
/// adds them to actix, so the list the OpenAPI test compares (and the extractor enforces) is
/// the list actix serves. `get "/path" => handler [read]`.
macro_rules! routes {
    ($($method:ident $path:literal => $handler:path [$access:ident]),* $(,)?) => {
        /// Every route this module registers.
        pub const ROUTES: &[$crate::routes::Route] = &[$($crate::routes::Route {
            method: stringify!($method),
            pattern: $path,
            access: $crate::routes::Access::named(stringify!($access)),
        }),*];

        fn register(cfg: &mut actix_web::web::ServiceConfig) {
            $(cfg.route($path, actix_web::web::$method().to($handler));)*
        }
    };
}
pub(crate) use routes;

/// Every route under `/api`, with the `/api` prefix, and the ones outside it.
pub fn all_routes() -> Vec<(&'static str, String)> {
    route_table()
        .iter()
        .map(|(route, full)| (route.method, full.clone()))
        .collect()
}

/// Every route with its full pattern.
fn route_table() -> &'static [(Route, String)] {
    static TABLE: OnceLock<Vec<(Route, String)>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let api = [
            auth::ROUTES,
            tokens::ROUTES,
            registry::ROUTES,
            admin::ROUTES,
            grants::ROUTES,
            registry_events::ROUTES,
            docs::ROUTES,
        ]
        .into_iter()
        .flatten()
        .map(|r| (*r, format!("/api{}", r.pattern)));
        let root = [ops::ROUTES, registry_login::ROUTES]
            .into_iter()
            .flatten()
            .map(|r| (*r, r.pattern.to_string()));
        api.chain(root).collect()
    })
}

/// Who may call the route registered as `method` (any case) `pattern` (the full pattern, as
/// `HttpRequest::match_pattern` gives it). An unknown route needs a session: never less.
pub fn access_of(method: &str, pattern: &str) -> Access {
    route_table()
        .iter()
        .find(|(r, full)| full == pattern && r.method.eq_ignore_ascii_case(method))
        .map_or(Access::Session, |(r, _)| r.access)
}

/// Largest JSON body accepted; the biggest legitimate one is a bulk delete of a few hundred tags.
pub const JSON_LIMIT_BYTES: usize = 64 * 1024;

/// Body size limit for the body extractor.
pub fn payload_config() -> web::PayloadConfig {
    web::PayloadConfig::new(JSON_LIMIT_BYTES)
}

/// A JSON object request body. Extraction never fails: whatever is wrong with the body waits
/// in here until the handler calls [`JsonBody::into_inner`], after its session check, so a
/// caller without a valid session always gets 401 and never a validation message. Arrays are
/// refused even where serde would fill a struct from them by position.
pub struct JsonBody<T>(AppResult<T>);

impl<T> JsonBody<T> {
    /// The body, or the 400/413/415 error describing what is wrong with it.
    pub fn into_inner(self) -> AppResult<T> {
        self.0
    }
}

fn is_json_content_type(req: &HttpRequest) -> bool {
    let Some(value) = req
        .headers()
        .get(actix_web::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let essence = value
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

/// Parses a body already read: JSON, an object, then `T`.
pub fn parse_json_object<T: DeserializeOwned>(bytes: &[u8]) -> AppResult<T> {
    let value: serde_json::Value = serde_json::from_slice(bytes).map_err(|e| {
        AppError::bad_request(ErrorCode::InvalidJson, format!("malformed JSON: {e}"))
    })?;
    if !value.is_object() {
        return Err(AppError::bad_request(
            ErrorCode::InvalidRequest,
            "the request body must be a JSON object",
        ));
    }
    serde_json::from_value(value).map_err(|e| {
        AppError::bad_request(
            ErrorCode::InvalidRequest,
            format!("invalid request body: {e}"),
        )
    })
}

impl<T: DeserializeOwned + 'static> FromRequest for JsonBody<T> {
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        if !is_json_content_type(req) {
            return Box::pin(std::future::ready(Ok(JsonBody(Err(AppError::rejected(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                ErrorCode::UnsupportedMediaType,
                "the request body must be JSON (Content-Type: application/json)",
            ))))));
        }
        let bytes = web::Bytes::from_request(req, payload);
        Box::pin(async move {
            let parsed = match bytes.await {
                Ok(bytes) => parse_json_object(&bytes),
                Err(e) => Err(match e.as_error::<PayloadError>() {
                    Some(PayloadError::Overflow) => AppError::rejected(
                        StatusCode::PAYLOAD_TOO_LARGE,
                        ErrorCode::PayloadTooLarge,
                        format!(
                            "the request body is larger than {} KiB",
                            JSON_LIMIT_BYTES / 1024
                        ),
                    ),
                    _ => AppError::bad_request(
                        ErrorCode::InvalidJson,
                        format!("cannot read the body: {e}"),
                    ),
                }),
            };
            Ok(JsonBody(parsed))
        })
    }
}

pub fn query_config() -> web::QueryConfig {
    web::QueryConfig::default().error_handler(|err: QueryPayloadError, _req| {
        let body = AppError::bad_request(
            ErrorCode::InvalidQuery,
            format!("invalid query string: {err}"),
        )
        .body();
        actix_web::error::InternalError::from_response(err, HttpResponse::BadRequest().json(body))
            .into()
    })
}

pub fn path_config() -> web::PathConfig {
    web::PathConfig::default().error_handler(|err: PathError, _req| {
        let body =
            AppError::bad_request(ErrorCode::InvalidPath, format!("invalid path: {err}")).body();
        actix_web::error::InternalError::from_response(err, HttpResponse::BadRequest().json(body))
            .into()
    })
}

/// The methods served at `path`, upper case, from the route tables.
pub fn allowed_methods(path: &str) -> Vec<&'static str> {
    if let Some(tail) = path.strip_prefix("/api/repositories/") {
        // One catch-all pattern serves several shapes: ask the parser which fit.
        return repository_path::allowed_methods(tail);
    }
    static TABLE: OnceLock<Vec<(&'static str, ResourceDef)>> = OnceLock::new();
    let table = TABLE.get_or_init(|| {
        all_routes()
            .into_iter()
            .map(|(method, pattern)| (method, ResourceDef::new(pattern)))
            .collect()
    });
    let mut methods: Vec<&'static str> = table
        .iter()
        .filter(|(_, def)| def.is_match(path))
        .map(|(method, _)| upper_case(method))
        .collect();
    methods.sort_unstable();
    methods.dedup();
    methods
}

fn upper_case(method: &str) -> &'static str {
    match method {
        "get" => "GET",
        "head" => "HEAD",
        "post" => "POST",
        "patch" => "PATCH",
        "delete" => "DELETE",
        _ => "PUT",
    }
}

/// 405 naming the methods that would work, or 404 when none does.
pub fn no_such_endpoint(req: &HttpRequest) -> AppError {
    let allowed = allowed_methods(req.path());
    if allowed.is_empty() {
        return AppError::not_found(
            ErrorCode::NotFound,
            format!(
                "no API endpoint {} {}",
                req.method(),
                req.path().chars().take(200).collect::<String>()
            ),
        );
    }
    AppError::MethodNotAllowed {
        message: format!(
            "{} is not allowed on this endpoint; use {}",
            req.method(),
            allowed.join(" or ")
        ),
        allow: allowed.join(", "),
    }
}

/// Unknown `/api/...` paths: JSON 404, never the SPA; a known path with another method: 405.
pub async fn api_not_found(req: HttpRequest) -> Result<HttpResponse, AppError> {
    Err(no_such_endpoint(&req))
}

/// Everything under `/api`.
pub fn api(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/api")
            .app_data(payload_config())
            .app_data(query_config())
            .app_data(path_config())
            .wrap(actix_web::middleware::DefaultHeaders::new().add(("Cache-Control", "no-store")))
            .configure(auth::config)
            .configure(tokens::config)
            .configure(registry::config)
            .configure(admin::config)
            .configure(grants::config)
            .configure(registry_events::config)
            .configure(docs::config)
            .default_service(web::to(api_not_found)),
    );
}
