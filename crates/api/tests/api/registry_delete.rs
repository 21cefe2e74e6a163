//! Deleting tags: exactly the digest's tags go, an index is deleted as a whole, refusals are
//! clear, and every delete is audited.
use serde_json::json;
use shared::registry::{DeleteResponse, TagPage};

use crate::registry_browse::in_every_auth_mode;
use crate::registry_common::*;
use crate::support::image::DOCKER_MANIFEST_V2;
use crate::support::image::OCI_MANIFEST;
use crate::support::{fixture, AuthMode, ImageSpec, ManifestFormat};

async fn delete_ok(app: &crate::helpers::TestApp, path: &str, token: &str) -> DeleteResponse {
    let res = app.delete(path, token).await;
    let (status, body) = status_and_json(res).await;
    assert_eq!(status, 200, "DELETE {path}: {body}");
    serde_json::from_value(body).expect("delete response")
}

in_every_auth_mode!(deleting_a_tag_removes_exactly_the_tags_of_its_digest_and_is_audited);
async fn deleting_a_tag_removes_exactly_the_tags_of_its_digest_and_is_audited(mode: AuthMode) {
    let registry = start_registry(mode).await;
    let f = registry.seed_standard().await;
    let (app, admin) = app_for(&registry).await;
    let t = admin.token.as_str();
    let before: TagPage = get_ok(
        &app,
        "/api/repositories/library/alpine/tags?details=true",
        t,
    )
    .await;

    let deleted = delete_ok(&app, "/api/repositories/library/alpine/manifests/latest", t).await;
    let after: TagPage = get_ok(
        &app,
        "/api/repositories/library/alpine/tags?details=true",
        t,
    )
    .await;

    assert_eq!(before.total, 3);
    assert_eq!(deleted.deleted_digest, f.alpine_3_19.digest);
    assert_eq!(deleted.removed_tags, ["3.19", "latest"]);
    assert_eq!(registry_tags(&registry, fixture::ALPINE).await, ["3.18"]);
    // Our own delete invalidated the cached tag list.
    assert_eq!(
        after
            .tags
            .iter()
            .map(|t| t.name.as_str())
            .collect::<Vec<_>>(),
        ["3.18"]
    );
    assert_eq!(
        registry_tags(&registry, fixture::APP).await,
        ["stable", "v1.0.0", "v1.1.0"]
    );
    let events = tag_deleted_events(&app).await;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].actor.as_deref(), Some("admin"));
    assert_eq!(events[0].ip.as_deref(), Some("127.0.0.1"));
    assert_eq!(
        events[0].target.as_deref(),
        Some(format!("default/library/alpine:latest@{}", f.alpine_3_19.digest).as_str())
    );
    assert_eq!(events[0].outcome, "success");
}

in_every_auth_mode!(deleting_a_multi_arch_tag_deletes_the_index_and_keeps_its_children);
async fn deleting_a_multi_arch_tag_deletes_the_index_and_keeps_its_children(mode: AuthMode) {
    let registry = start_registry(mode).await;
    let f = registry.seed_standard().await;
    let (app, admin) = app_for(&registry).await;
    let t = admin.token.as_str();

    let oci = delete_ok(&app, "/api/repositories/team/multiarch/manifests/1.0", t).await;
    let docker = delete_ok(&app, "/api/repositories/busybox/manifests/1.36", t).await;

    assert_eq!(oci.deleted_digest, f.multiarch.digest);
    assert_eq!(oci.removed_tags, ["1.0", "latest"]);
    assert_eq!(docker.deleted_digest, f.busybox.digest);
    assert_eq!(docker.removed_tags, ["1.36"]);
    assert!(registry_tags(&registry, fixture::MULTIARCH)
        .await
        .is_empty());
    let http = registry.http();
    for child in &f.multiarch.platforms {
        let res = http
            .head(
                &format!("/v2/team/multiarch/manifests/{}", child.digest),
                &[OCI_MANIFEST],
            )
            .await
            .expect("HEAD child");
        assert_eq!(res.status(), 200, "child {} must survive", child.digest);
    }
    for child in &f.busybox.platforms {
        let res = http
            .head(
                &format!("/v2/busybox/manifests/{}", child.digest),
                &[DOCKER_MANIFEST_V2],
            )
            .await
            .expect("HEAD child");
        assert_eq!(res.status(), 200, "child {} must survive", child.digest);
    }
    let index = http
        .head(
            &format!("/v2/team/multiarch/manifests/{}", f.multiarch.digest),
            &[crate::support::image::OCI_INDEX],
        )
        .await
        .expect("HEAD index");
    assert_eq!(index.status(), 404);
}

in_every_auth_mode!(a_registry_with_deletes_disabled_answers_409_delete_disabled);
async fn a_registry_with_deletes_disabled_answers_409_delete_disabled(mode: AuthMode) {
    let registry = start_registry_without_deletes(mode).await;
    let image = ImageSpec::new(ManifestFormat::Oci, "undeletable").build();
    registry
        .seeder()
        .push_image("keep/me", &["1"], &image)
        .await
        .expect("push");
    let (app, admin) = app_for(&registry).await;

    let (status, body) = status_and_json(
        app.delete("/api/repositories/keep/me/manifests/1", &admin.token)
            .await,
    )
    .await;
    let bulk = app
        .post(
            "/api/repositories/keep/me/delete-tags",
            Some(&admin.token),
            &json!({"tags": ["1"]}),
        )
        .await;
    let (bulk_status, bulk_body) = status_and_json(bulk).await;

    assert_eq!(status, 409, "{body}");
    assert_eq!(body["error"], "delete_disabled");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("REGISTRY_STORAGE_DELETE_ENABLED=true"),
        "{body}"
    );
    assert_eq!(bulk_status, 200);
    assert_eq!(bulk_body["results"][0]["ok"], false);
    assert_eq!(bulk_body["results"][0]["error"], "delete_disabled");
    assert_eq!(registry_tags(&registry, "keep/me").await, ["1"]);
    assert!(tag_deleted_events(&app).await.is_empty());
}

#[tokio::test]
async fn bulk_delete_reports_every_tag_and_deletes_a_shared_digest_once() {
    let registry = start_registry(AuthMode::None).await;
    let f = registry.seed_standard().await;
    let (app, admin, proxy) = app_through_proxy(&registry).await;

    let res = app
        .post(
            "/api/repositories/library/alpine/delete-tags",
            Some(&admin.token),
            &json!({"tags": ["3.19", "latest", "3.18", "nope", "3.19"]}),
        )
        .await;
    let (status, body) = status_and_json(res).await;
    let deletes = proxy
        .requests()
        .into_iter()
        .filter(|(m, _)| m == "DELETE")
        .count();

    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body,
        json!({"results": [
            {"tag": "3.19", "ok": true, "digest": f.alpine_3_19.digest},
            {"tag": "latest", "ok": true, "digest": f.alpine_3_19.digest},
            {"tag": "3.18", "ok": true, "digest": f.alpine_3_18.digest},
            {"tag": "nope", "ok": false, "digest": null, "error": "not_found",
             "message": "this tag does not exist (any more)"},
        ]})
    );
    assert_eq!(deletes, 2, "one DELETE per distinct digest");
    assert!(registry_tags(&registry, fixture::ALPINE).await.is_empty());
    let events = tag_deleted_events(&app).await;
    let mut targets: Vec<String> = events.iter().filter_map(|e| e.target.clone()).collect();
    targets.sort();
    assert_eq!(
        targets,
        [
            format!("default/library/alpine:3.18@{}", f.alpine_3_18.digest),
            format!("default/library/alpine:3.19@{}", f.alpine_3_19.digest),
        ]
    );
}

#[tokio::test]
async fn a_bulk_delete_with_an_invalid_tag_is_refused_before_any_request() {
    let registry = start_registry(AuthMode::None).await;
    let (app, admin, proxy) = app_through_proxy(&registry).await;

    let invalid = app
        .post(
            "/api/repositories/library/alpine/delete-tags",
            Some(&admin.token),
            &json!({"tags": ["ok", "../x"]}),
        )
        .await;
    let empty = app
        .post(
            "/api/repositories/library/alpine/delete-tags",
            Some(&admin.token),
            &json!({"tags": []}),
        )
        .await;

    let (status, body) = status_and_json(invalid).await;
    assert_eq!((status, body["error"].as_str()), (400, Some("invalid_tag")));
    let (status, body) = status_and_json(empty).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_request"))
    );
    assert_eq!(proxy.count(), 0);
}

#[tokio::test]
async fn a_viewer_gets_403_on_every_delete_and_the_registry_is_not_asked() {
    let registry = start_registry(AuthMode::None).await;
    registry.seed_standard().await;
    let (app, admin, proxy) = app_through_proxy(&registry).await;
    let viewer = app.user_with_role(&admin.token, "viewer1", "viewer").await;
    proxy.reset();

    let single = app
        .delete(
            "/api/repositories/library/alpine/manifests/latest",
            &viewer.token,
        )
        .await;
    let bulk = app
        .post(
            "/api/repositories/library/alpine/delete-tags",
            Some(&viewer.token),
            &json!({"tags": ["latest"]}),
        )
        .await;
    let browse = app
        .get("/api/repositories/library/alpine/tags", &viewer.token)
        .await;

    for res in [single, bulk] {
        let (status, body) = status_and_json(res).await;
        assert_eq!(
            (status, body["error"].as_str()),
            (403, Some("forbidden")),
            "{body}"
        );
    }
    assert_eq!(browse.status(), 200, "viewers browse");
    assert!(
        proxy.requests().iter().all(|(m, _)| m == "GET"),
        "{:?}",
        proxy.requests()
    );
    assert_eq!(
        registry_tags(&registry, fixture::ALPINE).await,
        ["3.18", "3.19", "latest"]
    );
}

#[tokio::test]
async fn a_read_only_registry_refuses_deletes_with_409_without_asking_it() {
    let registry = start_registry(AuthMode::None).await;
    registry.seed_standard().await;
    let (app, admin, proxy) = app_through_proxy(&registry).await;
    sqlx::query("UPDATE registries SET read_only = 1")
        .execute(&app.state.pool)
        .await
        .expect("mark read-only");

    let single = app
        .delete(
            "/api/repositories/library/alpine/manifests/latest",
            &admin.token,
        )
        .await;
    let bulk = app
        .post(
            "/api/repositories/library/alpine/delete-tags",
            Some(&admin.token),
            &json!({"tags": ["latest"]}),
        )
        .await;

    for res in [single, bulk] {
        let (status, body) = status_and_json(res).await;
        assert_eq!(
            (status, body["error"].as_str()),
            (409, Some("registry_read_only")),
            "{body}"
        );
    }
    assert_eq!(proxy.count(), 0);
    assert_eq!(
        registry_tags(&registry, fixture::ALPINE).await,
        ["3.18", "3.19", "latest"]
    );
}

#[tokio::test]
async fn deleting_by_digest_removes_every_tag_on_it() {
    let registry = start_registry(AuthMode::None).await;
    let f = registry.seed_standard().await;
    let (app, admin) = app_for(&registry).await;

    let deleted = delete_ok(
        &app,
        &format!("/api/repositories/team/app/manifests/{}", f.app_v1_0.digest),
        &admin.token,
    )
    .await;
    let missing = app
        .delete("/api/repositories/team/app/manifests/v1.0.0", &admin.token)
        .await;

    assert_eq!(deleted.removed_tags, ["stable", "v1.0.0"]);
    assert_eq!(registry_tags(&registry, fixture::APP).await, ["v1.1.0"]);
    let (status, body) = status_and_json(missing).await;
    assert_eq!((status, body["error"].as_str()), (404, Some("not_found")));
    let events = tag_deleted_events(&app).await;
    assert_eq!(
        events[0].target.as_deref(),
        Some(format!("default/team/app@{}", f.app_v1_0.digest).as_str())
    );
}
