//! Accounts and sign-in over HTTP against the real app.
use std::time::Duration;

use base64::Engine as _;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use registry_gui::auth::jwt::{Claims, AUDIENCE, ISSUER};
use registry_gui::secret::Secret;
use serde_json::{json, Value};
use shared::auth::Role;

use crate::helpers::{spawn_app, spawn_app_with, totp_code, ADMIN_PASSWORD};

async fn json(res: reqwest::Response) -> Value {
    res.json().await.unwrap()
}

#[tokio::test]
async fn the_whole_sign_in_journey_works_over_http() {
    let app = spawn_app().await;

    // First login: enrollment, and no session yet.
    let res = app.login("admin", ADMIN_PASSWORD).await;
    assert_eq!(res.status(), 200);
    let body = json(res).await;
    assert_eq!(body["status"], "totp_setup_required");
    assert!(
        body.get("token").is_none(),
        "no session before the second factor"
    );
    let secret = body["totp_secret"].as_str().unwrap();
    assert_eq!(secret.len(), 32, "20 bytes of base32");
    assert_eq!(
        body["otpauth_uri"],
        format!("otpauth://totp/registry-gui:admin?secret={secret}&issuer=registry-gui&algorithm=SHA1&digits=6&period=30")
    );
    assert!(body["qr_svg"].as_str().unwrap().contains("<svg"));

    // Enrollment completes with a code computed from the secret.
    let res = app
        .verify(body["login_token"].as_str().unwrap(), &totp_code(secret, 0))
        .await;
    assert_eq!(res.status(), 200);
    let session = json(res).await;
    assert_eq!(session["token_type"], "Bearer");
    assert!(chrono::DateTime::parse_from_rfc3339(session["expires_at"].as_str().unwrap()).is_ok());
    assert!(session["expires_at"].as_str().unwrap().ends_with('Z'));
    let codes = session["backup_codes"].as_array().unwrap();
    assert_eq!(codes.len(), 10);
    assert_eq!(session["user"]["username"], "admin");
    assert_eq!(session["user"]["totp_enabled"], true);
    let token = session["token"].as_str().unwrap();

    // me
    let res = app.get("/api/auth/me", token).await;
    assert_eq!(res.status(), 200);
    let me = json(res).await;
    assert_eq!(me["role"], "admin");
    assert_eq!(me["is_admin"], true);
    assert_eq!(me["backup_codes_remaining"], 10);
    assert_eq!(me["must_change_password"], false);
    assert!(me.get("password_hash").is_none() && me.get("totp_secret").is_none());

    let res = app.get("/api/auth/verify-token", token).await;
    assert_eq!(res.status(), 200);
    assert_eq!(json(res).await["valid"], true);

    // logout revokes exactly that token
    let res = app.post("/api/auth/logout", Some(token), &json!({})).await;
    assert_eq!(res.status(), 204);
    let res = app.get("/api/auth/me", token).await;
    assert_eq!(res.status(), 401);
    assert_eq!(json(res).await["error"], "invalid_token");
}

#[tokio::test]
async fn a_second_sign_in_asks_for_the_code_and_issues_no_token_before_it() {
    let app = spawn_app().await;
    app.admin().await;
    let body = json(app.login("admin", ADMIN_PASSWORD).await).await;
    assert_eq!(body["status"], "totp_required");
    assert!(body.get("token").is_none());
    assert!(
        body.get("totp_secret").is_none(),
        "the secret is never shown again"
    );
}

#[tokio::test]
async fn usernames_are_case_insensitive() {
    let app = spawn_app().await;
    let res = app.login("ADMIN", ADMIN_PASSWORD).await;
    assert_eq!(res.status(), 200);
}

#[tokio::test]
async fn a_used_totp_code_cannot_be_replayed() {
    let app = spawn_app().await;
    let session = app.admin().await;
    // The enrollment used the current step: the same code is refused now.
    let body = json(app.login("admin", ADMIN_PASSWORD).await).await;
    let res = app
        .verify(
            body["login_token"].as_str().unwrap(),
            &totp_code(&session.totp_secret, 0),
        )
        .await;
    assert_eq!(res.status(), 401);
    assert_eq!(json(res).await["error"], "code_reused");
    // The next step's code is accepted (clock drift window), once.
    let body = json(app.login("admin", ADMIN_PASSWORD).await).await;
    let next = totp_code(&session.totp_secret, 1);
    let res = app
        .verify(body["login_token"].as_str().unwrap(), &next)
        .await;
    assert_eq!(res.status(), 200);
    let body = json(app.login("admin", ADMIN_PASSWORD).await).await;
    let res = app
        .verify(body["login_token"].as_str().unwrap(), &next)
        .await;
    assert_eq!(json(res).await["error"], "code_reused");
}

#[tokio::test]
async fn a_wrong_code_is_refused_with_invalid_code() {
    let app = spawn_app().await;
    let session = app.admin().await;
    let body = json(app.login("admin", ADMIN_PASSWORD).await).await;
    let right = totp_code(&session.totp_secret, 1);
    let wrong = if right == "000000" {
        "111111"
    } else {
        "000000"
    };
    let res = app
        .verify(body["login_token"].as_str().unwrap(), wrong)
        .await;
    assert_eq!(res.status(), 401);
    assert_eq!(json(res).await["error"], "invalid_code");
}

#[tokio::test]
async fn a_backup_code_works_exactly_once() {
    let app = spawn_app().await;
    let session = app.admin().await;
    let code = &session.backup_codes[3];

    let body = json(app.login("admin", ADMIN_PASSWORD).await).await;
    let res = app
        .verify(body["login_token"].as_str().unwrap(), code)
        .await;
    assert_eq!(res.status(), 200);
    let token = json(res).await["token"].as_str().unwrap().to_string();
    let me = json(app.get("/api/auth/me", &token).await).await;
    assert_eq!(me["backup_codes_remaining"], 9);

    let body = json(app.login("admin", ADMIN_PASSWORD).await).await;
    let res = app
        .verify(body["login_token"].as_str().unwrap(), code)
        .await;
    assert_eq!(res.status(), 401);
    assert_eq!(json(res).await["error"], "invalid_code");
}

#[tokio::test]
async fn regenerating_backup_codes_invalidates_the_old_ones() {
    let app = spawn_app().await;
    let session = app.admin().await;
    let res = app
        .post(
            "/api/auth/regenerate-backup-codes",
            Some(&session.token),
            &json!({"password": "not-my-password"}),
        )
        .await;
    assert_eq!(res.status(), 401, "the password is checked");
    let res = app
        .post(
            "/api/auth/regenerate-backup-codes",
            Some(&session.token),
            &json!({"password": ADMIN_PASSWORD}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let fresh: Vec<String> =
        serde_json::from_value(json(res).await["backup_codes"].clone()).unwrap();
    assert_eq!(fresh.len(), 10);
    assert!(fresh.iter().all(|c| !session.backup_codes.contains(c)));

    let body = json(app.login("admin", ADMIN_PASSWORD).await).await;
    let res = app
        .verify(
            body["login_token"].as_str().unwrap(),
            &session.backup_codes[0],
        )
        .await;
    assert_eq!(json(res).await["error"], "invalid_code");
    let body = json(app.login("admin", ADMIN_PASSWORD).await).await;
    let res = app
        .verify(body["login_token"].as_str().unwrap(), &fresh[0])
        .await;
    assert_eq!(res.status(), 200);
}

#[tokio::test]
async fn changing_the_password_revokes_every_earlier_token() {
    let app = spawn_app().await;
    let session = app.admin().await;
    let second = app.sign_in_again(&session).await;

    let res = app
        .post(
            "/api/auth/change-password",
            Some(&session.token),
            &json!({"current_password": ADMIN_PASSWORD, "new_password": "a-brand-new-password"}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let fresh = json(res).await["token"].as_str().unwrap().to_string();

    for old in [&session.token, &second] {
        let res = app.get("/api/auth/me", old).await;
        assert_eq!(res.status(), 401);
        assert_eq!(json(res).await["error"], "invalid_token");
    }
    assert_eq!(app.get("/api/auth/me", &fresh).await.status(), 200);
    assert_eq!(app.login("admin", ADMIN_PASSWORD).await.status(), 401);
    assert_eq!(
        app.login("admin", "a-brand-new-password").await.status(),
        200
    );
}

#[tokio::test]
async fn password_changes_enforce_the_policy() {
    let app = spawn_app().await;
    let session = app.admin().await;
    let cases = [
        ("x".repeat(36) + &"y".repeat(37), "password_too_long"),
        ("short".to_string(), "weak_password"),
        ("admin".to_string() + "", "weak_password"),
        (ADMIN_PASSWORD.to_string(), "password_unchanged"),
        ("admin123".to_string(), "weak_password"),
    ];
    for (new_password, code) in cases {
        let res = app
            .post(
                "/api/auth/change-password",
                Some(&session.token),
                &json!({"current_password": ADMIN_PASSWORD, "new_password": new_password}),
            )
            .await;
        assert_eq!(res.status(), 400, "{new_password}");
        assert_eq!(json(res).await["error"], code, "{new_password}");
    }
    let res = app
        .post(
            "/api/auth/change-password",
            Some(&session.token),
            &json!({"current_password": ADMIN_PASSWORD, "new_password": "ab".repeat(36)}),
        )
        .await;
    assert_eq!(res.status(), 200, "72 bytes are accepted");
}

fn forge(secret: &str, claims: &Claims) -> String {
    jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .unwrap()
}

#[tokio::test]
async fn tampered_unsigned_expired_and_foreign_tokens_get_401_json() {
    const SECRET: &str = "an-operator-secret-of-at-least-32-bytes";
    let app = spawn_app_with(|s| s.jwt_secret = Some(Secret::new(SECRET))).await;
    let session = app.admin().await;
    let now = chrono::Utc::now().timestamp();
    let issued = registry_gui::auth::jwt::JwtKeys::new(SECRET, 24)
        .decode(&session.token)
        .expect("the operator's JWT_SECRET is the raw HS256 key");
    let valid = Claims {
        sub: "1".into(),
        role: Role::Admin,
        ver: 1,
        jti: issued.jti.clone(),
        iat: now,
        exp: now + 3600,
        aud: AUDIENCE.into(),
        iss: ISSUER.into(),
    };
    // Signed with the key and naming a live session: accepted.
    assert_eq!(
        app.get("/api/auth/me", &forge(SECRET, &valid))
            .await
            .status(),
        200
    );
    // Signed with the key but naming a session the server never issued: the key alone does not
    // mint sessions.
    let minted = forge(
        SECRET,
        &Claims {
            jti: "minted".into(),
            ..valid.clone()
        },
    );
    assert_eq!(app.get("/api/auth/me", &minted).await.status(), 401);

    let b64 = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
    let parts: Vec<&str> = session.token.split('.').collect();
    let tampered_payload = b64(&json!({"sub": "1", "role": "admin", "ver": 99, "jti": "x", "iat": now, "exp": now + 999, "aud": AUDIENCE, "iss": ISSUER}).to_string());
    let bad_tokens = vec![
        format!("{}.{}.{}", parts[0], tampered_payload, parts[2]),
        format!("{}.{}.", b64(r#"{"alg":"none","typ":"JWT"}"#), parts[1]),
        forge(
            SECRET,
            &Claims {
                exp: now - 1,
                iat: now - 100,
                ..valid.clone()
            },
        ),
        forge("some-other-secret-some-other-secret", &valid),
        forge(
            SECRET,
            &Claims {
                aud: "elsewhere".into(),
                ..valid.clone()
            },
        ),
        forge(
            SECRET,
            &Claims {
                sub: "4242".into(),
                ..valid.clone()
            },
        ),
        "not-a-jwt".to_string(),
        String::new(),
    ];
    for token in bad_tokens {
        let res = app
            .http
            .get(app.url("/api/auth/me"))
            .header("authorization", format!("Bearer {token}"))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 401, "{token}");
        assert_eq!(json(res).await["error"], "invalid_token", "{token}");
    }
    let res = app.http.get(app.url("/api/auth/me")).send().await.unwrap();
    assert_eq!(res.status(), 401);
}

#[tokio::test]
async fn unknown_users_and_wrong_passwords_get_identical_answers() {
    let app = spawn_app().await;
    let wrong = app.login("admin", "not-the-password").await;
    let unknown = app.login("nobody-here", "not-the-password").await;
    assert_eq!(wrong.status(), 401);
    assert_eq!(unknown.status(), 401);
    assert_eq!(json(wrong).await, json(unknown).await);
    let body = json(app.login("nobody-here", "x").await).await;
    assert_eq!(body["error"], "invalid_credentials");
}

#[tokio::test]
async fn throttling_kicks_in_after_five_failures_and_lifts_after_the_window() {
    let app = spawn_app_with(|s| s.throttle.window_secs = 3).await;
    for _ in 0..5 {
        assert_eq!(app.login("admin", "wrong-password").await.status(), 401);
    }
    // The sixth attempt is refused even with the right password.
    let res = app.login("admin", ADMIN_PASSWORD).await;
    assert_eq!(res.status(), 429);
    let retry_after: u64 = res.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=3).contains(&retry_after), "{retry_after}");
    assert_eq!(json(res).await["error"], "too_many_attempts");
    // Only that user is throttled.
    assert_eq!(
        app.login("someone-else", "wrong-password").await.status(),
        401
    );

    tokio::time::sleep(Duration::from_secs(retry_after + 1)).await;
    assert_eq!(app.login("admin", ADMIN_PASSWORD).await.status(), 200);
}

#[tokio::test]
async fn throttling_applies_per_client_ip_after_twenty_failures() {
    let app = spawn_app().await;
    for i in 0..20 {
        let res = app.login(&format!("user{i}"), "wrong-password").await;
        assert_eq!(res.status(), 401, "attempt {i}");
    }
    let res = app.login("admin", ADMIN_PASSWORD).await;
    assert_eq!(res.status(), 429);
    assert!(res.headers().contains_key("retry-after"));
}

#[tokio::test]
async fn wrong_codes_are_throttled_like_passwords() {
    let app = spawn_app().await;
    let session = app.admin().await;
    let body = json(app.login("admin", ADMIN_PASSWORD).await).await;
    let token = body["login_token"].as_str().unwrap().to_string();
    let right = totp_code(&session.totp_secret, 1);
    let wrong = if right == "000000" {
        "111111"
    } else {
        "000000"
    };
    for _ in 0..5 {
        assert_eq!(app.verify(&token, wrong).await.status(), 401);
    }
    // The login token is used up, and signing in again is throttled, even when correct.
    let res = app.login("admin", ADMIN_PASSWORD).await;
    assert_eq!(res.status(), 429);
    assert_eq!(json(res).await["error"], "too_many_attempts");
    assert_ne!(app.verify(&token, &right).await.status(), 200);
}

#[tokio::test]
async fn a_login_token_dies_after_five_wrong_codes() {
    let app = spawn_app_with(|s| s.throttle.max_failures_per_user = 100).await;
    let session = app.admin().await;
    let body = json(app.login("admin", ADMIN_PASSWORD).await).await;
    let token = body["login_token"].as_str().unwrap().to_string();
    let right = totp_code(&session.totp_secret, 1);
    let wrong = if right == "000000" {
        "111111"
    } else {
        "000000"
    };
    for _ in 0..5 {
        assert_eq!(
            json(app.verify(&token, wrong).await).await["error"],
            "invalid_code"
        );
    }
    let res = app.verify(&token, &right).await;
    assert_eq!(res.status(), 401);
    assert_eq!(json(res).await["error"], "invalid_login_token");
}

#[tokio::test]
async fn an_unknown_login_token_is_refused() {
    let app = spawn_app().await;
    let res = app.verify("made-up-token", "123456").await;
    assert_eq!(res.status(), 401);
    assert_eq!(json(res).await["error"], "invalid_login_token");
}

#[tokio::test]
async fn an_expired_login_token_is_refused() {
    let app = spawn_app().await;
    let body = json(app.login("admin", ADMIN_PASSWORD).await).await;
    let secret = body["totp_secret"].as_str().unwrap();
    sqlx::query("UPDATE login_challenges SET expires_at = 0")
        .execute(&app.state.pool)
        .await
        .unwrap();
    let res = app
        .verify(body["login_token"].as_str().unwrap(), &totp_code(secret, 0))
        .await;
    assert_eq!(res.status(), 401);
    assert_eq!(json(res).await["error"], "invalid_login_token");
}

#[tokio::test]
async fn the_default_password_admin_must_change_it_first() {
    let app = spawn_app_with(|s| s.admin_password = Secret::new("admin123")).await;
    let session = app.enroll("admin", "admin123").await;
    let me = json(app.get("/api/auth/me", &session.token).await).await;
    assert_eq!(me["must_change_password"], true);
    for path in [
        "/api/catalog",
        "/api/registries",
        "/api/admin/users",
        "/api/health",
    ] {
        let res = app.get(path, &session.token).await;
        assert_eq!(res.status(), 403, "{path}");
        assert_eq!(
            json(res).await["error"],
            "password_change_required",
            "{path}"
        );
    }
    assert_eq!(
        app.http
            .get(app.url("/healthz"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let res = app
        .post(
            "/api/auth/change-password",
            Some(&session.token),
            &json!({"current_password": "admin123", "new_password": "a-much-better-password"}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let token = json(res).await["token"].as_str().unwrap().to_string();
    let res = app.get("/api/registries", &token).await;
    assert_ne!(res.status(), 403);
    let me = json(app.get("/api/auth/me", &token).await).await;
    assert_eq!(me["must_change_password"], false);
}

#[tokio::test]
async fn an_explicit_admin_password_is_not_forced_to_change() {
    let app = spawn_app().await;
    let session = app.admin().await;
    let me = json(app.get("/api/auth/me", &session.token).await).await;
    assert_eq!(me["must_change_password"], false);
}

#[tokio::test]
async fn the_default_registry_can_be_chosen_only_among_existing_ones() {
    let app = spawn_app().await;
    let session = app.admin().await;
    let res = app
        .patch(
            "/api/auth/me",
            &session.token,
            &json!({"default_registry": "nope"}),
        )
        .await;
    assert_eq!(res.status(), 404);
    assert_eq!(json(res).await["error"], "registry_not_found");
    let res = app
        .patch(
            "/api/auth/me",
            &session.token,
            &json!({"default_registry": "default"}),
        )
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(json(res).await["default_registry"], "default");
}

#[tokio::test]
async fn a_generated_jwt_secret_survives_a_restart() {
    let app = spawn_app().await;
    let session = app.admin().await;
    let settings = app.settings_on_same_database();
    let second = registry_gui::startup::Application::build(settings)
        .await
        .unwrap();
    let port = second.port();
    tokio::spawn(second.run_until_stopped());
    let res = app
        .http
        .get(format!("http://127.0.0.1:{port}/api/auth/me"))
        .bearer_auth(&session.token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let stored: String =
        sqlx::query_scalar("SELECT value FROM settings WHERE key = 'jwt_secret_encrypted'")
            .fetch_one(&app.state.pool)
            .await
            .unwrap();
    let secret = app.state.cipher.decrypt(&stored).unwrap();
    assert!(secret.len() >= 43, "at least 32 random bytes");
    assert!(!stored.contains(&secret), "stored encrypted");
}

#[tokio::test]
async fn sign_in_events_are_audited_with_time_user_and_ip() {
    let app = spawn_app().await;
    app.login("admin", "wrong-password").await;
    let session = app.admin().await;
    let body = json(app.login("admin", ADMIN_PASSWORD).await).await;
    app.verify(
        body["login_token"].as_str().unwrap(),
        &session.backup_codes[0],
    )
    .await;
    app.post("/api/auth/logout", Some(&session.token), &json!({}))
        .await;
    let rows: Vec<(String, Option<String>, Option<String>, String)> =
        sqlx::query_as("SELECT time, actor, ip, action FROM audit_log ORDER BY id")
            .fetch_all(&app.state.pool)
            .await
            .unwrap();
    let actions: Vec<&str> = rows.iter().map(|r| r.3.as_str()).collect();
    for expected in [
        "login_failed",
        "totp_enrolled",
        "login",
        "backup_code_used",
        "logout",
    ] {
        assert!(actions.contains(&expected), "{expected} in {actions:?}");
    }
    for (time, actor, ip, _) in &rows {
        assert!(chrono::DateTime::parse_from_rfc3339(time).is_ok());
        assert_eq!(actor.as_deref(), Some("admin"));
        assert_eq!(ip.as_deref(), Some("127.0.0.1"));
    }
}

#[tokio::test]
async fn secrets_never_appear_in_responses() {
    let app = spawn_app().await;
    let session = app.admin().await;
    let (hash, secret): (String, String) = sqlx::query_as(
        "SELECT password_hash, totp_secret_encrypted FROM users WHERE username = 'admin'",
    )
    .fetch_one(&app.state.pool)
    .await
    .unwrap();
    let secret = app.state.cipher.decrypt(&secret).unwrap();
    assert_eq!(secret, session.totp_secret);
    let jwt_secret: String =
        sqlx::query_scalar("SELECT value FROM settings WHERE key = 'jwt_secret_encrypted'")
            .fetch_one(&app.state.pool)
            .await
            .unwrap();
    let jwt_secret = app.state.cipher.decrypt(&jwt_secret).unwrap();
    let code_hashes: Vec<String> = sqlx::query_scalar("SELECT code_hash FROM backup_codes")
        .fetch_all(&app.state.pool)
        .await
        .unwrap();
    let mut bodies = Vec::new();
    for path in [
        "/api/auth/me",
        "/api/auth/verify-token",
        "/api/admin/users",
        "/api/admin/audit",
    ] {
        bodies.push(app.get(path, &session.token).await.text().await.unwrap());
    }
    let body = json(app.login("admin", ADMIN_PASSWORD).await).await;
    bodies.push(body.to_string());
    for text in bodies {
        assert!(!text.contains(&hash));
        assert!(!text.contains(&secret));
        assert!(!text.contains(&jwt_secret));
        for h in &code_hashes {
            assert!(!text.contains(h));
        }
    }
}
