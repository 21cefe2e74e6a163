//! Repository permissions against a real registry: patterns, default access, grants raising a
//! viewer, hidden repositories answering like missing ones, tokens capped by both.
use serde_json::{json, Value};

use crate::helpers::{Session, TestApp};
use crate::registry_common::*;
use crate::support::{AuthMode, ImageSpec, ManifestFormat, TestRegistry};

/// Repositories named after the contract's pattern examples, one small image (tag `v1`) each.
const REPOS: [&str; 8] = [
    "team-a",
    "team-a/x",
    "team-a/x/y",
    "team-ab/x",
    "team-b/app",
    "x/app",
    "alpine",
    "team-b/other",
];

async fn seeded() -> (TestRegistry, TestApp, Session) {
    let registry = start_registry(AuthMode::None).await;
    let seeder = registry.seeder();
    for (i, repo) in REPOS.iter().enumerate() {
        let image = ImageSpec::new(ManifestFormat::Oci, &format!("perm-{i}"))
            .layers(&[1000 + i])
            .build();
        seeder
            .push_image(repo, &["v1", "v2"], &image)
            .await
            .unwrap();
    }
    let (app, admin) = app_for(&registry).await;
    (registry, app, admin)
}

async fn grant(app: &TestApp, admin: &str, user: &str, pattern: &str, access: &str) -> i64 {
    let res = app
        .post(
            "/api/admin/grants",
            Some(admin),
            &json!({"user": user, "registry": "default", "pattern": pattern, "access": access}),
        )
        .await;
    let (status, body) = status_and_json(res).await;
    assert_eq!(status, 201, "{body}");
    body["grant"]["id"].as_i64().unwrap()
}

async fn set_default_access(app: &TestApp, admin: &str, value: &str) {
    let res = app
        .patch(
            "/api/admin/registries/default",
            admin,
            &json!({"default_access": value}),
        )
        .await;
    let (status, body) = status_and_json(res).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["registry"]["default_access"], value);
}

async fn catalog(app: &TestApp, token: &str) -> Vec<String> {
    let page: Value = get_ok(app, "/api/catalog?per_page=1000", token).await;
    let names: Vec<String> = page["repositories"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(page["total"].as_u64().unwrap() as usize, names.len());
    names
}

#[tokio::test]
async fn each_pattern_of_the_contract_opens_exactly_its_repositories() {
    let (_registry, app, admin) = seeded().await;
    set_default_access(&app, &admin.token, "none").await;
    let vera = app.user_with_role(&admin.token, "vera", "viewer").await;
    for (pattern, expected) in [
        ("team-a", vec!["team-a"]),
        ("team-a/*", vec!["team-a/x"]),
        ("team-a/**", vec!["team-a/x", "team-a/x/y"]),
        ("*/app", vec!["team-b/app", "x/app"]),
        ("*", vec!["alpine", "team-a"]),
        ("**", {
            let mut all = REPOS.to_vec();
            all.sort_unstable();
            all
        }),
    ] {
        let id = grant(&app, &admin.token, "vera", pattern, "read").await;
        assert_eq!(catalog(&app, &vera.token).await, expected, "{pattern}");
        for repo in REPOS {
            let status = app
                .get(&format!("/api/repositories/{repo}/tags"), &vera.token)
                .await
                .status();
            assert_eq!(
                status == 200,
                expected.contains(&repo),
                "{pattern} {repo}: {status}"
            );
        }
        assert_eq!(
            app.delete(&format!("/api/admin/grants/{id}"), &admin.token)
                .await
                .status(),
            204
        );
    }
    // With no grant left the registry itself is gone for her.
    let res = app.get("/api/catalog", &vera.token).await;
    assert_eq!(status_and_json(res).await.1["error"], "registry_not_found");
}

#[tokio::test]
async fn invalid_patterns_and_duplicates_and_unknown_names_are_refused() {
    let (_registry, app, admin) = seeded().await;
    app.user_with_role(&admin.token, "vera", "viewer").await;
    for pattern in ["", "team-a/", "**/x", "Team", "a//b", "te*m", "a/**/b"] {
        let res = app
            .post(
                "/api/admin/grants",
                Some(&admin.token),
                &json!({"user": "vera", "registry": "default", "pattern": pattern, "access": "read"}),
            )
            .await;
        let (status, body) = status_and_json(res).await;
        assert_eq!(
            (status, body["error"].as_str().unwrap()),
            (400, "invalid_pattern"),
            "{pattern:?}"
        );
    }
    grant(&app, &admin.token, "vera", "team-a/**", "read").await;
    for (body, status, code) in [
        (
            json!({"user": "vera", "registry": "default", "pattern": "team-a/**", "access": "write"}),
            409,
            "grant_exists",
        ),
        (
            json!({"user": "nobody", "registry": "default", "pattern": "x", "access": "read"}),
            404,
            "user_not_found",
        ),
        (
            json!({"user": "vera", "registry": "nowhere", "pattern": "x", "access": "read"}),
            404,
            "registry_not_found",
        ),
        (
            json!({"user": "vera", "registry": "default", "pattern": "x", "access": "admin"}),
            400,
            "invalid_request",
        ),
    ] {
        let res = app
            .post("/api/admin/grants", Some(&admin.token), &body)
            .await;
        let (s, b) = status_and_json(res).await;
        assert_eq!((s, b["error"].as_str().unwrap()), (status, code), "{body}");
    }
    let res = app.get("/api/admin/grants?user=nobody", &admin.token).await;
    assert_eq!(status_and_json(res).await.1["error"], "user_not_found");
    let res = app.delete("/api/admin/grants/999", &admin.token).await;
    assert_eq!(status_and_json(res).await.1["error"], "grant_not_found");
    let list: Value = get_ok(
        &app,
        "/api/admin/grants?user=vera&registry=default",
        &admin.token,
    )
    .await;
    let g = &list["grants"][0];
    assert_eq!(
        (
            g["user"].as_str(),
            g["registry"].as_str(),
            g["pattern"].as_str(),
            g["access"].as_str(),
            g["created_by"].as_str()
        ),
        (
            Some("vera"),
            Some("default"),
            Some("team-a/**"),
            Some("read"),
            Some("admin")
        )
    );
    assert!(g["created_at"].as_str().unwrap().ends_with('Z'));
    // The grant events are audited.
    let events: Value = get_ok(&app, "/api/admin/audit?action=grant_created", &admin.token).await;
    assert_eq!(events["events"][0]["target"], "vera");
}

#[tokio::test]
async fn a_viewer_raised_to_write_on_one_namespace_deletes_there_and_nowhere_else() {
    let (registry, app, admin) = seeded().await;
    let vera = app.user_with_role(&admin.token, "vera", "viewer").await;
    let id = grant(&app, &admin.token, "vera", "team-a/**", "write").await;

    let page: Value = get_ok(&app, "/api/repositories/team-a/x/tags", &vera.token).await;
    assert_eq!(page["access"], "write");
    let page: Value = get_ok(&app, "/api/repositories/team-b/app/tags", &vera.token).await;
    assert_eq!(page["access"], "read", "the role still reads everywhere");
    let me: Value = get_ok(&app, "/api/auth/me", &vera.token).await;
    assert_eq!(
        me["grants"],
        json!([{"registry": "default", "pattern": "team-a/**", "access": "write"}])
    );

    let res = app
        .delete("/api/repositories/team-a/x/manifests/v1", &vera.token)
        .await;
    let (status, body) = status_and_json(res).await;
    assert_eq!(status, 200, "{body}");
    for path in [
        "/api/repositories/team-b/app/manifests/v1",
        "/api/repositories/team-a/manifests/v1",
    ] {
        let res = app.delete(path, &vera.token).await;
        let (status, body) = status_and_json(res).await;
        assert_eq!(
            (status, body["error"].as_str().unwrap()),
            (403, "forbidden"),
            "{path}"
        );
    }
    let res = app
        .post(
            "/api/repositories/team-b/app/delete-tags",
            Some(&vera.token),
            &json!({"tags": ["v1"]}),
        )
        .await;
    assert_eq!(status_and_json(res).await.0, 403);
    assert!(registry_tags(&registry, "team-b/app")
        .await
        .contains(&"v1".to_string()));
    assert!(registry_tags(&registry, "team-a")
        .await
        .contains(&"v1".to_string()));

    // Revoking the grant counts on the next request.
    assert_eq!(
        app.delete(&format!("/api/admin/grants/{id}"), &admin.token)
            .await
            .status(),
        204
    );
    let res = app
        .delete("/api/repositories/team-a/x/manifests/v2", &vera.token)
        .await;
    assert_eq!(status_and_json(res).await.0, 403);
    let page: Value = get_ok(&app, "/api/repositories/team-a/x/tags", &vera.token).await;
    assert_eq!(page["access"], "read");
}

/// Every repository path, for a hidden repository and for one the registry never knew: the same
/// status, code and message (with the name swapped).
#[tokio::test]
async fn a_none_registry_is_invisible_and_hidden_repositories_answer_like_missing_ones() {
    let (_registry, app, admin) = seeded().await;
    set_default_access(&app, &admin.token, "none").await;
    let vera = app.user_with_role(&admin.token, "vera", "viewer").await;
    let registries: Value = get_ok(&app, "/api/registries", &vera.token).await;
    assert_eq!(registries["registries"], json!([]));
    for path in [
        "/api/catalog",
        "/api/health",
        "/api/catalog?registry=default",
        "/api/repositories/team-a/tags?registry=default",
    ] {
        let res = app.get(path, &vera.token).await;
        let (status, body) = status_and_json(res).await;
        assert_eq!(
            (status, body["error"].as_str().unwrap()),
            (404, "registry_not_found"),
            "{path}"
        );
    }
    let hidden_registry =
        status_and_json(app.get("/api/catalog?registry=default", &vera.token).await).await;
    let missing_registry =
        status_and_json(app.get("/api/catalog?registry=nowhere", &vera.token).await).await;
    assert_eq!(
        hidden_registry.1["message"]
            .as_str()
            .unwrap()
            .replace("default", "X"),
        missing_registry.1["message"]
            .as_str()
            .unwrap()
            .replace("nowhere", "X")
    );
    let res = app
        .patch(
            "/api/auth/me",
            &vera.token,
            &json!({"default_registry": "default"}),
        )
        .await;
    assert_eq!(status_and_json(res).await.1["error"], "registry_not_found");

    // With a grant on team-a/** the registry appears, with its default access.
    grant(&app, &admin.token, "vera", "team-a/**", "write").await;
    let registries: Value = get_ok(&app, "/api/registries", &vera.token).await;
    assert_eq!(registries["registries"][0]["name"], "default");
    assert_eq!(registries["registries"][0]["default_access"], "none");
    assert_eq!(catalog(&app, &vera.token).await, ["team-a/x", "team-a/x/y"]);

    let digest = format!("sha256:{}", "c".repeat(64));
    let compare = |method: &'static str, hidden: String, missing: String| {
        let app = &app;
        let token = vera.token.clone();
        async move {
            let a = if method == "BULK" {
                status_and_json(
                    app.post(&hidden, Some(&token), &json!({"tags": ["v1"]}))
                        .await,
                )
                .await
            } else {
                let (s, b) = raw_request(app, method, &hidden, &token).await;
                (s, serde_json::from_str(&b).unwrap())
            };
            let b = if method == "BULK" {
                status_and_json(
                    app.post(&missing, Some(&token), &json!({"tags": ["v1"]}))
                        .await,
                )
                .await
            } else {
                let (s, b) = raw_request(app, method, &missing, &token).await;
                (s, serde_json::from_str(&b).unwrap())
            };
            assert_eq!(a.0, 404, "{method} {hidden}: {}", a.1);
            assert_eq!(a.0, b.0, "{method} {hidden}");
            assert_eq!(a.1["error"], b.1["error"]);
            assert_eq!(
                a.1["message"].as_str().unwrap().replace("team-b/app", "R"),
                b.1["message"].as_str().unwrap().replace("team-a/nope", "R"),
                "{method} {hidden}"
            );
        }
    };
    // team-a/nope matches the grant but does not exist; team-b/app exists but is hidden.
    for (method, suffix) in [
        ("GET", "/tags".to_string()),
        ("GET", "/tags?details=true&sort=created".to_string()),
        ("GET", "/manifests/v1".to_string()),
        ("GET", format!("/manifests/{digest}")),
        ("DELETE", "/manifests/v1".to_string()),
        ("DELETE", format!("/manifests/{digest}")),
        ("BULK", "/delete-tags".to_string()),
    ] {
        compare(
            method,
            format!("/api/repositories/team-b/app{suffix}"),
            format!("/api/repositories/team-a/nope{suffix}"),
        )
        .await;
    }
}

#[tokio::test]
async fn tokens_are_capped_by_both_their_scope_and_the_owners_grants() {
    let (registry, app, admin) = seeded().await;
    let vera = app.user_with_role(&admin.token, "vera", "viewer").await;
    grant(&app, &admin.token, "vera", "team-a/**", "write").await;
    grant(&app, &admin.token, "vera", "team-b/*", "read").await;
    let res = app
        .post(
            "/api/auth/tokens",
            Some(&vera.token),
            &json!({"name": "t", "scopes": ["read"], "expires_in_days": 1, "password": vera.password}),
        )
        .await;
    let (status, body) = status_and_json(res).await;
    assert_eq!(status, 201, "{body}");
    let read_token = body["secret"].as_str().unwrap().to_string();
    let page: Value = get_ok(&app, "/api/repositories/team-a/x/tags", &read_token).await;
    assert_eq!(
        page["access"], "read",
        "a read token cannot write, whatever the grant"
    );

    // A write-scope token of an editor who has only `read` on a namespace (a `none` registry).
    set_default_access(&app, &admin.token, "none").await;
    let eddie = app.user_with_role(&admin.token, "eddie", "editor").await;
    grant(&app, &admin.token, "eddie", "team-b/**", "read").await;
    let res = app
        .post(
            "/api/auth/tokens",
            Some(&eddie.token),
            &json!({"name": "w", "scopes": ["write"], "expires_in_days": 1, "password": eddie.password}),
        )
        .await;
    let write_token = status_and_json(res).await.1["secret"]
        .as_str()
        .unwrap()
        .to_string();
    let res = app
        .delete("/api/repositories/team-b/app/manifests/v1", &write_token)
        .await;
    let (status, body) = status_and_json(res).await;
    assert_eq!(
        (status, body["error"].as_str().unwrap()),
        (403, "forbidden")
    );
    assert!(registry_tags(&registry, "team-b/app")
        .await
        .contains(&"v1".to_string()));
    assert_eq!(
        catalog(&app, &write_token).await,
        ["team-b/app", "team-b/other"]
    );
}

#[tokio::test]
async fn grants_survive_a_restart_and_go_with_their_user_or_registry() {
    let (registry, app, admin) = seeded().await;
    set_default_access(&app, &admin.token, "none").await;
    let vera = app.user_with_role(&admin.token, "vera", "viewer").await;
    grant(&app, &admin.token, "vera", "x/*", "read").await;
    // A second server on the same database: what a restart sees.
    let mut settings = app.settings_on_same_database();
    point_at(&mut settings, &registry.url(), &registry);
    let second = registry_gui::startup::Application::build(settings)
        .await
        .unwrap();
    let base = format!("http://127.0.0.1:{}", second.port());
    tokio::spawn(second.run_until_stopped());
    let page: Value = app
        .http
        .get(format!("{base}/api/catalog"))
        .bearer_auth(&vera.token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(page["repositories"][0]["name"], "x/app");
    assert_eq!(page["total"], 1);
    assert_eq!(
        app.delete("/api/admin/users/vera", &admin.token)
            .await
            .status(),
        204
    );
    let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM grants")
        .fetch_one(&app.state.pool)
        .await
        .unwrap();
    assert_eq!(count, 0, "deleting the user deletes the grants");

    // And deleting a registry deletes its grants.
    let res = app
        .post(
            "/api/admin/registries",
            Some(&admin.token),
            &json!({"name": "second", "url": registry.url()}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let eddie = app.user_with_role(&admin.token, "eddie", "viewer").await;
    let res = app
        .post(
            "/api/admin/grants",
            Some(&admin.token),
            &json!({"user": eddie.username, "registry": "second", "pattern": "**", "access": "read"}),
        )
        .await;
    assert_eq!(res.status(), 201);
    assert_eq!(
        app.delete("/api/admin/registries/second", &admin.token)
            .await
            .status(),
        204
    );
    let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM grants")
        .fetch_one(&app.state.pool)
        .await
        .unwrap();
    assert_eq!(count, 0, "deleting the registry deletes its grants");
}
