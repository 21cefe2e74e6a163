//! Deleting tags. A registry deletes manifests, not tags: deleting a tag's digest removes every
//! tag on it, so the answer names them all, computed from fresh data before the delete.
use std::collections::HashMap;

use shared::error::ErrorCode;
use shared::registry::{BulkDeleteResult, DeleteResponse};

use super::browse::{tag_digests, tags_pointing_to};
use super::summary::is_fatal;
use super::RegistryHandle;
use crate::domain::{Digest, Reference, RepositoryName, Tag};
use crate::error::{AppError, AppResult};

/// One manifest deleted: for the audit log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeletedDigest {
    pub digest: String,
    /// The tag the user asked to delete (`None` when asked by digest).
    pub requested_tag: Option<String>,
    /// Every tag that pointed at the digest and is gone with it.
    pub removed_tags: Vec<String>,
}

/// `DELETE /api/repositories/{repo}/manifests/{reference}`: resolves a tag with the full
/// `Accept` list (a multi-arch tag gives the index, never a child), deletes by digest.
pub async fn delete_reference(
    handle: &RegistryHandle,
    repo: &RepositoryName,
    reference: &Reference,
) -> AppResult<(DeleteResponse, DeletedDigest)> {
    handle.ensure_writable()?;
    let client = &handle.client;
    let digest = match reference {
        Reference::Digest(d) => d.to_string(),
        Reference::Tag(t) => client.resolve_tag(repo, t).await?,
    };
    let removed_tags = tags_pointing_to(client, repo, &digest, true).await?;
    let parsed = Digest::parse(&digest)?;
    let result = client.delete_manifest(repo, &parsed).await;
    client.invalidate_repository(repo, &removed_tags);
    result?;
    let requested_tag = match reference {
        Reference::Tag(t) => Some(t.to_string()),
        Reference::Digest(_) => None,
    };
    Ok((
        DeleteResponse {
            deleted_digest: digest.clone(),
            removed_tags: removed_tags.clone(),
        },
        DeletedDigest {
            digest,
            requested_tag,
            removed_tags,
        },
    ))
}

/// The result of a bulk delete: one row per requested tag, one entry per deleted digest.
#[derive(Debug, Clone)]
pub struct BulkDeleteOutcome {
    pub results: Vec<BulkDeleteResult>,
    pub deleted: Vec<DeletedDigest>,
}

fn failed(tag: &str, digest: Option<String>, e: &AppError) -> BulkDeleteResult {
    BulkDeleteResult {
        tag: tag.to_string(),
        ok: false,
        digest,
        error: Some(e.code().to_string()),
        message: Some(e.to_string()),
    }
}

/// `POST /api/repositories/{repo}/delete-tags`: tags sharing a digest cost one delete.
pub async fn delete_tags(
    handle: &RegistryHandle,
    repo: &RepositoryName,
    tags: &[Tag],
) -> AppResult<BulkDeleteOutcome> {
    handle.ensure_writable()?;
    let client = &handle.client;
    let all_tags = client.tags(repo, true).await?;
    let current: HashMap<String, Option<String>> = tag_digests(client, repo, &all_tags, true)
        .await?
        .into_iter()
        .collect();

    let mut requested: Vec<&str> = Vec::new();
    for t in tags {
        if !requested.contains(&t.as_str()) {
            requested.push(t.as_str());
        }
    }
    // Digests in the order their first tag was asked for.
    let mut groups: Vec<(String, Vec<&str>)> = Vec::new();
    for tag in &requested {
        if let Some(Some(digest)) = current.get(*tag) {
            match groups.iter_mut().find(|(d, _)| d == digest) {
                Some((_, members)) => members.push(tag),
                None => groups.push((digest.clone(), vec![tag])),
            }
        }
    }

    let mut outcomes: HashMap<&str, BulkDeleteResult> = HashMap::new();
    let mut deleted = Vec::new();
    // Once the registry says deletes are disabled (or is down), the rest would fail alike.
    let mut stop: Option<AppError> = None;
    for (digest, members) in &groups {
        let result = match &stop {
            Some(e) => Err(clone_error(e)),
            None => match Digest::parse(digest) {
                Ok(d) => client.delete_manifest(repo, &d).await,
                Err(e) => Err(e.into()),
            },
        };
        match result {
            Ok(()) => {
                let mut removed: Vec<String> = current
                    .iter()
                    .filter(|(_, d)| d.as_deref() == Some(digest.as_str()))
                    .map(|(t, _)| t.clone())
                    .collect();
                removed.sort();
                for tag in members {
                    outcomes.insert(
                        tag,
                        BulkDeleteResult {
                            tag: tag.to_string(),
                            ok: true,
                            digest: Some(digest.clone()),
                            error: None,
                            message: None,
                        },
                    );
                }
                deleted.push(DeletedDigest {
                    digest: digest.clone(),
                    requested_tag: members.first().map(|t| t.to_string()),
                    removed_tags: removed,
                });
            }
            Err(e) => {
                for tag in members {
                    outcomes.insert(tag, failed(tag, Some(digest.clone()), &e));
                }
                if stop.is_none() && (is_fatal(&e) || e.error_code() == ErrorCode::DeleteDisabled) {
                    stop = Some(e);
                }
            }
        }
    }
    client.invalidate_repository(repo, &all_tags);

    let not_found = AppError::not_found(ErrorCode::NotFound, "this tag does not exist (any more)");
    let results = requested
        .iter()
        .map(|tag| {
            outcomes
                .remove(tag)
                .unwrap_or_else(|| failed(tag, None, &not_found))
        })
        .collect();
    Ok(BulkDeleteOutcome { results, deleted })
}

fn clone_error(e: &AppError) -> AppError {
    match e {
        AppError::Conflict { code, message } => AppError::conflict(*code, message.clone()),
        AppError::Upstream { code, message } => AppError::upstream(*code, message.clone()),
        // Opaque, like the original: its cause was logged where it happened.
        AppError::Internal(_) => AppError::Internal(anyhow::anyhow!("{e}")),
        other => AppError::upstream(other.error_code(), other.to_string()),
    }
}
