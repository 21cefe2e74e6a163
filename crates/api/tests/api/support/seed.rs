//! Pushes synthetic images straight over the registry HTTP API.
//!
//! # The standard fixture (`Seeder::seed_standard`)
//!
//! | repository        | tags               | manifest                         | config `created`                  | layer sizes (bytes)          |
//! |-------------------|--------------------|----------------------------------|-----------------------------------|------------------------------|
//! | `library/alpine`  | `3.19`, `latest`   | Docker schema2 (one digest)      | 2024-01-27T00:18:54Z              | 3,408,729                    |
//! | `library/alpine`  | `3.18`             | Docker schema2                   | 2023-11-30T23:22:56Z              | 3,348,312                    |
//! | `team/app`        | `v1.0.0`, `stable` | OCI manifest (one digest)        | 2024-03-01T10:00:00Z              | 2,000,000 + 150,000 + 4,096  |
//! | `team/app`        | `v1.1.0`           | OCI manifest, shares layer 0     | 2024-05-15T09:30:00Z              | 2,000,000 + 160,000 + 4,200  |
//! | `team/app/worker` | `0.1`              | OCI manifest, no `created` in config; annotation `org.opencontainers.image.created` = 2024-09-10T11:00:00Z | — | 12,345 |
//! | `team/multiarch`  | `1.0`, `latest`    | OCI index: linux/amd64, linux/arm64/v8, each followed by a buildx attestation manifest (unknown/unknown) | amd64 2024-08-01T00:00:00Z, arm64 2024-08-01T00:05:00Z | amd64 30,000 + 1,000; arm64 28,000 + 1,000 |
//! | `busybox`         | `1.36`             | Docker manifest list: linux/amd64, linux/arm64/v8 | amd64 2023-05-19T20:00:00Z, arm64 2023-05-19T20:10:00Z | amd64 900,000; arm64 850,000 |
//! | `a/b/c/deep`      | `1.0`              | Docker schema2                   | 2022-06-01T12:00:00Z              | 10,240                       |
//! | `my.app_name-x`   | `v2.0_rc-1`        | OCI manifest, full config (Env, Labels, Cmd, Entrypoint, ExposedPorts, WorkingDir, User, Volumes) | 2024-07-04T08:00:00Z | 5,000 + 6,000 |
//!
//! Every `created` is distinct, so sorting by date is testable. Sizes shown to users are config +
//! layers: exact values are in the returned [`StandardFixture`] (`size`), because the config's
//! own size depends on its JSON. Content is deterministic, so digests are stable across runs.
//! Depth: `busybox`, `my.app_name-x` (0), `library/alpine`, `team/app`, `team/multiarch` (1),
//! `team/app/worker` (2, and `team/app` is both a repository and a namespace), `a/b/c/deep` (3).
//!
//! # Bulk seeding
//!
//! `seed_bulk` pushes one image into `bulk/r00000`, mounts its blobs into every other repository
//! (distribution wants each blob linked into each repository) and pushes the manifests
//! concurrently. `seed_tags_with_distinct_configs` gives each tag its own config (distinct
//! `created`) over one shared layer, so a tag list with details has N distinct manifests.

use std::time::{Duration, Instant};

use anyhow::{bail, Context as _};
use futures::{stream, StreamExt as _, TryStreamExt as _};
use reqwest::header::{HeaderMap, HeaderValue, CONTENT_TYPE, LOCATION};
use reqwest::{Method, StatusCode};

use super::image::{
    build_index, Blob, BuiltImage, BuiltIndex, ImageSpec, ManifestFormat, Platform,
    CREATED_ANNOTATION, DOCKER_MANIFEST_LIST, OCI_INDEX,
};
use super::registry_http::RegistryHttp;

/// Names, tags, dates and layer sizes of the standard fixture (see the module documentation).
pub mod fixture {
    pub const ALPINE: &str = "library/alpine";
    pub const ALPINE_3_19_TAGS: [&str; 2] = ["3.19", "latest"];
    pub const ALPINE_3_19_CREATED: &str = "2024-01-27T00:18:54Z";
    pub const ALPINE_3_19_LAYERS: [usize; 1] = [3_408_729];
    pub const ALPINE_3_18_TAG: &str = "3.18";
    pub const ALPINE_3_18_CREATED: &str = "2023-11-30T23:22:56Z";
    pub const ALPINE_3_18_LAYERS: [usize; 1] = [3_348_312];

    pub const APP: &str = "team/app";
    pub const APP_V1_0_TAGS: [&str; 2] = ["v1.0.0", "stable"];
    pub const APP_V1_0_CREATED: &str = "2024-03-01T10:00:00Z";
    pub const APP_V1_0_LAYERS: [usize; 3] = [2_000_000, 150_000, 4_096];
    pub const APP_V1_1_TAG: &str = "v1.1.0";
    pub const APP_V1_1_CREATED: &str = "2024-05-15T09:30:00Z";
    /// Layer 0 is the same blob as v1.0.0's layer 0.
    pub const APP_V1_1_LAYERS: [usize; 3] = [2_000_000, 160_000, 4_200];

    pub const WORKER: &str = "team/app/worker";
    pub const WORKER_TAG: &str = "0.1";
    /// Only in the manifest annotation `org.opencontainers.image.created`; the config has none.
    pub const WORKER_CREATED_ANNOTATION: &str = "2024-09-10T11:00:00Z";
    pub const WORKER_LAYERS: [usize; 1] = [12_345];

    pub const MULTIARCH: &str = "team/multiarch";
    pub const MULTIARCH_TAGS: [&str; 2] = ["1.0", "latest"];
    pub const MULTIARCH_AMD64_CREATED: &str = "2024-08-01T00:00:00Z";
    pub const MULTIARCH_AMD64_LAYERS: [usize; 2] = [30_000, 1_000];
    pub const MULTIARCH_ARM64_CREATED: &str = "2024-08-01T00:05:00Z";
    pub const MULTIARCH_ARM64_LAYERS: [usize; 2] = [28_000, 1_000];

    pub const BUSYBOX: &str = "busybox";
    pub const BUSYBOX_TAG: &str = "1.36";
    pub const BUSYBOX_AMD64_CREATED: &str = "2023-05-19T20:00:00Z";
    pub const BUSYBOX_AMD64_LAYERS: [usize; 1] = [900_000];
    pub const BUSYBOX_ARM64_CREATED: &str = "2023-05-19T20:10:00Z";
    pub const BUSYBOX_ARM64_LAYERS: [usize; 1] = [850_000];

    pub const DEEP: &str = "a/b/c/deep";
    pub const DEEP_TAG: &str = "1.0";
    pub const DEEP_CREATED: &str = "2022-06-01T12:00:00Z";
    pub const DEEP_LAYERS: [usize; 1] = [10_240];

    pub const DOTTED: &str = "my.app_name-x";
    pub const DOTTED_TAG: &str = "v2.0_rc-1";
    pub const DOTTED_CREATED: &str = "2024-07-04T08:00:00Z";
    pub const DOTTED_LAYERS: [usize; 2] = [5_000, 6_000];

    /// Every repository of the fixture, in byte order.
    pub const REPOSITORIES: [&str; 7] = [DEEP, BUSYBOX, ALPINE, DOTTED, APP, WORKER, MULTIARCH];
}

/// A single-platform manifest as pushed.
#[derive(Clone, Debug)]
pub struct PushedImage {
    pub repository: String,
    /// Tags pointing at it (empty for index children).
    pub tags: Vec<String>,
    pub digest: String,
    pub media_type: &'static str,
    pub manifest_size: u64,
    pub config_digest: String,
    pub config_size: u64,
    pub layer_digests: Vec<String>,
    pub layer_sizes: Vec<u64>,
    /// Config + layers: the size a user is shown.
    pub size: u64,
    pub created: Option<String>,
    pub created_annotation: Option<String>,
    pub platform: Platform,
}

impl PushedImage {
    fn new(repository: &str, tags: &[&str], image: &BuiltImage) -> Self {
        Self {
            repository: repository.to_owned(),
            tags: tags.iter().map(|tag| (*tag).to_owned()).collect(),
            digest: image.manifest.digest.clone(),
            media_type: image.manifest.media_type,
            manifest_size: image.manifest.size(),
            config_digest: image.config.digest.clone(),
            config_size: image.config.size(),
            layer_digests: image.layers.iter().map(|l| l.digest.clone()).collect(),
            layer_sizes: image.layers.iter().map(Blob::size).collect(),
            size: image.size(),
            created: image.created.clone(),
            created_annotation: image.created_annotation.clone(),
            platform: image.platform.clone(),
        }
    }
}

/// An OCI index or Docker manifest list as pushed.
#[derive(Clone, Debug)]
pub struct PushedIndex {
    pub repository: String,
    pub tags: Vec<String>,
    pub digest: String,
    pub media_type: &'static str,
    pub manifest_size: u64,
    /// The real platforms, in index order.
    pub platforms: Vec<PushedImage>,
    /// buildx attestation manifests (platform unknown/unknown).
    pub attestations: Vec<PushedImage>,
}

impl PushedIndex {
    pub fn platform(&self, architecture: &str) -> &PushedImage {
        self.platforms
            .iter()
            .find(|image| image.platform.architecture == architecture)
            .unwrap_or_else(|| panic!("no {architecture} in {}", self.repository))
    }
}

/// What `seed_standard` pushed (see the module documentation for the table).
#[derive(Clone, Debug)]
pub struct StandardFixture {
    pub alpine_3_19: PushedImage,
    pub alpine_3_18: PushedImage,
    pub app_v1_0: PushedImage,
    pub app_v1_1: PushedImage,
    pub worker: PushedImage,
    pub multiarch: PushedIndex,
    pub busybox: PushedIndex,
    pub deep: PushedImage,
    pub dotted: PushedImage,
}

impl StandardFixture {
    /// Repository names in byte order.
    pub fn repositories(&self) -> Vec<String> {
        let mut names: Vec<String> = fixture::REPOSITORIES
            .iter()
            .map(|name| (*name).to_owned())
            .collect();
        names.sort();
        names
    }

    /// Tags of `repository` in byte order.
    pub fn tags(&self, repository: &str) -> Vec<String> {
        let mut tags: Vec<String> = self
            .single_images()
            .into_iter()
            .filter(|image| image.repository == repository)
            .flat_map(|image| image.tags.clone())
            .chain(
                [&self.multiarch, &self.busybox]
                    .into_iter()
                    .filter(|index| index.repository == repository)
                    .flat_map(|index| index.tags.clone()),
            )
            .collect();
        tags.sort();
        tags
    }

    /// The tagged single-platform images (not the indexes or their children).
    pub fn single_images(&self) -> Vec<&PushedImage> {
        vec![
            &self.alpine_3_19,
            &self.alpine_3_18,
            &self.app_v1_0,
            &self.app_v1_1,
            &self.worker,
            &self.deep,
            &self.dotted,
        ]
    }
}

/// Result of [`Seeder::seed_bulk`].
#[derive(Clone, Debug)]
pub struct BulkSeed {
    /// `bulk/r00000`, `bulk/r00001`, …
    pub repositories: Vec<String>,
    /// `t0000`, `t0001`, … in every repository, all pointing at `image`.
    pub tags: Vec<String>,
    pub image: PushedImage,
    pub elapsed: Duration,
}

/// Result of [`Seeder::seed_tags_with_distinct_configs`].
#[derive(Clone, Debug)]
pub struct TagSeed {
    pub repository: String,
    /// One image per tag (`v0000`, `v0001`, …), `created` one minute apart from
    /// 2020-01-01T00:00:00Z.
    pub images: Vec<PushedImage>,
    pub elapsed: Duration,
}

/// Pushes images with whatever auth the registry asks for. Cheap to clone.
#[derive(Clone)]
pub struct Seeder {
    http: RegistryHttp,
}

impl Seeder {
    pub fn new(http: RegistryHttp) -> Self {
        Self { http }
    }

    pub fn http(&self) -> &RegistryHttp {
        &self.http
    }

    fn push_scope(repository: &str) -> Vec<String> {
        vec![format!("repository:{repository}:pull,push")]
    }

    pub async fn blob_exists(&self, repository: &str, digest: &str) -> anyhow::Result<bool> {
        let response = self
            .http
            .send(
                Method::HEAD,
                &format!("/v2/{repository}/blobs/{digest}"),
                HeaderMap::new(),
                None,
                &Self::push_scope(repository),
            )
            .await?;
        match response.status() {
            StatusCode::OK => Ok(true),
            StatusCode::NOT_FOUND => Ok(false),
            status => bail!("HEAD blob {digest} in {repository}: {status}"),
        }
    }

    /// Uploads unless the repository already has the blob.
    pub async fn push_blob(&self, repository: &str, blob: &Blob) -> anyhow::Result<()> {
        if self.blob_exists(repository, &blob.digest).await? {
            return Ok(());
        }
        self.upload_blob(repository, blob).await
    }

    /// Monolithic upload: `POST …/blobs/uploads/` then `PUT <Location>&digest=…`.
    pub async fn upload_blob(&self, repository: &str, blob: &Blob) -> anyhow::Result<()> {
        let response = self
            .http
            .send(
                Method::POST,
                &format!("/v2/{repository}/blobs/uploads/"),
                HeaderMap::new(),
                None,
                &Self::push_scope(repository),
            )
            .await?;
        let status = response.status();
        if status != StatusCode::ACCEPTED {
            bail!(
                "start upload in {repository}: {status}: {}",
                response.text().await?
            );
        }
        let location = upload_location(&response)?;
        self.finish_upload(repository, &location, blob).await
    }

    async fn finish_upload(
        &self,
        repository: &str,
        location: &str,
        blob: &Blob,
    ) -> anyhow::Result<()> {
        // Location may be relative and usually carries `?_state=…` already.
        let mut url = self.http.url(location)?;
        url.query_pairs_mut().append_pair("digest", &blob.digest);
        let mut headers = HeaderMap::new();
        headers.insert(
            CONTENT_TYPE,
            HeaderValue::from_static("application/octet-stream"),
        );
        let response = self
            .http
            .send(
                Method::PUT,
                url.as_str(),
                headers,
                Some(blob.bytes.clone()),
                &Self::push_scope(repository),
            )
            .await?;
        let status = response.status();
        if status != StatusCode::CREATED {
            bail!(
                "upload {} to {repository}: {status}: {}",
                blob.digest,
                response.text().await?
            );
        }
        Ok(())
    }

    /// Cross-repository mount from `from`; uploads instead if the registry declines (202).
    /// Returns whether the mount happened.
    pub async fn mount_blob(
        &self,
        repository: &str,
        from: &str,
        blob: &Blob,
    ) -> anyhow::Result<bool> {
        let scopes = vec![
            format!("repository:{repository}:pull,push"),
            format!("repository:{from}:pull"),
        ];
        let response = self
            .http
            .send(
                Method::POST,
                &format!(
                    "/v2/{repository}/blobs/uploads/?mount={}&from={from}",
                    blob.digest
                ),
                HeaderMap::new(),
                None,
                &scopes,
            )
            .await?;
        match response.status() {
            StatusCode::CREATED => Ok(true),
            StatusCode::ACCEPTED => {
                let location = upload_location(&response)?;
                self.finish_upload(repository, &location, blob).await?;
                Ok(false)
            }
            status => bail!(
                "mount {} into {repository}: {status}: {}",
                blob.digest,
                response.text().await?
            ),
        }
    }

    /// `PUT /v2/<repository>/manifests/<reference>`; returns the registry's digest, which must
    /// be the digest of the bytes sent.
    pub async fn push_manifest(
        &self,
        repository: &str,
        reference: &str,
        manifest: &Blob,
    ) -> anyhow::Result<String> {
        let mut headers = HeaderMap::new();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static(manifest.media_type));
        let response = self
            .http
            .send(
                Method::PUT,
                &format!("/v2/{repository}/manifests/{reference}"),
                headers,
                Some(manifest.bytes.clone()),
                &Self::push_scope(repository),
            )
            .await?;
        let status = response.status();
        if status != StatusCode::CREATED {
            bail!(
                "push manifest {repository}:{reference}: {status}: {}",
                response.text().await?
            );
        }
        let digest = response
            .headers()
            .get("Docker-Content-Digest")
            .and_then(|value| value.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        if digest != manifest.digest {
            bail!(
                "registry stored {repository}:{reference} as {digest}, expected {}",
                manifest.digest
            );
        }
        Ok(digest)
    }

    /// Pushes the blobs and the manifest, under each tag (by digest when `tags` is empty).
    pub async fn push_image(
        &self,
        repository: &str,
        tags: &[&str],
        image: &BuiltImage,
    ) -> anyhow::Result<PushedImage> {
        for blob in image.blobs() {
            self.push_blob(repository, blob).await?;
        }
        let digest = image.manifest.digest.as_str();
        let references: Vec<&str> = if tags.is_empty() {
            vec![digest]
        } else {
            tags.to_vec()
        };
        for reference in references {
            self.push_manifest(repository, reference, &image.manifest)
                .await?;
        }
        Ok(PushedImage::new(repository, tags, image))
    }

    /// Pushes every child by digest, then the index under each tag.
    pub async fn push_index(
        &self,
        repository: &str,
        tags: &[&str],
        index: &BuiltIndex,
    ) -> anyhow::Result<PushedIndex> {
        let mut platforms = Vec::new();
        for image in &index.platforms {
            platforms.push(self.push_image(repository, &[], image).await?);
        }
        let mut attestations = Vec::new();
        for image in &index.attestations {
            attestations.push(self.push_image(repository, &[], image).await?);
        }
        for tag in tags {
            self.push_manifest(repository, tag, &index.manifest).await?;
        }
        Ok(PushedIndex {
            repository: repository.to_owned(),
            tags: tags.iter().map(|tag| (*tag).to_owned()).collect(),
            digest: index.manifest.digest.clone(),
            media_type: index.manifest.media_type,
            manifest_size: index.manifest.size(),
            platforms,
            attestations,
        })
    }

    /// Pushes the standard fixture documented at the top of this file.
    pub async fn seed_standard(&self) -> anyhow::Result<StandardFixture> {
        use fixture::*;
        use ManifestFormat::{DockerV2, Oci};

        let alpine_3_19 = ImageSpec::new(DockerV2, "alpine-3.19")
            .created(ALPINE_3_19_CREATED)
            .layers(&ALPINE_3_19_LAYERS)
            .build();
        let alpine_3_18 = ImageSpec::new(DockerV2, "alpine-3.18")
            .created(ALPINE_3_18_CREATED)
            .layers(&ALPINE_3_18_LAYERS)
            .build();

        let app = |seed: &str, created: &str| {
            ImageSpec::new(Oci, seed)
                .created(created)
                .env("APP_ENV=production")
                .label("org.opencontainers.image.title", "app")
                .entrypoint(&["/usr/local/bin/app"])
                .cmd(&["serve"])
                .expose("8080/tcp")
                .working_dir("/srv/app")
                .user("app")
        };
        let app_v1_0 = app("app-1.0", APP_V1_0_CREATED)
            .layers(&APP_V1_0_LAYERS)
            .build();
        let app_v1_1_spec = app("app-1.1", APP_V1_1_CREATED).layers(&APP_V1_1_LAYERS);
        let mut app_v1_1_layers = app_v1_1_spec.build().layers;
        app_v1_1_layers[0] = app_v1_0.layers[0].clone();
        let app_v1_1 = app_v1_1_spec.build_with_layers(app_v1_1_layers);

        let worker = ImageSpec::new(Oci, "worker")
            .without_created()
            .annotation(CREATED_ANNOTATION, WORKER_CREATED_ANNOTATION)
            .layers(&WORKER_LAYERS)
            .build();

        let multiarch = build_index(
            OCI_INDEX,
            vec![
                ImageSpec::new(Oci, "multiarch-amd64")
                    .created(MULTIARCH_AMD64_CREATED)
                    .layers(&MULTIARCH_AMD64_LAYERS)
                    .build(),
                ImageSpec::new(Oci, "multiarch-arm64")
                    .platform(Platform::linux_arm64_v8())
                    .created(MULTIARCH_ARM64_CREATED)
                    .layers(&MULTIARCH_ARM64_LAYERS)
                    .build(),
            ],
            true,
        );
        let busybox = build_index(
            DOCKER_MANIFEST_LIST,
            vec![
                ImageSpec::new(DockerV2, "busybox-amd64")
                    .created(BUSYBOX_AMD64_CREATED)
                    .layers(&BUSYBOX_AMD64_LAYERS)
                    .build(),
                ImageSpec::new(DockerV2, "busybox-arm64")
                    .platform(Platform::linux_arm64_v8())
                    .created(BUSYBOX_ARM64_CREATED)
                    .layers(&BUSYBOX_ARM64_LAYERS)
                    .build(),
            ],
            false,
        );

        let deep = ImageSpec::new(DockerV2, "deep")
            .created(DEEP_CREATED)
            .layers(&DEEP_LAYERS)
            .build();
        let dotted = ImageSpec::new(Oci, "dotted")
            .created(DOTTED_CREATED)
            .layers(&DOTTED_LAYERS)
            .env("LANG=C.UTF-8")
            .label("maintainer", "tests@example.invalid")
            .label("org.opencontainers.image.version", "2.0-rc1")
            .entrypoint(&["/docker-entrypoint.sh"])
            .cmd(&["nginx", "-g", "daemon off;"])
            .expose("80/tcp")
            .expose("443/tcp")
            .working_dir("/usr/share/nginx/html")
            .user("101:101")
            .volume("/var/cache/nginx")
            .build();

        Ok(StandardFixture {
            alpine_3_19: self
                .push_image(ALPINE, &ALPINE_3_19_TAGS, &alpine_3_19)
                .await?,
            alpine_3_18: self
                .push_image(ALPINE, &[ALPINE_3_18_TAG], &alpine_3_18)
                .await?,
            app_v1_0: self.push_image(APP, &APP_V1_0_TAGS, &app_v1_0).await?,
            app_v1_1: self.push_image(APP, &[APP_V1_1_TAG], &app_v1_1).await?,
            worker: self.push_image(WORKER, &[WORKER_TAG], &worker).await?,
            multiarch: self
                .push_index(MULTIARCH, &MULTIARCH_TAGS, &multiarch)
                .await?,
            busybox: self.push_index(BUSYBOX, &[BUSYBOX_TAG], &busybox).await?,
            deep: self.push_image(DEEP, &[DEEP_TAG], &deep).await?,
            dotted: self.push_image(DOTTED, &[DOTTED_TAG], &dotted).await?,
        })
    }

    /// `repositories` repositories (`bulk/r00000`…) with `tags_per_repo` tags each (`t0000`…),
    /// all one image, with `concurrency` requests in flight.
    pub async fn seed_bulk(
        &self,
        repositories: usize,
        tags_per_repo: usize,
        concurrency: usize,
    ) -> anyhow::Result<BulkSeed> {
        assert!(repositories > 0 && concurrency > 0);
        let started = Instant::now();
        let image = ImageSpec::new(ManifestFormat::DockerV2, "bulk")
            .created("2021-02-03T04:05:06Z")
            .layers(&[2048])
            .build();
        let names: Vec<String> = (0..repositories)
            .map(|index| format!("bulk/r{index:05}"))
            .collect();
        let tags: Vec<String> = (0..tags_per_repo)
            .map(|index| format!("t{index:04}"))
            .collect();
        let source = names[0].as_str();
        for blob in image.blobs() {
            self.push_blob(source, blob).await?;
        }

        stream::iter(&names[1..])
            .map(|name| {
                let image = &image;
                async move {
                    for blob in image.blobs() {
                        self.mount_blob(name, source, blob).await?;
                    }
                    anyhow::Ok(())
                }
            })
            .buffer_unordered(concurrency)
            .try_collect::<Vec<()>>()
            .await
            .context("mount bulk blobs")?;

        stream::iter(
            names
                .iter()
                .flat_map(|name| tags.iter().map(move |tag| (name, tag))),
        )
        .map(|(name, tag)| self.push_manifest(name, tag, &image.manifest))
        .buffer_unordered(concurrency)
        .try_collect::<Vec<String>>()
        .await
        .context("push bulk manifests")?;

        let tag_refs: Vec<&str> = tags.iter().map(String::as_str).collect();
        Ok(BulkSeed {
            image: PushedImage::new(source, &tag_refs, &image),
            repositories: names,
            tags,
            elapsed: started.elapsed(),
        })
    }

    /// `count` tags (`v0000`…) in `repository`, each its own config and manifest (created one
    /// minute apart) over one shared layer.
    pub async fn seed_tags_with_distinct_configs(
        &self,
        repository: &str,
        count: usize,
        concurrency: usize,
    ) -> anyhow::Result<TagSeed> {
        assert!(concurrency > 0);
        let started = Instant::now();
        let layer = ImageSpec::new(ManifestFormat::Oci, "distinct-tags")
            .layers(&[4096])
            .build()
            .layers;
        for blob in &layer {
            self.push_blob(repository, blob).await?;
        }
        let epoch = chrono::DateTime::parse_from_rfc3339("2020-01-01T00:00:00Z")
            .expect("valid date")
            .with_timezone(&chrono::Utc);

        let mut images: Vec<(usize, PushedImage)> = stream::iter(0..count)
            .map(|index| {
                let layer = layer.clone();
                async move {
                    let created = (epoch + chrono::Duration::minutes(index as i64))
                        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
                    let tag = format!("v{index:04}");
                    let image = ImageSpec::new(ManifestFormat::Oci, &tag)
                        .created(&created)
                        .build_with_layers(layer);
                    self.upload_blob(repository, &image.config).await?;
                    self.push_manifest(repository, &tag, &image.manifest)
                        .await?;
                    anyhow::Ok((index, PushedImage::new(repository, &[&tag], &image)))
                }
            })
            .buffer_unordered(concurrency)
            .try_collect()
            .await
            .context("push distinct tags")?;
        images.sort_by_key(|(index, _)| *index);

        Ok(TagSeed {
            repository: repository.to_owned(),
            images: images.into_iter().map(|(_, image)| image).collect(),
            elapsed: started.elapsed(),
        })
    }
}

fn upload_location(response: &reqwest::Response) -> anyhow::Result<String> {
    response
        .headers()
        .get(LOCATION)
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned)
        .context("upload response without Location")
}
