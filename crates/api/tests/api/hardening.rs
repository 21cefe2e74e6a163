//! The hardening issue: sign-in limits under concurrency, pending steps that die with their
//! credentials, secrets at rest, and the small defects found in review.

use registry_gui::auth::jwt::{Claims, AUDIENCE, ISSUER};
use serde_json::{json, Value};
use shared::auth::Role;

use crate::helpers::{client_from, spawn_app, spawn_app_with, totp_code, TestApp, ADMIN_PASSWORD};

async fn login_from(app: &TestApp, client: &reqwest::Client, user: &str, pw: &str) -> (u16, Value) {
    let res = client
        .post(app.url("/api/auth/login"))
        .json(&json!({"username": user, "password": pw}))
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

async fn audit_count(app: &TestApp, action: &str) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE action = $1")
        .bind(action)
        .fetch_one(&app.state.pool)
        .await
        .unwrap()
}

/// A six-digit code that is none of the codes valid around now.
fn wrong_code(secret: &str) -> String {
    let valid: Vec<String> = (-2..=2).map(|o| totp_code(secret, o)).collect();
    (0..1000)
        .map(|n| format!("{:06}", 123_456 + n))
        .find(|c| !valid.contains(c))
        .unwrap()
}

#[tokio::test]
async fn forty_parallel_totp_guesses_on_one_login_token_get_at_most_five_checks() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let body: Value = app
        .login("admin", ADMIN_PASSWORD)
        .await
        .json()
        .await
        .unwrap();
    let token = body["login_token"].as_str().unwrap().to_string();
    let guess = wrong_code(&admin.totp_secret);
    let before = audit_count(&app, "2fa_failed").await;
    let handles: Vec<_> = (0..40)
        .map(|_| {
            let (http, url, token, guess) = (
                app.http.clone(),
                app.url("/api/auth/verify-2fa"),
                token.clone(),
                guess.clone(),
            );
            tokio::spawn(async move {
                let res = http
                    .post(url)
                    .json(&json!({"login_token": token, "code": guess}))
                    .send()
                    .await
                    .unwrap();
                let status = res.status().as_u16();
                let body: Value = res.json().await.unwrap();
                (
                    status,
                    body["error"].as_str().unwrap_or_default().to_string(),
                )
            })
        })
        .collect();
    let mut checked = 0;
    for h in handles {
        let (status, code) = h.await.unwrap();
        match code.as_str() {
            "invalid_code" => checked += 1,
            "invalid_login_token" => assert_eq!(status, 401),
            "too_many_attempts" => assert_eq!(status, 429),
            other => panic!("unexpected answer {status} {other}"),
        }
    }
    assert!(checked <= 5, "{checked} guesses were checked");
    assert!(audit_count(&app, "2fa_failed").await - before <= 5);
    // The right code after the burst does not sign in: from this address the throttle answers,
    // and from any other the token is spent.
    let res = app.verify(&token, &totp_code(&admin.totp_secret, 0)).await;
    assert_eq!(res.status(), 429);
    let res = client_from("127.0.6.1")
        .post(app.url("/api/auth/verify-2fa"))
        .json(&json!({"login_token": token, "code": totp_code(&admin.totp_secret, 0)}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    assert_eq!(
        res.json::<Value>().await.unwrap()["error"],
        "invalid_login_token"
    );
}

#[tokio::test]
async fn parallel_password_guesses_from_many_addresses_are_capped_and_the_right_password_then_fails(
) {
    let app = spawn_app_with(|s| {
        s.throttle.max_failures_per_user_total = 5;
        s.bcrypt_cost = 4;
    })
    .await;
    app.admin().await;
    let handles: Vec<_> = (0..30)
        .map(|i| {
            let client = client_from(&format!("127.0.1.{}", i + 1));
            let url = app.url("/api/auth/login");
            tokio::spawn(async move {
                let res = client
                    .post(url)
                    .json(&json!({"username": "admin", "password": format!("guess-{i}")}))
                    .send()
                    .await
                    .unwrap();
                res.status().as_u16()
            })
        })
        .collect();
    let mut evaluated = 0;
    for h in handles {
        match h.await.unwrap() {
            401 => evaluated += 1,
            429 | 503 => {}
            other => panic!("unexpected status {other}"),
        }
    }
    assert!(evaluated <= 5, "{evaluated} guesses were evaluated");
    let failures: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM audit_log WHERE action = 'login_failed' AND actor = 'admin'",
    )
    .fetch_one(&app.state.pool)
    .await
    .unwrap();
    assert!(failures <= 5, "{failures} failures were recorded");
    let (status, body) = login_from(&app, &client_from("127.0.2.1"), "admin", ADMIN_PASSWORD).await;
    assert_eq!(status, 429, "{body}");
    assert_eq!(body["error"], "too_many_attempts");
}

#[tokio::test]
async fn parallel_bad_logins_from_one_address_are_checked_at_most_the_per_address_limit() {
    let app = spawn_app_with(|s| s.throttle.max_failures_per_ip = 20).await;
    let attacker = client_from("127.0.3.1");
    let handles: Vec<_> = (0..120)
        .map(|i| {
            let client = attacker.clone();
            let url = app.url("/api/auth/login");
            tokio::spawn(async move {
                let res = client
                    .post(url)
                    .json(&json!({"username": format!("user{i}"), "password": "wrong-password"}))
                    .send()
                    .await
                    .unwrap();
                let status = res.status().as_u16();
                let retry_after = res.headers().get("retry-after").is_some();
                let body: Value = res.json().await.unwrap();
                (
                    status,
                    retry_after,
                    body["error"].as_str().unwrap_or_default().to_string(),
                )
            })
        })
        .collect();
    let mut evaluated = 0;
    for h in handles {
        let (status, retry_after, code) = h.await.unwrap();
        match (status, code.as_str()) {
            (401, "invalid_credentials") => evaluated += 1,
            (429, "too_many_attempts") | (503, "server_busy") => assert!(retry_after),
            other => panic!("unexpected answer {other:?}"),
        }
    }
    assert!(evaluated <= 20, "{evaluated} attempts were evaluated");
    // Sequentially too: the limit holds.
    for i in 0..30 {
        login_from(&app, &attacker, &format!("late{i}"), "wrong-password").await;
    }
    let evaluated: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM audit_log WHERE action = 'login_failed' AND ip = '127.0.3.1'",
    )
    .fetch_one(&app.state.pool)
    .await
    .unwrap();
    assert_eq!(evaluated, 20);
}

#[tokio::test]
async fn a_third_concurrent_password_check_from_one_address_gets_503_server_busy() {
    // Cost 12 (the default) keeps each check in flight long enough for the others to arrive.
    let app = spawn_app_with(|s| {
        s.bcrypt_cost = 12;
        s.throttle.max_failures_per_ip = 1000;
        s.throttle.max_failures_per_user = 1000;
    })
    .await;
    let handles: Vec<_> = (0..8)
        .map(|i| {
            let (http, url) = (app.http.clone(), app.url("/api/auth/login"));
            tokio::spawn(async move {
                let res = http
                    .post(url)
                    .json(&json!({"username": format!("u{i}"), "password": "wrong-password"}))
                    .send()
                    .await
                    .unwrap();
                let status = res.status().as_u16();
                let retry_after = res
                    .headers()
                    .get("retry-after")
                    .map(|v| v.to_str().unwrap().to_string());
                let body: Value = res.json().await.unwrap();
                (status, retry_after, body)
            })
        })
        .collect();
    let mut busy = 0;
    let mut checked = 0;
    for h in handles {
        let (status, retry_after, body) = h.await.unwrap();
        match status {
            503 => {
                busy += 1;
                assert_eq!(body["error"], "server_busy");
                assert!(retry_after.unwrap().parse::<u64>().unwrap() >= 1);
            }
            401 => checked += 1,
            other => panic!("unexpected status {other}"),
        }
    }
    assert!(busy >= 1 && checked >= 2, "busy {busy}, checked {checked}");
}

#[tokio::test]
async fn failures_from_one_address_do_not_lock_the_user_out_elsewhere() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let attacker = client_from("127.0.4.1");
    for _ in 0..5 {
        let (status, _) = login_from(&app, &attacker, "admin", "wrong-password").await;
        assert_eq!(status, 401);
    }
    let (status, body) = login_from(&app, &attacker, "admin", ADMIN_PASSWORD).await;
    assert_eq!(
        status, 429,
        "the right password after the limit does not sign in"
    );
    assert_eq!(body["error"], "too_many_attempts");
    // The real user, from their own address, signs in.
    let token = app.sign_in_again(&admin).await;
    assert_eq!(app.get("/api/auth/me", &token).await.status(), 200);
}

#[tokio::test]
async fn the_cap_across_all_addresses_stops_distributed_guessing() {
    let app = spawn_app_with(|s| s.throttle.max_failures_per_user_total = 6).await;
    app.admin().await;
    for address in ["127.0.5.1", "127.0.5.2"] {
        let client = client_from(address);
        for _ in 0..3 {
            assert_eq!(login_from(&app, &client, "admin", "nope-nope").await.0, 401);
        }
    }
    let (status, _) = login_from(&app, &client_from("127.0.5.3"), "admin", ADMIN_PASSWORD).await;
    assert_eq!(status, 429);
}

#[tokio::test]
async fn throttled_attempts_are_audited_once_a_minute_with_their_count() {
    let app = spawn_app().await;
    for _ in 0..5 {
        app.login("admin", "wrong-password").await;
    }
    for _ in 0..30 {
        assert_eq!(app.login("admin", "wrong-password").await.status(), 429);
    }
    let events: Vec<(String, Option<String>)> =
        sqlx::query_as("SELECT action, detail FROM audit_log WHERE action = 'login_throttled'")
            .fetch_all(&app.state.pool)
            .await
            .unwrap();
    assert_eq!(events.len(), 1, "{events:?}");
    let detail = events[0].1.clone().unwrap();
    assert!(detail.starts_with("30 refused attempts"), "{detail}");
}

#[tokio::test]
async fn audit_events_past_the_retention_are_pruned_at_start_up() {
    let app = spawn_app().await;
    for (time, action) in [
        ("2020-01-01T00:00:00Z", "ancient"),
        ("2099-01-01T00:00:00Z", "recent"),
    ] {
        sqlx::query("INSERT INTO audit_log (time, action, outcome) VALUES ($1, $2, 'success')")
            .bind(time)
            .bind(action)
            .execute(&app.state.pool)
            .await
            .unwrap();
    }
    let mut settings = app.settings_on_same_database();
    settings.audit_retention_days = 30;
    let again = crate::helpers::spawn_app_on(app.postgres_url.clone(), |s| *s = settings).await;
    assert_eq!(audit_count(&again, "ancient").await, 0);
    assert_eq!(audit_count(&again, "recent").await, 1);
}

#[tokio::test]
async fn an_abandoned_enrollment_step_cannot_replace_the_secret_of_an_enrolled_account() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let res = app
        .post(
            "/api/admin/users",
            Some(&admin.token),
            &json!({"username": "bob", "password": "first-password-1", "role": "editor"}),
        )
        .await;
    assert_eq!(res.status(), 201);
    // Someone who knows the first password starts enrollment and waits.
    let stolen: Value = app
        .login("bob", "first-password-1")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(stolen["status"], "totp_setup_required");
    // The real user enrolls and changes the password.
    let bob = app.enroll("bob", "first-password-1").await;
    let res = app
        .post(
            "/api/auth/change-password",
            Some(&bob.token),
            &json!({"current_password": "first-password-1", "new_password": "second-password-2"}),
        )
        .await;
    assert_eq!(res.status(), 200);
    // The old step is dead.
    let secret = stolen["totp_secret"].as_str().unwrap();
    let res = app
        .verify(
            stolen["login_token"].as_str().unwrap(),
            &totp_code(secret, 0),
        )
        .await;
    assert_eq!(res.status(), 401);
    assert_eq!(
        res.json::<Value>().await.unwrap()["error"],
        "invalid_login_token"
    );
    // Bob's own second factor still works.
    let mut session = bob.clone();
    session.password = "second-password-2".into();
    let token = app.sign_in_again(&session).await;
    assert_eq!(app.get("/api/auth/me", &token).await.status(), 200);
}

#[tokio::test]
async fn two_parallel_enrollments_of_one_account_complete_once() {
    let app = spawn_app().await;
    let a: Value = app
        .login("admin", ADMIN_PASSWORD)
        .await
        .json()
        .await
        .unwrap();
    let b: Value = app
        .login("admin", ADMIN_PASSWORD)
        .await
        .json()
        .await
        .unwrap();
    let code_a = totp_code(a["totp_secret"].as_str().unwrap(), 0);
    let code_b = totp_code(b["totp_secret"].as_str().unwrap(), 0);
    let (ra, rb) = tokio::join!(
        app.verify(a["login_token"].as_str().unwrap(), &code_a),
        app.verify(b["login_token"].as_str().unwrap(), &code_b),
    );
    let mut statuses = [ra.status().as_u16(), rb.status().as_u16()];
    statuses.sort();
    assert_eq!(statuses, [200, 401]);
}

async fn pending(app: &TestApp, user: &str, pw: String) -> String {
    let body: Value = app.login(user, &pw).await.json().await.unwrap();
    body["login_token"].as_str().unwrap().to_string()
}

async fn expect_dead(app: &TestApp, token: &str, totp_secret: &str) {
    let res = app.verify(token, &totp_code(totp_secret, 1)).await;
    assert_eq!(res.status(), 401);
    assert_eq!(
        res.json::<Value>().await.unwrap()["error"],
        "invalid_login_token"
    );
}

#[tokio::test]
async fn a_pending_sign_in_step_dies_with_a_password_change_reset_lock_or_2fa_reset() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let ed = app.user_with_role(&admin.token, "ed", "editor").await;

    // Self-service password change.
    let token = pending(&app, "ed", ed.password.clone()).await;
    let res = app
        .post(
            "/api/auth/change-password",
            Some(&ed.token),
            &json!({"current_password": ed.password, "new_password": "ed-third-password"}),
        )
        .await;
    assert_eq!(res.status(), 200);
    expect_dead(&app, &token, &ed.totp_secret).await;

    // Admin password reset.
    let token = pending(&app, "ed", "ed-third-password".into()).await;
    let res = app
        .patch(
            "/api/admin/users/ed",
            &admin.token,
            &json!({"password": "ed-fourth-password"}),
        )
        .await;
    assert_eq!(res.status(), 200);
    expect_dead(&app, &token, &ed.totp_secret).await;

    // Lock.
    let token = pending(&app, "ed", "ed-fourth-password".into()).await;
    app.patch(
        "/api/admin/users/ed",
        &admin.token,
        &json!({"locked": true}),
    )
    .await;
    app.patch(
        "/api/admin/users/ed",
        &admin.token,
        &json!({"locked": false}),
    )
    .await;
    expect_dead(&app, &token, &ed.totp_secret).await;

    // 2FA reset.
    let token = pending(&app, "ed", "ed-fourth-password".into()).await;
    let res = app
        .post(
            "/api/admin/users/ed/reset-2fa",
            Some(&admin.token),
            &json!({}),
        )
        .await;
    assert!(res.status().is_success());
    expect_dead(&app, &token, &ed.totp_secret).await;
}

#[tokio::test]
async fn a_backup_code_is_not_used_up_by_a_lost_race_for_the_login_token() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let body: Value = app
        .login("admin", ADMIN_PASSWORD)
        .await
        .json()
        .await
        .unwrap();
    let token = body["login_token"].as_str().unwrap();
    let (a, b) = tokio::join!(
        app.verify(token, &admin.backup_codes[0]),
        app.verify(token, &admin.backup_codes[1])
    );
    let mut statuses = [a.status().as_u16(), b.status().as_u16()];
    statuses.sort();
    assert_eq!(statuses, [200, 401]);
    let session: Value = if a.status() == 200 {
        a.json().await.unwrap()
    } else {
        b.json().await.unwrap()
    };
    let me: Value = app
        .get("/api/auth/me", session["token"].as_str().unwrap())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        me["backup_codes_remaining"], 9,
        "only the winner's code is used"
    );
}

#[cfg(unix)]
#[tokio::test]
async fn the_database_its_side_files_key_and_folder_are_private() {
    // About the SQLite file itself.
    if crate::support::postgres::requested() {
        return;
    }
    use std::os::unix::fs::PermissionsExt as _;
    let app = spawn_app().await;
    app.admin().await;
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    for file in registry_gui::db::sqlite::related_files(&app.db_path) {
        if file.exists() {
            assert_eq!(mode(&file), 0o600, "{}", file.display());
        }
    }
    assert!(registry_gui::crypto::key_file_for(&app.db_path).exists());
    let mut wal = app.db_path.clone().into_os_string();
    wal.push("-wal");
    assert!(std::path::Path::new(&wal).exists(), "WAL mode");
    // The helper's database lives in a `data/` folder the server created.
    assert_eq!(mode(app.db_path.parent().unwrap()), 0o700);

    // Files an older version left readable by others are made private at the next start.
    for file in registry_gui::db::sqlite::related_files(&app.db_path) {
        if file.exists() {
            std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
        }
    }
    let db = app.db_path.clone();
    let again = spawn_app_with(move |s| {
        s.database.location = registry_gui::config::DatabaseLocation::Sqlite(db)
    })
    .await;
    again.login("admin", ADMIN_PASSWORD).await;
    for file in registry_gui::db::sqlite::related_files(&again.db_path) {
        if file.exists() {
            assert_eq!(mode(&file), 0o600, "{}", file.display());
        }
    }
}

#[tokio::test]
async fn a_copy_of_the_database_alone_cannot_mint_a_session_or_compute_a_code() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let pool = &app.state.pool;
    let clear: Option<String> =
        sqlx::query_scalar("SELECT totp_secret FROM users WHERE username = 'admin'")
            .fetch_one(pool)
            .await
            .unwrap();
    assert_eq!(clear, None);
    let stored: String =
        sqlx::query_scalar("SELECT totp_secret_encrypted FROM users WHERE username = 'admin'")
            .fetch_one(pool)
            .await
            .unwrap();
    assert!(!stored.contains(&admin.totp_secret));
    // Every value in the settings table, tried as the HS256 key, signs nothing the server takes.
    let values: Vec<String> = sqlx::query_scalar("SELECT value FROM settings")
        .fetch_all(pool)
        .await
        .unwrap();
    let now = chrono::Utc::now().timestamp();
    for value in values {
        let claims = Claims {
            sub: "1".into(),
            role: Role::Admin,
            ver: 1,
            jti: "from-a-stolen-file".into(),
            iat: now,
            exp: now + 600,
            aud: AUDIENCE.into(),
            iss: ISSUER.into(),
        };
        let forged = jsonwebtoken::encode(
            &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
            &claims,
            &jsonwebtoken::EncodingKey::from_secret(value.as_bytes()),
        )
        .unwrap();
        assert_eq!(app.get("/api/auth/me", &forged).await.status(), 401);
    }
    // Backup codes are not stored as their plain SHA-256.
    let hashes: Vec<String> = sqlx::query_scalar("SELECT code_hash FROM backup_codes")
        .fetch_all(pool)
        .await
        .unwrap();
    for code in &admin.backup_codes {
        let plain = registry_gui::auth::backup_codes::unkeyed_hash(code);
        assert!(!hashes.contains(&plain));
    }
}

#[tokio::test]
async fn an_older_database_with_clear_secrets_is_migrated_in_place_and_keeps_working() {
    // About the SQLite file itself.
    if crate::support::postgres::requested() {
        return;
    }
    let app = spawn_app().await;
    let admin = app.admin().await;
    let pool = &app.state.pool;
    // Put the database back into the shape older versions wrote.
    sqlx::query(
        "UPDATE users SET totp_secret = $1, totp_secret_encrypted = NULL WHERE username = 'admin'",
    )
    .bind(&admin.totp_secret)
    .execute(pool)
    .await
    .unwrap();
    sqlx::query("DELETE FROM backup_codes")
        .execute(pool)
        .await
        .unwrap();
    for code in &admin.backup_codes {
        sqlx::query("INSERT INTO backup_codes (user_id, code_hash, keyed) VALUES (1, $1, 0)")
            .bind(registry_gui::auth::backup_codes::unkeyed_hash(code))
            .execute(pool)
            .await
            .unwrap();
    }
    sqlx::query("INSERT INTO settings (key, value) VALUES ('jwt_secret', 'an-old-clear-secret-of-some-48-bytes-xxxxxxxxxx')")
        .execute(pool)
        .await
        .unwrap();

    let db = app.db_path.clone();
    let again = spawn_app_with(move |s| {
        s.database.location = registry_gui::config::DatabaseLocation::Sqlite(db)
    })
    .await;
    let pool = &again.state.pool;
    let clear: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE totp_secret IS NOT NULL")
        .fetch_one(pool)
        .await
        .unwrap();
    assert_eq!(clear, 0);
    let unkeyed: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM backup_codes WHERE keyed = 0")
        .fetch_one(pool)
        .await
        .unwrap();
    assert_eq!(unkeyed, 0);
    let old_secret: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM settings WHERE key = 'jwt_secret'")
            .fetch_one(pool)
            .await
            .unwrap();
    assert_eq!(old_secret, 0);
    // TOTP and an old backup code still sign in.
    let token = again.sign_in_again(&admin).await;
    assert_eq!(again.get("/api/auth/me", &token).await.status(), 200);
    let body: Value = again
        .login("admin", ADMIN_PASSWORD)
        .await
        .json()
        .await
        .unwrap();
    let res = again
        .verify(
            body["login_token"].as_str().unwrap(),
            &admin.backup_codes[3],
        )
        .await;
    assert_eq!(res.status(), 200);
}

#[tokio::test]
async fn a_password_longer_than_72_bytes_never_signs_in_by_its_first_72() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let exact = "ab".repeat(36);
    let res = app
        .post(
            "/api/auth/change-password",
            Some(&admin.token),
            &json!({"current_password": ADMIN_PASSWORD, "new_password": exact}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let session: Value = res.json().await.unwrap();
    let token = session["token"].as_str().unwrap().to_string();
    let res = app.login("admin", &format!("{exact}zzz")).await;
    assert_eq!(res.status(), 400);
    assert_eq!(
        res.json::<Value>().await.unwrap()["error"],
        "password_too_long"
    );
    assert_eq!(app.login("admin", &exact).await.status(), 200);
    // Confirming the current password follows the same rule.
    for path in [
        "/api/auth/change-password",
        "/api/auth/regenerate-backup-codes",
    ] {
        let body = json!({
            "current_password": format!("{exact}zzz"),
            "password": format!("{exact}zzz"),
            "new_password": "another-fine-password",
        });
        let res = app.post(path, Some(&token), &body).await;
        assert_eq!(res.status(), 400, "{path}");
        assert_eq!(
            res.json::<Value>().await.unwrap()["error"],
            "password_too_long"
        );
    }
}

#[tokio::test]
async fn usernames_are_refused_not_rewritten_and_the_minimum_counts_characters() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    for bad in ["abc\n", " abc", "abc ", "a\tb"] {
        let res = app
            .post(
                "/api/admin/users",
                Some(&admin.token),
                &json!({"username": bad, "password": "a-fine-password"}),
            )
            .await;
        assert_eq!(res.status(), 400, "{bad:?}");
        assert_eq!(
            res.json::<Value>().await.unwrap()["error"],
            "invalid_username"
        );
    }
    let res = app
        .post(
            "/api/admin/users",
            Some(&admin.token),
            &json!({"username": "ABC", "password": "a-fine-password"}),
        )
        .await;
    assert_eq!(res.status(), 201);
    assert_eq!(
        res.json::<Value>().await.unwrap()["user"]["username"],
        "abc"
    );
    // Three characters in eight bytes are too short.
    let res = app
        .post(
            "/api/admin/users",
            Some(&admin.token),
            &json!({"username": "euro", "password": "€é€"}),
        )
        .await;
    assert_eq!(res.status(), 400);
    assert_eq!(res.json::<Value>().await.unwrap()["error"], "weak_password");
}

async fn active_sessions(app: &TestApp, token: &str) -> i64 {
    let body: Value = app
        .get("/api/admin/users", token)
        .await
        .json()
        .await
        .unwrap();
    body["users"][0]["active_sessions"].as_i64().unwrap()
}

#[tokio::test]
async fn active_sessions_count_live_sessions_and_drop_on_logout() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let second = app.sign_in_again(&admin).await;
    assert_eq!(active_sessions(&app, &second).await, 2);
    assert_eq!(
        app.post("/api/auth/logout", Some(&admin.token), &json!({}))
            .await
            .status(),
        204
    );
    assert_eq!(active_sessions(&app, &second).await, 1);
    let metrics = app.metrics_text().await;
    let line = metrics
        .lines()
        .find(|l| l.starts_with("registry_gui_active_sessions"))
        .unwrap_or_default()
        .to_string();
    assert!(line.ends_with(" 1"), "{line}");
}

#[tokio::test]
async fn the_default_password_warning_is_only_for_the_default_password() {
    let app = spawn_app().await;
    let pool = &app.state.pool;
    // An admin flagged for a change with a password that is not the default: no warning.
    sqlx::query("UPDATE users SET must_change_password = 1")
        .execute(pool)
        .await
        .unwrap();
    assert!(
        !registry_gui::bootstrap::warn_about_default_password(pool, &app.state.hasher)
            .await
            .unwrap()
    );
    let default_hash = app.state.hasher.hash("admin123").await.unwrap();
    sqlx::query("UPDATE users SET password_hash = $1")
        .bind(default_hash)
        .execute(pool)
        .await
        .unwrap();
    assert!(
        registry_gui::bootstrap::warn_about_default_password(pool, &app.state.hasher)
            .await
            .unwrap()
    );
}

#[tokio::test]
async fn editing_a_registry_url_passes_the_checks_of_adding_one_also_for_the_bootstrapped_one() {
    // The bootstrapped registry (127.0.0.1:9) is exempt only with its configured URL.
    let app = spawn_app_with(|s| {
        s.registry_client.allowed_hosts = Some(vec!["127.0.0.1:5999".into()]);
    })
    .await;
    let admin = app.admin().await;
    for (url, code) in [
        ("http://evil.example.com:5000", "registry_host_not_allowed"),
        ("http://169.254.169.254", "registry_host_forbidden"),
        ("http://[::ffff:169.254.169.254]", "registry_host_forbidden"),
        ("http://100.100.100.200", "registry_host_forbidden"),
        ("http://metadata", "registry_host_forbidden"),
    ] {
        let res = app
            .patch(
                "/api/admin/registries/default",
                &admin.token,
                &json!({"url": url}),
            )
            .await;
        assert_eq!(res.status(), 400, "{url}");
        assert_eq!(res.json::<Value>().await.unwrap()["error"], code, "{url}");
    }
    // The same URL again (an edit form sends every field) is no change.
    let res = app
        .patch(
            "/api/admin/registries/default",
            &admin.token,
            &json!({"url": "http://127.0.0.1:9", "read_only": true}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let res = app
        .patch(
            "/api/admin/registries/default",
            &admin.token,
            &json!({"url": "http://127.0.0.1:5999"}),
        )
        .await;
    assert_eq!(res.status(), 200);
}

#[tokio::test]
async fn a_stored_password_is_never_sent_to_a_new_host() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let res = app
        .post(
            "/api/admin/registries",
            Some(&admin.token),
            &json!({"name": "prod", "url": "http://127.0.0.1:5001", "username": "ci", "password": "s3cret"}),
        )
        .await;
    assert_eq!(res.status(), 201);
    for url in [
        "http://127.0.0.2:5001",
        "http://127.0.0.1:5002",
        "http://localhost:5001",
    ] {
        let res = app
            .patch(
                "/api/admin/registries/prod",
                &admin.token,
                &json!({"url": url}),
            )
            .await;
        assert_eq!(res.status(), 400, "{url}");
        assert_eq!(
            res.json::<Value>().await.unwrap()["error"],
            "credentials_required"
        );
    }
    // Same host and port (another path): fine; a new host with the password given again: fine.
    let res = app
        .patch(
            "/api/admin/registries/prod",
            &admin.token,
            &json!({"url": "http://127.0.0.1:5001/"}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let res = app
        .patch(
            "/api/admin/registries/prod",
            &admin.token,
            &json!({"url": "http://127.0.0.2:5001", "password": "other"}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let body: Value = app
        .get("/api/registries", &admin.token)
        .await
        .json()
        .await
        .unwrap();
    assert!(body.to_string().contains("127.0.0.2:5001"));
}

#[tokio::test]
async fn knowing_the_password_does_not_reset_the_code_guessing_budget() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let guess = wrong_code(&admin.totp_secret);
    let mut checked = 0;
    // Each round: the right password, then wrong codes until refused.
    for _ in 0..4 {
        let res = app.login("admin", ADMIN_PASSWORD).await;
        if res.status() == 429 {
            break;
        }
        let body: Value = res.json().await.unwrap();
        let token = body["login_token"].as_str().unwrap().to_string();
        for _ in 0..4 {
            let res = app.verify(&token, &guess).await;
            match res.status().as_u16() {
                401 => checked += 1,
                429 => break,
                other => panic!("unexpected {other}"),
            }
        }
    }
    assert_eq!(
        checked, 5,
        "the per-address limit counts codes across sign-in steps"
    );
}

#[tokio::test]
async fn a_stored_password_is_not_sent_in_clear_or_without_certificate_checks() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let res = app
        .post(
            "/api/admin/registries",
            Some(&admin.token),
            &json!({"name": "tls", "url": "https://127.0.0.1:5443", "username": "ci", "password": "s3cret"}),
        )
        .await;
    assert_eq!(res.status(), 201);
    for change in [
        json!({"url": "http://127.0.0.1:5443"}),
        json!({"insecure_tls": true}),
    ] {
        let res = app
            .patch("/api/admin/registries/tls", &admin.token, &change)
            .await;
        assert_eq!(res.status(), 400, "{change}");
        assert_eq!(
            res.json::<Value>().await.unwrap()["error"],
            "credentials_required"
        );
    }
    let res = app
        .patch(
            "/api/admin/registries/tls",
            &admin.token,
            &json!({"insecure_tls": true, "password": "s3cret"}),
        )
        .await;
    assert_eq!(res.status(), 200);
}

#[tokio::test]
async fn a_url_with_credentials_is_refused_without_echoing_them() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let res = app
        .post(
            "/api/admin/registries",
            Some(&admin.token),
            &json!({"name": "creds", "url": "https://robot:hunter2@registry.example.com"}),
        )
        .await;
    assert_eq!(res.status(), 400);
    let text = res.text().await.unwrap();
    assert!(text.contains("invalid_url"), "{text}");
    assert!(!text.contains("hunter2"), "{text}");
}
