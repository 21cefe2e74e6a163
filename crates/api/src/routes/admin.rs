//! `/api/admin/*` (administrators only) and `/api/registries` (any signed-in user).
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use shared::admin::{
    AuditPage, CreateRegistryRequest, CreateUserRequest, RegistryList, RegistryResponse,
    UpdateRegistryRequest, UpdateUserRequest, UpdateUserResponse, UserList,
};

use crate::admin::{registries, users, Actor};
use crate::auth::client_ip::client_ip;
use crate::auth::session::AdminUser;
use crate::auth::AuthUser;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::storage::audit;

pub fn config(cfg: &mut web::ServiceConfig) {
    cfg.route("/registries", web::get().to(list_registries))
        .service(
            web::scope("/admin")
                .route("/users", web::get().to(list_users))
                .route("/users", web::post().to(create_user))
                .route("/users/{username}", web::patch().to(update_user))
                .route("/users/{username}", web::delete().to(delete_user))
                .route(
                    "/users/{username}/reset-2fa",
                    web::post().to(reset_two_factor),
                )
                .route("/users/{username}/activity", web::get().to(user_activity))
                .route("/registries", web::get().to(admin_list_registries))
                .route("/registries", web::post().to(create_registry))
                .route("/registries/{name}", web::patch().to(update_registry))
                .route("/registries/{name}", web::delete().to(delete_registry))
                .route("/registries/{name}/test", web::post().to(test_registry))
                .route("/audit", web::get().to(audit_log)),
        );
}

fn actor(req: &HttpRequest, state: &AppState, admin: &AdminUser) -> Actor {
    Actor {
        user_id: Some(admin.0.user.id),
        name: admin.0.user.username.clone(),
        ip: Some(client_ip(req, &state.settings.trusted_proxies)),
    }
}

async fn list_users(state: web::Data<AppState>, _admin: AdminUser) -> AppResult<HttpResponse> {
    let users = users::list(&state.pool, &state.settings.throttle).await?;
    Ok(HttpResponse::Ok().json(UserList { users }))
}

async fn create_user(
    state: web::Data<AppState>,
    req: HttpRequest,
    admin: AdminUser,
    body: web::Json<CreateUserRequest>,
) -> AppResult<HttpResponse> {
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

async fn update_user(
    state: web::Data<AppState>,
    req: HttpRequest,
    admin: AdminUser,
    path: web::Path<String>,
    body: web::Json<UpdateUserRequest>,
) -> AppResult<HttpResponse> {
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

async fn delete_user(
    state: web::Data<AppState>,
    req: HttpRequest,
    admin: AdminUser,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    users::delete(&state.pool, &actor(&req, &state, &admin), &path).await?;
    Ok(HttpResponse::NoContent().finish())
}

async fn reset_two_factor(
    state: web::Data<AppState>,
    req: HttpRequest,
    admin: AdminUser,
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
            "invalid_query",
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

async fn audit_log(
    state: web::Data<AppState>,
    _admin: AdminUser,
    query: web::Query<AuditQuery>,
) -> AppResult<HttpResponse> {
    let (events, next_before) = audit::list(&state.pool, &audit_filter(&query, None)?).await?;
    Ok(HttpResponse::Ok().json(AuditPage {
        events,
        next_before,
    }))
}

async fn user_activity(
    state: web::Data<AppState>,
    _admin: AdminUser,
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

async fn list_registries(state: web::Data<AppState>, auth: AuthUser) -> AppResult<HttpResponse> {
    let registries = registries::list(&state.pool, auth.user.default_registry.as_deref()).await?;
    Ok(HttpResponse::Ok().json(RegistryList { registries }))
}

async fn admin_list_registries(
    state: web::Data<AppState>,
    admin: AdminUser,
) -> AppResult<HttpResponse> {
    list_registries(state, admin.0).await
}

async fn create_registry(
    state: web::Data<AppState>,
    req: HttpRequest,
    admin: AdminUser,
    body: web::Json<CreateRegistryRequest>,
) -> AppResult<HttpResponse> {
    let actor = actor(&req, &state, &admin);
    let registry = registries::create(
        &state.pool,
        &state.cipher,
        &state.settings.registry_client,
        &actor,
        &body,
    )
    .await?;
    Ok(HttpResponse::Created().json(RegistryResponse { registry }))
}

async fn update_registry(
    state: web::Data<AppState>,
    req: HttpRequest,
    admin: AdminUser,
    path: web::Path<String>,
    body: web::Json<UpdateRegistryRequest>,
) -> AppResult<HttpResponse> {
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
    state.registries.forget(&path);
    Ok(HttpResponse::Ok().json(RegistryResponse { registry }))
}

async fn delete_registry(
    state: web::Data<AppState>,
    req: HttpRequest,
    admin: AdminUser,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    registries::delete(&state.pool, &actor(&req, &state, &admin), &path).await?;
    state.registries.forget(&path);
    Ok(HttpResponse::NoContent().finish())
}

async fn test_registry(
    state: web::Data<AppState>,
    admin: AdminUser,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let result = crate::registry::test_registry(&state, &admin.0, &path).await?;
    Ok(HttpResponse::Ok().json(result))
}
