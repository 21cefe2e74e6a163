//! `/api/auth/tokens` (the caller's own access tokens, sessions only) and `/api/admin/tokens`
//! (everyone's).
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use shared::tokens::{AdminTokenList, CreateTokenRequest, CreatedToken, TokenList};

use super::extract::{actor, RequireAdmin};
use super::JsonBody;
use crate::access_tokens;
use crate::auth::attempts::Client;
use crate::auth::client_ip::client_ip;
use crate::auth::AuthUser;
use crate::error::{AppError, AppResult};
use crate::state::AppState;

super::routes! {
    post "/auth/tokens" => create_token [session],
    get "/auth/tokens" => list_tokens [session],
    delete "/auth/tokens/{id}" => revoke_token [session],
    get "/admin/tokens" => admin_list_tokens [admin],
    delete "/admin/tokens/{id}" => admin_revoke_token [admin],
}

pub fn config(cfg: &mut web::ServiceConfig) {
    register(cfg);
}

#[derive(utoipa::OpenApi)]
#[openapi(paths(
    create_token,
    list_tokens,
    revoke_token,
    admin_list_tokens,
    admin_revoke_token
))]
pub struct Doc;

/// The path parameter as the OpenAPI document shows it (the handlers take `web::Path<String>`).
#[allow(dead_code)]
mod params {
    #[derive(utoipa::IntoParams)]
    #[into_params(parameter_in = Path)]
    pub struct TokenId {
        /// The token's `id`.
        #[param(example = 7)]
        id: i64,
    }
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TokenFilter {
    /// Only this user's tokens.
    pub user: Option<String>,
}

/// A token id from the path. Anything that is not one of the caller's token ids, well-formed
/// or not, is simply not found.
fn token_id(path: &str) -> AppResult<i64> {
    path.parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or_else(|| {
            AppError::not_found(
                shared::error::ErrorCode::TokenNotFound,
                "there is no access token with that id",
            )
        })
}

/// Creates an access token for the caller (an interactive session only, with the current
/// password). The secret is in this response and never again: store it now.
///
/// Scopes are a set: `read` (everything a signed-in user can read), `write` (read + tag
/// deletes; role editor or admin), `admin` (read + `/api/admin/*`; role admin). A scope above
/// the caller's role is 403 `forbidden`. `expires_in_days` is 1 to `TOKEN_MAX_DAYS` (365 unless
/// configured); at most 50 live tokens per user (409 `too_many_tokens`). A wrong password counts
/// as a failed sign-in.
#[utoipa::path(
    post,
    path = "/api/auth/tokens",
    tag = "access tokens",
    security(("bearerAuth" = [])),
    request_body(content = CreateTokenRequest, example = json!({"name": "ci-deploy", "scopes": ["read"], "expires_in_days": 30, "password": "correct horse battery"})),
    responses((status = 201, description = "Created; `secret` is shown this once.", body = CreatedToken)),
)]
async fn create_token(
    state: web::Data<AppState>,
    req: HttpRequest,
    auth: AuthUser,
    body: JsonBody<CreateTokenRequest>,
) -> AppResult<HttpResponse> {
    let body = body.into_inner()?;
    let client = Client {
        ip: client_ip(&req, &state.settings.trusted_proxies),
    };
    let created = access_tokens::create(&state.auth(), &auth, &body, &client).await?;
    Ok(HttpResponse::Created().json(created))
}

/// The caller's access tokens, newest first; expired ones stay listed until revoked.
#[utoipa::path(
    get,
    path = "/api/auth/tokens",
    tag = "access tokens",
    security(("bearerAuth" = [])),
    responses((status = 200, description = "The caller's tokens (never their secrets).", body = TokenList)),
)]
async fn list_tokens(state: web::Data<AppState>, auth: AuthUser) -> AppResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(access_tokens::list_own(&state.pool, auth.user.id).await?))
}

/// Revokes one of the caller's tokens; it is refused from its next request on.
#[utoipa::path(
    delete,
    path = "/api/auth/tokens/{id}",
    tag = "access tokens",
    security(("bearerAuth" = [])),
    params(params::TokenId),
    responses((status = 204, description = "Revoked.")),
)]
async fn revoke_token(
    state: web::Data<AppState>,
    req: HttpRequest,
    auth: AuthUser,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let id = token_id(&path)?;
    let actor = actor(&req, &state, &auth);
    access_tokens::revoke_own(&state.pool, &actor, auth.user.id, id).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Every user's access tokens (or one user's), newest first, with their owners.
#[utoipa::path(
    get,
    path = "/api/admin/tokens",
    tag = "admin: access tokens",
    security(("bearerAuth" = [])),
    params(TokenFilter),
    responses((status = 200, description = "Tokens (never their secrets).", body = AdminTokenList)),
)]
async fn admin_list_tokens(
    state: web::Data<AppState>,
    _admin: RequireAdmin,
    query: web::Query<TokenFilter>,
) -> AppResult<HttpResponse> {
    let user = query.user.as_deref().filter(|u| !u.is_empty());
    Ok(HttpResponse::Ok().json(access_tokens::list(&state.pool, user).await?))
}

/// Revokes anyone's access token.
#[utoipa::path(
    delete,
    path = "/api/admin/tokens/{id}",
    tag = "admin: access tokens",
    security(("bearerAuth" = [])),
    params(params::TokenId),
    responses((status = 204, description = "Revoked.")),
)]
async fn admin_revoke_token(
    state: web::Data<AppState>,
    req: HttpRequest,
    admin: RequireAdmin,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let id = token_id(&path)?;
    let actor = actor(&req, &state, &admin.0);
    access_tokens::revoke(&state.pool, &actor, id).await?;
    Ok(HttpResponse::NoContent().finish())
}
