//! Liveness and metrics: outside `/api`, no session needed.
use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};

use crate::error::AppError;
use crate::state::AppState;

pub fn config(cfg: &mut web::ServiceConfig) {
    cfg.route("/healthz", web::get().to(healthz))
        .route("/healthz", web::head().to(healthz))
        .route("/metrics", web::get().to(metrics));
}

/// Liveness: the process serves requests. Says nothing about registries (see `/api/health`).
async fn healthz() -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(serde_json::json!({"status": "ok"}))
}

async fn metrics(state: web::Data<AppState>, req: HttpRequest) -> Result<HttpResponse, AppError> {
    if let Some(expected) = &state.settings.metrics_token {
        let presented = req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or_default();
        use sha2::Digest as _;
        // Compare digests so the comparison time says nothing about the token.
        let same = sha2::Sha256::digest(presented.as_bytes())
            == sha2::Sha256::digest(expected.expose().as_bytes());
        if !same {
            return Err(AppError::unauthorized(
                "invalid_token",
                "a valid metrics token is required (Authorization: Bearer <METRICS_TOKEN>)",
            ));
        }
    }
    let active: i64 = sqlx::query_scalar("SELECT COALESCE(SUM(sessions_issued), 0) FROM users")
        .fetch_one(&state.pool)
        .await?;
    Ok(HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(state.metrics.render(active)))
}
