//! Manifest details and pull commands.
use futures::{stream, StreamExt as _, TryStreamExt as _};
use shared::registry::{ImageConfigInfo, ManifestDetails, PlatformDetails, PullCommands};

use crate::domain::{Digest, Reference, RepositoryName};
use crate::error::AppResult;
use crate::registry::client::RegistryClient;
use crate::registry::manifest::{
    normalize_time, time_key, Descriptor, Manifest, ManifestKind, Platform,
};
use crate::registry::summary::is_fatal;
use crate::registry::RegistryHandle;

use super::*;

/// The host users pull from: `pull_host` when set, else the URL's host (and port).
pub fn pull_host(handle: &RegistryHandle) -> String {
    let configured = handle.pull_host.as_deref().map(|h| {
        h.trim()
            .trim_start_matches("https://")
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .to_string()
    });
    if let Some(host) = configured.filter(|h| !h.is_empty()) {
        return host;
    }
    let url = handle.client.base_url();
    let host = url.host_str().unwrap_or_default();
    match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_string(),
    }
}

pub fn pull_commands(
    host: &str,
    repo: &RepositoryName,
    tag: Option<&str>,
    digest: &str,
) -> PullCommands {
    let by_digest = format!("{host}/{repo}@{digest}");
    let reference = tag.map_or_else(|| by_digest.clone(), |t| format!("{host}/{repo}:{t}"));
    PullCommands {
        docker: format!("docker pull {reference}"),
        podman: format!("podman pull {reference}"),
        by_digest: format!("docker pull {by_digest}"),
    }
}

/// One image's own content: layers, config, history.
pub(super) async fn image_details(
    client: &RegistryClient,
    repo: &RepositoryName,
    digest: &str,
    manifest: &Manifest,
    platform: Option<&Platform>,
) -> AppResult<PlatformDetails> {
    let mut error = None;
    let config = match manifest.image_config() {
        Some(c) => match client.config(repo, &c.digest).await {
            Ok(config) => Some(config),
            Err(e) if is_fatal(&e) => return Err(e),
            Err(e) => {
                error = Some(format!("config: {e}"));
                None
            }
        },
        None => None,
    };
    let mut details = PlatformDetails {
        os: String::new(),
        architecture: String::new(),
        variant: None,
        digest: digest.to_string(),
        media_type: manifest.media_type.clone(),
        size: manifest.image_size(),
        created: None,
        layers: manifest.layer_infos(),
        config: None,
        history: Vec::new(),
        error,
    };
    if let Some(c) = &config {
        details.os = c.info.os.clone().unwrap_or_default();
        details.architecture = c.info.architecture.clone().unwrap_or_default();
        details.variant = c.info.variant.clone();
        details.created = c.created.clone();
        details.config = Some(c.info.clone());
        details.history = c.history.clone();
    }
    if let Some(info) = &manifest.schema1 {
        details.size = 0;
        details.os = info.os.clone().unwrap_or_default();
        details.architecture = info.architecture.clone().unwrap_or_default();
        details.created = info.created.clone();
        details.history = info.history.clone();
        details.config = Some(ImageConfigInfo {
            architecture: info.architecture.clone(),
            os: info.os.clone(),
            ..ImageConfigInfo::default()
        });
    }
    if details.created.is_none() {
        details.created = manifest.created_annotation().and_then(normalize_time);
    }
    if let Some(p) = platform {
        details.os = p.os.clone();
        details.architecture = p.architecture.clone();
        if p.variant.is_some() {
            details.variant = p.variant.clone();
        }
    }
    Ok(details)
}

pub(super) async fn child_details(
    client: &RegistryClient,
    repo: &RepositoryName,
    child: &Descriptor,
) -> AppResult<PlatformDetails> {
    let platform = child.platform.clone().unwrap_or(Platform {
        os: String::new(),
        architecture: String::new(),
        variant: None,
    });
    let fetched = match Digest::parse(&child.digest) {
        Ok(d) => client.manifest(repo, &Reference::Digest(d)).await,
        Err(e) => Err(e.into()),
    };
    match fetched {
        Ok((digest, manifest)) => {
            image_details(client, repo, &digest, &manifest, Some(&platform)).await
        }
        Err(e) if is_fatal(&e) => Err(e),
        // A child missing on a partial mirror: show the rest.
        Err(e) => Ok(PlatformDetails {
            os: platform.os,
            architecture: platform.architecture,
            variant: platform.variant,
            digest: child.digest.clone(),
            media_type: child.media_type.clone(),
            size: 0,
            created: None,
            layers: Vec::new(),
            config: None,
            history: Vec::new(),
            error: Some(e.to_string()),
        }),
    }
}

/// `GET /api/repositories/{repo}/manifests/{reference}`.
pub async fn manifest_details(
    handle: &RegistryHandle,
    repo: &RepositoryName,
    reference: &Reference,
    refresh: bool,
) -> AppResult<ManifestDetails> {
    let client = &handle.client;
    let cached = match reference {
        Reference::Tag(tag) if !refresh => client
            .cached_tag_digest(repo, tag.as_str())
            .and_then(|d| Some((d.to_string(), client.content.manifest(&d)?))),
        _ => None,
    };
    let (digest, manifest) = match cached {
        Some(found) => found,
        None => client.manifest(repo, reference).await?,
    };

    let mut details = ManifestDetails {
        registry: handle.name.clone(),
        repository: repo.to_string(),
        // From the registry's push events, filled in by the route.
        pushed_at: None,
        pushed_by: None,
        tag: match reference {
            Reference::Tag(t) => Some(t.to_string()),
            Reference::Digest(_) => None,
        },
        digest: digest.clone(),
        media_type: manifest.media_type.clone(),
        is_index: manifest.is_index(),
        size: 0,
        created: None,
        annotations: manifest.annotations.clone(),
        layers: Vec::new(),
        config: None,
        history: Vec::new(),
        platforms: Vec::new(),
        tags_sharing_digest: Vec::new(),
        pull_commands: pull_commands(
            &pull_host(handle),
            repo,
            match reference {
                Reference::Tag(t) => Some(t.as_str()),
                Reference::Digest(_) => None,
            },
            &digest,
        ),
    };
    if manifest.kind == ManifestKind::Index {
        let children: Vec<&Descriptor> = manifest.platform_children().collect();
        let platforms: Vec<PlatformDetails> =
            stream::iter(children.into_iter().map(|c| child_details(client, repo, c)))
                .buffered(client.concurrency().max(1))
                .try_collect()
                .await?;
        details.size = platforms.iter().map(|p| p.size).sum();
        details.created = manifest
            .created_annotation()
            .and_then(normalize_time)
            .or_else(|| {
                platforms
                    .iter()
                    .filter_map(|p| p.created.as_deref())
                    .max_by_key(|c| time_key(c))
                    .map(str::to_string)
            });
        details.platforms = platforms;
    } else {
        let own = image_details(client, repo, &digest, &manifest, None).await?;
        details.size = own.size;
        details.created = own.created.clone();
        details.layers = own.layers.clone();
        details.config = own.config.clone();
        details.history = own.history.clone();
        details.platforms = vec![own];
    }
    let asked = details.tag.clone();
    details.tags_sharing_digest = tags_pointing_to(client, repo, &digest, refresh)
        .await?
        .into_iter()
        .filter(|t| Some(t) != asked.as_ref())
        .collect();
    Ok(details)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pull_commands_use_tags_or_digests() {
        let repo = RepositoryName::parse("team/app").unwrap();
        let d = format!("sha256:{}", "a".repeat(64));
        let c = pull_commands("registry.example.com", &repo, Some("v1"), &d);
        assert_eq!(c.docker, "docker pull registry.example.com/team/app:v1");
        assert_eq!(c.podman, "podman pull registry.example.com/team/app:v1");
        assert_eq!(
            c.by_digest,
            format!("docker pull registry.example.com/team/app@{d}")
        );
        let c = pull_commands("h:5000", &repo, None, &d);
        assert_eq!(c.docker, format!("docker pull h:5000/team/app@{d}"));
    }
}
