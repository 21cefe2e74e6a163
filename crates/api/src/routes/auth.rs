//! `/api/auth/*`: sign-in, two-factor, sessions and the caller's own account.
use actix_web::{web, HttpRequest, HttpResponse};
use shared::auth::{
    BackupCodesResponse, ChangePasswordRequest, LoginRequest, LoginResponse,
    RegenerateBackupCodesRequest, SessionResponse, UpdateProfileRequest, UserProfile,
    VerifyTokenResponse, VerifyTwoFactorRequest,
};

use super::JsonBody;
use crate::auth::attempts::Client;
use crate::auth::client_ip::client_ip;
use crate::auth::AuthUser;
use crate::auth::{account, sign_in};
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::storage::users;

super::routes! {
    post "/auth/login" => login [public],
    post "/auth/verify-2fa" => verify_two_factor [public],
    post "/auth/logout" => logout [session],
    get "/auth/verify-token" => verify_token [read],
    get "/auth/me" => me [read],
    patch "/auth/me" => update_me [session],
    post "/auth/change-password" => change_password [session],
    post "/auth/regenerate-backup-codes" => regenerate_backup_codes [session],
}

pub fn config(cfg: &mut web::ServiceConfig) {
    register(cfg);
}

#[derive(utoipa::OpenApi)]
#[openapi(paths(
    login,
    verify_two_factor,
    logout,
    verify_token,
    me,
    update_me,
    change_password,
    regenerate_backup_codes
))]
pub struct Doc;

fn client(req: &HttpRequest, state: &AppState) -> Client {
    Client {
        ip: client_ip(req, &state.settings.trusted_proxies),
    }
}

/// Sign in, step one: the password.
///
/// Never returns a session. A user with two-factor authentication gets `totp_required`; a user
/// without it yet gets `totp_setup_required` with the new secret (as text, `otpauth://` URI
/// and QR code SVG) to enroll. Either way, continue with `POST /api/auth/verify-2fa`.
/// Every attempt is counted before the password is checked: 5 failures per user from one client
/// address, 50 per user from all addresses and 20 per address within the window give 429
/// `too_many_attempts` with `Retry-After` (configurable). A third password check in flight from
/// one address, or more than 32 waiting in all, gets 503 `server_busy` with `Retry-After` at
/// once. Passwords over 72 bytes are refused (400 `password_too_long`), never truncated.
#[utoipa::path(
    post,
    path = "/api/auth/login",
    tag = "auth",
    request_body(content = LoginRequest, example = json!({"username": "alice", "password": "correct horse battery"})),
    responses(
        (status = 200, description = "Password accepted; the second factor is next.", body = LoginResponse,
         example = json!({"status": "totp_required", "login_token": "q1X0b6f8V3d2sR9kL5mN7pT4wY"})),
    )
)]
async fn login(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: JsonBody<LoginRequest>,
) -> AppResult<HttpResponse> {
    let body = body.into_inner()?;
    let response = sign_in::login(&state.auth(), &body, &client(&req, &state)).await?;
    Ok(HttpResponse::Ok().json(response))
}

/// Sign in, step two: a TOTP code or a backup code. Issues the session.
///
/// On first sign-in this completes enrollment and the response carries the ten backup codes,
/// exactly once. A TOTP code is accepted once (replays get `code_reused`); a backup code is
/// single-use. The login token lets 5 codes be checked, even in parallel, and dies after 5
/// minutes, or when the password changes, 2FA is reset or the account is locked; code checks
/// also count against the sign-in throttle (429).
#[utoipa::path(
    post,
    path = "/api/auth/verify-2fa",
    tag = "auth",
    request_body(content = VerifyTwoFactorRequest, example = json!({"login_token": "q1X0b6f8V3d2sR9kL5mN7pT4wY", "code": "492039"})),
    responses(
        (status = 200, description = "Signed in. Send `token` as `Authorization: Bearer <token>`.", body = SessionResponse),
    )
)]
async fn verify_two_factor(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: JsonBody<VerifyTwoFactorRequest>,
) -> AppResult<HttpResponse> {
    let body = body.into_inner()?;
    let session = sign_in::verify_two_factor(&state.auth(), &body, &client(&req, &state)).await?;
    Ok(HttpResponse::Ok().json(session))
}

/// Signs out: revokes this session's token at once.
#[utoipa::path(
    post,
    path = "/api/auth/logout",
    tag = "auth",
    security(("bearerAuth" = [])),
    responses((status = 204, description = "Signed out; the token no longer works.")),
)]
async fn logout(
    state: web::Data<AppState>,
    req: HttpRequest,
    auth: AuthUser,
) -> AppResult<HttpResponse> {
    account::logout(&state.auth(), &auth, &client(&req, &state)).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Checks the session and says until when it is valid.
#[utoipa::path(
    get,
    path = "/api/auth/verify-token",
    tag = "auth",
    security(("bearerAuth" = [])),
    responses((status = 200, description = "The session is valid.", body = VerifyTokenResponse)),
)]
async fn verify_token(state: web::Data<AppState>, auth: AuthUser) -> AppResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(VerifyTokenResponse {
        valid: true,
        user: sign_in::profile(&state.auth(), &auth.user).await?,
        expires_at: sign_in::timestamp(auth.expires_at()),
    }))
}

/// The signed-in user's profile.
#[utoipa::path(
    get,
    path = "/api/auth/me",
    tag = "account",
    security(("bearerAuth" = [])),
    responses((status = 200, description = "The caller's profile.", body = UserProfile)),
)]
async fn me(state: web::Data<AppState>, auth: AuthUser) -> AppResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(sign_in::profile(&state.auth(), &auth.user).await?))
}

/// Updates the caller's preferences (the registry browsed by default).
#[utoipa::path(
    patch,
    path = "/api/auth/me",
    tag = "account",
    security(("bearerAuth" = [])),
    request_body(content = UpdateProfileRequest, example = json!({"default_registry": "local"})),
    responses((status = 200, description = "The updated profile.", body = UserProfile)),
)]
async fn update_me(
    state: web::Data<AppState>,
    auth: AuthUser,
    body: JsonBody<UpdateProfileRequest>,
) -> AppResult<HttpResponse> {
    let body = body.into_inner()?;
    let registry = body
        .default_registry
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty());
    if let Some(name) = registry {
        // One the caller cannot see does not exist for them.
        if !crate::permissions::sees_registry(&state.pool, &auth, name).await? {
            return Err(AppError::registry_not_found(name));
        }
    }
    users::set_default_registry(&state.pool, auth.user.id, registry).await?;
    let user = users::find_by_id(&state.pool, auth.user.id)
        .await?
        .ok_or_else(AppError::invalid_token)?;
    Ok(HttpResponse::Ok().json(sign_in::profile(&state.auth(), &user).await?))
}

/// Changes the caller's password. Every other session of the user is revoked; the response is
/// a fresh session for this client.
#[utoipa::path(
    post,
    path = "/api/auth/change-password",
    tag = "account",
    security(("bearerAuth" = [])),
    request_body(content = ChangePasswordRequest, example = json!({"current_password": "old secret value", "new_password": "a much better passphrase"})),
    responses((status = 200, description = "Changed; use the new session token.", body = SessionResponse)),
)]
async fn change_password(
    state: web::Data<AppState>,
    req: HttpRequest,
    auth: AuthUser,
    body: JsonBody<ChangePasswordRequest>,
) -> AppResult<HttpResponse> {
    let body = body.into_inner()?;
    let session =
        account::change_password(&state.auth(), &auth, &body, &client(&req, &state)).await?;
    Ok(HttpResponse::Ok().json(session))
}

/// Replaces all backup codes with ten new ones (shown once). Needs the current password.
#[utoipa::path(
    post,
    path = "/api/auth/regenerate-backup-codes",
    tag = "account",
    security(("bearerAuth" = [])),
    request_body(content = RegenerateBackupCodesRequest, example = json!({"password": "correct horse battery"})),
    responses((status = 200, description = "The new backup codes; the old ones no longer work.", body = BackupCodesResponse)),
)]
async fn regenerate_backup_codes(
    state: web::Data<AppState>,
    req: HttpRequest,
    auth: AuthUser,
    body: JsonBody<RegenerateBackupCodesRequest>,
) -> AppResult<HttpResponse> {
    let body = body.into_inner()?;
    let codes = account::regenerate_backup_codes(
        &state.auth(),
        &auth,
        &body.password,
        &client(&req, &state),
    )
    .await?;
    Ok(HttpResponse::Ok().json(codes))
}
