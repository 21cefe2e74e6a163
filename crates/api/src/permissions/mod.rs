//! Repository permissions: the one place that decides which registries and repositories a
//! caller may see and change. Every registry route asks [`for_request`]; the admin API and
//! the CLI manage grants through [`grants`]. Nothing is cached across requests: a changed
//! grant, role or default access counts from the next request on.
pub mod grants;

use crate::db::Db;
use shared::auth::Role;
use shared::error::ErrorCode;
use shared::permissions::{AccessLevel, DefaultAccess};
use shared::tokens::TokenScope;

use crate::auth::{AuthUser, Credential};
use crate::domain::{Access, Reference, RegistryName, RepositoryName, RepositoryPattern};
use crate::error::{AppError, AppResult};
use crate::registry::{RegistryHandle, Resolver};
use crate::storage::grants as table;
use crate::storage::registries::{self, Lookup, RegistryRow};

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

/// The caller's access to the repositories of one registry, from its default access and the
/// caller's grants there (as `storage` read them).
pub fn access_from(
    auth: &AuthUser,
    default: DefaultAccess,
    stored: Vec<(String, String)>,
) -> Access {
    let base = shared::permissions::base_level(auth.role(), default);
    let grants = if base == Some(AccessLevel::Write) {
        // Nothing can raise it.
        Vec::new()
    } else {
        stored
            .into_iter()
            // Stored patterns were checked when added; a row that no longer parses gives nothing.
            .filter_map(|(pattern, level)| {
                Some((
                    RepositoryPattern::parse_owned(pattern).ok()?,
                    AccessLevel::parse(&level)?,
                ))
            })
            .collect()
    };
    Access::new(base, grants, cap(&auth.credential))
}

/// The caller's access to the repositories of a registry: one read of the registry with the
/// caller's grants there.
pub async fn access(
    pool: &Db,
    auth: &AuthUser,
    lookup: Lookup<'_>,
) -> AppResult<Option<(RegistryRow, Access)>> {
    Ok(registries::find_with_grants(pool, lookup, auth.user.id)
        .await?
        .map(|(row, grants)| {
            let access = access_from(auth, row.default_access(), grants);
            (row, access)
        }))
}

/// The registry a request is about, with the caller's access there. A registry the caller
/// has no access to answers exactly like one that does not exist. Without `?registry=`: the
/// caller's default, else the bootstrapped one, else the first registry they can see.
pub async fn for_request(
    resolver: &Resolver<'_>,
    auth: &AuthUser,
    requested: Option<&str>,
) -> AppResult<(RegistryHandle, Access)> {
    let pool = resolver.pool;
    if let Some(name) = requested.map(str::trim).filter(|n| !n.is_empty()) {
        if !RegistryName::is_valid(name) {
            return Err(AppError::registry_not_found(name));
        }
        return match access(pool, auth, Lookup::Name(name)).await? {
            Some((row, access)) if access.sees_registry() => {
                Ok((resolver.clients.handle(&row, resolver.cipher)?, access))
            }
            _ => Err(AppError::registry_not_found(name)),
        };
    }
    // The usual case answers after one read: the caller's default or the bootstrapped registry,
    // when visible. Only then are the others looked at.
    let mut tried: Vec<i64> = Vec::new();
    let mut lookups = Vec::new();
    if let Some(name) = auth.user.default_registry.as_deref() {
        lookups.push(Lookup::Name(name));
    }
    lookups.push(Lookup::Bootstrapped);
    for lookup in lookups {
        if let Some((row, access)) = access(pool, auth, lookup).await? {
            if access.sees_registry() {
                return Ok((resolver.clients.handle(&row, resolver.cipher)?, access));
            }
            tried.push(row.id);
        }
    }
    for row in registries::list(pool).await? {
        if tried.contains(&row.id) {
            continue;
        }
        // The row is in hand: only the caller's grants there are still to read.
        let grants = table::patterns(pool, auth.user.id, row.id).await?;
        let access = access_from(auth, row.default_access(), grants);
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
pub async fn visible_registries(pool: &Db, auth: &AuthUser) -> AppResult<Vec<RegistryRow>> {
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
pub async fn sees_registry(pool: &Db, auth: &AuthUser, name: &str) -> AppResult<bool> {
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
