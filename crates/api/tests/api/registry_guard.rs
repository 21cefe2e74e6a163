//! Refusals and failures: invalid names never reach the registry, and registry trouble maps
//! to clear, quick errors.
use std::time::{Duration, Instant};

use crate::helpers::spawn_app;
use crate::registry_common::*;
use crate::support::{AuthMode, Fault, TestRegistry};

#[tokio::test]
async fn invalid_names_tags_and_digests_get_400_without_any_upstream_request() {
    let registry = start_registry(AuthMode::None).await;
    registry.seed_standard().await;
    let (app, admin, proxy) = app_through_proxy(&registry).await;
    let t = admin.token.as_str();
    let cases = [
        (
            "GET",
            "/api/repositories/../../v2/_catalog/tags",
            "invalid_name",
        ),
        (
            "GET",
            "/api/repositories/library/../alpine/tags",
            "invalid_name",
        ),
        ("GET", "/api/repositories/%2e%2e/tags", "invalid_name"),
        (
            "GET",
            "/api/repositories/team%2F..%2Fapp/tags",
            "invalid_name",
        ),
        (
            "GET",
            "/api/repositories/team%2F%2Fapp/tags",
            "invalid_name",
        ),
        ("GET", "/api/repositories/team%252Fapp/tags", "invalid_name"),
        (
            "GET",
            "/api/repositories/library%3Falpine/tags",
            "invalid_name",
        ),
        (
            "GET",
            "/api/repositories/library%23alpine/tags",
            "invalid_name",
        ),
        (
            "GET",
            "/api/repositories/Library/Alpine/tags",
            "invalid_name",
        ),
        ("GET", "/api/repositories/-alpine/tags", "invalid_name"),
        (
            "GET",
            "/api/repositories/library/alpine/manifests/..",
            "invalid_tag",
        ),
        (
            "GET",
            "/api/repositories/library/alpine/manifests/%2e%2e",
            "invalid_tag",
        ),
        (
            "GET",
            "/api/repositories/library/alpine/manifests/la%3Ftest",
            "invalid_tag",
        ),
        (
            "GET",
            "/api/repositories/library/alpine/manifests/-latest",
            "invalid_tag",
        ),
        (
            "GET",
            "/api/repositories/library/alpine/manifests/sha256:abc",
            "invalid_digest",
        ),
        (
            "GET",
            "/api/repositories/library/alpine/manifests/sha256:..%2F..%2Fx",
            "invalid_digest",
        ),
        (
            "DELETE",
            "/api/repositories/library%2F..%2Falpine/manifests/latest",
            "invalid_name",
        ),
        (
            "DELETE",
            "/api/repositories/library/alpine/manifests/..",
            "invalid_tag",
        ),
        (
            "POST",
            "/api/repositories/Library/delete-tags",
            "invalid_name",
        ),
        (
            "GET",
            "/api/repositories/library/alpine/tags?per_page=5000",
            "invalid_query",
        ),
        (
            "GET",
            "/api/repositories/library/alpine/tags?sort=random",
            "invalid_query",
        ),
    ];

    for (method, path, code) in cases {
        let (status, body) = raw_request(&app, method, path, t).await;
        if method == "POST" {
            // A bodiless POST is refused by the JSON extractor first; still a 4xx, still no request.
            assert!(
                (400..500).contains(&status),
                "{method} {path}: {status} {body}"
            );
            continue;
        }
        assert_eq!(status, 400, "{method} {path}: {body}");
        let body: serde_json::Value = serde_json::from_str(&body).expect("JSON error body");
        assert_eq!(body["error"], code, "{method} {path}");
    }
    let uppercase = app.get("/api/repositories/Library/Alpine/tags", t).await;
    let bulk = app
        .post(
            "/api/repositories/team%2F..%2Fapp/delete-tags",
            Some(t),
            &serde_json::json!({"tags": ["latest"]}),
        )
        .await;
    let query_char = app.get("/api/repositories/library?alpine/tags", t).await;

    assert_eq!(uppercase.status(), 400);
    let (status, body) = status_and_json(bulk).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_name"))
    );
    // `?` starts the query string: `/api/repositories/library` is no endpoint.
    assert_eq!(query_char.status(), 404);
    assert_eq!(proxy.count(), 0, "{:?}", proxy.requests());
}

#[tokio::test]
async fn an_encoded_slash_is_decoded_and_the_name_used_as_is() {
    let registry = start_registry(AuthMode::None).await;
    registry.seed_standard().await;
    let (app, admin, proxy) = app_through_proxy(&registry).await;

    let res = app
        .get("/api/repositories/team%2Fapp/tags", &admin.token)
        .await;

    assert_eq!(res.status(), 200);
    assert_eq!(proxy.requests()[0].1, "/v2/team/app/tags/list?n=1000");
}

#[tokio::test]
async fn an_unreachable_registry_gives_502_within_five_seconds() {
    // spawn_app points the registry at 127.0.0.1:9, where nothing listens.
    let app = spawn_app().await;
    let admin = app.admin().await;

    let started = Instant::now();
    let catalog = app.get("/api/catalog", &admin.token).await;
    let tags = app
        .get(
            "/api/repositories/library/alpine/tags?details=true",
            &admin.token,
        )
        .await;
    let elapsed = started.elapsed();
    let health = app.get("/api/health", &admin.token).await;

    for res in [catalog, tags] {
        let (status, body) = status_and_json(res).await;
        assert_eq!(
            (status, body["error"].as_str()),
            (502, Some("registry_unreachable")),
            "{body}"
        );
    }
    assert!(elapsed < Duration::from_secs(5), "{elapsed:?}");
    let (status, body) = status_and_json(health).await;
    assert_eq!(status, 503);
    assert_eq!(body["reachable"], false);
    assert_eq!(body["status"], serde_json::Value::Null);
    assert!(body["error"].as_str().is_some_and(|e| !e.is_empty()));
}

#[tokio::test]
async fn a_registry_slower_than_the_timeout_gives_504() {
    let registry = start_registry(AuthMode::None).await;
    let (app, admin, proxy) = app_through_proxy_with(&registry, |s| {
        s.registry_client.timeout = Duration::from_secs(1);
    })
    .await;
    proxy.set_fault(Fault::Delay(Duration::from_secs(3)));

    let started = Instant::now();
    let (status, body) = status_and_json(app.get("/api/catalog", &admin.token).await).await;

    assert_eq!(
        (status, body["error"].as_str()),
        (504, Some("registry_timeout")),
        "{body}"
    );
    assert!(started.elapsed() < Duration::from_secs(3));
}

#[tokio::test]
async fn a_registry_error_is_a_502_with_a_stable_code() {
    let registry = start_registry(AuthMode::None).await;
    let (app, admin, proxy) = app_through_proxy(&registry).await;
    proxy.set_fault(Fault::Status(500));

    let (status, body) = status_and_json(app.get("/api/catalog", &admin.token).await).await;

    assert_eq!(
        (status, body["error"].as_str()),
        (502, Some("registry_error")),
        "{body}"
    );
}

#[tokio::test]
async fn an_unknown_registry_name_is_404_registry_not_found() {
    let registry = start_registry(AuthMode::None).await;
    let (app, admin, proxy) = app_through_proxy(&registry).await;

    for path in [
        "/api/catalog?registry=nope",
        "/api/health?registry=nope",
        "/api/repositories/library/alpine/tags?registry=nope",
        "/api/repositories/library/alpine/manifests/latest?registry=Not%20A%20Name",
    ] {
        let (status, body) = status_and_json(app.get(path, &admin.token).await).await;
        assert_eq!(
            (status, body["error"].as_str()),
            (404, Some("registry_not_found")),
            "{path}"
        );
    }
    let named = app.get("/api/catalog?registry=default", &admin.token).await;
    assert_eq!(named.status(), 200);
    assert_eq!(proxy.count_starting_with("/v2/_catalog"), 1);
}

#[tokio::test]
async fn a_users_default_registry_is_used_when_none_is_named() {
    let first = start_registry(AuthMode::None).await;
    let second = start_registry(AuthMode::None).await;
    first.seed_standard().await;
    let (app, admin) = app_for(&first).await;
    let encrypted: Option<String> = None;
    registry_gui::storage::registries::insert(
        &app.state.pool,
        registry_gui::storage::registries::NewRegistry {
            name: "second",
            url: &second.url(),
            username: None,
            password_encrypted: encrypted.as_deref(),
            pull_host: Some("registry.example.com"),
            insecure_tls: false,
            read_only: false,
            default_access: "role",
            token_service: None,
            anonymous_pull: "",
            events_secret_hash: None,
            created_by: Some("admin"),
        },
    )
    .await
    .expect("insert registry");

    let default_catalog: shared::registry::CatalogPage =
        get_ok(&app, "/api/catalog", &admin.token).await;
    let res = app
        .patch(
            "/api/auth/me",
            &admin.token,
            &serde_json::json!({"default_registry": "second"}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let chosen_catalog: shared::registry::CatalogPage =
        get_ok(&app, "/api/catalog", &admin.token).await;
    let named: shared::registry::CatalogPage =
        get_ok(&app, "/api/catalog?registry=default", &admin.token).await;

    assert_eq!(
        (default_catalog.registry.as_str(), default_catalog.total),
        ("default", 7)
    );
    assert_eq!(
        (chosen_catalog.registry.as_str(), chosen_catalog.total),
        ("second", 0)
    );
    assert_eq!((named.registry.as_str(), named.total), ("default", 7));
}

#[tokio::test]
async fn wrong_registry_credentials_give_502_registry_auth_failed() {
    for mode in [AuthMode::Basic, AuthMode::Token] {
        let registry = TestRegistry::start(mode).await;
        let url = registry.url();
        let app = crate::helpers::spawn_app_with(|s| {
            s.registry.url = url.parse().unwrap();
            s.registry.username = Some("tester".into());
            s.registry.password = Some(registry_gui::secret::Secret::new("wrong-password"));
        })
        .await;
        let admin = app.admin().await;

        let (status, body) = status_and_json(app.get("/api/catalog", &admin.token).await).await;
        let (health_status, health) =
            status_and_json(app.get("/api/health", &admin.token).await).await;

        assert_eq!(
            (status, body["error"].as_str()),
            (502, Some("registry_auth_failed")),
            "{mode:?}: {body}"
        );
        assert!(!body["message"].as_str().unwrap().contains("wrong-password"));
        // Reachable, but it refuses us: health says so with the status it answered.
        assert_eq!(health_status, 200, "{health}");
        assert_eq!(health["status"], 401);
        assert!(health["error"].is_string());
    }
}

#[tokio::test]
async fn a_registry_that_needs_credentials_we_do_not_have_gives_502_registry_auth_failed() {
    let registry = start_registry(AuthMode::Basic).await;
    let url = registry.url();
    let app = crate::helpers::spawn_app_with(|s| s.registry.url = url.parse().unwrap()).await;
    let admin = app.admin().await;

    let (status, body) = status_and_json(app.get("/api/catalog", &admin.token).await).await;

    assert_eq!(
        (status, body["error"].as_str()),
        (502, Some("registry_auth_failed"))
    );
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("requires credentials"),
        "{body}"
    );
}

#[tokio::test]
async fn registry_endpoints_need_a_signed_in_user() {
    let app = spawn_app().await;
    for path in [
        "/api/health",
        "/api/catalog",
        "/api/repositories/library/alpine/tags",
        "/api/repositories/library/alpine/manifests/latest",
    ] {
        let res = app.http.get(app.url(path)).send().await.unwrap();
        assert_eq!(res.status(), 401, "{path}");
    }
    let res = app
        .http
        .delete(app.url("/api/repositories/library/alpine/manifests/latest"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
}

#[tokio::test]
async fn a_request_over_the_overall_time_limit_gets_504_request_timeout() {
    let registry = start_registry(AuthMode::None).await;
    let (app, admin, proxy) = app_through_proxy_with(&registry, |s| {
        s.request_timeout = Duration::from_secs(1);
    })
    .await;
    proxy.set_fault(Fault::Delay(Duration::from_secs(4)));

    let started = Instant::now();
    let (status, body) = status_and_json(app.get("/api/catalog", &admin.token).await).await;

    assert_eq!(
        (status, body["error"].as_str()),
        (504, Some("request_timeout")),
        "{body}"
    );
    assert!(started.elapsed() < Duration::from_secs(3));
    proxy.clear_fault();
    assert_eq!(
        app.http
            .get(app.url("/healthz"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
}
