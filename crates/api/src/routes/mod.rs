//! HTTP routes: one module per resource, each with `config`.
pub mod admin;
pub mod auth;
pub mod docs;
pub mod ops;
pub mod registry;
pub mod spa;

use actix_web::error::{JsonPayloadError, PathError, QueryPayloadError};
use actix_web::{web, HttpRequest, HttpResponse};

use crate::error::AppError;

/// Declares a module's routes once: `ROUTES` lists them as `(METHOD, pattern)` and `register`
/// adds them to actix, so the list the OpenAPI test compares is the list actix serves.
macro_rules! routes {
    ($($method:ident $path:literal => $handler:path),* $(,)?) => {
        /// Every route this module registers: HTTP method and actix path pattern.
        pub const ROUTES: &[(&str, &str)] = &[$((stringify!($method), $path)),*];

        fn register(cfg: &mut actix_web::web::ServiceConfig) {
            $(cfg.route($path, actix_web::web::$method().to($handler));)*
        }
    };
}
pub(crate) use routes;

/// Every route under `/api`, with the `/api` prefix, and the ones outside it.
pub fn all_routes() -> Vec<(&'static str, String)> {
    let api = [auth::ROUTES, registry::ROUTES, admin::ROUTES, docs::ROUTES]
        .into_iter()
        .flatten()
        .map(|(m, p)| (*m, format!("/api{p}")));
    let root = ops::ROUTES.iter().map(|(m, p)| (*m, (*p).to_string()));
    api.chain(root).collect()
}

/// Largest JSON body accepted; the biggest legitimate one is a bulk delete of a few hundred tags.
pub const JSON_LIMIT_BYTES: usize = 64 * 1024;

/// Extractor errors as JSON with stable codes instead of actix's plain text.
pub fn json_config() -> web::JsonConfig {
    web::JsonConfig::default()
        .limit(JSON_LIMIT_BYTES)
        .error_handler(|err, _req| {
            let app_err = match &err {
                JsonPayloadError::Overflow { .. }
                | JsonPayloadError::OverflowKnownLength { .. } => {
                    AppError::bad_request("payload_too_large", "the request body is too large")
                }
                JsonPayloadError::ContentType => AppError::bad_request(
                    "unsupported_media_type",
                    "the request body must be JSON (Content-Type: application/json)",
                ),
                JsonPayloadError::Deserialize(e) if e.is_data() => {
                    AppError::bad_request("invalid_request", format!("invalid request body: {e}"))
                }
                other => AppError::bad_request("invalid_json", format!("malformed JSON: {other}")),
            };
            let status = match &err {
                JsonPayloadError::Overflow { .. }
                | JsonPayloadError::OverflowKnownLength { .. } => {
                    actix_web::http::StatusCode::PAYLOAD_TOO_LARGE
                }
                JsonPayloadError::ContentType => {
                    actix_web::http::StatusCode::UNSUPPORTED_MEDIA_TYPE
                }
                _ => actix_web::http::StatusCode::BAD_REQUEST,
            };
            actix_web::error::InternalError::from_response(
                err,
                HttpResponse::build(status).json(app_err.body()),
            )
            .into()
        })
}

pub fn query_config() -> web::QueryConfig {
    web::QueryConfig::default().error_handler(|err: QueryPayloadError, _req| {
        let body =
            AppError::bad_request("invalid_query", format!("invalid query string: {err}")).body();
        actix_web::error::InternalError::from_response(err, HttpResponse::BadRequest().json(body))
            .into()
    })
}

pub fn path_config() -> web::PathConfig {
    web::PathConfig::default().error_handler(|err: PathError, _req| {
        let body = AppError::bad_request("invalid_path", format!("invalid path: {err}")).body();
        actix_web::error::InternalError::from_response(err, HttpResponse::BadRequest().json(body))
            .into()
    })
}

/// Unknown `/api/...` paths: JSON 404, never the SPA.
pub async fn api_not_found(req: HttpRequest) -> Result<HttpResponse, AppError> {
    Err(AppError::not_found(
        "not_found",
        format!("no API endpoint {} {}", req.method(), req.path()),
    ))
}

/// Everything under `/api`.
pub fn api(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/api")
            .app_data(json_config())
            .app_data(query_config())
            .app_data(path_config())
            .wrap(actix_web::middleware::DefaultHeaders::new().add(("Cache-Control", "no-store")))
            .configure(auth::config)
            .configure(registry::config)
            .configure(admin::config)
            .configure(docs::config)
            .default_service(web::to(api_not_found)),
    );
}
