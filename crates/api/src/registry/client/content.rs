//! Manifests and configs by digest (verified, cached for good) and deleting manifests.
use std::sync::Arc;

use reqwest::Method;
use reqwest::StatusCode;
use shared::error::ErrorCode;

use crate::domain::{Digest, Reference, RepositoryName, Tag};
use crate::error::{AppError, AppResult};
use crate::registry::manifest::{
    parse_config, parse_manifest, ImageConfig, Manifest, ManifestKind, MANIFEST_ACCEPT,
};

use super::*;

impl RegistryClient {
    /// Fetches a manifest by tag or digest with the full `Accept` list. Content fetched by
    /// digest is verified; content whose digest is verified is cached.
    pub async fn manifest(
        &self,
        repo: &RepositoryName,
        reference: &Reference,
    ) -> AppResult<(String, Arc<Manifest>)> {
        if let Reference::Digest(digest) = reference {
            if let Some(m) = self.content.manifest(digest.as_str()) {
                return Ok((digest.to_string(), m));
            }
        }
        let response = self
            .send(Call {
                op: "manifest_get",
                method: Method::GET,
                url: self.v2(&format!("{repo}/manifests/{}", reference.as_str()))?,
                accept: Some(MANIFEST_ACCEPT),
                scope: Some(pull_scope(repo)),
                limit: MANIFEST_LIMIT,
            })
            .await?;
        if response.status == StatusCode::NOT_FOUND {
            return Err(crate::registry::not_found::reference(
                &self.name,
                repo,
                reference.as_str(),
            ));
        }
        if !response.status.is_success() {
            return Err(self.unexpected("manifest_get", &response));
        }
        let manifest = parse_manifest(&response.body, response.header("content-type"))
            .map_err(|e| bad_content(format!("{repo}:{}: {e}", reference.as_str())))?;
        let header_digest = response
            .header("docker-content-digest")
            .filter(|d| Digest::is_valid(d))
            .map(str::to_string);
        let signed_schema1 = manifest.kind == ManifestKind::Schema1;
        let (digest, verified) = match reference {
            Reference::Digest(asked) => match asked.verify(&response.body) {
                Some(true) => (asked.to_string(), true),
                Some(false) if signed_schema1 => (asked.to_string(), false),
                Some(false) => {
                    return Err(bad_content(format!(
                        "registry {:?} sent content that does not match {asked}",
                        self.name
                    )))
                }
                None => (asked.to_string(), false),
            },
            Reference::Tag(_) => {
                let computed = Digest::sha256_of(&response.body);
                match header_digest {
                    Some(header) if header == computed.as_str() => (header, true),
                    // A signed schema1 manifest's digest covers its payload without signatures.
                    Some(header) if signed_schema1 => (header, false),
                    Some(header) => match Digest::parse(&header)
                        .ok()
                        .and_then(|d| d.verify(&response.body))
                    {
                        Some(false) => {
                            return Err(bad_content(format!(
                            "registry {:?} sent a manifest that does not match its digest {header}",
                            self.name
                        )))
                        }
                        _ => (header, false),
                    },
                    None => (computed.to_string(), true),
                }
            }
        };
        let manifest = Arc::new(manifest);
        if verified {
            self.content.put_manifest(&digest, manifest.clone());
        }
        if let Reference::Tag(tag) = reference {
            self.remember_tag(repo, tag.as_str(), &digest);
        }
        Ok((digest, manifest))
    }

    /// What `tag` points at now (HEAD with the full `Accept` list, so a multi-arch tag gives
    /// its index digest, never a child's).
    pub async fn resolve_tag(&self, repo: &RepositoryName, tag: &Tag) -> AppResult<String> {
        let response = self
            .send(Call {
                op: "manifest_head",
                method: Method::HEAD,
                url: self.v2(&format!("{repo}/manifests/{tag}"))?,
                accept: Some(MANIFEST_ACCEPT),
                scope: Some(pull_scope(repo)),
                limit: 0,
            })
            .await?;
        if response.status == StatusCode::NOT_FOUND {
            return Err(crate::registry::not_found::reference(
                &self.name,
                repo,
                tag.as_str(),
            ));
        }
        if !response.status.is_success() {
            return Err(self.unexpected("manifest_head", &response));
        }
        match response
            .header("docker-content-digest")
            .filter(|d| Digest::is_valid(d))
        {
            Some(digest) => {
                self.remember_tag(repo, tag.as_str(), digest);
                Ok(digest.to_string())
            }
            // No header: the digest is the sha256 of the manifest as served.
            None => Ok(self.manifest(repo, &Reference::Tag(tag.clone())).await?.0),
        }
    }

    /// An image config blob, verified against its digest and cached.
    pub async fn config(&self, repo: &RepositoryName, digest: &str) -> AppResult<Arc<ImageConfig>> {
        if let Some(c) = self.content.config(digest) {
            return Ok(c);
        }
        let parsed = Digest::parse(digest)?;
        let response = self
            .send(Call {
                op: "blob_get",
                method: Method::GET,
                url: self.v2(&format!("{repo}/blobs/{digest}"))?,
                accept: None,
                scope: Some(pull_scope(repo)),
                limit: CONFIG_LIMIT,
            })
            .await?;
        if response.status == StatusCode::NOT_FOUND {
            return Err(AppError::not_found(
                ErrorCode::NotFound,
                format!(
                    "config {digest} of {repo} was not found in registry {:?}",
                    self.name
                ),
            ));
        }
        if !response.status.is_success() {
            return Err(self.unexpected("blob_get", &response));
        }
        let verified = match parsed.verify(&response.body) {
            Some(false) => {
                return Err(bad_content(format!(
                    "registry {:?} sent a config that does not match {digest}",
                    self.name
                )))
            }
            Some(true) => true,
            None => false,
        };
        let config = Arc::new(
            parse_config(&response.body)
                .map_err(|e| bad_content(format!("{repo}@{digest}: {e}")))?,
        );
        if verified {
            self.content
                .put_config(digest, config.clone(), response.body.len());
        }
        Ok(config)
    }

    /// `DELETE /v2/<repo>/manifests/<digest>`: removes the manifest and every tag on it.
    pub async fn delete_manifest(&self, repo: &RepositoryName, digest: &Digest) -> AppResult<()> {
        let response = self
            .send(Call {
                op: "manifest_delete",
                method: Method::DELETE,
                url: self.v2(&format!("{repo}/manifests/{digest}"))?,
                accept: Some(MANIFEST_ACCEPT),
                scope: Some(format!("repository:{repo}:delete")),
                limit: 64 * 1024,
            })
            .await?;
        let code = response.error_code();
        match response.status {
            s if s.is_success() => Ok(()),
            StatusCode::NOT_FOUND => Err(AppError::not_found(
                ErrorCode::NotFound,
                format!("{repo}@{digest} was not found in registry {:?}", self.name),
            )),
            StatusCode::METHOD_NOT_ALLOWED => Err(delete_disabled(&self.name)),
            _ if code.as_deref() == Some("UNSUPPORTED") => Err(delete_disabled(&self.name)),
            _ => Err(self.unexpected("manifest_delete", &response)),
        }
    }
}
