//! `/api/admin/grants`: repository permissions beyond the role (administrators only).
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use shared::error::ErrorCode;
use shared::permissions::{CreateGrantRequest, GrantList, GrantResponse};

use super::extract::RequireAdmin;
use super::JsonBody;
use crate::error::{AppError, AppResult};
use crate::permissions::grants;
use crate::state::AppState;
use crate::storage::audit::Actor;

super::routes! {
    get "/admin/grants" => list_grants [admin],
    post "/admin/grants" => create_grant [admin],
    delete "/admin/grants/{id}" => delete_grant [admin],
}

pub fn config(cfg: &mut web::ServiceConfig) {
    register(cfg);
}

#[derive(utoipa::OpenApi)]
#[openapi(paths(list_grants, create_grant, delete_grant))]
pub struct Doc;

#[allow(dead_code)]
mod params {
    #[derive(utoipa::IntoParams)]
    #[into_params(parameter_in = Path)]
    pub struct GrantId {
        /// The grant's `id`.
        #[param(example = 12)]
        id: i64,
    }
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct GrantFilter {
    /// Only this user's grants.
    pub user: Option<String>,
    /// Only grants on this registry.
    pub registry: Option<String>,
}

fn actor(req: &HttpRequest, state: &AppState, admin: &RequireAdmin) -> Actor {
    super::extract::actor(req, state, &admin.0)
}

/// Grants, by user, registry and pattern; `?user=` and `?registry=` narrow the list (each must
/// name an existing user or registry).
#[utoipa::path(
    get,
    path = "/api/admin/grants",
    tag = "admin: permissions",
    security(("bearerAuth" = [])),
    params(GrantFilter),
    responses((status = 200, description = "The grants.", body = GrantList)),
)]
async fn list_grants(
    state: web::Data<AppState>,
    _admin: RequireAdmin,
    query: web::Query<GrantFilter>,
) -> AppResult<HttpResponse> {
    let user = query.user.as_deref().filter(|u| !u.is_empty());
    let registry = query.registry.as_deref().filter(|r| !r.is_empty());
    Ok(HttpResponse::Ok().json(grants::list(&state.pool, user, registry).await?))
}

/// Gives a user `read` or `write` access to the repositories of a registry that match
/// `pattern`: a repository name whose segments may be `*` (exactly one segment) and whose last
/// segment may be `**` (one or more): `team-a` is only `team-a`, `team-a/*` is `team-a/x` but not
/// `team-a/x/y`, `team-a/**` is both but not `team-a`, `*/app` is `x/app`; `*` and `**` alone are
/// every top-level repository and every repository. Effective from the next request. A user's
/// access to a repository is the highest of their role (on registries with `default_access:
/// role`) and every matching grant; administrators have `write` everywhere.
#[utoipa::path(
    post,
    path = "/api/admin/grants",
    tag = "admin: permissions",
    security(("bearerAuth" = [])),
    request_body(content = CreateGrantRequest, example = json!({"user": "alice", "registry": "default", "pattern": "team-a/**", "access": "write"})),
    responses((status = 201, description = "Added.", body = GrantResponse)),
)]
async fn create_grant(
    state: web::Data<AppState>,
    req: HttpRequest,
    admin: RequireAdmin,
    body: JsonBody<CreateGrantRequest>,
) -> AppResult<HttpResponse> {
    let body = body.into_inner()?;
    let actor = actor(&req, &state, &admin);
    let grant = grants::add(&state.pool, &actor, &body).await?;
    Ok(HttpResponse::Created().json(GrantResponse { grant }))
}

/// Removes a grant; it stops counting on the next request.
#[utoipa::path(
    delete,
    path = "/api/admin/grants/{id}",
    tag = "admin: permissions",
    security(("bearerAuth" = [])),
    params(params::GrantId),
    responses((status = 204, description = "Removed.")),
)]
async fn delete_grant(
    state: web::Data<AppState>,
    req: HttpRequest,
    admin: RequireAdmin,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let id = path
        .parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or_else(|| {
            AppError::not_found(ErrorCode::GrantNotFound, "there is no grant with that id")
        })?;
    let actor = actor(&req, &state, &admin);
    grants::remove(&state.pool, &actor, id).await?;
    Ok(HttpResponse::NoContent().finish())
}
