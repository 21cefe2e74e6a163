//! Access tokens: created with the password from a session, used like a session within their
//! scopes, refused with a stable code for every reason, never stored or shown in clear.
use serde_json::{json, Value};
use shared::tokens::CreatedToken;

use crate::helpers::{client_from, spawn_app, spawn_app_with, Session, TestApp, ADMIN_PASSWORD};
use crate::registry_common::*;
use crate::support::{fixture, AuthMode};

async fn create_token(
    app: &TestApp,
    session: &Session,
    scopes: &[&str],
    name: &str,
) -> CreatedToken {
    let res = app
        .post(
            "/api/auth/tokens",
            Some(&session.token),
            &json!({"name": name, "scopes": scopes, "expires_in_days": 30, "password": session.password}),
        )
        .await;
    let (status, body) = status_and_json(res).await;
    assert_eq!(status, 201, "{body}");
    serde_json::from_value(body).unwrap()
}

async fn code_of(res: reqwest::Response) -> (u16, String) {
    let (status, body) = status_and_json(res).await;
    (
        status,
        body["error"].as_str().unwrap_or_default().to_string(),
    )
}

async fn set_db(app: &TestApp, sql: &str, id: i64, value: i64) {
    sqlx::query(sql)
        .bind(value)
        .bind(id)
        .execute(&app.state.pool)
        .await
        .unwrap();
}

#[tokio::test]
async fn a_token_is_created_once_with_its_secret_and_listed_without_it() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let created = create_token(&app, &admin, &["write", "read", "read"], "ci-deploy").await;

    let secret = &created.secret;
    let body = secret.strip_prefix("rgp_").expect("rgp_ prefix");
    assert!(body.len() >= 28, "at least 160 bits of base62: {secret}");
    assert!(body.bytes().all(|b| b.is_ascii_alphanumeric()));
    assert_eq!(created.token.prefix, &body[..8]);
    assert_eq!(created.token.name, "ci-deploy");
    let scopes: Vec<&str> = created.token.scopes.iter().map(|s| s.as_str()).collect();
    assert_eq!(scopes, ["read", "write"]);
    assert!(created.token.created_at.ends_with('Z'));
    let created_at = chrono::DateTime::parse_from_rfc3339(&created.token.created_at).unwrap();
    let expires_at = chrono::DateTime::parse_from_rfc3339(&created.token.expires_at).unwrap();
    assert_eq!((expires_at - created_at).num_days(), 30);
    assert_eq!(created.token.last_used_at, None);

    let second = create_token(&app, &admin, &["read"], "second").await;
    let res = app.get("/api/auth/tokens", &admin.token).await;
    let text = res.text().await.unwrap();
    assert!(!text.contains(body), "the list never holds the secret");
    let list: Value = serde_json::from_str(&text).unwrap();
    let ids: Vec<i64> = list["tokens"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, [second.token.id, created.token.id], "newest first");
    let keys: Vec<&String> = list["tokens"][0].as_object().unwrap().keys().collect();
    assert_eq!(
        keys,
        [
            "created_at",
            "expires_at",
            "id",
            "last_used_at",
            "last_used_ip",
            "name",
            "prefix",
            "scopes"
        ]
    );

    // The database holds only the hash; no file of it holds the secret.
    let stored: String = sqlx::query_scalar("SELECT secret_hash FROM access_tokens WHERE id = $1")
        .bind(created.token.id)
        .fetch_one(&app.state.pool)
        .await
        .unwrap();
    assert_eq!(stored.len(), 64);
    if app.postgres_url.is_none() {
        sqlx::query("PRAGMA wal_checkpoint(FULL)")
            .execute(&app.state.pool)
            .await
            .unwrap();
        for entry in std::fs::read_dir(app.db_path.parent().unwrap()).unwrap() {
            let bytes = std::fs::read(entry.unwrap().path()).unwrap();
            assert!(
                !bytes.windows(body.len()).any(|w| w == body.as_bytes()),
                "a database file holds the secret"
            );
        }
    }
    // Nor does the audit log, which records the creation.
    let audit = app
        .get("/api/admin/audit?action=token_created", &admin.token)
        .await;
    let text = audit.text().await.unwrap();
    assert!(!text.contains(body));
    let events: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(events["events"].as_array().unwrap().len(), 2);
    assert_eq!(events["events"][1]["actor"], "admin");
    assert_eq!(events["events"][1]["target"], "admin");
    let detail = events["events"][1]["detail"].as_str().unwrap();
    assert!(
        detail.contains(&created.token.id.to_string()) && detail.contains("ci-deploy"),
        "{detail}"
    );
}

#[tokio::test]
async fn bad_requests_get_invalid_request_and_scopes_above_the_role_are_forbidden() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let viewer = app.user_with_role(&admin.token, "vera", "viewer").await;
    let editor = app.user_with_role(&admin.token, "eddie", "editor").await;
    let long = "x".repeat(65);
    for body in [
        json!({"name": "t", "scopes": ["read", "push"], "expires_in_days": 30, "password": viewer.password}),
        json!({"name": "t", "scopes": [], "expires_in_days": 30, "password": viewer.password}),
        json!({"name": "", "scopes": ["read"], "expires_in_days": 30, "password": viewer.password}),
        json!({"name": long, "scopes": ["read"], "expires_in_days": 30, "password": viewer.password}),
        json!({"name": "bell\u{7}", "scopes": ["read"], "expires_in_days": 30, "password": viewer.password}),
        json!({"name": "t", "scopes": ["read"], "expires_in_days": 0, "password": viewer.password}),
        json!({"name": "t", "scopes": ["read"], "expires_in_days": 366, "password": viewer.password}),
        json!({"name": "t", "scopes": ["read"], "password": viewer.password}),
    ] {
        let res = app
            .post("/api/auth/tokens", Some(&viewer.token), &body)
            .await;
        assert_eq!(
            code_of(res).await,
            (400, "invalid_request".into()),
            "{body}"
        );
    }
    for (who, scopes) in [
        (&viewer, json!(["write"])),
        (&viewer, json!(["admin"])),
        (&editor, json!(["read", "admin"])),
    ] {
        let res = app
            .post(
                "/api/auth/tokens",
                Some(&who.token),
                &json!({"name": "t", "scopes": scopes, "expires_in_days": 1, "password": who.password}),
            )
            .await;
        assert_eq!(
            code_of(res).await,
            (403, "forbidden".into()),
            "{} {scopes}",
            who.username
        );
    }
    let res = app
        .post(
            "/api/auth/tokens",
            Some(&editor.token),
            &json!({"name": "t", "scopes": ["write"], "expires_in_days": 365, "password": editor.password}),
        )
        .await;
    assert_eq!(res.status(), 201);
    // Nothing was created by the refusals.
    let list: Value = app
        .get("/api/admin/tokens", &admin.token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["tokens"].as_array().unwrap().len(), 1);
    assert_eq!(list["tokens"][0]["username"], "eddie");
}

#[tokio::test]
async fn token_max_days_is_configurable() {
    let app = spawn_app_with(|s| s.token_max_days = 7).await;
    let admin = app.admin().await;
    for (days, status) in [(8, 400), (7, 201)] {
        let res = app
            .post(
                "/api/auth/tokens",
                Some(&admin.token),
                &json!({"name": "t", "scopes": ["read"], "expires_in_days": days, "password": ADMIN_PASSWORD}),
            )
            .await;
        assert_eq!(res.status(), status, "{days} days");
    }
}

#[tokio::test]
async fn a_wrong_password_is_a_failed_sign_in_for_the_user_and_address() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let bad = json!({"name": "t", "scopes": ["read"], "expires_in_days": 1, "password": "not-the-password"});
    for _ in 0..5 {
        let res = app.post("/api/auth/tokens", Some(&admin.token), &bad).await;
        assert_eq!(code_of(res).await, (401, "invalid_credentials".into()));
    }
    // The user's budget at this address is spent: even the right password waits.
    let good =
        json!({"name": "t", "scopes": ["read"], "expires_in_days": 1, "password": ADMIN_PASSWORD});
    let res = app
        .post("/api/auth/tokens", Some(&admin.token), &good)
        .await;
    assert!(res.headers().contains_key("retry-after"));
    assert_eq!(code_of(res).await, (429, "too_many_attempts".into()));
    let res = app.login("admin", ADMIN_PASSWORD).await;
    assert_eq!(code_of(res).await, (429, "too_many_attempts".into()));
}

#[tokio::test]
async fn at_most_fifty_live_tokens_even_when_created_in_parallel() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    for i in 0..45 {
        create_token(&app, &admin, &["read"], &format!("t{i}")).await;
    }
    // Ten at once, from ten addresses (the password check admits two per address at a time).
    let attempts = (0..10).map(|i| {
        let http = client_from(&format!("127.0.0.{}", 20 + i));
        let url = app.url("/api/auth/tokens");
        let token = admin.token.clone();
        async move {
            http.post(url)
                .bearer_auth(token)
                .json(&json!({"name": format!("p{i}"), "scopes": ["read"], "expires_in_days": 1, "password": ADMIN_PASSWORD}))
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    });
    let mut statuses = futures::future::join_all(attempts).await;
    statuses.sort_unstable();
    assert_eq!(statuses, [201, 201, 201, 201, 201, 409, 409, 409, 409, 409]);
    let res = app
        .post(
            "/api/auth/tokens",
            Some(&admin.token),
            &json!({"name": "one-more", "scopes": ["read"], "expires_in_days": 1, "password": ADMIN_PASSWORD}),
        )
        .await;
    assert_eq!(code_of(res).await, (409, "too_many_tokens".into()));
    // An expired token no longer counts.
    let list: Value = app
        .get("/api/auth/tokens", &admin.token)
        .await
        .json()
        .await
        .unwrap();
    let oldest = list["tokens"][49]["id"].as_i64().unwrap();
    set_db(
        &app,
        "UPDATE access_tokens SET expires_at = $1 WHERE id = $2",
        oldest,
        1,
    )
    .await;
    create_token(&app, &admin, &["read"], "after-expiry").await;
}

#[tokio::test]
async fn a_token_reads_what_its_owner_reads_and_nothing_of_the_credentials() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let viewer = app.user_with_role(&admin.token, "vera", "viewer").await;
    let t = create_token(&app, &viewer, &["read"], "reader").await;
    let s = t.secret.as_str();

    let me: Value = app.get("/api/auth/me", s).await.json().await.unwrap();
    assert_eq!(me["username"], "vera");
    let res = app.get("/api/auth/verify-token", s).await;
    let (status, body) = status_and_json(res).await;
    assert_eq!(status, 200);
    assert_eq!(
        body["expires_at"],
        t.token.expires_at.as_str(),
        "the token's own expiry"
    );
    let res = app.get("/api/registries", s).await;
    assert_eq!(res.status(), 200);

    for (method, path, body) in [
        (
            "POST",
            "/api/auth/change-password",
            json!({"current_password": viewer.password, "new_password": "another-long-password"}),
        ),
        (
            "POST",
            "/api/auth/regenerate-backup-codes",
            json!({"password": viewer.password}),
        ),
        ("PATCH", "/api/auth/me", json!({"default_registry": null})),
        ("POST", "/api/auth/logout", json!({})),
        (
            "POST",
            "/api/auth/tokens",
            json!({"name": "child", "scopes": ["read"], "expires_in_days": 1, "password": viewer.password}),
        ),
        ("GET", "/api/auth/tokens", json!(null)),
        (
            "DELETE",
            &format!("/api/auth/tokens/{}", t.token.id),
            json!(null),
        ),
    ] {
        let mut req = app
            .http
            .request(method.parse().unwrap(), app.url(path))
            .bearer_auth(s);
        if !body.is_null() {
            req = req.json(&body);
        }
        let res = req.send().await.unwrap();
        assert_eq!(
            code_of(res).await,
            (403, "session_required".into()),
            "{method} {path}"
        );
    }
    // None of it happened: the password is unchanged and the token is still the only one.
    let res = app.login("vera", &viewer.password).await;
    assert_eq!(res.status(), 200);
    let list: Value = app
        .get("/api/auth/tokens", &viewer.token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["tokens"].as_array().unwrap().len(), 1);
    // The admin API needs the admin scope.
    let res = app.get("/api/admin/users", s).await;
    assert_eq!(code_of(res).await, (403, "insufficient_scope".into()));
}

#[tokio::test]
async fn scopes_are_a_set_and_admin_tokens_manage_others_but_not_their_owner() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    app.user_with_role(&admin.token, "bob", "viewer").await;
    let t = create_token(&app, &admin, &["admin"], "automation").await;
    let s = t.secret.as_str();
    let users: Value = app.get("/api/admin/users", s).await.json().await.unwrap();
    assert_eq!(users["users"].as_array().unwrap().len(), 2);
    let res = app
        .patch("/api/admin/users/bob", s, &json!({"role": "editor"}))
        .await;
    assert_eq!(res.status(), 200);
    let res = app
        .patch("/api/admin/users/admin", s, &json!({"locked": true}))
        .await;
    assert_eq!(code_of(res).await, (409, "cannot_modify_self".into()));
    // `admin` does not include tag deletes (`write`); the refusal is audited.
    let res = app
        .delete("/api/repositories/library/alpine/manifests/latest", s)
        .await;
    assert_eq!(code_of(res).await, (403, "insufficient_scope".into()));
    let res = app
        .post(
            "/api/repositories/library/alpine/tags/delete",
            Some(s),
            &json!({"tags": ["latest"]}),
        )
        .await;
    assert_eq!(code_of(res).await, (403, "insufficient_scope".into()));
    let events: Value = app
        .get("/api/admin/audit?action=token_refused", &admin.token)
        .await
        .json()
        .await
        .unwrap();
    let events = events["events"].as_array().unwrap();
    assert_eq!(
        events.len(),
        1,
        "one event a minute per token, with its count"
    );
    assert_eq!(events[0]["actor"], "admin");
    assert_eq!(events[0]["outcome"], "denied");
    let detail = events[0]["detail"].as_str().unwrap();
    assert!(
        detail.contains("write") && detail.contains("2 refusals"),
        "{detail}"
    );
}

#[tokio::test]
async fn unknown_revoked_and_expired_tokens_are_refused_with_their_codes() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let forged = format!("rgp_{}", "a".repeat(32));
    assert_eq!(
        code_of(app.get("/api/catalog", &forged).await).await,
        (401, "invalid_token".into())
    );
    assert_eq!(
        code_of(app.get("/api/catalog", "rgp_short").await).await,
        (401, "invalid_token".into())
    );

    let t = create_token(&app, &admin, &["read"], "soon-expired").await;
    set_db(
        &app,
        "UPDATE access_tokens SET expires_at = $1 WHERE id = $2",
        t.token.id,
        1000,
    )
    .await;
    let res = app.get("/api/auth/me", &t.secret).await;
    assert!(res.headers().contains_key("www-authenticate"));
    assert_eq!(code_of(res).await, (401, "token_expired".into()));
    // Expired tokens stay listed with their expiry until revoked.
    let list: Value = app
        .get("/api/auth/tokens", &admin.token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["tokens"][0]["expires_at"], "1970-01-01T00:16:40Z");

    let t = create_token(&app, &admin, &["read"], "revoked").await;
    assert_eq!(app.get("/api/auth/me", &t.secret).await.status(), 200);
    let res = app
        .delete(&format!("/api/auth/tokens/{}", t.token.id), &admin.token)
        .await;
    assert_eq!(res.status(), 204);
    assert_eq!(
        code_of(app.get("/api/auth/me", &t.secret).await).await,
        (401, "invalid_token".into())
    );
    let res = app
        .delete(&format!("/api/auth/tokens/{}", t.token.id), &admin.token)
        .await;
    assert_eq!(code_of(res).await, (404, "token_not_found".into()));
    let list: Value = app
        .get("/api/auth/tokens", &admin.token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        list["tokens"].as_array().unwrap().len(),
        1,
        "revoked tokens are gone"
    );
    let events: Value = app
        .get("/api/admin/audit?action=token_revoked", &admin.token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(events["events"][0]["target"], "admin");
    assert!(events["events"][0]["detail"]
        .as_str()
        .unwrap()
        .contains("revoked"));
}

#[tokio::test]
async fn failed_token_authentications_are_throttled_per_address() {
    let app = spawn_app_with(|s| s.throttle.max_failures_per_ip = 5).await;
    let admin = app.admin().await;
    let good = create_token(&app, &admin, &["read"], "good").await;
    let guesser = client_from("127.0.0.9");
    let forged = format!("rgp_{}", "b".repeat(32));
    let send = |secret: String| {
        let req = guesser.get(app.url("/api/catalog")).bearer_auth(secret);
        async move { req.send().await.unwrap() }
    };
    for _ in 0..5 {
        assert_eq!(
            code_of(send(forged.clone()).await).await,
            (401, "invalid_token".into())
        );
    }
    let res = send(forged.clone()).await;
    assert!(res.headers().contains_key("retry-after"));
    assert_eq!(code_of(res).await, (429, "too_many_attempts".into()));
    // Other addresses are not held back, and a password sign-in from the guesser's address is.
    assert_eq!(
        code_of(app.get("/api/catalog", &forged).await).await,
        (401, "invalid_token".into())
    );
    let res = guesser
        .post(app.url("/api/auth/login"))
        .json(&json!({"username": "admin", "password": ADMIN_PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(code_of(res).await, (429, "too_many_attempts".into()));
    assert_eq!(app.get("/api/auth/me", &good.secret).await.status(), 200);
}

#[tokio::test]
async fn lock_demotion_deletion_and_admin_resets_take_effect_on_the_next_request() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let carol = app.user_with_role(&admin.token, "carol", "admin").await;
    let all = create_token(&app, &carol, &["read", "write", "admin"], "all").await;
    let s = all.secret.as_str();
    assert_eq!(app.get("/api/admin/users", s).await.status(), 200);

    // Locking refuses the token; unlocking brings it back.
    let res = app
        .patch(
            "/api/admin/users/carol",
            &admin.token,
            &json!({"locked": true}),
        )
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(
        code_of(app.get("/api/auth/me", s).await).await,
        (403, "account_locked".into())
    );
    app.patch(
        "/api/admin/users/carol",
        &admin.token,
        &json!({"locked": false}),
    )
    .await;
    assert_eq!(app.get("/api/auth/me", s).await.status(), 200);

    // Demotion: what the new role cannot hold stops at once.
    app.patch(
        "/api/admin/users/carol",
        &admin.token,
        &json!({"role": "editor"}),
    )
    .await;
    assert_eq!(
        code_of(app.get("/api/admin/users", s).await).await,
        (403, "insufficient_scope".into())
    );
    app.patch(
        "/api/admin/users/carol",
        &admin.token,
        &json!({"role": "viewer"}),
    )
    .await;
    let res = app
        .delete("/api/repositories/library/alpine/manifests/latest", s)
        .await;
    assert_eq!(code_of(res).await, (403, "insufficient_scope".into()));
    assert_eq!(app.get("/api/auth/me", s).await.status(), 200, "read stays");

    // The owner's own password change keeps the tokens; an admin's reset ends them.
    let carol_token = app.sign_in_again(&carol).await;
    let res = app
        .post(
            "/api/auth/change-password",
            Some(&carol_token),
            &json!({"current_password": carol.password, "new_password": "carol-third-password"}),
        )
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(app.get("/api/auth/me", s).await.status(), 200);
    let res = app
        .post(
            "/api/admin/users/carol/reset-2fa",
            Some(&admin.token),
            &json!({}),
        )
        .await;
    assert_eq!(res.status(), 204);
    assert_eq!(
        code_of(app.get("/api/auth/me", s).await).await,
        (401, "invalid_token".into())
    );

    let dave = app.user_with_role(&admin.token, "dave", "editor").await;
    let t = create_token(&app, &dave, &["read"], "d").await;
    let res = app
        .patch(
            "/api/admin/users/dave",
            &admin.token,
            &json!({"password": "reset-by-admin-1"}),
        )
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(
        code_of(app.get("/api/auth/me", &t.secret).await).await,
        (401, "invalid_token".into())
    );

    let erin = app.user_with_role(&admin.token, "erin", "editor").await;
    let t = create_token(&app, &erin, &["read"], "e").await;
    assert_eq!(
        app.delete("/api/admin/users/erin", &admin.token)
            .await
            .status(),
        204
    );
    assert_eq!(
        code_of(app.get("/api/auth/me", &t.secret).await).await,
        (401, "invalid_token".into())
    );
    let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM access_tokens")
        .fetch_one(&app.state.pool)
        .await
        .unwrap();
    assert_eq!(count, 0, "the deleted owner's tokens are gone");
}

#[tokio::test]
async fn last_use_is_written_at_once_then_at_most_once_a_minute() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let t = create_token(&app, &admin, &["read"], "busy").await;
    let from = client_from("127.0.0.33");
    from.get(app.url("/api/auth/me"))
        .bearer_auth(&t.secret)
        .send()
        .await
        .unwrap();
    let list: Value = app
        .get("/api/auth/tokens", &admin.token)
        .await
        .json()
        .await
        .unwrap();
    let first = list["tokens"][0]["last_used_at"]
        .as_str()
        .expect("written at once")
        .to_string();
    assert_eq!(list["tokens"][0]["last_used_ip"], "127.0.0.33");

    // Within a minute of the stored time: not written.
    let recent = chrono::Utc::now().timestamp() - 30;
    set_db(
        &app,
        "UPDATE access_tokens SET last_used_at = $1 WHERE id = $2",
        t.token.id,
        recent,
    )
    .await;
    app.get("/api/auth/me", &t.secret).await;
    let stored: (i64, String) =
        sqlx::query_as("SELECT last_used_at, last_used_ip FROM access_tokens WHERE id = $1")
            .bind(t.token.id)
            .fetch_one(&app.state.pool)
            .await
            .unwrap();
    assert_eq!(stored, (recent, "127.0.0.33".to_string()));

    // Older than a minute: written again.
    let old = chrono::Utc::now().timestamp() - 61;
    set_db(
        &app,
        "UPDATE access_tokens SET last_used_at = $1 WHERE id = $2",
        t.token.id,
        old,
    )
    .await;
    app.get("/api/auth/me", &t.secret).await;
    let list: Value = app
        .get("/api/auth/tokens", &admin.token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["tokens"][0]["last_used_ip"], "127.0.0.1");
    assert!(list["tokens"][0]["last_used_at"].as_str().unwrap() >= first.as_str());
}

#[tokio::test]
async fn administrators_list_and_revoke_everyones_tokens_and_others_cannot() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let bob = app.user_with_role(&admin.token, "bob", "editor").await;
    let mine = create_token(&app, &admin, &["read"], "mine").await;
    let his = create_token(&app, &bob, &["write"], "his").await;

    let all: Value = app
        .get("/api/admin/tokens", &admin.token)
        .await
        .json()
        .await
        .unwrap();
    let owners: Vec<&str> = all["tokens"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["username"].as_str().unwrap())
        .collect();
    assert_eq!(owners, ["bob", "admin"]);
    let only: Value = app
        .get("/api/admin/tokens?user=bob", &admin.token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(only["tokens"].as_array().unwrap().len(), 1);
    assert_eq!(only["tokens"][0]["name"], "his");
    assert_eq!(only["tokens"][0]["prefix"], his.token.prefix.as_str());
    assert!(only["tokens"][0].get("secret").is_none());
    let res = app.get("/api/admin/tokens?user=nobody", &admin.token).await;
    assert_eq!(code_of(res).await, (404, "user_not_found".into()));

    // Bob cannot see or revoke someone else's token.
    assert_eq!(
        code_of(app.get("/api/admin/tokens", &bob.token).await).await,
        (403, "forbidden".into())
    );
    let res = app
        .delete(&format!("/api/auth/tokens/{}", mine.token.id), &bob.token)
        .await;
    assert_eq!(code_of(res).await, (404, "token_not_found".into()));
    let res = app
        .delete(&format!("/api/admin/tokens/{}", mine.token.id), &bob.token)
        .await;
    assert_eq!(code_of(res).await, (403, "forbidden".into()));
    let res = app
        .delete("/api/auth/tokens/not-a-number", &bob.token)
        .await;
    assert_eq!(code_of(res).await, (404, "token_not_found".into()));

    let res = app
        .delete(&format!("/api/admin/tokens/{}", his.token.id), &admin.token)
        .await;
    assert_eq!(res.status(), 204);
    assert_eq!(
        code_of(app.get("/api/auth/me", &his.secret).await).await,
        (401, "invalid_token".into())
    );
    let res = app
        .delete(&format!("/api/admin/tokens/{}", his.token.id), &admin.token)
        .await;
    assert_eq!(code_of(res).await, (404, "token_not_found".into()));
    let events: Value = app
        .get("/api/admin/audit?action=token_revoked", &admin.token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(events["events"][0]["actor"], "admin");
    assert_eq!(events["events"][0]["target"], "bob");
}

#[tokio::test]
async fn a_token_browses_and_with_write_deletes_on_a_real_registry() {
    let registry = start_registry(AuthMode::None).await;
    registry.seed_standard().await;
    let (app, admin) = app_for(&registry).await;
    let editor = app.user_with_role(&admin.token, "ed", "editor").await;
    let reader = create_token(&app, &editor, &["read"], "reader").await;
    let writer = create_token(&app, &editor, &["write"], "writer").await;

    let catalog: Value = get_ok(&app, "/api/catalog", &reader.secret).await;
    assert!(catalog.to_string().contains(fixture::ALPINE), "{catalog}");
    let tags: Value = get_ok(
        &app,
        "/api/repositories/library/alpine/tags",
        &reader.secret,
    )
    .await;
    assert_eq!(tags["total"], 3);
    let path = "/api/repositories/library/alpine/manifests/3.18";
    let res = app.delete(path, &reader.secret).await;
    assert_eq!(code_of(res).await, (403, "insufficient_scope".into()));
    assert_eq!(registry_tags(&registry, fixture::ALPINE).await.len(), 3);

    let res = app.delete(path, &writer.secret).await;
    let (status, body) = status_and_json(res).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        registry_tags(&registry, fixture::ALPINE).await,
        ["3.19", "latest"]
    );
    let events = tag_deleted_events(&app).await;
    assert_eq!(events[0].actor.as_deref(), Some("ed"));
}
