//! Liveness, readiness and metrics: outside `/api`, no session needed.
use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use shared::error::ErrorCode;

use crate::error::AppError;

/// The body of `/healthz`.
#[derive(serde::Serialize, utoipa::ToSchema)]
struct Liveness {
    /// Always `ok`.
    status: &'static str,
}

/// The body of `/readyz`.
#[derive(serde::Serialize, utoipa::ToSchema)]
struct Readiness {
    /// Always `ready` (a replica that is not ready answers 503 `database_unavailable`).
    status: &'static str,
    /// `sqlite` or `postgres`.
    database: &'static str,
}
use crate::state::AppState;

super::routes! {
    get "/healthz" => healthz [public],
    head "/healthz" => healthz_head [public],
    get "/readyz" => readyz [public],
    get "/metrics" => metrics [public],
}

pub fn config(cfg: &mut web::ServiceConfig) {
    register(cfg);
}

#[derive(utoipa::OpenApi)]
#[openapi(paths(healthz, healthz_head, readyz, metrics))]
pub struct Doc;

/// Liveness: the process serves requests. Says nothing about registries (see `/api/health`).
/// Used by the container's `HEALTHCHECK`.
#[utoipa::path(
    get,
    path = "/healthz",
    tag = "operations",
    responses((status = 200, description = "Alive.", body = inline(Liveness), example = json!({"status": "ok"}))),
)]
async fn healthz() -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(Liveness { status: "ok" })
}

/// Liveness for probes that only look at the status line.
#[utoipa::path(
    head,
    path = "/healthz",
    tag = "operations",
    responses((status = 200, description = "Alive.")),
)]
async fn healthz_head() -> HttpResponse {
    healthz().await
}

/// Readiness, for load balancers: the database answers a trivial statement within 3 s. Never
/// cached. A replica whose database is unreachable, or does not answer, is taken out of the
/// rotation (503) and comes back by itself when it answers again.
#[utoipa::path(
    get,
    path = "/readyz",
    tag = "operations",
    responses(
        (status = 200, description = "Ready: the database answers.", body = inline(Readiness),
         example = json!({"status": "ready", "database": "postgres"})),
    ),
)]
async fn readyz(state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    let answered = tokio::time::timeout(std::time::Duration::from_secs(3), state.pool.ping()).await;
    match answered {
        Ok(Ok(())) => Ok(HttpResponse::Ok()
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .json(Readiness {
                status: "ready",
                database: state.pool.backend().as_str(),
            })),
        Ok(Err(e)) => Err(AppError::database_unavailable(&e)),
        Err(_) => Err(AppError::database_unavailable(&sqlx::Error::PoolTimedOut)),
    }
}

/// Prometheus metrics (text format 0.0.4): requests by route and status, latency histograms,
/// registry upstream latency and errors, cache hit ratio, login failures, active sessions.
/// When `METRICS_TOKEN` is set it must be sent as `Authorization: Bearer <METRICS_TOKEN>`.
#[utoipa::path(
    get,
    path = "/metrics",
    tag = "operations",
    security((), ("metricsToken" = [])),
    responses(
        (status = 200, description = "The metrics.", content_type = "text/plain; version=0.0.4; charset=utf-8", body = String,
         example = "registry_gui_http_requests_total{method=\"GET\",route=\"/api/catalog\",status=\"200\"} 12\n"),
    ),
)]
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
                ErrorCode::InvalidToken,
                "a valid metrics token is required (Authorization: Bearer <METRICS_TOKEN>)",
            ));
        }
    }
    let active = crate::storage::sessions::count_all(&state.pool).await?;
    let pool = state.pool.pool();
    let database = crate::metrics::DatabaseGauges {
        backend: state.pool.backend().as_str(),
        statements: state.pool.statements(),
        open: pool.size(),
        idle: pool.num_idle(),
    };
    Ok(HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(state.metrics.render(active, &database)))
}
