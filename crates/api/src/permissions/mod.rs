//! Repository permissions: the one place that decides which registries and repositories a
//! caller may see and change. Every registry route asks [`for_request`]; the admin API and
//! the CLI manage grants through [`grants`]. Nothing is cached across requests: a changed
//! grant, role or default access counts from the next request on.
pub mod grants;

use shared::auth::Role;
use shared::error::ErrorCode;
use shared::permissions::{AccessLevel, DefaultAccess};
use shared::tokens::TokenScope;
use sqlx::SqlitePool;

use crate::auth::{AuthUser, Credential};
use crate::domain::{Access, Reference, RepositoryName, RepositoryPattern};
use crate::error::{AppError, AppResult};
use crate::registry::{RegistryHandle, Resolver};
use crate::storage::grants as table;
use crate::storage::registries::{self, RegistryRow};

/// The credential's ceiling: a session may do what its user may; an access token at most
/// what its scopes say (`write` for deletes, `read` otherwise: `admin` is not a repository
/// right).
fn cap(credential: &Credential) -> AccessLevel {
    match credential {
        Credential::Session(_) => AccessLevel::Write,
        Credential::Token { scopes, .. } if scopes.contains(&TokenScope::Write) => {
            AccessLevel::Write
        }
        Credential::Token { .. } => AccessLevel::Read,
    }
}

/// The caller's access to the repositories of one registry: one indexed read of their grants
/// there (none at all when the role already gives `write`).
pub async fn access(
    pool: &SqlitePool,
    auth: &AuthUser,
    registry_id: i64,
    default: DefaultAccess,
) -> AppResult<Access> {
    let base = shared::permissions::base_level(auth.role(), default);
    let grants = if base == Some(AccessLevel::Write) {
        Vec::new()
    } else {
        table::patterns(pool, auth.user.id, registry_id)
            .await?
            .into_iter()
            // Stored patterns were checked when added; a row that no longer parses gives nothing.
            .filter_map(|(pattern, level)| {
                Some((
                    RepositoryPattern::parse(&pattern).ok()?,
                    AccessLevel::parse(&level)?,
                ))
            })
            .collect()
    };
    Ok(Access::new(base, grants, cap(&auth.credential)))
}

fn registry_not_found(name: &str) -> AppError {
    AppError::not_found(
        ErrorCode::RegistryNotFound,
        format!(
            "there is no registry named {:?}",
            name.chars().take(80).collect::<String>()
        ),
    )
}

/// The registry a request is about, with the caller's access there. A registry the caller
/// has no access to answers exactly like one that does not exist. Without `?registry=`: the
/// caller's default, else the bootstrapped one, else the first registry they can see.
pub async fn for_request(
    resolver: &Resolver<'_>,
    auth: &AuthUser,
    requested: Option<&str>,
) -> AppResult<(RegistryHandle, Access)> {
    if let Some(name) = requested.map(str::trim).filter(|n| !n.is_empty()) {
        let handle = resolver.by_name(name).await?;
        let access = access(resolver.pool, auth, handle.id, handle.default_access).await?;
        if !access.sees_registry() {
            return Err(registry_not_found(name));
        }
        return Ok((handle, access));
    }
    let mut candidates: Vec<RegistryRow> = Vec::new();
    if let Some(name) = auth.user.default_registry.as_deref() {
        candidates.extend(registries::find(resolver.pool, name).await?);
    }
    candidates.extend(registries::find_bootstrapped(resolver.pool).await?);
    candidates.extend(registries::list(resolver.pool).await?);
    for row in candidates {
        let access = access(resolver.pool, auth, row.id, row.default_access()).await?;
        if access.sees_registry() {
            return Ok((resolver.clients.handle(&row, resolver.cipher)?, access));
        }
    }
    Err(AppError::not_found(
        ErrorCode::RegistryNotFound,
        "no registry is configured, or none is open to you",
    ))
}

/// The registries the caller can see (`default_access: role`, a grant there, or admin).
pub async fn visible_registries(pool: &SqlitePool, auth: &AuthUser) -> AppResult<Vec<RegistryRow>> {
    let all = registries::list(pool).await?;
    if auth.role() == Role::Admin {
        return Ok(all);
    }
    let granted = table::registries_of(pool, auth.user.id).await?;
    Ok(all
        .into_iter()
        .filter(|r| r.default_access() == DefaultAccess::Role || granted.contains(&r.id))
        .collect())
}

/// Whether the caller can see the registry named `name` (for choosing a default registry).
pub async fn sees_registry(pool: &SqlitePool, auth: &AuthUser, name: &str) -> AppResult<bool> {
    Ok(visible_registries(pool, auth)
        .await?
        .iter()
        .any(|r| r.name == name))
}

/// The answers a repository the caller cannot read gives: exactly those of a repository the
/// registry does not know, built by the same functions (`registry::not_found`), so nobody
/// can tell a hidden repository from a missing one.
pub mod hidden {
    use super::*;
    use crate::registry::not_found;

    /// `GET …/tags`, `POST …/delete-tags` and `DELETE …/manifests/<digest>`.
    pub fn repository(handle: &RegistryHandle, repo: &RepositoryName) -> AppError {
        not_found::repository(&handle.name, repo)
    }

    /// `GET …/manifests/<reference>` and `DELETE …/manifests/<tag>`.
    pub fn reference(
        handle: &RegistryHandle,
        repo: &RepositoryName,
        reference: &Reference,
    ) -> AppError {
        not_found::reference(&handle.name, repo, reference.as_str())
    }
}

/// 403 for a readable repository the caller may not change.
pub fn cannot_write(repo: &RepositoryName) -> AppError {
    AppError::forbidden(
        ErrorCode::Forbidden,
        format!("you may read {repo} but not delete there"),
    )
}
