//! Proves the real-registry harness in `support/` does what the other tests rely on.

use std::time::{Duration, Instant};

use reqwest::header::{CONTENT_LENGTH, CONTENT_TYPE, WWW_AUTHENTICATE};
use reqwest::StatusCode;

use crate::support::image::{
    build_index, ImageSpec, ManifestFormat, Platform, CREATED_ANNOTATION, DOCKER_MANIFEST_LIST,
    DOCKER_MANIFEST_V2, OCI_INDEX, OCI_MANIFEST,
};
use crate::support::registry_http::{next_link, parse_challenge, test_client, Challenge};
use crate::support::{
    fixture, AuthMode, CountingProxy, Fault, RegistryHttp, RegistryOptions, StandardFixture,
    TestRegistry, TokenFields,
};

fn header<'a>(response: &'a reqwest::Response, name: &str) -> &'a str {
    response
        .headers()
        .get(name)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
}

async fn anonymous_catalog(registry: &TestRegistry) -> reqwest::Response {
    test_client()
        .get(format!("{}/v2/_catalog", registry.url()))
        .send()
        .await
        .expect("anonymous catalog request")
}

async fn assert_catalog_and_tags_match(registry: &TestRegistry, fixture: &StandardFixture) {
    let http = registry.http();
    let mut catalog = http.catalog().await.expect("catalog");
    catalog.sort();
    assert_eq!(catalog, fixture.repositories());
    for repository in fixture.repositories() {
        let mut tags = http.tags(&repository).await.expect("tags");
        tags.sort();
        assert_eq!(tags, fixture.tags(&repository), "tags of {repository}");
    }
}

#[tokio::test]
async fn an_open_registry_serves_the_seeded_standard_fixture() {
    let registry = TestRegistry::start(AuthMode::None).await;

    let fixture = registry.seed_standard().await;

    assert_catalog_and_tags_match(&registry, &fixture).await;
    assert_eq!(anonymous_catalog(&registry).await.status(), StatusCode::OK);
    let http = registry.http();
    for tag in fixture::ALPINE_3_19_TAGS {
        let response = http
            .head(
                &format!("/v2/{}/manifests/{tag}", fixture::ALPINE),
                &[DOCKER_MANIFEST_V2],
            )
            .await
            .expect("HEAD manifest");
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(
            header(&response, "Docker-Content-Digest"),
            fixture.alpine_3_19.digest
        );
    }
    assert_ne!(fixture.alpine_3_19.digest, fixture.alpine_3_18.digest);
    assert_eq!(
        fixture.alpine_3_19.size,
        fixture.alpine_3_19.config_size + fixture::ALPINE_3_19_LAYERS[0] as u64
    );
}

#[tokio::test]
async fn the_standard_fixture_has_an_image_dated_only_by_its_manifest_annotation() {
    let registry = TestRegistry::start(AuthMode::None).await;
    let fixture = registry.seed_standard().await;
    let http = registry.http();

    let manifest: serde_json::Value = http
        .get(
            &format!("/v2/{}/manifests/{}", fixture::WORKER, fixture::WORKER_TAG),
            &[OCI_MANIFEST],
        )
        .await
        .expect("GET manifest")
        .json()
        .await
        .expect("manifest JSON");
    let config: serde_json::Value = http
        .get(
            &format!(
                "/v2/{}/blobs/{}",
                fixture::WORKER,
                fixture.worker.config_digest
            ),
            &[],
        )
        .await
        .expect("GET config")
        .json()
        .await
        .expect("config JSON");

    assert_eq!(
        manifest["annotations"][CREATED_ANNOTATION],
        fixture::WORKER_CREATED_ANNOTATION
    );
    assert!(config.get("created").is_none(), "config: {config}");
    assert_eq!(config["os"], "linux");
    let mut created: Vec<_> = fixture
        .single_images()
        .iter()
        .filter_map(|image| image.created.clone())
        .collect();
    let dated = created.len();
    created.sort();
    created.dedup();
    assert_eq!(created.len(), dated, "created dates must be distinct");
}

#[tokio::test]
async fn a_basic_auth_registry_serves_the_seeded_fixture_and_refuses_anonymous_reads() {
    let registry = TestRegistry::start(AuthMode::Basic).await;

    let fixture = registry.seed_standard().await;

    assert_catalog_and_tags_match(&registry, &fixture).await;
    let anonymous = anonymous_catalog(&registry).await;
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        parse_challenge(header(&anonymous, WWW_AUTHENTICATE.as_str())),
        Some(Challenge::Basic)
    );
}

#[tokio::test]
async fn a_token_auth_registry_serves_the_seeded_fixture_and_refuses_anonymous_reads() {
    let registry = TestRegistry::start(AuthMode::Token).await;
    let tokens = registry
        .token_server()
        .expect("token mode has a token server");

    let fixture = registry.seed_standard().await;

    assert_catalog_and_tags_match(&registry, &fixture).await;
    let anonymous = anonymous_catalog(&registry).await;
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    match parse_challenge(header(&anonymous, WWW_AUTHENTICATE.as_str())) {
        Some(Challenge::Bearer { realm, service, .. }) => {
            assert_eq!(realm, tokens.realm());
            assert_eq!(service.as_deref(), Some(tokens.service()));
        }
        other => panic!("expected a Bearer challenge, got {other:?}"),
    }
    assert!(tokens.tokens_issued_for("registry:catalog:*") >= 1);
    assert!(tokens.tokens_issued_for(&format!("repository:{}:pull,push", fixture::ALPINE)) >= 1);
    let refused = tokens.requests_refused();
    let anonymous_token = RegistryHttp::new(&registry.url(), None)
        .fetch_token(
            &tokens.realm(),
            Some(tokens.service()),
            &["registry:catalog:*".to_owned()],
        )
        .await;
    assert!(anonymous_token.is_err());
    assert_eq!(tokens.requests_refused(), refused + 1);
}

#[tokio::test]
async fn a_manifest_pushed_as_an_oci_index_reads_back_as_that_index_when_accept_lists_it() {
    let registry = TestRegistry::start(AuthMode::None).await;
    let index = build_index(
        OCI_INDEX,
        vec![
            ImageSpec::new(ManifestFormat::Oci, "index-amd64").build(),
            ImageSpec::new(ManifestFormat::Oci, "index-arm64")
                .platform(Platform::linux_arm64_v8())
                .build(),
        ],
        true,
    );
    let pushed = registry
        .seeder()
        .push_index("multi/arch", &["1"], &index)
        .await
        .expect("push index");
    let http = registry.http();

    let as_index = http
        .get("/v2/multi/arch/manifests/1", &[OCI_INDEX, OCI_MANIFEST])
        .await
        .expect("GET index");
    let without_index_type = http
        .get("/v2/multi/arch/manifests/1", &[OCI_MANIFEST])
        .await
        .expect("GET without index type");

    assert_eq!(as_index.status(), StatusCode::OK);
    assert_eq!(header(&as_index, CONTENT_TYPE.as_str()), OCI_INDEX);
    assert_eq!(header(&as_index, "Docker-Content-Digest"), pushed.digest);
    assert_eq!(
        as_index.bytes().await.expect("index body"),
        index.manifest.bytes
    );
    assert_eq!(pushed.attestations.len(), 2);
    // distribution 2.8 has no fallback for OCI indexes: MANIFEST_UNKNOWN.
    assert_eq!(without_index_type.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_docker_manifest_list_read_without_its_media_type_comes_back_as_the_amd64_child() {
    let registry = TestRegistry::start(AuthMode::None).await;
    let list = build_index(
        DOCKER_MANIFEST_LIST,
        vec![
            ImageSpec::new(ManifestFormat::DockerV2, "list-arm64")
                .platform(Platform::linux_arm64_v8())
                .build(),
            ImageSpec::new(ManifestFormat::DockerV2, "list-amd64").build(),
        ],
        false,
    );
    let pushed = registry
        .seeder()
        .push_index("multi/list", &["1"], &list)
        .await
        .expect("push list");
    let http = registry.http();

    let as_list = http
        .get(
            "/v2/multi/list/manifests/1",
            &[DOCKER_MANIFEST_LIST, DOCKER_MANIFEST_V2],
        )
        .await
        .expect("GET list");
    let without_list_type = http
        .get("/v2/multi/list/manifests/1", &[DOCKER_MANIFEST_V2])
        .await
        .expect("GET without list type");

    assert_eq!(
        header(&as_list, CONTENT_TYPE.as_str()),
        DOCKER_MANIFEST_LIST
    );
    assert_eq!(header(&as_list, "Docker-Content-Digest"), pushed.digest);
    // The pitfall the app must avoid: a delete by this digest would remove the child.
    assert_eq!(without_list_type.status(), StatusCode::OK);
    assert_eq!(
        header(&without_list_type, CONTENT_TYPE.as_str()),
        DOCKER_MANIFEST_V2
    );
    assert_eq!(
        header(&without_list_type, "Docker-Content-Digest"),
        pushed.platform("amd64").digest
    );
}

#[tokio::test]
async fn the_token_servers_stale_mode_gets_its_tokens_refused_by_the_registry() {
    let registry = TestRegistry::start(AuthMode::Token).await;
    let tokens = registry.token_server().expect("token server");
    let http = registry.http();
    let catalog_scope = ["registry:catalog:*".to_owned()];
    let credentials = registry.credentials().expect("credentials");

    tokens.set_stale(true);
    let stale_response: serde_json::Value = test_client()
        .get(format!(
            "{}?service={}&scope=registry:catalog:*",
            tokens.realm(),
            tokens.service()
        ))
        .basic_auth(&credentials.username, Some(&credentials.password))
        .send()
        .await
        .expect("token request")
        .json()
        .await
        .expect("token JSON");
    let stale = stale_response["token"].as_str().expect("token").to_owned();
    let with_stale = test_client()
        .get(format!("{}/v2/_catalog", registry.url()))
        .bearer_auth(&stale)
        .send()
        .await
        .expect("catalog with stale token");
    tokens.set_stale(false);
    let fresh = http
        .fetch_token(&tokens.realm(), Some(tokens.service()), &catalog_scope)
        .await
        .expect("fresh token");
    let with_fresh = test_client()
        .get(format!("{}/v2/_catalog", registry.url()))
        .bearer_auth(&fresh)
        .send()
        .await
        .expect("catalog with fresh token");

    assert_eq!(stale_response["expires_in"], 300);
    assert_eq!(with_stale.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(with_fresh.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_client_whose_cached_token_went_stale_reauthenticates_after_the_registrys_401() {
    let registry = TestRegistry::start(AuthMode::Token).await;
    let tokens = registry.token_server().expect("token server");
    let http = registry.http();
    tokens.set_stale(true);
    tokens.set_expires_in(42);
    tokens.set_token_fields(TokenFields::AccessTokenOnly);
    assert!(
        http.catalog().await.is_err(),
        "stale tokens must be refused"
    );
    let issued_while_stale = tokens.tokens_issued();

    tokens.set_stale(false);
    let catalog = http.catalog().await.expect("catalog after re-auth");

    assert!(catalog.is_empty());
    assert_eq!(tokens.tokens_issued(), issued_while_stale + 1);
    assert_eq!(
        tokens.tokens_issued_for("registry:catalog:*"),
        issued_while_stale + 1
    );
}

#[tokio::test]
async fn the_counting_proxy_forwards_requests_and_counts_them() {
    let registry = TestRegistry::start(AuthMode::None).await;
    let image = ImageSpec::new(ManifestFormat::DockerV2, "proxied")
        .layers(&[1234, 5678])
        .build();
    registry
        .seeder()
        .push_image("proxied/app", &["1"], &image)
        .await
        .expect("seed");
    let proxy = CountingProxy::start(&registry.url()).await;
    let through_proxy = RegistryHttp::new(&proxy.url(), None);

    let base = through_proxy.get("/v2/", &[]).await.expect("GET /v2/");
    let manifest = through_proxy
        .get("/v2/proxied/app/manifests/1", &[DOCKER_MANIFEST_V2])
        .await
        .expect("GET manifest");
    let manifest_status = manifest.status();
    let manifest_digest = header(&manifest, "Docker-Content-Digest").to_owned();
    let manifest_body = manifest.bytes().await.expect("manifest body");
    let blob_head = through_proxy
        .head(
            &format!("/v2/proxied/app/blobs/{}", image.layers[1].digest),
            &[],
        )
        .await
        .expect("HEAD blob");
    let catalog = through_proxy.catalog().await.expect("catalog");
    let pushed = crate::support::Seeder::new(through_proxy.clone())
        .push_manifest("proxied/app", "2", &image.manifest)
        .await;

    assert_eq!(base.status(), StatusCode::OK);
    assert_eq!(
        header(&base, "Docker-Distribution-Api-Version"),
        "registry/2.0"
    );
    assert_eq!(manifest_status, StatusCode::OK);
    assert_eq!(manifest_digest, image.manifest.digest);
    assert_eq!(manifest_body, image.manifest.bytes);
    assert_eq!(blob_head.status(), StatusCode::OK);
    assert_eq!(header(&blob_head, CONTENT_LENGTH.as_str()), "5678");
    assert_eq!(catalog, vec!["proxied/app".to_owned()]);
    assert_eq!(
        pushed.expect("manifest PUT through the proxy"),
        image.manifest.digest
    );
    assert_eq!(proxy.count(), 5);
    let requests = proxy.requests();
    assert_eq!(
        requests,
        vec![
            ("GET".to_owned(), "/v2/".to_owned()),
            ("GET".to_owned(), "/v2/proxied/app/manifests/1".to_owned()),
            (
                "HEAD".to_owned(),
                format!("/v2/proxied/app/blobs/{}", image.layers[1].digest)
            ),
            ("GET".to_owned(), "/v2/_catalog?n=1000".to_owned()),
            ("PUT".to_owned(), "/v2/proxied/app/manifests/2".to_owned()),
        ]
    );
    assert_eq!(proxy.count_starting_with("/v2/proxied/"), 3);
    proxy.reset();
    assert_eq!(proxy.count(), 0);
    assert!(proxy.requests().is_empty());
}

#[tokio::test]
async fn the_counting_proxy_injects_faults_until_cleared() {
    let registry = TestRegistry::start(AuthMode::None).await;
    let proxy = CountingProxy::start(&registry.url()).await;
    let client = test_client();
    let url = format!("{}/v2/", proxy.url());

    proxy.set_fault(Fault::Status(500));
    let failed = client.get(&url).send().await.expect("request");
    proxy.set_fault(Fault::Delay(Duration::from_millis(300)));
    let started = Instant::now();
    let delayed = client.get(&url).send().await.expect("request");
    let delay = started.elapsed();
    proxy.clear_fault();
    let normal = client.get(&url).send().await.expect("request");

    assert_eq!(failed.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(delayed.status(), StatusCode::OK);
    assert!(delay >= Duration::from_millis(300), "{delay:?}");
    assert_eq!(normal.status(), StatusCode::OK);
    assert_eq!(proxy.count(), 3);
}

#[tokio::test]
async fn pushing_an_image_twice_uploads_its_blobs_once() {
    let registry = TestRegistry::start(AuthMode::None).await;
    let proxy = CountingProxy::start(&registry.url()).await;
    let seeder = crate::support::Seeder::new(RegistryHttp::new(&proxy.url(), None));
    let image = ImageSpec::new(ManifestFormat::Oci, "twice")
        .layers(&[100, 200])
        .build();
    let uploads = "/v2/twice/blobs/uploads/";

    seeder
        .push_image("twice", &["a"], &image)
        .await
        .expect("first push");
    let first = proxy.count_starting_with(uploads);
    seeder
        .push_image("twice", &["b"], &image)
        .await
        .expect("second push");

    assert_eq!(first, 3, "config and two layers");
    assert_eq!(proxy.count_starting_with(uploads), first);
}

#[tokio::test]
async fn bulk_seeding_beyond_one_catalog_page_is_listed_whole_through_link_headers() {
    let registry = TestRegistry::start(AuthMode::None).await;

    let seeded = registry
        .seeder()
        .seed_bulk(1_100, 1, 16)
        .await
        .expect("bulk seed");
    println!(
        "seeded {} repositories in {:?}",
        seeded.repositories.len(),
        seeded.elapsed
    );

    let first_page = test_client()
        .get(format!("{}/v2/_catalog?n=1000", registry.url()))
        .send()
        .await
        .expect("first page");
    assert!(
        next_link(first_page.headers()).is_some(),
        "1,100 repositories must not fit one page"
    );
    let mut catalog = registry.http().catalog().await.expect("catalog");
    catalog.sort();
    assert_eq!(catalog, seeded.repositories);
    let tags = registry
        .http()
        .tags(&seeded.repositories[1_099])
        .await
        .expect("tags");
    assert_eq!(tags, seeded.tags);
}

#[tokio::test]
async fn seeding_a_thousand_distinct_tags_and_two_thousand_repositories_works() {
    let registry = TestRegistry::start(AuthMode::None).await;
    let seeder = registry.seeder();

    let tags = seeder
        .seed_tags_with_distinct_configs("bulk/many-tags", 1_000, 16)
        .await
        .expect("seed tags");
    let repositories = seeder.seed_bulk(2_000, 1, 16).await.expect("seed repos");
    println!(
        "seeded 1,000 distinct tags in {:?}, 2,000 repositories in {:?}",
        tags.elapsed, repositories.elapsed
    );

    let listed = registry.http().tags("bulk/many-tags").await.expect("tags");
    assert_eq!(listed.len(), 1_000);
    let mut digests: Vec<_> = tags.images.iter().map(|image| &image.digest).collect();
    digests.sort();
    digests.dedup();
    assert_eq!(digests.len(), 1_000);
    // How long it took is printed, not asserted: a busy CI machine must not fail a test of
    // correctness (the figures that matter are measured by `make bench`).
    assert_eq!(repositories.repositories.len(), 2_000);
}

#[tokio::test]
async fn a_registry_with_deletes_disabled_answers_405_unsupported_to_a_manifest_delete() {
    let registry = TestRegistry::start_with(RegistryOptions {
        auth: AuthMode::None,
        delete_enabled: false,
    })
    .await;
    let image = ImageSpec::new(ManifestFormat::DockerV2, "undeletable").build();
    let pushed = registry
        .seeder()
        .push_image("keep/me", &["1"], &image)
        .await
        .expect("seed");

    let response = registry
        .http()
        .delete(&format!("/v2/keep/me/manifests/{}", pushed.digest))
        .await
        .expect("DELETE");

    assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert!(response
        .text()
        .await
        .expect("error body")
        .contains("UNSUPPORTED"));
}

#[tokio::test]
async fn a_registry_with_deletes_enabled_removes_every_tag_of_a_deleted_digest() {
    let registry = TestRegistry::start(AuthMode::Basic).await;
    let image = ImageSpec::new(ManifestFormat::DockerV2, "deletable").build();
    let pushed = registry
        .seeder()
        .push_image("drop/me", &["1", "also"], &image)
        .await
        .expect("seed");
    let http = registry.http();

    let response = http
        .delete(&format!("/v2/drop/me/manifests/{}", pushed.digest))
        .await
        .expect("DELETE");
    let after = http
        .get("/v2/drop/me/manifests/also", &[DOCKER_MANIFEST_V2])
        .await
        .expect("GET after delete");

    assert_eq!(response.status(), StatusCode::ACCEPTED);
    assert_eq!(after.status(), StatusCode::NOT_FOUND);
}

#[test]
fn a_bearer_challenge_with_a_comma_in_its_scope_parses_in_any_order() {
    let challenge = parse_challenge(
        r#"Bearer scope="repository:a/b:pull,push",realm="http://127.0.0.1:1/token",service="reg""#,
    );

    assert_eq!(
        challenge,
        Some(Challenge::Bearer {
            realm: "http://127.0.0.1:1/token".to_owned(),
            service: Some("reg".to_owned()),
            scope: Some("repository:a/b:pull,push".to_owned()),
        })
    );
}
