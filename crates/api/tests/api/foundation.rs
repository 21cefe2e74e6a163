//! Serving, JSON errors, the SPA fallback, security headers and start-up failures.
use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::Value;

use crate::helpers::spawn_app;

#[tokio::test]
async fn an_unknown_api_path_is_a_json_404_not_the_spa() {
    let app = spawn_app().await;
    let res = app.http.get(app.url("/api/nope")).send().await.unwrap();
    assert_eq!(res.status(), 404);
    assert!(res.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("application/json"));
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"], "not_found");
    assert!(body["message"].as_str().unwrap().contains("/api/nope"));
}

#[tokio::test]
async fn malformed_json_gets_a_json_400_with_a_stable_code() {
    let app = spawn_app().await;
    let res = app
        .http
        .post(app.url("/api/auth/login"))
        .header("content-type", "application/json")
        .body("{\"username\": ")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"], "invalid_json");
}

#[tokio::test]
async fn a_body_of_the_wrong_shape_gets_invalid_request() {
    let app = spawn_app().await;
    let res = app
        .http
        .post(app.url("/api/auth/login"))
        .json(&serde_json::json!({"username": 5}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"], "invalid_request");
}

#[tokio::test]
async fn a_body_that_is_not_json_gets_a_json_415() {
    let app = spawn_app().await;
    let res = app
        .http
        .post(app.url("/api/auth/login"))
        .header("content-type", "text/plain")
        .body("username=admin")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 415);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"], "unsupported_media_type");
}

#[tokio::test]
async fn an_oversized_body_is_refused_with_json() {
    let app = spawn_app().await;
    let huge = format!(
        "{{\"username\":\"{}\",\"password\":\"x\"}}",
        "a".repeat(100 * 1024)
    );
    let res = app
        .http
        .post(app.url("/api/auth/login"))
        .header("content-type", "application/json")
        .body(huge)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 413);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"], "payload_too_large");
}

#[tokio::test]
async fn a_deep_link_gets_the_spa_index_without_caching() {
    let app = spawn_app().await;
    let res = app
        .http
        .get(app.url("/r/default/team/app/t/v1"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["cache-control"], "no-cache");
    let csp = res.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(csp.contains("'wasm-unsafe-eval'"), "{csp}");
    assert!(
        csp.contains("'sha256-"),
        "the inline loader is allowed by hash: {csp}"
    );
    let html = res.text().await.unwrap();
    assert!(html.contains("registry-gui test app"));
}

#[tokio::test]
async fn hashed_assets_are_cached_for_a_year() {
    let app = spawn_app().await;
    let res = app
        .http
        .get(app.url("/web-0123456789abcdef.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.headers()["cache-control"]
        .to_str()
        .unwrap()
        .contains("immutable"));
    assert!(res.headers()["content-type"]
        .to_str()
        .unwrap()
        .contains("javascript"));
}

#[tokio::test]
async fn path_traversal_never_leaves_the_static_folder() {
    let app = spawn_app().await;
    let res = app
        .http
        .get(app.url("/../../../../etc/passwd"))
        .send()
        .await
        .unwrap();
    let text = res.text().await.unwrap();
    assert!(!text.contains("root:"));
}

#[tokio::test]
async fn healthz_answers_without_a_session() {
    let app = spawn_app().await;
    let res = app.http.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(res.status(), 200);
}

#[tokio::test]
async fn every_response_carries_the_security_headers() {
    let app = spawn_app().await;
    for path in ["/healthz", "/api/nope", "/", "/api/auth/me"] {
        let res = app.http.get(app.url(path)).send().await.unwrap();
        let h = res.headers();
        assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(h["referrer-policy"], "no-referrer", "{path}");
        assert_eq!(h["x-frame-options"], "DENY", "{path}");
        assert!(
            h["content-security-policy"]
                .to_str()
                .unwrap()
                .contains("frame-ancestors 'none'"),
            "{path}"
        );
        assert!(h.contains_key("x-request-id"), "{path}");
    }
}

#[tokio::test]
async fn auth_responses_are_never_cached() {
    let app = spawn_app().await;
    let res = app.login("admin", "wrong-password").await;
    assert_eq!(res.headers()["cache-control"], "no-store");
}

#[tokio::test]
async fn a_post_to_a_page_path_is_a_json_405() {
    let app = spawn_app().await;
    let res = app.http.post(app.url("/settings")).send().await.unwrap();
    assert_eq!(res.status(), 405);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"], "method_not_allowed");
}

#[tokio::test]
async fn a_known_path_with_another_method_is_a_405_naming_the_allowed_ones() {
    let app = spawn_app().await;
    // Signed in: the session is checked before the shape of a repository path.
    let admin = app.admin().await;
    for (method, path, allow) in [
        ("PUT", "/api/auth/me", "GET, PATCH"),
        ("TRACE", "/api/admin/users", "GET, POST"),
        ("PUT", "/api/catalog", "GET"),
        ("POST", "/api/repositories/team/app/tags", "GET"),
        (
            "PUT",
            "/api/repositories/team/app/manifests/v1",
            "DELETE, GET",
        ),
        ("GET", "/api/repositories/team/app/delete-tags", "POST"),
        ("POST", "/metrics", "GET"),
        ("DELETE", "/healthz", "GET, HEAD"),
    ] {
        let res = app
            .http
            .request(method.parse().unwrap(), app.url(path))
            .bearer_auth(&admin.token)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 405, "{method} {path}");
        assert_eq!(res.headers()["allow"], allow, "{method} {path}");
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["error"], "method_not_allowed", "{method} {path}");
    }
    // A path no method serves stays a 404.
    let res = app
        .http
        .put(app.url("/api/repositories/team/app"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
}

#[tokio::test]
async fn a_json_array_is_not_accepted_where_an_object_is_expected() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let res = app
        .http
        .post(app.url("/api/admin/users"))
        .bearer_auth(&admin.token)
        .json(&serde_json::json!(["zed", "a long enough password"]))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"], "invalid_request");
    let users: Value = app
        .get("/api/admin/users", &admin.token)
        .await
        .json()
        .await
        .unwrap();
    assert!(!users.to_string().contains("zed"), "no user was created");
}

#[tokio::test]
async fn a_revoked_session_gets_401_before_any_body_validation() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let res = app
        .http
        .post(app.url("/api/auth/logout"))
        .bearer_auth(&admin.token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    for body in ["{\"role\": 5}", "{not json", "[1, 2]"] {
        let res = app
            .http
            .patch(app.url("/api/admin/users/bob"))
            .bearer_auth(&admin.token)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 401, "{body}");
        let json: Value = res.json().await.unwrap();
        assert_eq!(json["error"], "invalid_token", "{body}");
    }
}

fn run_binary(envs: &[(&str, &str)]) -> std::process::Output {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_registry-gui"));
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env(
            "DATABASE_URL",
            format!("sqlite://{}/x.db", dir.path().display()),
        )
        .env("HOST", "127.0.0.1")
        .env("PORT", "0");
    for (k, v) in envs {
        cmd.env(k, v);
    }
    cmd.stdin(Stdio::null());
    let child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn a_non_numeric_port_stops_start_up_with_exit_code_2_and_one_clear_line() {
    let out = run_binary(&[("PORT", "abc")]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(stderr.contains("PORT"), "{stderr}");
    assert!(!stderr.contains("panicked"));
}

#[test]
fn a_short_jwt_secret_stops_start_up_with_exit_code_2() {
    let out = run_binary(&[("JWT_SECRET", "short")]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("JWT_SECRET"), "{stderr}");
    assert!(
        !stderr.contains("short\""),
        "the secret is not printed: {stderr}"
    );
}

#[test]
fn a_malformed_registry_url_stops_start_up_with_exit_code_2() {
    let out = run_binary(&[("REGISTRY_URL", "not a url")]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("REGISTRY_URL"));
}

#[test]
fn an_unusable_database_path_stops_start_up_with_exit_code_2() {
    let out = run_binary(&[("DATABASE_URL", "sqlite:///proc/registry-gui-forbidden/x.db")]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("DATABASE_URL"), "{stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
}

#[test]
fn sigterm_shuts_the_server_down_gracefully() {
    use std::io::{BufRead, BufReader};
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_registry-gui"))
        .env(
            "DATABASE_URL",
            format!("sqlite://{}/x.db", dir.path().display()),
        )
        .env("HOST", "127.0.0.1")
        .env("PORT", "0")
        .env("BCRYPT_COST", "4")
        .env("RUST_LOG", "info")
        .env("STATIC_DIR", dir.path())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let listening = lines
        .by_ref()
        .take(50)
        .any(|l| l.is_ok_and(|l| l.contains("listening on")));
    assert!(listening, "the server started");
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let started = std::time::Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            assert!(status.success(), "exit status {status:?}");
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(15), "did not stop");
        std::thread::sleep(Duration::from_millis(50));
    }
}
