//! Browsing a real registry in each auth mode: catalog, tag lists with details for every
//! manifest type, sorting, namespaced names, manifest details.
use shared::registry::{CatalogPage, ManifestDetails, PlatformSummary, TagPage, TagSummary};

use crate::registry_common::*;
use crate::support::image::{DOCKER_MANIFEST_LIST, DOCKER_MANIFEST_V2, OCI_INDEX, OCI_MANIFEST};
use crate::support::{fixture, AuthMode, ImageSpec, ManifestFormat, PushedImage};

/// One test per auth mode for a scenario `async fn(AuthMode)`.
macro_rules! in_every_auth_mode {
    ($scenario:ident) => {
        mod $scenario {
            use crate::support::AuthMode;

            #[tokio::test]
            async fn against_an_open_registry() {
                super::$scenario(AuthMode::None).await
            }

            #[tokio::test]
            async fn against_a_basic_auth_registry() {
                super::$scenario(AuthMode::Basic).await
            }

            #[tokio::test]
            async fn against_a_token_auth_registry() {
                super::$scenario(AuthMode::Token).await
            }
        }
    };
}
pub(crate) use in_every_auth_mode;

fn tag<'a>(page: &'a TagPage, name: &str) -> &'a TagSummary {
    page.tags
        .iter()
        .find(|t| t.name == name)
        .unwrap_or_else(|| panic!("no tag {name} in {page:?}"))
}

fn platform(image: &PushedImage) -> PlatformSummary {
    PlatformSummary {
        os: image.platform.os.clone(),
        architecture: image.platform.architecture.clone(),
        variant: image.platform.variant.clone(),
        digest: image.digest.clone(),
        size: image.size,
    }
}

fn names(page: &TagPage) -> Vec<&str> {
    page.tags.iter().map(|t| t.name.as_str()).collect()
}

async fn tags_of(app: &crate::helpers::TestApp, token: &str, repo: &str, query: &str) -> TagPage {
    get_ok(
        app,
        &format!("/api/repositories/{repo}/tags?{query}"),
        token,
    )
    .await
}

in_every_auth_mode!(every_manifest_type_is_listed_with_its_digest_size_date_and_platforms);
async fn every_manifest_type_is_listed_with_its_digest_size_date_and_platforms(mode: AuthMode) {
    let registry = start_registry(mode).await;
    let f = registry.seed_standard().await;
    let (app, admin) = app_for(&registry).await;
    let t = admin.token.as_str();

    let alpine = tags_of(&app, t, fixture::ALPINE, "details=true").await;
    let app_tags = tags_of(&app, t, fixture::APP, "details=true").await;
    let worker = tags_of(&app, t, fixture::WORKER, "details=true").await;
    let multiarch = tags_of(&app, t, fixture::MULTIARCH, "details=true").await;
    let busybox = tags_of(&app, t, fixture::BUSYBOX, "details=true").await;

    // Docker schema2, two tags on one digest.
    assert_eq!(alpine.total, 3);
    assert_eq!(names(&alpine), ["3.18", "3.19", "latest"]);
    for name in fixture::ALPINE_3_19_TAGS {
        let t = tag(&alpine, name);
        assert_eq!(t.digest.as_deref(), Some(f.alpine_3_19.digest.as_str()));
        assert_eq!(t.media_type.as_deref(), Some(DOCKER_MANIFEST_V2));
        assert_eq!(t.size, Some(f.alpine_3_19.size));
        assert_eq!(t.created.as_deref(), Some(fixture::ALPINE_3_19_CREATED));
        assert_eq!(t.platforms, vec![platform(&f.alpine_3_19)]);
        assert_eq!(t.error, None);
    }
    // OCI manifest.
    let v11 = tag(&app_tags, fixture::APP_V1_1_TAG);
    assert_eq!(v11.media_type.as_deref(), Some(OCI_MANIFEST));
    assert_eq!(v11.size, Some(f.app_v1_1.size));
    assert_eq!(v11.created.as_deref(), Some(fixture::APP_V1_1_CREATED));
    // Dated only by the manifest annotation.
    assert_eq!(
        tag(&worker, fixture::WORKER_TAG).created.as_deref(),
        Some(fixture::WORKER_CREATED_ANNOTATION)
    );
    // OCI index: per-platform sizes, attestations hidden, the newest platform's date.
    for name in fixture::MULTIARCH_TAGS {
        let t = tag(&multiarch, name);
        assert_eq!(t.digest.as_deref(), Some(f.multiarch.digest.as_str()));
        assert_eq!(t.media_type.as_deref(), Some(OCI_INDEX));
        let expected: Vec<PlatformSummary> = f.multiarch.platforms.iter().map(platform).collect();
        assert_eq!(t.platforms, expected);
        assert!(t.platforms.iter().all(|p| p.os != "unknown"));
        assert_eq!(t.size, Some(expected.iter().map(|p| p.size).sum()));
        assert_eq!(t.created.as_deref(), Some(fixture::MULTIARCH_ARM64_CREATED));
    }
    assert_eq!(
        tag(&multiarch, "1.0").platforms[1].variant.as_deref(),
        Some("v8")
    );
    // Docker manifest list.
    let b = tag(&busybox, fixture::BUSYBOX_TAG);
    assert_eq!(b.media_type.as_deref(), Some(DOCKER_MANIFEST_LIST));
    assert_eq!(b.digest.as_deref(), Some(f.busybox.digest.as_str()));
    assert_eq!(
        b.platforms,
        f.busybox.platforms.iter().map(platform).collect::<Vec<_>>()
    );
    assert_eq!(b.platforms[0].size, f.busybox.platform("amd64").size);
    assert_eq!(b.platforms[1].size, f.busybox.platform("arm64").size);
}

in_every_auth_mode!(namespaced_repositories_at_depth_one_to_three_keep_their_full_names);
async fn namespaced_repositories_at_depth_one_to_three_keep_their_full_names(mode: AuthMode) {
    let registry = start_registry(mode).await;
    let f = registry.seed_standard().await;
    let (app, admin) = app_for(&registry).await;
    let t = admin.token.as_str();

    let catalog: CatalogPage = get_ok(&app, "/api/catalog", t).await;
    let deep = tags_of(&app, t, fixture::DEEP, "").await;
    let worker_encoded = tags_of(&app, t, "team%2Fapp%2Fworker", "").await;
    let team_app = tags_of(&app, t, fixture::APP, "").await;

    let listed: Vec<(String, Option<String>)> = catalog
        .repositories
        .iter()
        .map(|r| (r.name.clone(), r.namespace.clone()))
        .collect();
    let expected: Vec<(String, Option<String>)> = f
        .repositories()
        .into_iter()
        .map(|name| {
            let ns = name.rsplit_once('/').map(|(ns, _)| ns.to_string());
            (name, ns)
        })
        .collect();
    assert_eq!(listed, expected);
    assert_eq!(catalog.total, 7);
    assert!(listed.contains(&("a/b/c/deep".into(), Some("a/b/c".into()))));
    assert!(listed.contains(&("team/app/worker".into(), Some("team/app".into()))));
    assert!(listed.contains(&("busybox".into(), None)));
    assert_eq!(deep.repository, "a/b/c/deep");
    assert_eq!(names(&deep), [fixture::DEEP_TAG]);
    assert_eq!(worker_encoded.repository, "team/app/worker");
    assert_eq!(names(&worker_encoded), [fixture::WORKER_TAG]);
    // `team/app` is also a namespace: its tags are its own, not the worker's.
    assert_eq!(names(&team_app), ["stable", "v1.0.0", "v1.1.0"]);
}

in_every_auth_mode!(tags_sort_by_creation_date_newest_first_with_undated_tags_last);
async fn tags_sort_by_creation_date_newest_first_with_undated_tags_last(mode: AuthMode) {
    let registry = start_registry(mode).await;
    registry.seed_standard().await;
    let undated = ImageSpec::new(ManifestFormat::Oci, "undated")
        .without_created()
        .layers(&[512])
        .build();
    registry
        .seeder()
        .push_image(fixture::APP, &["nodate"], &undated)
        .await
        .expect("push undated image");
    let (app, admin) = app_for(&registry).await;
    let t = admin.token.as_str();

    let newest_first = tags_of(&app, t, fixture::APP, "sort=created").await;
    let oldest_first = tags_of(&app, t, fixture::APP, "sort=created&order=asc").await;
    let biggest_first = tags_of(&app, t, fixture::APP, "sort=size&order=desc").await;
    let second_page = tags_of(&app, t, fixture::APP, "sort=created&per_page=2&page=2").await;
    let filtered = tags_of(&app, t, fixture::APP, "sort=created&q=V1").await;
    let by_name_desc = tags_of(&app, t, fixture::APP, "order=desc").await;

    assert_eq!(
        names(&newest_first),
        ["v1.1.0", "stable", "v1.0.0", "nodate"]
    );
    assert_eq!(tag(&newest_first, "nodate").created, None);
    assert_eq!(
        names(&oldest_first),
        ["stable", "v1.0.0", "v1.1.0", "nodate"]
    );
    assert_eq!(
        names(&biggest_first),
        ["v1.1.0", "stable", "v1.0.0", "nodate"]
    );
    assert_eq!(names(&second_page), ["v1.0.0", "nodate"]);
    assert_eq!(
        (second_page.total, second_page.page, second_page.per_page),
        (4, 2, 2)
    );
    assert_eq!(names(&filtered), ["v1.1.0", "v1.0.0"]);
    assert_eq!(filtered.total, 2);
    assert_eq!(
        names(&by_name_desc),
        ["v1.1.0", "v1.0.0", "stable", "nodate"]
    );
    assert!(
        by_name_desc.tags.iter().all(|t| t.digest.is_none()),
        "no details asked"
    );
}

in_every_auth_mode!(manifest_details_show_layers_config_history_and_every_platform);
async fn manifest_details_show_layers_config_history_and_every_platform(mode: AuthMode) {
    let registry = start_registry(mode).await;
    let f = registry.seed_standard().await;
    let (app, admin) = app_for(&registry).await;
    let t = admin.token.as_str();
    let host = format!("127.0.0.1:{}", registry.port());

    let dotted: ManifestDetails = get_ok(
        &app,
        &format!(
            "/api/repositories/{}/manifests/{}",
            fixture::DOTTED,
            fixture::DOTTED_TAG
        ),
        t,
    )
    .await;
    let dotted_raw: serde_json::Value = get_ok(
        &app,
        &format!(
            "/api/repositories/{}/manifests/{}",
            fixture::DOTTED,
            fixture::DOTTED_TAG
        ),
        t,
    )
    .await;
    let index: ManifestDetails =
        get_ok(&app, "/api/repositories/team/multiarch/manifests/1.0", t).await;
    let by_digest: ManifestDetails = get_ok(
        &app,
        &format!(
            "/api/repositories/team/multiarch/manifests/{}",
            f.multiarch.digest
        ),
        t,
    )
    .await;
    let alpine: ManifestDetails =
        get_ok(&app, "/api/repositories/library/alpine/manifests/latest", t).await;
    let missing = app
        .get("/api/repositories/library/alpine/manifests/nope", t)
        .await;

    // An image: layers, config with the image config's JSON types, history.
    assert_eq!(dotted.digest, f.dotted.digest);
    assert!(!dotted.is_index);
    assert_eq!(dotted.size, f.dotted.size);
    assert_eq!(dotted.created.as_deref(), Some(fixture::DOTTED_CREATED));
    assert_eq!(
        dotted
            .layers
            .iter()
            .map(|l| (l.digest.clone(), l.size))
            .collect::<Vec<_>>(),
        f.dotted
            .layer_digests
            .iter()
            .cloned()
            .zip(f.dotted.layer_sizes.iter().copied())
            .collect::<Vec<_>>()
    );
    let config = &dotted_raw["config"];
    assert_eq!(
        config["cmd"],
        serde_json::json!(["nginx", "-g", "daemon off;"])
    );
    assert_eq!(
        config["entrypoint"],
        serde_json::json!(["/docker-entrypoint.sh"])
    );
    assert!(config["env"]
        .as_array()
        .unwrap()
        .contains(&serde_json::json!("LANG=C.UTF-8")));
    assert_eq!(
        config["labels"]["org.opencontainers.image.version"],
        "2.0-rc1"
    );
    assert_eq!(
        config["exposed_ports"],
        serde_json::json!(["443/tcp", "80/tcp"])
    );
    assert_eq!(config["working_dir"], "/usr/share/nginx/html");
    assert_eq!(config["user"], "101:101");
    assert_eq!(config["volumes"], serde_json::json!(["/var/cache/nginx"]));
    assert_eq!(config["os"], "linux");
    assert_eq!(dotted.history.len(), f.dotted.layer_digests.len() + 2);
    assert!(dotted.history.last().unwrap().empty_layer);
    assert_eq!(
        dotted.pull_commands.docker,
        format!("docker pull {host}/my.app_name-x:v2.0_rc-1")
    );
    assert_eq!(
        dotted.pull_commands.podman,
        format!("podman pull {host}/my.app_name-x:v2.0_rc-1")
    );
    assert_eq!(
        dotted.pull_commands.by_digest,
        format!("docker pull {host}/my.app_name-x@{}", f.dotted.digest)
    );

    // An index: every platform with its own digest, size, layers, config and history.
    assert!(index.is_index);
    assert_eq!(index.digest, f.multiarch.digest);
    assert_eq!(index.media_type, OCI_INDEX);
    assert_eq!(index.platforms.len(), 2);
    for (shown, pushed) in index.platforms.iter().zip(&f.multiarch.platforms) {
        assert_eq!(shown.digest, pushed.digest);
        assert_eq!(shown.size, pushed.size);
        assert_eq!(shown.architecture, pushed.platform.architecture);
        assert_eq!(shown.created, pushed.created);
        assert_eq!(shown.layers.len(), pushed.layer_sizes.len());
        assert_eq!(
            shown
                .config
                .as_ref()
                .and_then(|c| c.architecture.clone())
                .as_deref(),
            Some(pushed.platform.architecture.as_str())
        );
        assert!(!shown.history.is_empty());
    }
    assert_eq!(
        index.size,
        f.multiarch.platforms.iter().map(|p| p.size).sum::<u64>()
    );
    assert_eq!(index.tags_sharing_digest, ["latest"]);
    assert_eq!(by_digest.tag, None);
    assert_eq!(by_digest.tags_sharing_digest, ["1.0", "latest"]);
    assert_eq!(
        by_digest.pull_commands.docker,
        format!("docker pull {host}/team/multiarch@{}", f.multiarch.digest)
    );
    assert_eq!(alpine.tags_sharing_digest, ["3.19"]);
    let (status, body) = status_and_json(missing).await;
    assert_eq!((status, body["error"].as_str()), (404, Some("not_found")));
}

in_every_auth_mode!(the_catalog_is_walked_past_a_thousand_repositories_and_paginated_for_the_spa);
async fn the_catalog_is_walked_past_a_thousand_repositories_and_paginated_for_the_spa(
    mode: AuthMode,
) {
    let registry = start_registry(mode).await;
    registry
        .seeder()
        .seed_bulk(1_050, 1, 16)
        .await
        .expect("seed 1,050 repositories");
    let (app, admin, proxy) = app_through_proxy(&registry).await;
    let t = admin.token.as_str();

    let second: CatalogPage = get_ok(&app, "/api/catalog?per_page=1000&page=2", t).await;
    let catalog_requests: Vec<String> = proxy
        .requests()
        .into_iter()
        .map(|(_, path)| path)
        .filter(|p| p.starts_with("/v2/_catalog"))
        .collect();
    let first: CatalogPage = get_ok(&app, "/api/catalog", t).await;
    let filtered: CatalogPage = get_ok(&app, "/api/catalog?q=r0104", t).await;
    let beyond: CatalogPage = get_ok(&app, "/api/catalog?page=99", t).await;
    let too_big = app.get("/api/catalog?per_page=1001", t).await;
    let page_zero = app.get("/api/catalog?page=0", t).await;

    assert_eq!(second.total, 1_050);
    assert_eq!(second.repositories.len(), 50);
    assert_eq!(second.repositories[0].name, "bulk/r01000");
    assert_eq!(second.repositories[0].namespace.as_deref(), Some("bulk"));
    assert!(
        catalog_requests.iter().any(|p| p == "/v2/_catalog?n=1000"),
        "{catalog_requests:?}"
    );
    assert!(
        catalog_requests.iter().any(|p| p.contains("last=")),
        "the Link was followed: {catalog_requests:?}"
    );
    assert_eq!(
        (first.page, first.per_page, first.repositories.len()),
        (1, 100, 100)
    );
    assert_eq!(filtered.total, 10);
    assert!(filtered
        .repositories
        .iter()
        .all(|r| r.name.starts_with("bulk/r0104")));
    assert_eq!((beyond.total, beyond.repositories.len()), (1_050, 0));
    for res in [too_big, page_zero] {
        let (status, body) = status_and_json(res).await;
        assert_eq!(
            (status, body["error"].as_str()),
            (400, Some("invalid_query"))
        );
    }
}

in_every_auth_mode!(health_reports_a_reachable_registry_and_its_api_version);
async fn health_reports_a_reachable_registry_and_its_api_version(mode: AuthMode) {
    let registry = start_registry(mode).await;
    let (app, admin) = app_for(&registry).await;

    let (status, body) = status_and_json(app.get("/api/health", &admin.token).await).await;

    assert_eq!(status, 200, "{body}");
    assert_eq!(body["registry"], "default");
    assert_eq!(body["url"], registry.url());
    assert_eq!(body["reachable"], true);
    assert_eq!(body["status"], 200);
    assert_eq!(body["api_version"], "registry/2.0");
    assert!(body["latency_ms"].is_u64());
}

in_every_auth_mode!(an_emptied_repository_lists_no_tags_and_an_unknown_one_is_404);
async fn an_emptied_repository_lists_no_tags_and_an_unknown_one_is_404(mode: AuthMode) {
    let registry = start_registry(mode).await;
    let f = registry.seed_standard().await;
    let (app, admin) = app_for(&registry).await;
    let t = admin.token.as_str();
    let repo = &f.worker.repository;
    let res = app
        .delete(
            &format!("/api/repositories/{repo}/manifests/{}", f.worker.digest),
            t,
        )
        .await;
    assert_eq!(res.status(), 200);

    let (status, body) = status_and_json(
        app.get(&format!("/api/repositories/{repo}/tags?refresh=true"), t)
            .await,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["total"], 0);
    let (status, body) =
        status_and_json(app.get("/api/repositories/never/existed/tags", t).await).await;
    assert_eq!(status, 404, "{body}");
    assert_eq!(body["error"], "not_found");
}
