//! Registry browsing DTOs (`/api/health`, `/api/catalog`, `/api/repositories/*`).
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HealthResponse {
    pub registry: String,
    pub url: String,
    pub reachable: bool,
    /// HTTP status of the registry's `GET /v2/`, when it answered.
    pub status: Option<u16>,
    /// The `Docker-Distribution-API-Version` header.
    pub api_version: Option<String>,
    pub latency_ms: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RepositorySummary {
    /// The full name, namespaces included (`team/app`).
    pub name: String,
    /// Everything before the last `/`, or `null` for a top-level repository.
    pub namespace: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CatalogPage {
    pub registry: String,
    pub repositories: Vec<RepositorySummary>,
    /// Matching repositories over all pages.
    pub total: usize,
    pub page: usize,
    pub per_page: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PlatformSummary {
    pub os: String,
    pub architecture: String,
    #[serde(default)]
    pub variant: Option<String>,
    pub digest: String,
    /// Compressed size: config + layers.
    pub size: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TagSummary {
    pub name: String,
    #[serde(default)]
    pub digest: Option<String>,
    #[serde(default)]
    pub media_type: Option<String>,
    /// Compressed size; for an index the sum over its platforms.
    #[serde(default)]
    pub size: Option<u64>,
    #[serde(default)]
    pub created: Option<String>,
    #[serde(default)]
    pub platforms: Vec<PlatformSummary>,
    /// Set when the details of this tag could not be read (e.g. a child missing on a mirror).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// When this tag was pushed with its current digest, from the registry's push events
    /// (RFC 3339; `null` when no event was received). With `details=true`.
    #[serde(default)]
    pub pushed_at: Option<String>,
    /// Who pushed it (the registry login's user), from the same event.
    #[serde(default)]
    pub pushed_by: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TagPage {
    pub registry: String,
    pub repository: String,
    /// What the caller may do here: `write` shows delete controls.
    pub access: crate::permissions::AccessLevel,
    pub total: usize,
    pub page: usize,
    pub per_page: usize,
    pub tags: Vec<TagSummary>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LayerInfo {
    pub digest: String,
    pub size: u64,
    pub media_type: String,
}

/// The image configuration, keeping the JSON types of the image config.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ImageConfigInfo {
    #[serde(default)]
    pub architecture: Option<String>,
    #[serde(default)]
    pub os: Option<String>,
    #[serde(default)]
    pub variant: Option<String>,
    #[serde(default)]
    pub env: Vec<String>,
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    #[serde(default)]
    pub cmd: Option<Vec<String>>,
    #[serde(default)]
    pub entrypoint: Option<Vec<String>>,
    /// Like `"80/tcp"`.
    #[serde(default)]
    pub exposed_ports: Vec<String>,
    #[serde(default)]
    pub working_dir: Option<String>,
    #[serde(default)]
    pub user: Option<String>,
    #[serde(default)]
    pub volumes: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HistoryEntry {
    #[serde(default)]
    pub created: Option<String>,
    #[serde(default)]
    pub created_by: Option<String>,
    #[serde(default)]
    pub empty_layer: bool,
}

/// One platform of a multi-arch image, with its own content.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PlatformDetails {
    pub os: String,
    pub architecture: String,
    #[serde(default)]
    pub variant: Option<String>,
    pub digest: String,
    pub media_type: String,
    pub size: u64,
    #[serde(default)]
    pub created: Option<String>,
    #[serde(default)]
    pub layers: Vec<LayerInfo>,
    #[serde(default)]
    pub config: Option<ImageConfigInfo>,
    #[serde(default)]
    pub history: Vec<HistoryEntry>,
    /// Set when this child could not be read (e.g. missing on a partial mirror).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PullCommands {
    pub docker: String,
    pub podman: String,
    pub by_digest: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ManifestDetails {
    pub registry: String,
    pub repository: String,
    /// When this tag was pushed with this digest, from the registry's push events (RFC 3339).
    #[serde(default)]
    pub pushed_at: Option<String>,
    /// Who pushed it, from the same event.
    #[serde(default)]
    pub pushed_by: Option<String>,
    /// The tag asked for, or `null` when asked by digest.
    #[serde(default)]
    pub tag: Option<String>,
    pub digest: String,
    pub media_type: String,
    /// Whether this is an index / manifest list.
    pub is_index: bool,
    /// Compressed size; for an index the sum over its platforms.
    pub size: u64,
    #[serde(default)]
    pub created: Option<String>,
    #[serde(default)]
    pub annotations: BTreeMap<String, String>,
    /// For an image: its layers. Empty for an index.
    #[serde(default)]
    pub layers: Vec<LayerInfo>,
    #[serde(default)]
    pub config: Option<ImageConfigInfo>,
    #[serde(default)]
    pub history: Vec<HistoryEntry>,
    /// For an index: every platform (attestations excluded). For an image: its own platform.
    #[serde(default)]
    pub platforms: Vec<PlatformDetails>,
    /// Other tags of this repository that point to the same digest.
    #[serde(default)]
    pub tags_sharing_digest: Vec<String>,
    pub pull_commands: PullCommands,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeleteResponse {
    pub deleted_digest: String,
    pub removed_tags: Vec<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BulkDeleteRequest {
    /// 1 to 1000 tag names.
    #[cfg_attr(feature = "openapi", schema(min_items = 1, max_items = 1000))]
    pub tags: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BulkDeleteResult {
    pub tag: String,
    pub ok: bool,
    #[serde(default)]
    pub digest: Option<String>,
    /// The stable error code when `ok` is false (`not_found`, `delete_disabled`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Human-readable text for `error`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BulkDeleteResponse {
    pub results: Vec<BulkDeleteResult>,
}
