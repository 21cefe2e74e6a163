//! Synthetic image content: configs, layers, manifests and indexes built in memory.
//!
//! Layers are deterministic pseudo-random bytes, not real tarballs: the registry never looks
//! inside a blob, and determinism keeps digests stable across runs.

use std::collections::BTreeMap;

use actix_web::web::Bytes;
use serde_json::{json, Map, Value};
use sha2::{Digest as _, Sha256};

pub const DOCKER_MANIFEST_V2: &str = "application/vnd.docker.distribution.manifest.v2+json";
pub const DOCKER_MANIFEST_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";
pub const DOCKER_CONFIG: &str = "application/vnd.docker.container.image.v1+json";
pub const DOCKER_LAYER: &str = "application/vnd.docker.image.rootfs.diff.tar.gzip";
pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
pub const OCI_CONFIG: &str = "application/vnd.oci.image.config.v1+json";
pub const OCI_LAYER: &str = "application/vnd.oci.image.layer.v1.tar+gzip";
pub const IN_TOTO: &str = "application/vnd.in-toto+json";

/// Every manifest media type, for an `Accept` header that wants manifests exactly as pushed.
pub const ALL_MANIFEST_TYPES: [&str; 4] = [
    OCI_INDEX,
    DOCKER_MANIFEST_LIST,
    OCI_MANIFEST,
    DOCKER_MANIFEST_V2,
];

pub const CREATED_ANNOTATION: &str = "org.opencontainers.image.created";
pub const REFERENCE_TYPE_ANNOTATION: &str = "vnd.docker.reference.type";
pub const REFERENCE_DIGEST_ANNOTATION: &str = "vnd.docker.reference.digest";
pub const ATTESTATION_MANIFEST: &str = "attestation-manifest";

/// `sha256:<hex>` of `bytes`.
pub fn sha256_digest(bytes: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(bytes)))
}

/// `size` deterministic bytes derived from `seed` (SHA-256 in counter mode).
pub fn deterministic_bytes(seed: &str, size: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(size + 32);
    let mut counter: u64 = 0;
    while out.len() < size {
        let mut hasher = Sha256::new();
        hasher.update(seed.as_bytes());
        hasher.update(counter.to_le_bytes());
        out.extend_from_slice(&hasher.finalize());
        counter += 1;
    }
    out.truncate(size);
    out
}

/// A content-addressed blob ready to upload.
#[derive(Clone, Debug)]
pub struct Blob {
    pub media_type: &'static str,
    pub digest: String,
    pub bytes: Bytes,
}

impl Blob {
    pub fn new(media_type: &'static str, bytes: impl Into<Bytes>) -> Self {
        let bytes = bytes.into();
        Self {
            media_type,
            digest: sha256_digest(&bytes),
            bytes,
        }
    }

    pub fn size(&self) -> u64 {
        self.bytes.len() as u64
    }

    fn descriptor(&self) -> Value {
        json!({ "mediaType": self.media_type, "size": self.size(), "digest": self.digest })
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Platform {
    pub os: String,
    pub architecture: String,
    pub variant: Option<String>,
}

impl Platform {
    pub fn new(os: &str, architecture: &str, variant: Option<&str>) -> Self {
        Self {
            os: os.to_owned(),
            architecture: architecture.to_owned(),
            variant: variant.map(str::to_owned),
        }
    }

    pub fn linux_amd64() -> Self {
        Self::new("linux", "amd64", None)
    }

    pub fn linux_arm64_v8() -> Self {
        Self::new("linux", "arm64", Some("v8"))
    }

    /// What buildx puts on attestation manifests.
    pub fn unknown() -> Self {
        Self::new("unknown", "unknown", None)
    }

    fn to_json(&self) -> Value {
        let mut platform = json!({ "architecture": self.architecture, "os": self.os });
        if let Some(variant) = &self.variant {
            platform["variant"] = json!(variant);
        }
        platform
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ManifestFormat {
    /// Docker image manifest v2 schema 2.
    DockerV2,
    /// OCI image manifest v1.
    Oci,
}

impl ManifestFormat {
    pub fn manifest_media_type(self) -> &'static str {
        match self {
            Self::DockerV2 => DOCKER_MANIFEST_V2,
            Self::Oci => OCI_MANIFEST,
        }
    }

    pub fn config_media_type(self) -> &'static str {
        match self {
            Self::DockerV2 => DOCKER_CONFIG,
            Self::Oci => OCI_CONFIG,
        }
    }

    pub fn layer_media_type(self) -> &'static str {
        match self {
            Self::DockerV2 => DOCKER_LAYER,
            Self::Oci => OCI_LAYER,
        }
    }

    /// The multi-platform manifest type of the same family.
    pub fn index_media_type(self) -> &'static str {
        match self {
            Self::DockerV2 => DOCKER_MANIFEST_LIST,
            Self::Oci => OCI_INDEX,
        }
    }
}

/// Everything that determines one single-platform image. Same spec, same digests.
#[derive(Clone, Debug)]
pub struct ImageSpec {
    pub format: ManifestFormat,
    /// Content seed: layers are derived from it, so distinct seeds give distinct blobs.
    pub seed: String,
    pub platform: Platform,
    /// RFC 3339; `None` leaves `created` out of the config (and out of its history).
    pub created: Option<String>,
    pub layer_sizes: Vec<usize>,
    pub env: Vec<String>,
    pub labels: BTreeMap<String, String>,
    pub cmd: Vec<String>,
    pub entrypoint: Vec<String>,
    pub exposed_ports: Vec<String>,
    pub working_dir: String,
    pub user: String,
    pub volumes: Vec<String>,
    /// Manifest annotations (only OCI manifests carry them).
    pub annotations: BTreeMap<String, String>,
}

impl ImageSpec {
    pub fn new(format: ManifestFormat, seed: &str) -> Self {
        Self {
            format,
            seed: seed.to_owned(),
            platform: Platform::linux_amd64(),
            created: Some("2024-01-01T00:00:00Z".to_owned()),
            layer_sizes: vec![1024],
            env: vec![
                "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin".to_owned(),
            ],
            labels: BTreeMap::new(),
            cmd: vec!["/bin/sh".to_owned()],
            entrypoint: Vec::new(),
            exposed_ports: Vec::new(),
            working_dir: String::new(),
            user: String::new(),
            volumes: Vec::new(),
            annotations: BTreeMap::new(),
        }
    }

    pub fn created(mut self, created: &str) -> Self {
        self.created = Some(created.to_owned());
        self
    }

    pub fn without_created(mut self) -> Self {
        self.created = None;
        self
    }

    pub fn platform(mut self, platform: Platform) -> Self {
        self.platform = platform;
        self
    }

    pub fn layers(mut self, sizes: &[usize]) -> Self {
        self.layer_sizes = sizes.to_vec();
        self
    }

    pub fn env(mut self, entry: &str) -> Self {
        self.env.push(entry.to_owned());
        self
    }

    pub fn label(mut self, key: &str, value: &str) -> Self {
        self.labels.insert(key.to_owned(), value.to_owned());
        self
    }

    pub fn cmd(mut self, cmd: &[&str]) -> Self {
        self.cmd = cmd.iter().map(|s| (*s).to_owned()).collect();
        self
    }

    pub fn entrypoint(mut self, entrypoint: &[&str]) -> Self {
        self.entrypoint = entrypoint.iter().map(|s| (*s).to_owned()).collect();
        self
    }

    pub fn expose(mut self, port: &str) -> Self {
        self.exposed_ports.push(port.to_owned());
        self
    }

    pub fn working_dir(mut self, dir: &str) -> Self {
        self.working_dir = dir.to_owned();
        self
    }

    pub fn user(mut self, user: &str) -> Self {
        self.user = user.to_owned();
        self
    }

    pub fn volume(mut self, path: &str) -> Self {
        self.volumes.push(path.to_owned());
        self
    }

    pub fn annotation(mut self, key: &str, value: &str) -> Self {
        self.annotations.insert(key.to_owned(), value.to_owned());
        self
    }

    pub fn build(&self) -> BuiltImage {
        let layers: Vec<Blob> = self
            .layer_sizes
            .iter()
            .enumerate()
            .map(|(index, size)| {
                Blob::new(
                    self.format.layer_media_type(),
                    deterministic_bytes(&format!("{}/layer/{index}", self.seed), *size),
                )
            })
            .collect();
        self.build_with_layers(layers)
    }

    /// Builds with ready-made layers (bulk seeding shares one layer between many configs).
    pub fn build_with_layers(&self, layers: Vec<Blob>) -> BuiltImage {
        let config = Blob::new(
            self.format.config_media_type(),
            serde_json::to_vec(&self.config_json(&layers)).expect("config serializes"),
        );
        let mut manifest = json!({
            "schemaVersion": 2,
            "mediaType": self.format.manifest_media_type(),
            "config": config.descriptor(),
            "layers": layers.iter().map(Blob::descriptor).collect::<Vec<_>>(),
        });
        if self.format == ManifestFormat::Oci && !self.annotations.is_empty() {
            manifest["annotations"] = json!(self.annotations);
        }
        let manifest = Blob::new(
            self.format.manifest_media_type(),
            serde_json::to_vec(&manifest).expect("manifest serializes"),
        );
        BuiltImage {
            platform: self.platform.clone(),
            created: self.created.clone(),
            created_annotation: match self.format {
                ManifestFormat::Oci => self.annotations.get(CREATED_ANNOTATION).cloned(),
                ManifestFormat::DockerV2 => None,
            },
            config,
            layers,
            manifest,
        }
    }

    fn config_json(&self, layers: &[Blob]) -> Value {
        let set = |items: &[String]| {
            items
                .iter()
                .map(|item| (item.clone(), json!({})))
                .collect::<Map<_, _>>()
        };
        let null_if_empty = |items: &[String]| {
            if items.is_empty() {
                Value::Null
            } else {
                json!(items)
            }
        };
        let mut history = Vec::new();
        for (index, layer) in layers.iter().enumerate() {
            history.push(json!({
                "created_by": format!("/bin/sh -c #(nop) ADD file:{} in / # layer {index}", &layer.digest[7..19]),
            }));
        }
        history.push(json!({ "created_by": "/bin/sh -c #(nop)  ENV APP=1", "empty_layer": true }));
        history.push(json!({
            "created_by": format!("/bin/sh -c #(nop)  CMD {:?}", self.cmd),
            "empty_layer": true,
        }));
        if let Some(created) = &self.created {
            for entry in &mut history {
                entry["created"] = json!(created);
            }
        }

        let mut config = json!({
            "architecture": self.platform.architecture,
            "os": self.platform.os,
            "config": {
                "Env": self.env,
                "Labels": self.labels,
                "Cmd": null_if_empty(&self.cmd),
                "Entrypoint": null_if_empty(&self.entrypoint),
                "ExposedPorts": set(&self.exposed_ports),
                "WorkingDir": self.working_dir,
                "User": self.user,
                "Volumes": set(&self.volumes),
            },
            "rootfs": {
                "type": "layers",
                "diff_ids": layers.iter().map(|layer| layer.digest.clone()).collect::<Vec<_>>(),
            },
            "history": history,
        });
        if let Some(variant) = &self.platform.variant {
            config["variant"] = json!(variant);
        }
        if let Some(created) = &self.created {
            config["created"] = json!(created);
        }
        config
    }
}

/// An image ready to push: its blobs and its manifest.
#[derive(Clone, Debug)]
pub struct BuiltImage {
    pub platform: Platform,
    /// `created` of the config.
    pub created: Option<String>,
    /// The manifest's `org.opencontainers.image.created` annotation.
    pub created_annotation: Option<String>,
    pub config: Blob,
    pub layers: Vec<Blob>,
    /// The manifest bytes; `manifest.media_type` is the Content-Type to push with.
    pub manifest: Blob,
}

impl BuiltImage {
    /// The compressed size a user is shown: config plus layers.
    pub fn size(&self) -> u64 {
        self.config.size() + self.layers.iter().map(Blob::size).sum::<u64>()
    }

    pub fn blobs(&self) -> impl Iterator<Item = &Blob> {
        std::iter::once(&self.config).chain(self.layers.iter())
    }

    /// A buildx-style attestation manifest that refers to this image.
    pub fn attestation(&self, seed: &str) -> BuiltImage {
        let statement = json!({
            "_type": "https://in-toto.io/Statement/v0.1",
            "predicateType": "https://spdx.dev/Document",
            "subject": [{ "name": "synthetic", "digest": { "sha256": &self.manifest.digest[7..] } }],
            "predicate": { "spdxVersion": "SPDX-2.3", "name": seed },
        });
        let layer = Blob::new(
            IN_TOTO,
            serde_json::to_vec(&statement).expect("statement serializes"),
        );
        let config = Blob::new(
            OCI_CONFIG,
            serde_json::to_vec(&json!({
                "architecture": "unknown",
                "os": "unknown",
                "config": {},
                "rootfs": { "type": "layers", "diff_ids": [layer.digest] },
            }))
            .expect("config serializes"),
        );
        let mut layer_descriptor = layer.descriptor();
        layer_descriptor["annotations"] =
            json!({ "in-toto.io/predicate-type": "https://spdx.dev/Document" });
        let manifest = Blob::new(
            OCI_MANIFEST,
            serde_json::to_vec(&json!({
                "schemaVersion": 2,
                "mediaType": OCI_MANIFEST,
                "config": config.descriptor(),
                "layers": [layer_descriptor],
            }))
            .expect("manifest serializes"),
        );
        BuiltImage {
            platform: Platform::unknown(),
            created: None,
            created_annotation: None,
            config,
            layers: vec![layer],
            manifest,
        }
    }
}

/// A multi-platform manifest: OCI index or Docker manifest list.
#[derive(Clone, Debug)]
pub struct BuiltIndex {
    pub platforms: Vec<BuiltImage>,
    /// Attestation manifests, each listed after the platform image it refers to.
    pub attestations: Vec<BuiltImage>,
    pub manifest: Blob,
}

/// Builds an index of `platforms` (each optionally followed by an attestation manifest).
/// `media_type` is [`OCI_INDEX`] or [`DOCKER_MANIFEST_LIST`].
pub fn build_index(
    media_type: &'static str,
    platforms: Vec<BuiltImage>,
    with_attestations: bool,
) -> BuiltIndex {
    let mut entries = Vec::new();
    let mut attestations = Vec::new();
    for image in &platforms {
        let mut entry = image.manifest.descriptor();
        entry["platform"] = image.platform.to_json();
        entries.push(entry);
        if with_attestations {
            let attestation = image.attestation(&image.manifest.digest);
            let mut entry = attestation.manifest.descriptor();
            entry["platform"] = attestation.platform.to_json();
            entry["annotations"] = json!({
                REFERENCE_DIGEST_ANNOTATION: image.manifest.digest,
                REFERENCE_TYPE_ANNOTATION: ATTESTATION_MANIFEST,
            });
            entries.push(entry);
            attestations.push(attestation);
        }
    }
    let manifest = Blob::new(
        media_type,
        serde_json::to_vec(&json!({
            "schemaVersion": 2,
            "mediaType": media_type,
            "manifests": entries,
        }))
        .expect("index serializes"),
    );
    BuiltIndex {
        platforms,
        attestations,
        manifest,
    }
}
