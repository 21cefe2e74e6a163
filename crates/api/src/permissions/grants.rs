//! Managing grants, for the admin API and the CLI alike.
use crate::db::Db;
use shared::error::ErrorCode;
use shared::permissions::{AccessLevel, CreateGrantRequest, Grant, GrantList};

use crate::domain::RepositoryPattern;
use crate::error::{AppError, AppResult};
use crate::storage::audit::{self, Actor};
use crate::storage::grants::{self as table, GrantRow};
use crate::storage::{registries, users};

fn to_grant(row: GrantRow) -> Grant {
    Grant {
        id: row.id,
        user: row.username,
        registry: row.registry,
        pattern: row.pattern,
        // The CHECK constraint allows only the two.
        access: AccessLevel::parse(&row.access).unwrap_or(AccessLevel::Read),
        created_at: row.created_at,
        created_by: row.created_by,
    }
}

fn grant_not_found(id: i64) -> AppError {
    AppError::not_found(
        ErrorCode::GrantNotFound,
        format!("there is no grant with id {id}"),
    )
}

async fn record(pool: &Db, actor: &Actor, action: &str, grant: &Grant) -> AppResult<()> {
    let detail = format!(
        "grant {}: {} on {}/{}",
        grant.id, grant.access, grant.registry, grant.pattern
    );
    audit::record(
        pool,
        audit::NewEvent {
            actor: Some(&actor.name),
            ip: actor.ip.as_deref(),
            action,
            target: Some(&grant.user),
            outcome: "success",
            detail: Some(&detail),
        },
    )
    .await?;
    Ok(())
}

/// Grants, optionally of one user and/or one registry (each must exist: 404 otherwise).
pub async fn list(pool: &Db, user: Option<&str>, registry: Option<&str>) -> AppResult<GrantList> {
    let user_id = match user {
        Some(name) => Some(
            users::find_by_username(pool, name)
                .await?
                .ok_or_else(|| AppError::user_not_found(name))?
                .id,
        ),
        None => None,
    };
    let registry_id = match registry {
        Some(name) => Some(
            registries::find(pool, name)
                .await?
                .ok_or_else(|| AppError::registry_not_found(name))?
                .id,
        ),
        None => None,
    };
    let rows = table::list(pool, user_id, registry_id).await?;
    Ok(GrantList {
        grants: rows.into_iter().map(to_grant).collect(),
    })
}

/// Adds a grant. The pattern is checked first (400), then the user and registry (404), then
/// that the user has no grant with this pattern there yet (409: remove it to change the level).
pub async fn add(pool: &Db, actor: &Actor, req: &CreateGrantRequest) -> AppResult<Grant> {
    let pattern = RepositoryPattern::parse(req.pattern.trim())?;
    let user = users::find_by_username(pool, &req.user)
        .await?
        .ok_or_else(|| AppError::user_not_found(&req.user))?;
    let registry = registries::find(pool, req.registry.trim())
        .await?
        .ok_or_else(|| AppError::registry_not_found(&req.registry))?;
    let id = table::insert(
        pool,
        user.id,
        registry.id,
        pattern.as_str(),
        req.access.as_str(),
        &actor.name,
    )
    .await?
    .ok_or_else(|| {
        AppError::conflict(
            ErrorCode::GrantExists,
            format!(
                "{} already has a grant for {} on {}; remove it to change the level",
                user.username, pattern, registry.name
            ),
        )
    })?;
    let grant = to_grant(
        table::find(pool, id)
            .await?
            .ok_or_else(|| grant_not_found(id))?,
    );
    record(pool, actor, "grant_created", &grant).await?;
    Ok(grant)
}

/// Removes a grant; it stops counting on the next request.
pub async fn remove(pool: &Db, actor: &Actor, id: i64) -> AppResult<()> {
    let row = table::find(pool, id)
        .await?
        .ok_or_else(|| grant_not_found(id))?;
    if !table::delete(pool, id).await? {
        return Err(grant_not_found(id));
    }
    record(pool, actor, "grant_deleted", &to_grant(row)).await
}
