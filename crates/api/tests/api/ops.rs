//! Operability: metrics, request ids, structured logs without secrets.
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use serde_json::{json, Value};

use crate::helpers::{spawn_app, spawn_app_with, totp_code};

#[tokio::test]
async fn metrics_show_requests_and_login_failures_after_a_journey() {
    let app = spawn_app().await;
    let session = app.admin().await;
    app.login("admin", "wrong-password").await;
    app.get("/api/auth/me", &session.token).await;
    let res = app.http.get(app.url("/metrics")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/plain"));
    let text = res.text().await.unwrap();
    assert!(text.contains(
        "registry_gui_http_requests_total{method=\"GET\",route=\"/api/auth/me\",status=\"200\"} 1"
    ), "{text}");
    assert!(text.contains("registry_gui_http_request_duration_seconds_bucket{method=\"POST\",route=\"/api/auth/login\""));
    assert!(text.contains("registry_gui_login_failures_total{reason=\"login_failed\"} 1"));
    assert!(text.contains("registry_gui_active_sessions 1"));
    assert!(text.contains("registry_gui_cache_hit_ratio"));
}

#[tokio::test]
async fn a_metrics_token_protects_the_metrics() {
    let app =
        spawn_app_with(|s| s.metrics_token = Some(registry_gui::secret::Secret::new("scrape-me")))
            .await;
    let res = app.http.get(app.url("/metrics")).send().await.unwrap();
    assert_eq!(res.status(), 401);
    let res = app
        .http
        .get(app.url("/metrics"))
        .bearer_auth("wrong")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    let res = app
        .http
        .get(app.url("/metrics"))
        .bearer_auth("scrape-me")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
}

#[tokio::test]
async fn a_clients_request_id_is_echoed_and_a_new_one_made_otherwise() {
    let app = spawn_app().await;
    let res = app
        .http
        .get(app.url("/healthz"))
        .header("x-request-id", "abc-123")
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["x-request-id"], "abc-123");
    let res = app
        .http
        .get(app.url("/healthz"))
        .header("x-request-id", "bad id\twith spaces")
        .send()
        .await
        .unwrap();
    let id = res.headers()["x-request-id"].to_str().unwrap();
    assert_ne!(id, "bad id\twith spaces");
    assert!(id.len() >= 16);
}

/// Kills the server even when an assertion fails first, so no process outlives the test.
struct KillOnDrop(std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Runs the real binary with JSON logs, walks the whole auth journey and scans every log line
/// for the secrets that passed through.
#[tokio::test]
async fn no_secret_appears_in_any_log_line_of_the_auth_journey() {
    let dir = tempfile::tempdir().unwrap();
    let jwt_secret = "log-scan-jwt-secret-0123456789abcdef";
    let admin_password = "log-scan-admin-password";
    let mut child = KillOnDrop(
        Command::new(env!("CARGO_BIN_EXE_registry-gui"))
            .env(
                "DATABASE_URL",
                format!("sqlite://{}/x.db", dir.path().display()),
            )
            .env("HOST", "127.0.0.1")
            .env("PORT", "0")
            .env("BCRYPT_COST", "4")
            .env("JWT_SECRET", jwt_secret)
            .env("ADMIN_PASSWORD", admin_password)
            .env("REGISTRY_URL", "http://127.0.0.1:9")
            .env("REGISTRY_AUTH_BASIC_USER", "robot")
            .env("REGISTRY_AUTH_BASIC_PASSWORD", "log-scan-registry-password")
            .env("LOG_FORMAT", "json")
            .env("RUST_LOG", "trace")
            .env("STATIC_DIR", dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let stderr = child.0.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut lines = Vec::new();
    let port = loop {
        let line = rx
            .recv_timeout(std::time::Duration::from_secs(20))
            .expect("server starts");
        let parsed: Value = serde_json::from_str(&line).expect("every log line is JSON");
        lines.push(line.clone());
        if let Some(msg) = parsed["message"].as_str() {
            if let Some(rest) = msg.split("127.0.0.1:").nth(1) {
                break rest.trim().parse::<u16>().unwrap();
            }
        }
    };
    let base = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::new();
    let body: Value = http
        .post(format!("{base}/api/auth/login"))
        .json(&json!({"username": "admin", "password": admin_password}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let secret = body["totp_secret"].as_str().unwrap().to_string();
    let login_token = body["login_token"].as_str().unwrap().to_string();
    let code = totp_code(&secret, 0);
    let session: Value = http
        .post(format!("{base}/api/auth/verify-2fa"))
        .json(&json!({"login_token": login_token, "code": code}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = session["token"].as_str().unwrap().to_string();
    let backup_codes: Vec<String> =
        serde_json::from_value(session["backup_codes"].clone()).unwrap();
    http.get(format!("{base}/api/auth/me"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    let changed: Value = http
        .post(format!("{base}/api/auth/change-password"))
        .bearer_auth(&token)
        .json(&json!({"current_password": admin_password, "new_password": "log-scan-new-password"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let new_token = changed["token"].as_str().unwrap().to_string();
    // An access token: created, used, refused by scope, revoked, and a forged one.
    let created: Value = http
        .post(format!("{base}/api/auth/tokens"))
        .bearer_auth(&new_token)
        .json(
            &json!({"name": "log-scan", "scopes": ["read"], "expires_in_days": 1,
                      "password": "log-scan-new-password"}),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let access_token = created["secret"].as_str().expect("a secret").to_string();
    for path in [
        "/api/auth/me",
        "/api/catalog",
        "/api/admin/users",
        "/api/auth/tokens",
    ] {
        http.get(format!("{base}{path}"))
            .bearer_auth(&access_token)
            .send()
            .await
            .unwrap();
    }
    let forged = format!("rgp_{}", "Z".repeat(32));
    http.get(format!("{base}/api/auth/me"))
        .bearer_auth(&forged)
        .send()
        .await
        .unwrap();
    http.delete(format!("{base}/api/auth/tokens/{}", created["token"]["id"]))
        .bearer_auth(&new_token)
        .send()
        .await
        .unwrap();
    http.get(format!("{base}/api/auth/me"))
        .bearer_auth(&access_token)
        .send()
        .await
        .unwrap();
    http.post(format!("{base}/api/auth/login"))
        .json(&json!({"username": "admin", "password": "log-scan-wrong-password"}))
        .send()
        .await
        .unwrap();
    http.post(format!("{base}/api/auth/logout"))
        .bearer_auth(&new_token)
        .send()
        .await
        .unwrap();

    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    drop(child);
    while let Ok(line) = rx.recv_timeout(std::time::Duration::from_millis(500)) {
        lines.push(line);
    }
    assert!(
        lines.iter().any(|l| l.contains("/api/auth/verify-2fa")),
        "requests are logged"
    );
    let mut secrets = vec![
        jwt_secret.to_string(),
        admin_password.to_string(),
        "log-scan-registry-password".into(),
        "log-scan-new-password".into(),
        "log-scan-wrong-password".into(),
        secret,
        login_token,
        code,
        token,
        new_token,
        access_token.clone(),
        access_token[4..].to_string(),
        forged,
    ];
    secrets.extend(backup_codes);
    for line in &lines {
        for s in &secrets {
            assert!(
                !line.contains(s.as_str()),
                "a secret leaked into the log: {line}"
            );
        }
    }
    let request_line = lines
        .iter()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .find(|v| v["route"] == "/api/auth/me")
        .expect("a request line for /api/auth/me");
    assert_eq!(request_line["method"], "GET");
    assert_eq!(request_line["status"], 200);
    assert_eq!(request_line["user"], "admin");
    assert!(request_line["latency_ms"].is_number());
    assert!(request_line["request_id"].is_string());
}
