//! The 404s of a repository or manifest the registry does not know. One definition each, used
//! by the client when the registry says so and by the permission check for a repository the
//! caller may not read, so the two answers cannot drift apart.
use shared::error::ErrorCode;

use crate::domain::RepositoryName;
use crate::error::AppError;

/// The registry never knew the repository (its tag list answers `NAME_UNKNOWN`).
pub fn repository(registry: &str, repo: &RepositoryName) -> AppError {
    AppError::not_found(
        ErrorCode::NotFound,
        format!(
            "registry {registry:?} has no repository named {:?}",
            repo.as_str()
        ),
    )
}

/// No manifest `reference` (a tag or digest) in the repository, or no repository.
pub fn reference(registry: &str, repo: &RepositoryName, reference: &str) -> AppError {
    AppError::not_found(
        ErrorCode::NotFound,
        format!("{repo}:{reference} was not found in registry {registry:?}"),
    )
}
