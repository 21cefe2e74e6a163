//! `/api/registries/{name}/events` (the registry's notifications) and
//! `/api/admin/registries/{name}/token-auth` (its set-up for registry-gui as its login).
use actix_web::{web, HttpRequest, HttpResponse};
use futures::StreamExt as _;
use shared::admin::TokenAuthConfig;
use shared::error::ErrorCode;
use shared::registry_auth::EventsReceived;

use super::extract::{bearer_token, RequireAdmin};
use crate::error::{AppError, AppResult};
use crate::registry_login::{events, setup};
use crate::state::AppState;
use crate::storage::registries;

super::routes! {
    post "/registries/{name}/events" => receive_events [public],
    get "/admin/registries/{name}/token-auth" => token_auth [admin],
}

pub fn config(cfg: &mut web::ServiceConfig) {
    register(cfg);
}

#[derive(utoipa::OpenApi)]
#[openapi(paths(receive_events, token_auth))]
pub struct Doc;

/// Receives the registry's notification envelope (`notifications.endpoints` in its
/// `config.yml`), authenticated with `Authorization: Bearer <events secret>`. A manifest push
/// becomes `image_pushed` in the audit log (and the "pushed by/at" of the tag), a manifest delete
/// `image_deleted`; pulls and blob events are only counted (`/metrics`). A redelivered event id
/// is stored once. Body at most 1 MiB.
#[utoipa::path(
    post,
    path = "/api/registries/{name}/events",
    tag = "registry login",
    params(("name" = String, Path, description = "The registry's name.")),
    security(("eventsSecret" = [])),
    request_body(content_type = "application/vnd.docker.distribution.events.v1+json", content = String),
    responses((status = 200, description = "Received.", body = EventsReceived)),
)]
async fn receive_events(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
    mut payload: web::Payload,
) -> AppResult<HttpResponse> {
    let row = events::authorize(&state.pool, &path, bearer_token(&req)).await?;
    let mut body = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| {
            AppError::bad_request(ErrorCode::InvalidRequest, format!("unreadable body: {e}"))
        })?;
        if body.len() + chunk.len() > events::MAX_ENVELOPE_BYTES {
            return Err(AppError::rejected(
                actix_web::http::StatusCode::PAYLOAD_TOO_LARGE,
                ErrorCode::PayloadTooLarge,
                "a notification envelope is at most 1 MiB",
            ));
        }
        body.extend_from_slice(&chunk);
    }
    let received = events::receive(&state.pool, &state.metrics, &row, &body).await?;
    // A push or delete changes the repository's tags: every replica forgets its listing.
    for (repository, tags) in &received.changed {
        state
            .coherence()
            .repository_changed(&row.name, repository, tags)
            .await;
    }
    Ok(HttpResponse::Ok().json(EventsReceived {
        received: received.received,
        stored: received.stored,
    }))
}

/// What the registry's `config.yml` needs to make registry-gui its login (`auth.token`) and to
/// report pushes (`notifications`): service, issuer, realm, the signing certificate for
/// `rootcertbundle`, the events URL, and a ready fragment (with a placeholder for the
/// write-only events secret). 409 `token_service_not_set` until the registry has a
/// `token_service`.
#[utoipa::path(
    get,
    path = "/api/admin/registries/{name}/token-auth",
    tag = "admin: registries",
    security(("bearerAuth" = [])),
    params(("name" = String, Path, description = "The registry's name.")),
    responses((status = 200, description = "The set-up.", body = TokenAuthConfig)),
)]
async fn token_auth(
    state: web::Data<AppState>,
    _admin: RequireAdmin,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let row = registries::find(&state.pool, &path)
        .await?
        .ok_or_else(|| AppError::registry_not_found(&path))?;
    Ok(HttpResponse::Ok().json(setup::config(&row, &state.signer, &state.public_url)?))
}
