//! `/api/admin/*` (administrators only) and `/api/registries` (any signed-in user).
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use shared::admin::{
    AuditPage, CreateRegistryRequest, CreateUserRequest, CreateUserResponse, RegistryList,
    RegistryResponse, RegistryTestResult, UpdateRegistryRequest, UpdateUserRequest,
    UpdateUserResponse, UserList,
};
use shared::error::ErrorCode;

use super::extract::RequireAdmin;
use super::JsonBody;
use crate::admin::{registries, users, Actor};
use crate::auth::AuthUser;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::storage::audit;

super::routes! {
    get "/registries" => list_registries [read],
    get "/admin/users" => list_users [admin],
    post "/admin/users" => create_user [admin],
    patch "/admin/users/{username}" => update_user [admin],
    delete "/admin/users/{username}" => delete_user [admin],
    post "/admin/users/{username}/reset-2fa" => reset_two_factor [admin],
    get "/admin/users/{username}/activity" => user_activity [admin],
    get "/admin/registries" => admin_list_registries [admin],
    post "/admin/registries" => create_registry [admin],
    patch "/admin/registries/{name}" => update_registry [admin],
    delete "/admin/registries/{name}" => delete_registry [admin],
    post "/admin/registries/{name}/test" => test_registry [admin],
    get "/admin/audit" => audit_log [admin],
    get "/admin/system" => system_status [admin],
}

pub fn config(cfg: &mut web::ServiceConfig) {
    register(cfg);
}

#[derive(utoipa::OpenApi)]
#[openapi(paths(
    list_registries,
    list_users,
    create_user,
    update_user,
    delete_user,
    reset_two_factor,
    user_activity,
    admin_list_registries,
    create_registry,
    update_registry,
    delete_registry,
    test_registry,
    audit_log,
    system_status
))]
pub struct Doc;

/// Parameters as the OpenAPI document shows them, each defined once (never constructed: the
/// handlers extract `web::Path<String>` and [`AuditQuery`]).
#[allow(dead_code)]
mod params {
    #[derive(utoipa::IntoParams)]
    #[into_params(parameter_in = Path)]
    pub struct Username {
        /// The user's name.
        #[param(max_length = 64, example = "alice")]
        username: String,
    }

    #[derive(utoipa::IntoParams)]
    #[into_params(parameter_in = Path)]
    pub struct RegistryName {
        /// The registry's name.
        #[param(max_length = 63, example = "local")]
        name: String,
    }

    #[derive(utoipa::IntoParams)]
    #[into_params(parameter_in = Query)]
    pub struct AuditPaging {
        /// Only events with this action (e.g. `login_failed`, `tag_deleted`).
        action: Option<String>,
        /// Events per page (default 100).
        #[param(minimum = 1, maximum = 1000)]
        limit: Option<i64>,
        /// Only events older than this id: the `next_before` of the previous page.
        before: Option<i64>,
    }
}

fn actor(req: &HttpRequest, state: &AppState, admin: &RequireAdmin) -> Actor {
    super::extract::actor(req, state, &admin.0)
}

/// The database (back end, readiness, pool), the replica that answered, the background jobs'
/// leases and the cache coherence. With several replicas behind a load balancer each request may
/// be answered by another one: `replica.id` says which.
#[utoipa::path(
    get,
    path = "/api/admin/system",
    tag = "admin: system",
    security(("bearerAuth" = [])),
    responses((status = 200, description = "The status.", body = shared::admin::SystemStatus, example = json!({
        "database": {"backend": "postgres", "location": "postgres://registry_gui:***@db:5432/registry_gui",
                     "ready": true, "max_connections": 10, "open_connections": 3, "idle_connections": 2, "statements": 18234},
        "replica": {"id": "8f1c2a9e4b7d4c55a0e3b6f1d2c4e7a9", "version": "0.1.0", "started_at": "2026-12-02T09:00:00Z"},
        "jobs": [{"job": "prune", "interval_secs": 600, "holder": "8f1c2a9e4b7d4c55a0e3b6f1d2c4e7a9", "held_here": true,
                  "lease_expires_at": "2026-12-02T09:10:00Z", "runs_here": 12}],
        "cache": {"coherence": "notify", "ttl_secs": 30, "invalidations_local": 4, "invalidations_received": 7}
    }))),
)]
async fn system_status(
    state: web::Data<AppState>,
    _admin: RequireAdmin,
) -> AppResult<HttpResponse> {
    let status = crate::admin::system::status(
        &state.pool,
        &state.settings,
        &state.metrics,
        &state.replica,
        &state.started_at,
    )
    .await?;
    Ok(HttpResponse::Ok()
        .insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"))
        .json(status))
}

/// Every user, with 2FA state, lock state, throttling and session counts.
#[utoipa::path(
    get,
    path = "/api/admin/users",
    tag = "admin: users",
    security(("bearerAuth" = [])),
    responses((status = 200, description = "All users.", body = UserList)),
)]
async fn list_users(state: web::Data<AppState>, _admin: RequireAdmin) -> AppResult<HttpResponse> {
    let users = users::list(&state.pool, &state.settings.throttle).await?;
    Ok(HttpResponse::Ok().json(UserList { users }))
}

/// Creates a user. Without `password`, a strong one is generated and returned once in
/// `generated_password`. The user enrolls in 2FA at their first sign-in.
#[utoipa::path(
    post,
    path = "/api/admin/users",
    tag = "admin: users",
    security(("bearerAuth" = [])),
    request_body(content = CreateUserRequest, example = json!({"username": "bob", "role": "editor"})),
    responses((status = 201, description = "Created.", body = CreateUserResponse)),
)]
async fn create_user(
    state: web::Data<AppState>,
    req: HttpRequest,
    admin: RequireAdmin,
    body: JsonBody<CreateUserRequest>,
) -> AppResult<HttpResponse> {
    let body = body.into_inner()?;
    let actor = actor(&req, &state, &admin);
    let created = users::create(
        &state.pool,
        &state.hasher,
        &state.settings.throttle,
        &actor,
        &body,
    )
    .await?;
    Ok(HttpResponse::Created().json(created))
}

/// Changes a user's role, password or lock. Changing the password or locking revokes the
/// user's sessions. Administrators cannot demote or lock themselves, and the last active
/// administrator cannot be demoted or locked.
#[utoipa::path(
    patch,
    path = "/api/admin/users/{username}",
    tag = "admin: users",
    security(("bearerAuth" = [])),
    params(params::Username),
    request_body(content = UpdateUserRequest, example = json!({"role": "viewer", "locked": false})),
    responses((status = 200, description = "The updated user.", body = UpdateUserResponse)),
)]
async fn update_user(
    state: web::Data<AppState>,
    req: HttpRequest,
    admin: RequireAdmin,
    path: web::Path<String>,
    body: JsonBody<UpdateUserRequest>,
) -> AppResult<HttpResponse> {
    let body = body.into_inner()?;
    let actor = actor(&req, &state, &admin);
    let user = users::update(
        &state.pool,
        &state.hasher,
        &state.settings.throttle,
        &actor,
        &path,
        &body,
    )
    .await?;
    Ok(HttpResponse::Ok().json(UpdateUserResponse { user }))
}

/// Deletes a user and revokes their sessions. Not yourself, not the last administrator.
#[utoipa::path(
    delete,
    path = "/api/admin/users/{username}",
    tag = "admin: users",
    security(("bearerAuth" = [])),
    params(params::Username),
    responses((status = 204, description = "Deleted.")),
)]
async fn delete_user(
    state: web::Data<AppState>,
    req: HttpRequest,
    admin: RequireAdmin,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    users::delete(&state.pool, &actor(&req, &state, &admin), &path).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Removes a user's TOTP secret and backup codes and revokes their sessions: they enroll
/// again at their next sign-in (for a lost phone).
#[utoipa::path(
    post,
    path = "/api/admin/users/{username}/reset-2fa",
    tag = "admin: users",
    security(("bearerAuth" = [])),
    params(params::Username),
    responses((status = 204, description = "Reset.")),
)]
async fn reset_two_factor(
    state: web::Data<AppState>,
    req: HttpRequest,
    admin: RequireAdmin,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    users::reset_two_factor(&state.pool, &actor(&req, &state, &admin), &path).await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Debug, Deserialize)]
struct AuditQuery {
    user: Option<String>,
    action: Option<String>,
    limit: Option<i64>,
    before: Option<i64>,
}

fn audit_filter(q: &AuditQuery, user: Option<String>) -> AppResult<audit::Filter> {
    let limit = q.limit.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        return Err(AppError::bad_request(
            ErrorCode::InvalidQuery,
            "limit must be between 1 and 1000",
        ));
    }
    Ok(audit::Filter {
        user: user
            .or_else(|| q.user.clone())
            .map(|u| u.trim().to_ascii_lowercase())
            .filter(|u| !u.is_empty()),
        action: q.action.clone().filter(|a| !a.is_empty()),
        before: q.before,
        limit,
    })
}

/// The audit log, newest first, in pages of `limit` (follow `next_before`).
#[utoipa::path(
    get,
    path = "/api/admin/audit",
    tag = "admin: audit",
    security(("bearerAuth" = [])),
    params(
        ("user" = Option<String>, Query, description = "Only events of this user (as actor or target)."),
        params::AuditPaging,
    ),
    responses((status = 200, description = "One page of events.", body = AuditPage)),
)]
async fn audit_log(
    state: web::Data<AppState>,
    _admin: RequireAdmin,
    query: web::Query<AuditQuery>,
) -> AppResult<HttpResponse> {
    let (events, next_before) = audit::list(&state.pool, &audit_filter(&query, None)?).await?;
    Ok(HttpResponse::Ok().json(AuditPage {
        events,
        next_before,
    }))
}

/// One user's audit events (sign-ins, failures, changes), newest first.
#[utoipa::path(
    get,
    path = "/api/admin/users/{username}/activity",
    tag = "admin: users",
    security(("bearerAuth" = [])),
    params(
        params::Username,
        params::AuditPaging,
    ),
    responses((status = 200, description = "One page of the user's events.", body = AuditPage)),
)]
async fn user_activity(
    state: web::Data<AppState>,
    _admin: RequireAdmin,
    path: web::Path<String>,
    query: web::Query<AuditQuery>,
) -> AppResult<HttpResponse> {
    let user = users::find(&state.pool, &path).await?;
    let filter = audit_filter(&query, Some(user.username))?;
    let (events, next_before) = audit::list(&state.pool, &filter).await?;
    Ok(HttpResponse::Ok().json(AuditPage {
        events,
        next_before,
    }))
}

/// The configured registries, for the registry switcher. Credentials are never returned, only
/// `has_credentials`; `is_default` marks the caller's default.
#[utoipa::path(
    get,
    path = "/api/registries",
    tag = "registries",
    security(("bearerAuth" = [])),
    responses((status = 200, description = "All registries.", body = RegistryList)),
)]
async fn list_registries(state: web::Data<AppState>, auth: AuthUser) -> AppResult<HttpResponse> {
    let visible = crate::permissions::visible_registries(&state.pool, &auth).await?;
    // The one a request without `?registry=` gets (`permissions::for_request`).
    let default = auth
        .user
        .default_registry
        .as_deref()
        .filter(|d| visible.iter().any(|r| r.name == *d))
        .or_else(|| {
            visible
                .iter()
                .find(|r| r.bootstrapped)
                .map(|r| r.name.as_str())
        })
        .or_else(|| visible.first().map(|r| r.name.as_str()))
        .map(str::to_string);
    let registries = visible
        .iter()
        .map(|r| registries::to_info(r, default.as_deref()))
        .collect();
    Ok(HttpResponse::Ok().json(RegistryList { registries }))
}

/// The configured registries (the same list as `GET /api/registries`, for administrators).
#[utoipa::path(
    get,
    path = "/api/admin/registries",
    tag = "admin: registries",
    security(("bearerAuth" = [])),
    responses((status = 200, description = "All registries.", body = RegistryList)),
)]
async fn admin_list_registries(
    state: web::Data<AppState>,
    admin: RequireAdmin,
) -> AppResult<HttpResponse> {
    list_registries(state, admin.0).await
}

/// Adds a registry. The password is stored encrypted and never returned. Link-local and
/// cloud-metadata addresses are refused, and with `REGISTRY_ALLOWED_HOSTS` set only those hosts.
#[utoipa::path(
    post,
    path = "/api/admin/registries",
    tag = "admin: registries",
    security(("bearerAuth" = [])),
    request_body(content = CreateRegistryRequest, example = json!({"name": "harbor", "url": "https://harbor.example.com", "username": "robot$gui", "password": "s3cret-token", "pull_host": "harbor.example.com", "read_only": false})),
    responses((status = 201, description = "Added.", body = RegistryResponse)),
)]
async fn create_registry(
    state: web::Data<AppState>,
    req: HttpRequest,
    admin: RequireAdmin,
    body: JsonBody<CreateRegistryRequest>,
) -> AppResult<HttpResponse> {
    let body = body.into_inner()?;
    let actor = actor(&req, &state, &admin);
    let registry = registries::create(
        &state.pool,
        &state.cipher,
        &state.settings.registry_client,
        &actor,
        &body,
    )
    .await?;
    Ok(HttpResponse::Created().json(registry))
}

/// Changes a registry. Absent fields are kept; for `username`, `password` and `pull_host` an
/// empty string clears the value.
#[utoipa::path(
    patch,
    path = "/api/admin/registries/{name}",
    tag = "admin: registries",
    security(("bearerAuth" = [])),
    params(params::RegistryName),
    request_body(content = UpdateRegistryRequest, example = json!({"read_only": true})),
    responses((status = 200, description = "The updated registry.", body = RegistryResponse)),
)]
async fn update_registry(
    state: web::Data<AppState>,
    req: HttpRequest,
    admin: RequireAdmin,
    path: web::Path<String>,
    body: JsonBody<UpdateRegistryRequest>,
) -> AppResult<HttpResponse> {
    let body = body.into_inner()?;
    let actor = actor(&req, &state, &admin);
    let registry = registries::update(
        &state.pool,
        &state.cipher,
        &state.settings.registry_client,
        &actor,
        &path,
        &body,
    )
    .await?;
    state.coherence().registry_changed(&path).await;
    Ok(HttpResponse::Ok().json(registry))
}

/// Removes a registry from the GUI (the registry itself is untouched). The registry configured
/// by `REGISTRY_URL` cannot be removed.
#[utoipa::path(
    delete,
    path = "/api/admin/registries/{name}",
    tag = "admin: registries",
    security(("bearerAuth" = [])),
    params(params::RegistryName),
    responses((status = 204, description = "Removed.")),
)]
async fn delete_registry(
    state: web::Data<AppState>,
    req: HttpRequest,
    admin: RequireAdmin,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    registries::delete(&state.pool, &actor(&req, &state, &admin), &path).await?;
    state.coherence().registry_changed(&path).await;
    Ok(HttpResponse::NoContent().finish())
}

/// Probes the registry (`GET /v2/` with its credentials) and reports reachability, auth and
/// latency. An unreachable registry is a 200 with `reachable: false`, not an error.
#[utoipa::path(
    post,
    path = "/api/admin/registries/{name}/test",
    tag = "admin: registries",
    security(("bearerAuth" = [])),
    params(params::RegistryName),
    responses((status = 200, description = "The probe's result.", body = RegistryTestResult)),
)]
async fn test_registry(
    state: web::Data<AppState>,
    _admin: RequireAdmin,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let result = state.resolver().test(&path).await?;
    Ok(HttpResponse::Ok().json(result))
}
