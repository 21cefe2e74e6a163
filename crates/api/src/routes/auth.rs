//! `/api/auth/*`: sign-in, two-factor, sessions and the caller's own account.
use actix_web::{web, HttpRequest, HttpResponse};
use shared::auth::{
    ChangePasswordRequest, LoginRequest, RegenerateBackupCodesRequest, UpdateProfileRequest,
    VerifyTokenResponse, VerifyTwoFactorRequest,
};

use crate::auth::client_ip::client_ip;
use crate::auth::sign_in::{self, Client};
use crate::auth::AuthUser;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::storage::{registries, users};

pub fn config(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/auth")
            .route("/login", web::post().to(login))
            .route("/verify-2fa", web::post().to(verify_two_factor))
            .route("/logout", web::post().to(logout))
            .route("/verify-token", web::get().to(verify_token))
            .route("/me", web::get().to(me))
            .route("/me", web::patch().to(update_me))
            .route("/change-password", web::post().to(change_password))
            .route(
                "/regenerate-backup-codes",
                web::post().to(regenerate_backup_codes),
            ),
    );
}

fn client(req: &HttpRequest, state: &AppState) -> Client {
    Client {
        ip: client_ip(req, &state.settings.trusted_proxies),
    }
}

async fn login(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Json<LoginRequest>,
) -> AppResult<HttpResponse> {
    let response = sign_in::login(&state, &body, &client(&req, &state)).await?;
    Ok(HttpResponse::Ok().json(response))
}

async fn verify_two_factor(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Json<VerifyTwoFactorRequest>,
) -> AppResult<HttpResponse> {
    let session = sign_in::verify_two_factor(&state, &body, &client(&req, &state)).await?;
    Ok(HttpResponse::Ok().json(session))
}

async fn logout(
    state: web::Data<AppState>,
    req: HttpRequest,
    auth: AuthUser,
) -> AppResult<HttpResponse> {
    sign_in::logout(&state, &auth, &client(&req, &state)).await?;
    Ok(HttpResponse::NoContent().finish())
}

async fn verify_token(state: web::Data<AppState>, auth: AuthUser) -> AppResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(VerifyTokenResponse {
        valid: true,
        user: sign_in::profile(&state, &auth.user).await?,
        expires_at: sign_in::timestamp(auth.claims.exp),
    }))
}

async fn me(state: web::Data<AppState>, auth: AuthUser) -> AppResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(sign_in::profile(&state, &auth.user).await?))
}

async fn update_me(
    state: web::Data<AppState>,
    auth: AuthUser,
    body: web::Json<UpdateProfileRequest>,
) -> AppResult<HttpResponse> {
    let registry = body
        .default_registry
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty());
    if let Some(name) = registry {
        if registries::find(&state.pool, name).await?.is_none() {
            return Err(AppError::not_found(
                "registry_not_found",
                format!("there is no registry named {name:?}"),
            ));
        }
    }
    users::set_default_registry(&state.pool, auth.user.id, registry).await?;
    let user = users::find_by_id(&state.pool, auth.user.id)
        .await?
        .ok_or_else(AppError::invalid_token)?;
    Ok(HttpResponse::Ok().json(sign_in::profile(&state, &user).await?))
}

async fn change_password(
    state: web::Data<AppState>,
    req: HttpRequest,
    auth: AuthUser,
    body: web::Json<ChangePasswordRequest>,
) -> AppResult<HttpResponse> {
    let session = sign_in::change_password(&state, &auth, &body, &client(&req, &state)).await?;
    Ok(HttpResponse::Ok().json(session))
}

async fn regenerate_backup_codes(
    state: web::Data<AppState>,
    req: HttpRequest,
    auth: AuthUser,
    body: web::Json<RegenerateBackupCodesRequest>,
) -> AppResult<HttpResponse> {
    let codes =
        sign_in::regenerate_backup_codes(&state, &auth, &body.password, &client(&req, &state))
            .await?;
    Ok(HttpResponse::Ok().json(codes))
}
