//! Administration over HTTP: users, roles, registries, the audit log.
use serde_json::{json, Value};

use crate::helpers::{spawn_app, spawn_app_with, ADMIN_PASSWORD};

async fn json(res: reqwest::Response) -> Value {
    res.json().await.unwrap()
}

#[tokio::test]
async fn every_admin_route_refuses_editors_viewers_and_anonymous_callers() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let editor = app.user_with_role(&admin.token, "ed", "editor").await;
    let viewer = app.user_with_role(&admin.token, "vi", "viewer").await;
    let routes: Vec<(&str, &str)> = vec![
        ("GET", "/api/admin/users"),
        ("POST", "/api/admin/users"),
        ("PATCH", "/api/admin/users/ed"),
        ("DELETE", "/api/admin/users/ed"),
        ("POST", "/api/admin/users/ed/reset-2fa"),
        ("GET", "/api/admin/users/ed/activity"),
        ("GET", "/api/admin/registries"),
        ("POST", "/api/admin/registries"),
        ("PATCH", "/api/admin/registries/default"),
        ("DELETE", "/api/admin/registries/default"),
        ("POST", "/api/admin/registries/default/test"),
        ("GET", "/api/admin/audit"),
    ];
    for (method, path) in routes {
        for (who, token) in [
            ("editor", Some(&editor.token)),
            ("viewer", Some(&viewer.token)),
            ("anonymous", None),
        ] {
            let mut req = app
                .http
                .request(method.parse().unwrap(), app.url(path))
                .json(&json!({"username": "zz", "name": "zz", "url": "http://127.0.0.1:1"}));
            if let Some(t) = token {
                req = req.bearer_auth(t);
            }
            let res = req.send().await.unwrap();
            let expected = if token.is_some() { 403 } else { 401 };
            assert_eq!(res.status(), expected, "{who} {method} {path}");
            if token.is_some() {
                assert_eq!(
                    json(res).await["error"],
                    "forbidden",
                    "{who} {method} {path}"
                );
            }
        }
    }
}

#[tokio::test]
async fn admins_create_users_with_a_generated_password_shown_once() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let res = app
        .post(
            "/api/admin/users",
            Some(&admin.token),
            &json!({"username": "Alice"}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let body = json(res).await;
    assert_eq!(body["user"]["username"], "alice");
    assert_eq!(body["user"]["role"], "editor", "no role means editor");
    assert_eq!(body["user"]["must_change_password"], true);
    assert_eq!(body["user"]["totp_enabled"], false);
    let generated = body["generated_password"].as_str().unwrap();
    assert!(generated.len() >= 16);

    let list = json(app.get("/api/admin/users", &admin.token).await).await;
    assert!(!list.to_string().contains(generated), "shown exactly once");
    let alice = list["users"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["username"] == "alice")
        .unwrap();
    for field in [
        "role",
        "is_admin",
        "totp_enabled",
        "backup_codes_remaining",
        "created_at",
        "last_login_at",
        "last_login_ip",
        "failed_logins",
        "locked_until",
        "active",
        "active_sessions",
    ] {
        assert!(alice.get(field).is_some(), "{field}");
    }

    // The new user enrolls 2FA and must change the password.
    let session = app.enroll("alice", generated).await;
    let res = app.get("/api/registries", &session.token).await;
    assert_eq!(json(res).await["error"], "password_change_required");
}

#[tokio::test]
async fn create_user_refusals_use_the_documented_codes() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let cases = [
        (json!({"username": "admin"}), 409, "user_exists"),
        (json!({"username": "ADMIN"}), 409, "user_exists"),
        (json!({"username": "-bad"}), 400, "invalid_username"),
        (json!({"username": "a"}), 400, "invalid_username"),
        (
            json!({"username": "bob", "password": "short"}),
            400,
            "weak_password",
        ),
        (
            json!({"username": "bob", "password": "x".repeat(73)}),
            400,
            "password_too_long",
        ),
    ];
    for (body, status, code) in cases {
        let res = app
            .post("/api/admin/users", Some(&admin.token), &body)
            .await;
        assert_eq!(res.status(), status, "{body}");
        assert_eq!(json(res).await["error"], code, "{body}");
    }
    let res = app
        .post(
            "/api/admin/users",
            Some(&admin.token),
            &json!({"username": "carol", "is_admin": true, "password": "carol-password-1"}),
        )
        .await;
    let body = json(res).await;
    assert_eq!(body["user"]["role"], "admin");
    assert!(body.get("generated_password").is_none());
    let res = app
        .post(
            "/api/admin/users",
            Some(&admin.token),
            &json!({"username": "dave", "is_admin": false}),
        )
        .await;
    assert_eq!(json(res).await["user"]["role"], "editor");
}

#[tokio::test]
async fn granting_and_revoking_admin_takes_effect_at_once_and_demotion_revokes_sessions() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let ed = app.user_with_role(&admin.token, "ed", "editor").await;
    assert_eq!(app.get("/api/admin/users", &ed.token).await.status(), 403);

    let res = app
        .patch(
            "/api/admin/users/ed",
            &admin.token,
            &json!({"is_admin": true}),
        )
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(json(res).await["user"]["role"], "admin");
    // The role is read from the database: the same token now has admin rights.
    assert_eq!(app.get("/api/admin/users", &ed.token).await.status(), 200);

    let res = app
        .patch(
            "/api/admin/users/ed",
            &admin.token,
            &json!({"is_admin": false}),
        )
        .await;
    assert_eq!(json(res).await["user"]["role"], "editor");
    let res = app.get("/api/auth/me", &ed.token).await;
    assert_eq!(res.status(), 401, "demotion revokes the sessions");

    let res = app
        .patch(
            "/api/admin/users/ed",
            &admin.token,
            &json!({"role": "viewer"}),
        )
        .await;
    assert_eq!(json(res).await["user"]["role"], "viewer");
}

#[tokio::test]
async fn admins_cannot_delete_demote_lock_or_reset_themselves() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let cases = [
        app.delete("/api/admin/users/admin", &admin.token).await,
        app.patch(
            "/api/admin/users/admin",
            &admin.token,
            &json!({"is_admin": false}),
        )
        .await,
        app.patch(
            "/api/admin/users/admin",
            &admin.token,
            &json!({"role": "viewer"}),
        )
        .await,
        app.patch(
            "/api/admin/users/admin",
            &admin.token,
            &json!({"locked": true}),
        )
        .await,
        // Names are matched case-insensitively and trimmed: no way around the rule.
        app.post(
            "/api/admin/users/ADMIN%20/reset-2fa",
            Some(&admin.token),
            &json!({}),
        )
        .await,
        app.patch(
            "/api/admin/users/admin",
            &admin.token,
            &json!({"password": "a brand new password"}),
        )
        .await,
    ];
    for res in cases {
        assert_eq!(res.status(), 409);
        assert_eq!(json(res).await["error"], "cannot_modify_self");
    }
    assert_eq!(app.get("/api/auth/me", &admin.token).await.status(), 200);
}

#[tokio::test]
async fn the_last_admin_cannot_be_removed_by_another_path() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let second = app.user_with_role(&admin.token, "second", "admin").await;
    // With two admins, one may remove the other.
    assert_eq!(
        app.patch(
            "/api/admin/users/admin",
            &second.token,
            &json!({"role": "editor"})
        )
        .await
        .status(),
        200
    );
    // Now `second` is the last admin; `admin` (editor now) has no rights to act.
    let res = app.delete("/api/admin/users/second", &second.token).await;
    assert_eq!(res.status(), 409);
    let admins: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE role = 'admin'")
        .fetch_one(&app.state.pool)
        .await
        .unwrap();
    assert_eq!(admins, 1);
}

#[tokio::test]
async fn unknown_users_get_user_not_found() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    for res in [
        app.patch(
            "/api/admin/users/ghost",
            &admin.token,
            &json!({"locked": true}),
        )
        .await,
        app.delete("/api/admin/users/ghost", &admin.token).await,
        app.post(
            "/api/admin/users/ghost/reset-2fa",
            Some(&admin.token),
            &json!({}),
        )
        .await,
        app.get("/api/admin/users/ghost/activity", &admin.token)
            .await,
    ] {
        assert_eq!(res.status(), 404);
        assert_eq!(json(res).await["error"], "user_not_found");
    }
}

#[tokio::test]
async fn deleting_a_user_ends_their_sessions() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let ed = app.user_with_role(&admin.token, "ed", "editor").await;
    assert_eq!(
        app.delete("/api/admin/users/ed", &admin.token)
            .await
            .status(),
        204
    );
    assert_eq!(app.get("/api/auth/me", &ed.token).await.status(), 401);
    assert_eq!(app.login("ed", &ed.password).await.status(), 401);
}

#[tokio::test]
async fn locking_refuses_sign_in_and_unlocking_clears_the_throttle() {
    // The cap across all addresses is what shows as `locked_until`: bring it down to the
    // per-address limit so five failures reach it.
    let app = spawn_app_with(|s| s.throttle.max_failures_per_user_total = 5).await;
    let admin = app.admin().await;
    let ed = app.user_with_role(&admin.token, "ed", "editor").await;
    let res = app
        .patch(
            "/api/admin/users/ed",
            &admin.token,
            &json!({"locked": true}),
        )
        .await;
    let body = json(res).await;
    assert_eq!(body["user"]["locked"], true);
    assert_eq!(body["user"]["active"], false);
    assert_eq!(
        app.get("/api/auth/me", &ed.token).await.status(),
        401,
        "sessions revoked"
    );
    let res = app.login("ed", &ed.password).await;
    assert_eq!(res.status(), 403);
    assert_eq!(json(res).await["error"], "account_locked");

    app.patch(
        "/api/admin/users/ed",
        &admin.token,
        &json!({"locked": false}),
    )
    .await;
    for _ in 0..5 {
        app.login("ed", "wrong-password").await;
    }
    assert_eq!(app.login("ed", &ed.password).await.status(), 429);
    let users = json(app.get("/api/admin/users", &admin.token).await).await;
    let row = users["users"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["username"] == "ed")
        .unwrap()
        .clone();
    assert!(row["locked_until"].is_string());
    assert_eq!(row["active"], false);
    // Unlock clears the throttle.
    app.patch(
        "/api/admin/users/ed",
        &admin.token,
        &json!({"locked": false}),
    )
    .await;
    assert_eq!(app.login("ed", &ed.password).await.status(), 200);
}

#[tokio::test]
async fn an_admin_set_password_forces_a_change_and_revokes_sessions() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let ed = app.user_with_role(&admin.token, "ed", "editor").await;
    let res = app
        .patch(
            "/api/admin/users/ed",
            &admin.token,
            &json!({"password": "temporary-password"}),
        )
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(json(res).await["user"]["must_change_password"], true);
    assert_eq!(app.get("/api/auth/me", &ed.token).await.status(), 401);
    assert_eq!(app.login("ed", "temporary-password").await.status(), 200);
}

#[tokio::test]
async fn resetting_2fa_makes_the_user_enroll_again() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let ed = app.user_with_role(&admin.token, "ed", "editor").await;
    let res = app
        .post(
            "/api/admin/users/ed/reset-2fa",
            Some(&admin.token),
            &json!({}),
        )
        .await;
    assert_eq!(res.status(), 204);
    assert_eq!(app.get("/api/auth/me", &ed.token).await.status(), 401);
    let body = json(app.login("ed", &ed.password).await).await;
    assert_eq!(body["status"], "totp_setup_required");
    let codes: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM backup_codes b JOIN users u ON u.id = b.user_id WHERE u.username = 'ed'")
        .fetch_one(&app.state.pool)
        .await
        .unwrap();
    assert_eq!(codes, 0);
}

#[tokio::test]
async fn registries_are_managed_and_passwords_never_returned() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let res = app
        .post(
            "/api/admin/registries",
            Some(&admin.token),
            &json!({"name": "prod", "url": "http://127.0.0.1:5999", "username": "robot", "password": "s3cret-registry-pw", "pull_host": "registry.example.com", "read_only": true}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let body = res.text().await.unwrap();
    assert!(!body.contains("s3cret-registry-pw"));
    let stored: String =
        sqlx::query_scalar("SELECT password_encrypted FROM registries WHERE name = 'prod'")
            .fetch_one(&app.state.pool)
            .await
            .unwrap();
    assert!(!stored.contains("s3cret"), "encrypted at rest");

    let viewer = app.user_with_role(&admin.token, "vi", "viewer").await;
    let res = app.get("/api/registries", &viewer.token).await;
    assert_eq!(res.status(), 200);
    let text = res.text().await.unwrap();
    assert!(!text.contains("s3cret-registry-pw"));
    let list: Value = serde_json::from_str(&text).unwrap();
    let prod = list["registries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "prod")
        .unwrap()
        .clone();
    assert_eq!(prod["has_credentials"], true);
    assert_eq!(prod["pull_host"], "registry.example.com");
    assert_eq!(prod["read_only"], true);
    let default = list["registries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "default")
        .unwrap()
        .clone();
    assert_eq!(default["is_default"], true);

    let res = app
        .patch(
            "/api/admin/registries/prod",
            &admin.token,
            &json!({"read_only": false, "password": ""}),
        )
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(json(res).await["registry"]["read_only"], false);

    let dup = app
        .post(
            "/api/admin/registries",
            Some(&admin.token),
            &json!({"name": "prod", "url": "http://127.0.0.1:5999"}),
        )
        .await;
    assert_eq!(dup.status(), 409);
    assert_eq!(
        app.delete("/api/admin/registries/prod", &admin.token)
            .await
            .status(),
        204
    );
    let res = app.delete("/api/admin/registries/prod", &admin.token).await;
    assert_eq!(res.status(), 404);
    assert_eq!(json(res).await["error"], "registry_not_found");
}

#[tokio::test]
async fn registry_input_is_validated() {
    let app = spawn_app_with(|s| {
        s.registry_client.allowed_hosts =
            Some(vec!["127.0.0.1:5999".into(), "registry.internal".into()])
    })
    .await;
    let admin = app.admin().await;
    let cases = [
        (
            json!({"name": "Bad Name", "url": "http://127.0.0.1:5999"}),
            "invalid_registry_name",
        ),
        (
            json!({"name": "x", "url": "ftp://127.0.0.1"}),
            "invalid_url",
        ),
        (
            json!({"name": "x", "url": "http://169.254.169.254"}),
            "registry_host_forbidden",
        ),
        (
            json!({"name": "x", "url": "http://[fe80::1]:5000"}),
            "registry_host_forbidden",
        ),
        (
            json!({"name": "x", "url": "http://[fd00:ec2::254]"}),
            "registry_host_forbidden",
        ),
        (
            json!({"name": "x", "url": "http://evil.example.com"}),
            "registry_host_not_allowed",
        ),
        (
            json!({"name": "x", "url": "http://127.0.0.1:6000"}),
            "registry_host_not_allowed",
        ),
    ];
    for (body, code) in cases {
        let res = app
            .post("/api/admin/registries", Some(&admin.token), &body)
            .await;
        assert_eq!(res.status(), 400, "{body}");
        assert_eq!(json(res).await["error"], code, "{body}");
    }
    for url in ["http://127.0.0.1:5999", "https://registry.internal"] {
        let name = if url.contains("5999") { "a" } else { "b" };
        let res = app
            .post(
                "/api/admin/registries",
                Some(&admin.token),
                &json!({"name": name, "url": url}),
            )
            .await;
        assert_eq!(res.status(), 201, "{url}");
    }
}

#[tokio::test]
async fn testing_an_unreachable_registry_reports_it() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let res = app
        .post(
            "/api/admin/registries/default/test",
            Some(&admin.token),
            &json!({}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let body = json(res).await;
    assert_eq!(body["reachable"], false);
    assert!(body["error"].is_string());
    let res = app
        .post(
            "/api/admin/registries/nope/test",
            Some(&admin.token),
            &json!({}),
        )
        .await;
    assert_eq!(res.status(), 404);
}

#[tokio::test]
async fn concurrent_registry_edits_keep_the_table_consistent() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let tasks: Vec<_> = (0..20)
        .map(|i| {
            let http = app.http.clone();
            let base = app.address.clone();
            let token = admin.token.clone();
            tokio::spawn(async move {
                let mut statuses = Vec::new();
                for round in 0..5 {
                    let name = format!("r{}", (i + round) % 7);
                    let res = http
                        .post(format!("{base}/api/admin/registries"))
                        .bearer_auth(&token)
                        .json(&json!({"name": name, "url": "http://127.0.0.1:5999"}))
                        .send()
                        .await
                        .unwrap();
                    statuses.push(res.status().as_u16());
                    let res = http
                        .delete(format!("{base}/api/admin/registries/{name}"))
                        .bearer_auth(&token)
                        .send()
                        .await
                        .unwrap();
                    statuses.push(res.status().as_u16());
                }
                statuses
            })
        })
        .collect();
    for t in tasks {
        for status in t.await.unwrap() {
            assert!(
                [201, 204, 404, 409].contains(&status),
                "unexpected {status}"
            );
        }
    }
    let names: Vec<String> = sqlx::query_scalar("SELECT name FROM registries ORDER BY name")
        .fetch_all(&app.state.pool)
        .await
        .unwrap();
    let unique: std::collections::BTreeSet<_> = names.iter().collect();
    assert_eq!(unique.len(), names.len(), "no duplicates: {names:?}");
    assert!(names.contains(&"default".to_string()));
    let res = app.get("/api/registries", &admin.token).await;
    assert_eq!(res.status(), 200);
}

#[tokio::test]
async fn the_audit_log_pages_newest_first_and_filters() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    app.user_with_role(&admin.token, "ed", "editor").await;
    app.login("ed", "wrong-password").await;
    let page = json(app.get("/api/admin/audit?limit=3", &admin.token).await).await;
    let events = page["events"].as_array().unwrap();
    assert_eq!(events.len(), 3);
    assert!(events[0]["id"].as_i64() > events[1]["id"].as_i64());
    let next = page["next_before"].as_i64().unwrap();
    let older = json(
        app.get(
            &format!("/api/admin/audit?limit=3&before={next}"),
            &admin.token,
        )
        .await,
    )
    .await;
    assert!(older["events"][0]["id"].as_i64().unwrap() < next);

    let created = json(
        app.get("/api/admin/audit?action=user_created", &admin.token)
            .await,
    )
    .await;
    let created = created["events"].as_array().unwrap();
    assert_eq!(created.len(), 1);
    assert_eq!(created[0]["actor"], "admin");
    assert_eq!(created[0]["target"], "ed");

    let activity = json(app.get("/api/admin/users/ed/activity", &admin.token).await).await;
    let actions: Vec<&str> = activity["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert!(actions.contains(&"login_failed"), "{actions:?}");
    assert!(actions.contains(&"totp_enrolled"), "{actions:?}");
    let res = app.get("/api/admin/audit?limit=0", &admin.token).await;
    assert_eq!(res.status(), 400);
    let _ = ADMIN_PASSWORD;
}
