//! Cross-cutting request handling: request ids, the access log line, metrics and security
//! headers.
use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{web, HttpMessage};
use shared::error::ErrorCode;
use tracing::Instrument as _;

use crate::routes::extract::RequestUser;
use crate::state::AppState;

pub const REQUEST_ID: &str = "x-request-id";

/// A request id from the client is kept if it is short and plain; otherwise a new one.
fn request_id(req: &ServiceRequest) -> String {
    req.headers()
        .get(REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| {
            !v.is_empty()
                && v.len() <= 64
                && v.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
        })
        .map(str::to_string)
        .unwrap_or_else(|| uuid::Uuid::new_v4().simple().to_string())
}

/// Logs one line per request (method, route, status, latency, user; never bodies, headers or
/// query strings, which may carry secrets), records metrics and echoes `X-Request-Id`.
pub async fn observe(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let id = request_id(&req);
    let metrics = req
        .app_data::<web::Data<AppState>>()
        .map(|s| s.metrics.clone());
    let method = req.method().to_string();
    let path = req.path().to_string();
    let span = tracing::info_span!("request", request_id = %id);
    let mut res = match next.call(req).instrument(span).await {
        Ok(res) => res,
        Err(e) => {
            // An error that escaped the handlers (e.g. the time limit): still one log line.
            let status = e.as_response_error().status_code().as_u16();
            if let Some(metrics) = metrics {
                metrics.request(&method, "/{timeout}", status, started.elapsed());
            }
            tracing::warn!(request_id = %id, method = %method, path = %path, status, error = %e, "request failed");
            return Err(e);
        }
    };
    let elapsed = started.elapsed();
    let status = res.status().as_u16();
    let route = res.request().match_pattern().unwrap_or_else(|| {
        if path.starts_with("/api/") {
            "/api/{unknown}".into()
        } else {
            "/{spa}".into()
        }
    });
    let user = res
        .request()
        .extensions()
        .get::<RequestUser>()
        .map(|u| u.0.clone());
    if let Ok(value) = HeaderValue::from_str(&id) {
        res.headers_mut()
            .insert(HeaderName::from_static(REQUEST_ID), value);
    }
    // Every error must be one its operation documents: the contract says what a client may
    // meet. An undocumented one is answered anyway, logged and counted (the fuzzer fails on the
    // ERROR line, the integration tests on the counter).
    if let Some(error) = res
        .response()
        .error()
        .and_then(|e| e.as_error::<crate::error::AppError>())
    {
        if crate::routes::openapi::documents_error(&method, &route, error.code(), status)
            == Some(false)
        {
            tracing::error!(
                method = %method,
                route = %route,
                code = error.code(),
                status,
                "error code not documented for this operation in the OpenAPI document"
            );
            if let Some(metrics) = &metrics {
                metrics.undocumented_error(format!("{method} {route}: {} {status}", error.code()));
            }
        }
    }
    if let Some(metrics) = metrics {
        metrics.request(&method, &route, status, elapsed);
    }
    tracing::info!(
        request_id = %id,
        method = %method,
        route = %route,
        path = %path,
        status,
        latency_ms = elapsed.as_secs_f64() * 1000.0,
        user = user.as_deref().unwrap_or("-"),
        "request"
    );
    Ok(res)
}

/// Headers every response carries.
pub fn security_headers() -> actix_web::middleware::DefaultHeaders {
    actix_web::middleware::DefaultHeaders::new()
        .add(("X-Content-Type-Options", "nosniff"))
        .add(("Referrer-Policy", "no-referrer"))
        .add(("X-Frame-Options", "DENY"))
        .add(("Cross-Origin-Opener-Policy", "same-origin"))
        .add((
            "Content-Security-Policy",
            "default-src 'none'; frame-ancestors 'none'",
        ))
}

/// Bounds how long any request may take (`REQUEST_TIMEOUT_SECS`): a slow upstream cannot pin
/// connections and memory forever. The request is not cloned here: routing needs sole access.
pub async fn time_limit(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let limit = req
        .app_data::<web::Data<AppState>>()
        .map(|s| s.settings.request_timeout)
        .unwrap_or(std::time::Duration::from_secs(60));
    match tokio::time::timeout(limit, next.call(req)).await {
        Ok(res) => res,
        Err(_) => Err(crate::error::AppError::upstream(
            ErrorCode::RequestTimeout,
            format!("the request took longer than {} s", limit.as_secs()),
        )
        .into()),
    }
}
