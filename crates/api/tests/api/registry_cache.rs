//! Caching: immutable content by digest, tag lists and the catalog for a short TTL, and
//! `?refresh=true` to look again.
use std::time::Duration;

use shared::registry::TagPage;

use crate::registry_common::*;
use crate::support::AuthMode;

fn manifest_and_blob_requests(proxy: &crate::support::CountingProxy, repo: &str) -> (usize, usize) {
    (
        proxy.count_starting_with(&format!("/v2/{repo}/manifests/")),
        proxy.count_starting_with(&format!("/v2/{repo}/blobs/")),
    )
}

#[tokio::test]
async fn a_warm_tag_list_makes_no_upstream_requests_and_refresh_looks_again() {
    let registry = start_registry(AuthMode::None).await;
    registry.seed_standard().await;
    let (app, admin, proxy) = app_through_proxy(&registry).await;
    let t = admin.token.as_str();
    let path = "/api/repositories/team/multiarch/tags?details=true";

    let cold: TagPage = get_ok(&app, path, t).await;
    let cold_requests = manifest_and_blob_requests(&proxy, "team/multiarch");
    proxy.reset();
    let warm: TagPage = get_ok(&app, path, t).await;
    let warm_requests = proxy.count();
    let refreshed: TagPage = get_ok(&app, &format!("{path}&refresh=true"), t).await;
    let refresh_requests = manifest_and_blob_requests(&proxy, "team/multiarch");

    // Cold: 2 tags by tag, 2 children by digest, their 2 configs.
    assert_eq!(cold_requests, (4, 2));
    assert_eq!(warm.tags, cold.tags);
    assert_eq!(warm_requests, 0, "{:?}", proxy.requests());
    assert_eq!(refreshed.tags, cold.tags);
    assert_eq!(proxy.count_starting_with("/v2/team/multiarch/tags/list"), 1);
    // Refresh asks where the tags point now; what a digest holds never changes.
    assert_eq!(refresh_requests, (2, 0));
}

#[tokio::test]
async fn the_catalog_and_tag_lists_expire_after_the_ttl() {
    let registry = start_registry(AuthMode::None).await;
    registry.seed_standard().await;
    let (app, admin, proxy) = app_through_proxy_with(&registry, |s| {
        s.registry_client.cache_ttl = Duration::from_secs(1);
    })
    .await;
    let t = admin.token.as_str();

    for _ in 0..3 {
        assert_eq!(app.get("/api/catalog", t).await.status(), 200);
        assert_eq!(
            app.get("/api/repositories/library/alpine/tags", t)
                .await
                .status(),
            200
        );
    }
    let within_ttl = (
        proxy.count_starting_with("/v2/_catalog"),
        proxy.count_starting_with("/v2/library/alpine/tags/list"),
    );
    tokio::time::sleep(Duration::from_millis(1_200)).await;
    assert_eq!(app.get("/api/catalog", t).await.status(), 200);
    assert_eq!(
        app.get("/api/repositories/library/alpine/tags", t)
            .await
            .status(),
        200
    );

    assert_eq!(within_ttl, (1, 1));
    assert_eq!(proxy.count_starting_with("/v2/_catalog"), 2);
    assert_eq!(proxy.count_starting_with("/v2/library/alpine/tags/list"), 2);
}

#[tokio::test]
async fn a_warm_manifest_details_page_needs_no_manifest_or_config_requests() {
    let registry = start_registry(AuthMode::None).await;
    registry.seed_standard().await;
    let (app, admin, proxy) = app_through_proxy(&registry).await;
    let t = admin.token.as_str();
    let path = "/api/repositories/busybox/manifests/1.36";

    let cold: serde_json::Value = get_ok(&app, path, t).await;
    proxy.reset();
    let warm: serde_json::Value = get_ok(&app, path, t).await;

    assert_eq!(cold, warm);
    assert_eq!(proxy.count(), 0, "{:?}", proxy.requests());
}
