//! Manifests and image configs as registries serve them: Docker schema2, Docker manifest list,
//! OCI manifest, OCI index, and (read-only) Docker schema1.
use std::collections::BTreeMap;

use serde::Deserialize;
use shared::registry::{HistoryEntry, ImageConfigInfo, LayerInfo};

use crate::domain::Digest;

pub const DOCKER_MANIFEST_V2: &str = "application/vnd.docker.distribution.manifest.v2+json";
pub const DOCKER_MANIFEST_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";
pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
pub const DOCKER_SCHEMA1: &str = "application/vnd.docker.distribution.manifest.v1+json";
pub const DOCKER_SCHEMA1_SIGNED: &str = "application/vnd.docker.distribution.manifest.v1+prettyjws";
pub const DOCKER_CONFIG: &str = "application/vnd.docker.container.image.v1+json";
pub const OCI_CONFIG: &str = "application/vnd.oci.image.config.v1+json";

/// Every manifest type we understand. Without the list/index types a registry silently answers
/// a multi-arch tag with its amd64 child (and that child's digest); without the OCI types, OCI
/// manifests are 404; with no `Accept` at all, Docker images come back converted to schema1.
pub const MANIFEST_ACCEPT: &str = "application/vnd.oci.image.index.v1+json, \
application/vnd.docker.distribution.manifest.list.v2+json, \
application/vnd.oci.image.manifest.v1+json, \
application/vnd.docker.distribution.manifest.v2+json, \
application/vnd.docker.distribution.manifest.v1+prettyjws;q=0.5, \
application/vnd.docker.distribution.manifest.v1+json;q=0.5";

pub const CREATED_ANNOTATION: &str = "org.opencontainers.image.created";
const REFERENCE_TYPE_ANNOTATION: &str = "vnd.docker.reference.type";
const ATTESTATION_MANIFEST: &str = "attestation-manifest";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ManifestKind {
    Image,
    Index,
    Schema1,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Platform {
    pub os: String,
    pub architecture: String,
    pub variant: Option<String>,
}

/// A content descriptor whose digest has been validated (it is later used in URLs).
#[derive(Debug, Clone)]
pub struct Descriptor {
    pub media_type: String,
    pub digest: String,
    pub size: u64,
    pub platform: Option<Platform>,
    pub annotations: BTreeMap<String, String>,
}

impl Descriptor {
    /// buildx attestation manifests are listed in indexes but are not platforms.
    pub fn is_attestation(&self) -> bool {
        let unknown = self
            .platform
            .as_ref()
            .is_some_and(|p| p.os == "unknown" && p.architecture == "unknown");
        unknown
            || self
                .annotations
                .get(REFERENCE_TYPE_ANNOTATION)
                .is_some_and(|v| v == ATTESTATION_MANIFEST)
    }
}

#[derive(Debug, Clone)]
pub struct Manifest {
    pub media_type: String,
    pub kind: ManifestKind,
    pub config: Option<Descriptor>,
    pub layers: Vec<Descriptor>,
    pub manifests: Vec<Descriptor>,
    pub annotations: BTreeMap<String, String>,
    /// Schema1 only: what its embedded v1 history says.
    pub schema1: Option<Schema1Info>,
    /// Bytes of the manifest as served.
    pub byte_size: usize,
}

#[derive(Debug, Clone, Default)]
pub struct Schema1Info {
    pub architecture: Option<String>,
    pub os: Option<String>,
    pub created: Option<String>,
    pub history: Vec<HistoryEntry>,
}

impl Manifest {
    pub fn is_index(&self) -> bool {
        self.kind == ManifestKind::Index
    }

    /// Compressed size of an image: config + layers.
    pub fn image_size(&self) -> u64 {
        self.config.as_ref().map_or(0, |c| c.size) + self.layers.iter().map(|l| l.size).sum::<u64>()
    }

    pub fn created_annotation(&self) -> Option<&str> {
        self.annotations.get(CREATED_ANNOTATION).map(String::as_str)
    }

    /// The config blob worth fetching: image configs only (Helm charts and other artifacts
    /// use their own config types, which say nothing about platforms or history).
    pub fn image_config(&self) -> Option<&Descriptor> {
        self.config
            .as_ref()
            .filter(|c| c.media_type == DOCKER_CONFIG || c.media_type == OCI_CONFIG)
    }

    pub fn layer_infos(&self) -> Vec<LayerInfo> {
        self.layers
            .iter()
            .map(|l| LayerInfo {
                digest: l.digest.clone(),
                size: l.size,
                media_type: l.media_type.clone(),
            })
            .collect()
    }

    /// The children of an index that are real platforms.
    pub fn platform_children(&self) -> impl Iterator<Item = &Descriptor> {
        self.manifests.iter().filter(|d| !d.is_attestation())
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawManifest {
    #[serde(default)]
    schema_version: Option<u32>,
    #[serde(default)]
    media_type: Option<String>,
    #[serde(default)]
    config: Option<RawDescriptor>,
    #[serde(default)]
    layers: Option<Vec<RawDescriptor>>,
    #[serde(default)]
    manifests: Option<Vec<RawDescriptor>>,
    #[serde(default)]
    annotations: Option<BTreeMap<String, String>>,
    // schema1
    #[serde(default)]
    fs_layers: Option<Vec<RawFsLayer>>,
    #[serde(default)]
    history: Option<Vec<RawV1History>>,
    #[serde(default)]
    architecture: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawDescriptor {
    #[serde(default)]
    media_type: Option<String>,
    digest: String,
    #[serde(default)]
    size: u64,
    #[serde(default)]
    platform: Option<RawPlatform>,
    #[serde(default)]
    annotations: Option<BTreeMap<String, String>>,
}

#[derive(Deserialize)]
struct RawPlatform {
    #[serde(default)]
    os: String,
    #[serde(default)]
    architecture: String,
    #[serde(default)]
    variant: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawFsLayer {
    blob_sum: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawV1History {
    v1_compatibility: String,
}

#[derive(Deserialize)]
struct RawV1Compat {
    #[serde(default)]
    created: Option<String>,
    #[serde(default)]
    os: Option<String>,
    #[serde(default)]
    architecture: Option<String>,
    #[serde(default)]
    container_config: Option<RawV1ContainerConfig>,
    #[serde(default)]
    throwaway: Option<bool>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RawV1ContainerConfig {
    #[serde(default)]
    cmd: Option<Vec<String>>,
}

fn descriptor(raw: RawDescriptor) -> Result<Descriptor, String> {
    if !Digest::is_valid(&raw.digest) {
        return Err(format!(
            "invalid digest {:?} in manifest",
            truncate(&raw.digest)
        ));
    }
    Ok(Descriptor {
        media_type: raw.media_type.unwrap_or_default(),
        digest: raw.digest,
        size: raw.size,
        platform: raw.platform.map(|p| Platform {
            os: p.os,
            architecture: p.architecture,
            variant: p.variant.filter(|v| !v.is_empty()),
        }),
        annotations: raw.annotations.unwrap_or_default(),
    })
}

fn truncate(s: &str) -> String {
    s.chars().take(80).collect()
}

fn base_media_type(content_type: &str) -> &str {
    content_type.split(';').next().unwrap_or_default().trim()
}

/// Parses a manifest; `content_type` is the response's `Content-Type`.
pub fn parse_manifest(bytes: &[u8], content_type: Option<&str>) -> Result<Manifest, String> {
    let raw: RawManifest =
        serde_json::from_slice(bytes).map_err(|e| format!("malformed manifest: {e}"))?;
    let header_type = content_type
        .map(base_media_type)
        .filter(|t| is_manifest_type(t));
    let media_type = header_type
        .map(str::to_string)
        .or_else(|| raw.media_type.clone().filter(|t| is_manifest_type(t)));
    let kind = match media_type.as_deref() {
        Some(OCI_INDEX | DOCKER_MANIFEST_LIST) => ManifestKind::Index,
        Some(DOCKER_SCHEMA1 | DOCKER_SCHEMA1_SIGNED) => ManifestKind::Schema1,
        Some(_) => ManifestKind::Image,
        None if raw.manifests.is_some() => ManifestKind::Index,
        None if raw.schema_version == Some(1) || raw.fs_layers.is_some() => ManifestKind::Schema1,
        None if raw.config.is_some() => ManifestKind::Image,
        None => return Err("not an image manifest or index".into()),
    };
    let media_type = media_type.unwrap_or_else(|| {
        match kind {
            ManifestKind::Index => OCI_INDEX,
            ManifestKind::Schema1 => DOCKER_SCHEMA1_SIGNED,
            ManifestKind::Image => OCI_MANIFEST,
        }
        .to_string()
    });

    let mut manifest = Manifest {
        media_type,
        kind,
        config: None,
        layers: Vec::new(),
        manifests: Vec::new(),
        annotations: raw.annotations.unwrap_or_default(),
        schema1: None,
        byte_size: bytes.len(),
    };
    match kind {
        ManifestKind::Index => {
            manifest.manifests = raw
                .manifests
                .unwrap_or_default()
                .into_iter()
                .map(descriptor)
                .collect::<Result<_, _>>()?;
        }
        ManifestKind::Image => {
            manifest.config = raw.config.map(descriptor).transpose()?;
            manifest.layers = raw
                .layers
                .unwrap_or_default()
                .into_iter()
                .map(descriptor)
                .collect::<Result<_, _>>()?;
        }
        ManifestKind::Schema1 => {
            // Layer sizes are not in a schema1 manifest; digests are, newest first.
            manifest.layers = raw
                .fs_layers
                .unwrap_or_default()
                .into_iter()
                .rev()
                .filter(|l| Digest::is_valid(&l.blob_sum))
                .map(|l| Descriptor {
                    media_type: "application/vnd.docker.image.rootfs.diff.tar.gzip".into(),
                    digest: l.blob_sum,
                    size: 0,
                    platform: None,
                    annotations: BTreeMap::new(),
                })
                .collect();
            manifest.schema1 = Some(schema1_info(
                raw.history.unwrap_or_default(),
                raw.architecture,
            ));
        }
    }
    Ok(manifest)
}

fn schema1_info(history: Vec<RawV1History>, architecture: Option<String>) -> Schema1Info {
    let compat: Vec<RawV1Compat> = history
        .iter()
        .filter_map(|h| serde_json::from_str(&h.v1_compatibility).ok())
        .collect();
    let top = compat.first();
    Schema1Info {
        architecture: top.and_then(|c| c.architecture.clone()).or(architecture),
        os: top.and_then(|c| c.os.clone()),
        created: top
            .and_then(|c| c.created.as_deref())
            .and_then(normalize_time),
        history: compat
            .iter()
            .rev()
            .map(|c| HistoryEntry {
                created: c.created.as_deref().and_then(normalize_time),
                created_by: c
                    .container_config
                    .as_ref()
                    .and_then(|cc| cc.cmd.as_ref())
                    .map(|cmd| cmd.join(" ")),
                empty_layer: c.throwaway.unwrap_or(false),
            })
            .collect(),
    }
}

pub fn is_manifest_type(t: &str) -> bool {
    matches!(
        t,
        DOCKER_MANIFEST_V2
            | DOCKER_MANIFEST_LIST
            | OCI_MANIFEST
            | OCI_INDEX
            | DOCKER_SCHEMA1
            | DOCKER_SCHEMA1_SIGNED
    )
}

/// The parts of an image config the API shows.
#[derive(Debug, Clone, Default)]
pub struct ImageConfig {
    pub info: ImageConfigInfo,
    pub created: Option<String>,
    pub history: Vec<HistoryEntry>,
}

#[derive(Deserialize)]
struct RawConfig {
    #[serde(default)]
    architecture: Option<String>,
    #[serde(default)]
    os: Option<String>,
    #[serde(default)]
    variant: Option<String>,
    #[serde(default)]
    created: Option<String>,
    #[serde(default)]
    config: Option<RawContainerConfig>,
    #[serde(default)]
    history: Option<Vec<RawHistory>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RawContainerConfig {
    #[serde(default)]
    env: Option<Vec<String>>,
    #[serde(default)]
    labels: Option<BTreeMap<String, serde_json::Value>>,
    #[serde(default)]
    cmd: Option<Vec<String>>,
    #[serde(default)]
    entrypoint: Option<Vec<String>>,
    #[serde(default)]
    exposed_ports: Option<BTreeMap<String, serde::de::IgnoredAny>>,
    #[serde(default)]
    working_dir: Option<String>,
    #[serde(default)]
    user: Option<String>,
    #[serde(default)]
    volumes: Option<BTreeMap<String, serde::de::IgnoredAny>>,
}

#[derive(Deserialize)]
struct RawHistory {
    #[serde(default)]
    created: Option<String>,
    #[serde(default)]
    created_by: Option<String>,
    #[serde(default)]
    empty_layer: Option<bool>,
}

pub fn parse_config(bytes: &[u8]) -> Result<ImageConfig, String> {
    let raw: RawConfig =
        serde_json::from_slice(bytes).map_err(|e| format!("malformed image config: {e}"))?;
    let c = raw.config.unwrap_or(RawContainerConfig {
        env: None,
        labels: None,
        cmd: None,
        entrypoint: None,
        exposed_ports: None,
        working_dir: None,
        user: None,
        volumes: None,
    });
    let non_empty = |s: Option<String>| s.filter(|v| !v.is_empty());
    Ok(ImageConfig {
        info: ImageConfigInfo {
            architecture: non_empty(raw.architecture),
            os: non_empty(raw.os),
            variant: non_empty(raw.variant),
            env: c.env.unwrap_or_default(),
            labels: c
                .labels
                .unwrap_or_default()
                .into_iter()
                .map(|(k, v)| match v {
                    serde_json::Value::String(s) => (k, s),
                    other => (k, other.to_string()),
                })
                .collect(),
            cmd: c.cmd,
            entrypoint: c.entrypoint,
            exposed_ports: c.exposed_ports.unwrap_or_default().into_keys().collect(),
            working_dir: non_empty(c.working_dir),
            user: non_empty(c.user),
            volumes: c.volumes.unwrap_or_default().into_keys().collect(),
        },
        created: raw.created.as_deref().and_then(normalize_time),
        history: raw
            .history
            .unwrap_or_default()
            .into_iter()
            .map(|h| HistoryEntry {
                created: h.created.as_deref().and_then(normalize_time),
                created_by: h.created_by,
                empty_layer: h.empty_layer.unwrap_or(false),
            })
            .collect(),
    })
}

/// RFC 3339 in UTC (`Z`), keeping sub-second digits only when there are any. Zero dates
/// (`0001-01-01T00:00:00Z`, what reproducible builds write) count as missing.
pub fn normalize_time(raw: &str) -> Option<String> {
    let t = chrono::DateTime::parse_from_rfc3339(raw.trim()).ok()?;
    let t = t.with_timezone(&chrono::Utc);
    if t.timestamp() <= 0 {
        return None;
    }
    Some(t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true))
}

/// Sort key of a normalized time.
pub fn time_key(normalized: &str) -> Option<i64> {
    chrono::DateTime::parse_from_rfc3339(normalized)
        .ok()
        .and_then(|t| t.timestamp_nanos_opt())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(c: char) -> String {
        format!("sha256:{}", c.to_string().repeat(64))
    }

    #[test]
    fn an_oci_index_lists_platforms_without_attestations() {
        let body = serde_json::json!({
            "schemaVersion": 2,
            "mediaType": OCI_INDEX,
            "manifests": [
                {"mediaType": OCI_MANIFEST, "digest": d('a'), "size": 10, "platform": {"os": "linux", "architecture": "amd64"}},
                {"mediaType": OCI_MANIFEST, "digest": d('b'), "size": 10, "platform": {"os": "unknown", "architecture": "unknown"},
                 "annotations": {"vnd.docker.reference.type": "attestation-manifest"}},
                {"mediaType": OCI_MANIFEST, "digest": d('c'), "size": 10, "platform": {"os": "linux", "architecture": "arm64", "variant": "v8"}},
            ]
        });
        let m = parse_manifest(&serde_json::to_vec(&body).unwrap(), Some(OCI_INDEX)).unwrap();
        assert!(m.is_index());
        let platforms: Vec<_> = m.platform_children().map(|c| c.digest.clone()).collect();
        assert_eq!(platforms, vec![d('a'), d('c')]);
    }

    #[test]
    fn the_kind_comes_from_the_header_then_the_body_then_the_shape() {
        let image = serde_json::json!({"schemaVersion": 2, "config": {"mediaType": OCI_CONFIG, "digest": d('a'), "size": 7},
            "layers": [{"mediaType": "x", "digest": d('b'), "size": 100}]});
        let bytes = serde_json::to_vec(&image).unwrap();
        let m = parse_manifest(
            &bytes,
            Some("application/vnd.docker.distribution.manifest.v2+json; charset=utf-8"),
        )
        .unwrap();
        assert_eq!(m.media_type, DOCKER_MANIFEST_V2);
        assert_eq!(m.image_size(), 107);
        let m = parse_manifest(&bytes, Some("application/octet-stream")).unwrap();
        assert_eq!(
            (m.kind, m.media_type.as_str()),
            (ManifestKind::Image, OCI_MANIFEST)
        );
        assert!(parse_manifest(b"{}", None).is_err());
        assert!(parse_manifest(b"not json", None).is_err());
    }

    #[test]
    fn a_descriptor_with_a_hostile_digest_is_refused() {
        let body = serde_json::json!({"schemaVersion": 2, "mediaType": OCI_MANIFEST,
            "config": {"mediaType": OCI_CONFIG, "digest": "sha256:../../../x", "size": 1}, "layers": []});
        assert!(parse_manifest(&serde_json::to_vec(&body).unwrap(), None).is_err());
    }

    #[test]
    fn schema1_manifests_are_read_only_but_readable() {
        let compat = serde_json::json!({"created": "2016-01-01T00:00:00.123Z", "os": "linux", "architecture": "amd64",
            "container_config": {"Cmd": ["/bin/sh", "-c", "echo"]}}).to_string();
        let body = serde_json::json!({"schemaVersion": 1, "name": "x", "tag": "y", "architecture": "amd64",
            "fsLayers": [{"blobSum": d('a')}, {"blobSum": d('b')}],
            "history": [{"v1Compatibility": compat}]});
        let m = parse_manifest(
            &serde_json::to_vec(&body).unwrap(),
            Some(DOCKER_SCHEMA1_SIGNED),
        )
        .unwrap();
        assert_eq!(m.kind, ManifestKind::Schema1);
        assert_eq!(m.layers[0].digest, d('b'));
        let info = m.schema1.unwrap();
        assert_eq!(info.created.as_deref(), Some("2016-01-01T00:00:00.123Z"));
        assert_eq!(
            info.history[0].created_by.as_deref(),
            Some("/bin/sh -c echo")
        );
    }

    #[test]
    fn configs_keep_their_json_types() {
        let body = serde_json::json!({
            "architecture": "arm64", "os": "linux", "variant": "v8", "created": "2024-07-04T10:00:00+02:00",
            "config": {"Env": ["A=1"], "Labels": {"a": "b", "n": 3}, "Cmd": ["run"], "Entrypoint": null,
                "ExposedPorts": {"80/tcp": {}, "443/tcp": {}}, "WorkingDir": "/app", "User": "", "Volumes": {"/data": {}}},
            "history": [{"created": "2024-07-04T08:00:00Z", "created_by": "ADD x", "empty_layer": false}, {"created_by": "ENV", "empty_layer": true}]
        });
        let c = parse_config(&serde_json::to_vec(&body).unwrap()).unwrap();
        assert_eq!(c.created.as_deref(), Some("2024-07-04T08:00:00Z"));
        assert_eq!(c.info.labels.get("n").map(String::as_str), Some("3"));
        assert_eq!(c.info.exposed_ports, vec!["443/tcp", "80/tcp"]);
        assert_eq!(c.info.entrypoint, None);
        assert_eq!(c.info.user, None);
        assert_eq!(c.info.volumes, vec!["/data"]);
        assert!(c.history[1].empty_layer);
        assert!(parse_config(b"{}").unwrap().created.is_none());
    }

    #[test]
    fn times_are_normalized_and_zero_dates_are_missing() {
        assert_eq!(
            normalize_time("2024-01-27T00:18:54Z").as_deref(),
            Some("2024-01-27T00:18:54Z")
        );
        assert_eq!(
            normalize_time("2024-01-27T00:18:54.123456789Z").as_deref(),
            Some("2024-01-27T00:18:54.123456789Z")
        );
        assert_eq!(normalize_time("0001-01-01T00:00:00Z"), None);
        assert_eq!(normalize_time("yesterday"), None);
        assert!(time_key("2024-01-27T00:18:54Z") < time_key("2024-01-27T00:18:55Z"));
    }
}
