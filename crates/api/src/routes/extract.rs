//! The session extractors: who is calling, checked against the database on every request.
use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{web, FromRequest, HttpMessage, HttpRequest};
use shared::auth::Role;
use shared::error::ErrorCode;

use crate::auth::AuthUser;
use crate::error::AppError;
use crate::state::AppState;
use crate::storage::{sessions, users};

/// The signed-in user's name, stored in request extensions for the access log.
#[derive(Debug, Clone)]
pub struct RequestUser(pub String);

fn bearer_token(req: &HttpRequest) -> Option<&str> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

async fn authenticate(req: HttpRequest) -> Result<AuthUser, AppError> {
    let state = req
        .app_data::<web::Data<AppState>>()
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("application state missing")))?
        .clone();
    let token = bearer_token(&req).ok_or_else(AppError::invalid_token)?;
    let claims = state
        .jwt
        .decode(token)
        .ok_or_else(AppError::invalid_token)?;
    let user_id: i64 = claims.sub.parse().map_err(|_| AppError::invalid_token())?;
    // Only sessions this server issued and has not ended: a token minted with a leaked signing
    // key, a logged-out token and one from before a restore are all refused here.
    if !sessions::is_live(&state.pool, &claims.jti, user_id).await? {
        return Err(AppError::invalid_token());
    }
    let user = users::find_by_id(&state.pool, user_id)
        .await?
        .ok_or_else(AppError::invalid_token)?;
    if user.token_version != claims.ver {
        return Err(AppError::invalid_token());
    }
    if user.locked {
        return Err(AppError::forbidden(
            ErrorCode::AccountLocked,
            "this account has been locked by an administrator",
        ));
    }
    req.extensions_mut()
        .insert(RequestUser(user.username.clone()));
    if user.must_change_password && !req.path().starts_with("/api/auth/") {
        return Err(AppError::forbidden(
            ErrorCode::PasswordChangeRequired,
            "you must change your password before you can continue",
        ));
    }
    Ok(AuthUser { user, claims })
}

impl FromRequest for AuthUser {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        Box::pin(authenticate(req.clone()))
    }
}

/// A signed-in administrator (role read from the database row, not the token).
#[derive(Debug, Clone)]
pub struct RequireAdmin(pub AuthUser);

impl FromRequest for RequireAdmin {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let user = authenticate(req).await?;
            user.require_role(|r| r == Role::Admin)?;
            Ok(RequireAdmin(user))
        })
    }
}
