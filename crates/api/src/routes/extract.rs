//! The credential extractors: who is calling (a session or an access token), checked against
//! the database on every request.
use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{web, FromRequest, HttpMessage, HttpRequest};
use shared::auth::Role;
use shared::error::ErrorCode;

use shared::tokens::{TokenScope, TOKEN_PREFIX};

use super::Access;
use crate::access_tokens::{self, Rejected};
use crate::auth::attempts::{self, Client};
use crate::auth::client_ip::client_ip;
use crate::auth::{AuthUser, Credential};
use crate::error::AppError;
use crate::state::AppState;
use crate::storage::audit::Actor;
use crate::storage::sessions;
use crate::storage::users::UserRow;

/// The caller as the audit log records them: their account and client address.
pub fn actor(req: &HttpRequest, state: &AppState, auth: &AuthUser) -> Actor {
    Actor {
        user_id: Some(auth.user.id),
        name: auth.user.username.clone(),
        ip: Some(client_ip(req, &state.settings.trusted_proxies)),
    }
}

/// The signed-in user's name, stored in request extensions for the access log.
#[derive(Debug, Clone)]
pub struct RequestUser(pub String);

pub(super) fn bearer_token(req: &HttpRequest) -> Option<&str> {
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
    if token.starts_with(TOKEN_PREFIX) {
        return authenticate_access_token(&req, &state, token).await;
    }
    let claims = state
        .jwt
        .decode(token)
        .ok_or_else(AppError::invalid_token)?;
    let user_id: i64 = claims.sub.parse().map_err(|_| AppError::invalid_token())?;
    // Only sessions this server issued and has not ended: a token minted with a leaked signing
    // key, a logged-out token and one from before a restore are all refused here.
    // One read: the live session and its user as stored now.
    let user = sessions::live_user(&state.pool, &claims.jti, user_id)
        .await?
        .ok_or_else(AppError::invalid_token)?;
    if user.token_version != claims.ver {
        return Err(AppError::invalid_token());
    }
    admit_user(&req, &user)?;
    Ok(AuthUser {
        user,
        credential: Credential::Session(claims),
    })
}

/// What every credential's owner must pass on every request: no admin lock, and no pending
/// forced password change outside `/api/auth/`.
fn admit_user(req: &HttpRequest, user: &UserRow) -> Result<(), AppError> {
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
    Ok(())
}

/// An access token: found by its hash with its owner in one read, then held to the scope the
/// route declares (`routes!`), with the scopes the owner's role still allows. Failures count
/// against the client address's sign-in budget.
async fn authenticate_access_token(
    req: &HttpRequest,
    state: &AppState,
    secret: &str,
) -> Result<AuthUser, AppError> {
    let ip = client_ip(req, &state.settings.trusted_proxies);
    let found = match access_tokens::find_usable(&state.pool, secret).await? {
        Ok(found) => found,
        Err(rejected) => {
            let client = Client { ip };
            let (reason, refusal) = match rejected {
                Rejected::Unknown => ("token_invalid", AppError::invalid_token()),
                Rejected::Expired => (
                    "token_expired",
                    AppError::unauthorized(
                        ErrorCode::TokenExpired,
                        "this access token has expired",
                    ),
                ),
            };
            tracing::info!(reason, "access token refused");
            let throttled = attempts::token_failure(&state.auth(), &client, reason).await?;
            return Err(throttled.unwrap_or(refusal));
        }
    };
    admit_user(req, &found.owner)?;
    let standing = access_tokens::standing(
        &state.pool,
        &found.owner,
        found.token_scopes.contains("write"),
    )
    .await?;
    let scopes = access_tokens::effective_scopes(&found.token_scopes, standing);
    let pattern = req.match_pattern().unwrap_or_default();
    match super::access_of(req.method().as_str(), &pattern) {
        Access::Public => {}
        Access::Session => {
            return Err(AppError::forbidden(
                ErrorCode::SessionRequired,
                "access tokens cannot do this: sign in interactively",
            ))
        }
        // Every scope includes `read`.
        Access::Token(needed) if needed != TokenScope::Read && !scopes.contains(&needed) => {
            return Err(access_tokens::refused_by_scope(
                &state.pool,
                &found,
                &ip,
                needed.as_str(),
                req.path(),
            )
            .await?);
        }
        Access::Token(_) => {}
    }
    access_tokens::touch(&state.pool, &found, &ip).await?;
    Ok(AuthUser {
        credential: Credential::Token {
            id: found.token_id,
            scopes,
            expires_at: found.token_expires_at,
        },
        user: found.owner,
    })
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
