//! `GET /api/openapi.json`: the API's own description, public like a README.
use std::sync::OnceLock;

use actix_web::http::header;
use actix_web::HttpResponse;

super::routes! {
    get "/openapi.json" => openapi_json [public],
}

pub fn config(cfg: &mut actix_web::web::ServiceConfig) {
    register(cfg);
}

#[derive(utoipa::OpenApi)]
#[openapi(paths(openapi_json))]
pub struct Doc;

/// This document: OpenAPI 3.1, generated from the server's code. No session needed.
#[utoipa::path(
    get,
    path = "/api/openapi.json",
    tag = "operations",
    responses((status = 200, description = "The OpenAPI 3.1 document.", content_type = "application/json", body = Object)),
)]
async fn openapi_json() -> HttpResponse {
    static DOCUMENT: OnceLock<String> = OnceLock::new();
    let body = DOCUMENT.get_or_init(|| {
        crate::routes::openapi::document()
            .to_pretty_json()
            .expect("the OpenAPI document serializes")
    });
    HttpResponse::Ok()
        .content_type("application/json")
        // Overrides the API scope's `no-store`: the document only changes with the binary.
        .insert_header((header::CACHE_CONTROL, "public, max-age=300"))
        .body(body.as_str())
}
