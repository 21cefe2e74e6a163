//! What a tag list shows per digest: media type, compressed size, created, platforms. Derived
//! from immutable content only, so a complete summary is cached by digest for good.
use std::sync::Arc;

use futures::future::join_all;
use shared::registry::PlatformSummary;

use super::client::RegistryClient;
use super::manifest::{time_key, Descriptor, Manifest, ManifestKind};
use crate::domain::{Digest, Reference, RepositoryName};
use crate::error::{AppError, AppResult};

#[derive(Debug, Clone)]
pub struct ImageSummary {
    pub media_type: String,
    /// Config + layers; for an index the sum over its platforms; unknown for schema1.
    pub size: Option<u64>,
    pub created: Option<String>,
    pub created_key: Option<i64>,
    pub platforms: Vec<PlatformSummary>,
}

/// Errors that concern the registry as a whole (not one tag): they fail the whole request
/// instead of marking one row.
pub fn is_fatal(e: &AppError) -> bool {
    matches!(
        e.code(),
        "registry_unreachable"
            | "registry_timeout"
            | "registry_auth_failed"
            | "registry_host_forbidden"
    ) || matches!(e, AppError::Internal(_))
}

/// The summary of `digest` (whose manifest is `manifest`), from the cache when known.
/// The second value describes parts that could not be read (e.g. a child missing on a
/// partial mirror); such summaries are not cached.
pub async fn summarize(
    client: &RegistryClient,
    repo: &RepositoryName,
    digest: &str,
    manifest: &Manifest,
) -> AppResult<(Arc<ImageSummary>, Option<String>)> {
    if let Some(s) = client.content.summary(digest) {
        return Ok((s, None));
    }
    let (summary, problem) = match manifest.kind {
        ManifestKind::Image => image_summary(client, repo, digest, manifest).await?,
        ManifestKind::Index => index_summary(client, repo, manifest).await?,
        ManifestKind::Schema1 => {
            let info = manifest.schema1.clone().unwrap_or_default();
            let summary = ImageSummary {
                media_type: manifest.media_type.clone(),
                size: None,
                created_key: info.created.as_deref().and_then(time_key),
                created: info.created.clone(),
                platforms: match (info.os, info.architecture) {
                    (Some(os), Some(architecture)) => vec![PlatformSummary {
                        os,
                        architecture,
                        variant: None,
                        digest: digest.to_string(),
                        size: 0,
                    }],
                    _ => Vec::new(),
                },
            };
            (summary, None)
        }
    };
    let summary = Arc::new(summary);
    if problem.is_none() {
        client.content.put_summary(digest, summary.clone());
    }
    Ok((summary, problem))
}

async fn image_summary(
    client: &RegistryClient,
    repo: &RepositoryName,
    digest: &str,
    manifest: &Manifest,
) -> AppResult<(ImageSummary, Option<String>)> {
    let size = manifest.image_size();
    let mut problem = None;
    let config = match manifest.image_config() {
        Some(c) => match client.config(repo, &c.digest).await {
            Ok(config) => Some(config),
            Err(e) if is_fatal(&e) => return Err(e),
            Err(e) => {
                problem = Some(format!("config: {e}"));
                None
            }
        },
        None => None,
    };
    let created = config.as_ref().and_then(|c| c.created.clone()).or_else(|| {
        manifest
            .created_annotation()
            .and_then(super::manifest::normalize_time)
    });
    let platforms = config
        .as_ref()
        .and_then(|c| {
            Some((
                c.info.os.clone()?,
                c.info.architecture.clone()?,
                c.info.variant.clone(),
            ))
        })
        .map(|(os, architecture, variant)| {
            vec![PlatformSummary {
                os,
                architecture,
                variant,
                digest: digest.to_string(),
                size,
            }]
        })
        .unwrap_or_default();
    Ok((
        ImageSummary {
            media_type: manifest.media_type.clone(),
            size: Some(size),
            created_key: created.as_deref().and_then(time_key),
            created,
            platforms,
        },
        problem,
    ))
}

/// One platform of an index: its size from its manifest, its date from its config.
async fn child_summary(
    client: &RegistryClient,
    repo: &RepositoryName,
    child: &Descriptor,
) -> AppResult<(PlatformSummary, Option<String>)> {
    let digest = Digest::parse(&child.digest)?;
    let (_, manifest) = client.manifest(repo, &Reference::Digest(digest)).await?;
    let size = if manifest.kind == ManifestKind::Image {
        manifest.image_size()
    } else {
        0
    };
    let config = match manifest.image_config() {
        Some(c) => Some(client.config(repo, &c.digest).await?),
        None => None,
    };
    let platform = child.platform.clone();
    let from_config =
        |f: fn(&super::manifest::ImageConfig) -> Option<String>| config.as_deref().and_then(f);
    let created = from_config(|c| c.created.clone()).or_else(|| {
        manifest
            .created_annotation()
            .and_then(super::manifest::normalize_time)
    });
    Ok((
        PlatformSummary {
            os: platform
                .as_ref()
                .map(|p| p.os.clone())
                .or_else(|| from_config(|c| c.info.os.clone()))
                .unwrap_or_default(),
            architecture: platform
                .as_ref()
                .map(|p| p.architecture.clone())
                .or_else(|| from_config(|c| c.info.architecture.clone()))
                .unwrap_or_default(),
            variant: platform
                .as_ref()
                .and_then(|p| p.variant.clone())
                .or_else(|| from_config(|c| c.info.variant.clone())),
            digest: child.digest.clone(),
            size,
        },
        created,
    ))
}

async fn index_summary(
    client: &RegistryClient,
    repo: &RepositoryName,
    manifest: &Manifest,
) -> AppResult<(ImageSummary, Option<String>)> {
    let children: Vec<&Descriptor> = manifest.platform_children().collect();
    let results = join_all(children.iter().map(|c| child_summary(client, repo, c))).await;
    let mut platforms = Vec::with_capacity(children.len());
    let mut newest: Option<(i64, String)> = None;
    let mut problems = Vec::new();
    for (child, result) in children.iter().zip(results) {
        match result {
            Ok((platform, created)) => {
                if let Some(created) = created {
                    if let Some(key) = time_key(&created) {
                        if newest.as_ref().is_none_or(|(k, _)| key > *k) {
                            newest = Some((key, created));
                        }
                    }
                }
                platforms.push(platform);
            }
            Err(e) if is_fatal(&e) => return Err(e),
            Err(e) => problems.push(format!("{}: {e}", child.digest)),
        }
    }
    let created = manifest
        .created_annotation()
        .and_then(super::manifest::normalize_time)
        .or(newest.map(|(_, c)| c));
    Ok((
        ImageSummary {
            media_type: manifest.media_type.clone(),
            size: Some(platforms.iter().map(|p| p.size).sum()),
            created_key: created.as_deref().and_then(time_key),
            created,
            platforms,
        },
        (!problems.is_empty())
            .then(|| format!("some platforms could not be read: {}", problems.join("; "))),
    ))
}
