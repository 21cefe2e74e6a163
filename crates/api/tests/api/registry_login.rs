//! registry-gui as the real registry's login: Debian's `docker-registry` configured with the
//! fragment the product gives (`auth.token` at the app's realm, `notifications` at its events
//! endpoint), and `skopeo` as the client.
use std::path::Path;
use std::process::Output;
use std::time::Duration;

use base64::Engine as _;
use serde_json::{json, Value};

use crate::helpers::{spawn_app, Session, TestApp};
use crate::registry_common::status_and_json;
use crate::support::{BuiltImage, ImageSpec, ManifestFormat, TestRegistry};

const SERVICE: &str = "registry.test";

struct Setup {
    app: TestApp,
    admin: Session,
    registry: TestRegistry,
}

/// The app, a registry row with `token_service`, and the registry started with the product's
/// own configuration fragment (the events secret filled in).
async fn setup(anonymous_pull: &[&str]) -> Setup {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let res = app
        .post(
            "/api/admin/registries",
            Some(&admin.token),
            &json!({"name": "login", "url": "http://127.0.0.1:1", "token_service": SERVICE,
                    "anonymous_pull": anonymous_pull, "events_secret": "generate"}),
        )
        .await;
    let (status, body) = status_and_json(res).await;
    assert_eq!(status, 201, "{body}");
    let secret = body["events_secret"]
        .as_str()
        .expect("generated once")
        .to_string();
    assert_eq!(body["registry"]["has_events_secret"], true);
    let config: Value = app
        .get("/api/admin/registries/login/token-auth", &admin.token)
        .await
        .json()
        .await
        .unwrap();
    let snippet = config["config_snippet"].as_str().unwrap();
    assert!(
        !snippet.contains(&secret),
        "the snippet never holds the secret"
    );
    assert!(snippet.contains("<events secret>"));
    let cert_dir = tempfile::tempdir().unwrap().keep();
    let cert = cert_dir.join("registry-gui.pem");
    std::fs::write(&cert, config["certificate_pem"].as_str().unwrap()).unwrap();
    let yaml = snippet
        .replace(
            "/etc/docker/registry/registry-gui.pem",
            cert.to_str().unwrap(),
        )
        .replace("<events secret>", &secret)
        // The app answers on 127.0.0.1; PUBLIC_URL defaults to localhost.
        .replace("http://localhost:", "http://127.0.0.1:");
    let registry = TestRegistry::start_with_yaml(yaml).await;
    let res = app
        .patch(
            "/api/admin/registries/login",
            &admin.token,
            &json!({"url": registry.url()}),
        )
        .await;
    assert_eq!(res.status(), 200);
    Setup {
        app,
        admin,
        registry,
    }
}

async fn token_for(app: &TestApp, session: &Session, scopes: &[&str]) -> String {
    let res = app
        .post(
            "/api/auth/tokens",
            Some(&session.token),
            &json!({"name": "registry", "scopes": scopes, "expires_in_days": 1, "password": session.password}),
        )
        .await;
    let (status, body) = status_and_json(res).await;
    assert_eq!(status, 201, "{body}");
    body["secret"].as_str().unwrap().to_string()
}

/// An OCI layout on disk holding `image` as `:latest`, for `skopeo copy oci:…`.
fn oci_layout(dir: &Path, image: &BuiltImage) {
    let blobs = dir.join("blobs/sha256");
    std::fs::create_dir_all(&blobs).unwrap();
    for blob in image.blobs().chain(std::iter::once(&image.manifest)) {
        let hex = blob.digest.strip_prefix("sha256:").unwrap();
        std::fs::write(blobs.join(hex), &blob.bytes).unwrap();
    }
    std::fs::write(dir.join("oci-layout"), r#"{"imageLayoutVersion":"1.0.0"}"#).unwrap();
    let index = json!({"schemaVersion": 2, "manifests": [{
        "mediaType": image.manifest.media_type, "digest": image.manifest.digest,
        "size": image.manifest.bytes.len(),
        "annotations": {"org.opencontainers.image.ref.name": "latest"}}]});
    std::fs::write(dir.join("index.json"), index.to_string()).unwrap();
}

async fn skopeo(args: Vec<String>) -> Output {
    tokio::task::spawn_blocking(move || {
        std::process::Command::new("skopeo")
            .args(&args)
            .env("HOME", std::env::temp_dir())
            .output()
            .expect("skopeo is installed (make apt-test)")
    })
    .await
    .unwrap()
}

fn creds(user: &str, secret: &str) -> String {
    format!("{user}:{secret}")
}

async fn push(layout: &Path, registry: &TestRegistry, target: &str, creds: &str) -> Output {
    skopeo(vec![
        "copy".into(),
        "--dest-tls-verify=false".into(),
        "--dest-creds".into(),
        creds.into(),
        format!("oci:{}:latest", layout.display()),
        format!("docker://127.0.0.1:{}/{target}", registry.port()),
    ])
    .await
}

async fn inspect(registry: &TestRegistry, target: &str, creds: Option<&str>) -> Output {
    let mut args: Vec<String> = vec![
        "inspect".into(),
        "--raw".into(),
        "--tls-verify=false".into(),
    ];
    match creds {
        Some(c) => args.extend(["--creds".to_string(), c.to_string()]),
        None => args.push("--no-creds".into()),
    }
    args.push(format!("docker://127.0.0.1:{}/{target}", registry.port()));
    skopeo(args).await
}

fn ok(out: &Output) -> bool {
    out.status.success()
}

fn err(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn image(seed: &str) -> (tempfile::TempDir, BuiltImage) {
    let dir = tempfile::tempdir().unwrap();
    let image = ImageSpec::new(ManifestFormat::Oci, seed)
        .layers(&[2048])
        .build();
    oci_layout(dir.path(), &image);
    (dir, image)
}

async fn wait_for_audit(app: &TestApp, token: &str, action: &str, target: &str) -> Value {
    for _ in 0..100 {
        let events: Value = app
            .get(&format!("/api/admin/audit?action={action}"), token)
            .await
            .json()
            .await
            .unwrap();
        if let Some(e) = events["events"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["target"].as_str().is_some_and(|t| t.contains(target)))
        {
            return e.clone();
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("no {action} event for {target}");
}

#[tokio::test]
async fn an_editor_pushes_with_a_token_and_the_push_is_recorded() {
    let s = setup(&[]).await;
    let eddie = s
        .app
        .user_with_role(&s.admin.token, "eddie", "editor")
        .await;
    let token = token_for(&s.app, &eddie, &["write"]).await;
    let (layout, _) = image("pushed-by-eddie");
    let out = push(
        layout.path(),
        &s.registry,
        "team/app:1",
        &creds("eddie", &token),
    )
    .await;
    assert!(ok(&out), "{}", err(&out));

    let event = wait_for_audit(&s.app, &s.admin.token, "image_pushed", "team/app:1").await;
    assert_eq!(event["actor"], "eddie");
    assert_eq!(event["ip"], "127.0.0.1");
    let target = event["target"].as_str().unwrap();
    assert!(target.starts_with("login/team/app:1@sha256:"), "{target}");
    let issued: Value = s
        .app
        .get(
            "/api/admin/audit?action=registry_token_issued",
            &s.admin.token,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(issued["events"][0]["actor"], "eddie");

    // The product browses the token-auth registry with its own tokens and shows who pushed.
    let page: Value = s
        .app
        .get(
            "/api/repositories/team/app/tags?details=true&registry=login",
            &s.admin.token,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(page["tags"][0]["name"], "1", "{page}");
    assert_eq!(page["tags"][0]["pushed_by"], "eddie");
    assert!(page["tags"][0]["pushed_at"]
        .as_str()
        .unwrap()
        .ends_with('Z'));
    let details: Value = s
        .app
        .get(
            "/api/repositories/team/app/manifests/1?registry=login",
            &s.admin.token,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(details["pushed_by"], "eddie");
    // And deletes there.
    let res = s
        .app
        .delete(
            "/api/repositories/team/app/manifests/1?registry=login",
            &s.admin.token,
        )
        .await;
    let (status, body) = status_and_json(res).await;
    assert_eq!(status, 200, "{body}");
    wait_for_audit(&s.app, &s.admin.token, "image_deleted", "team/app").await;
}

#[tokio::test]
async fn viewers_pull_but_cannot_push_or_delete_and_passwords_and_revoked_tokens_are_refused() {
    let s = setup(&[]).await;
    let eddie = s
        .app
        .user_with_role(&s.admin.token, "eddie", "editor")
        .await;
    let write = token_for(&s.app, &eddie, &["write"]).await;
    let (layout, _) = image("for-viewers");
    assert!(ok(&push(
        layout.path(),
        &s.registry,
        "team/app:1",
        &creds("eddie", &write)
    )
    .await));

    let vera = s.app.user_with_role(&s.admin.token, "vera", "viewer").await;
    let read = token_for(&s.app, &vera, &["read"]).await;
    let out = inspect(&s.registry, "team/app:1", Some(&creds("vera", &read))).await;
    assert!(ok(&out), "{}", err(&out));
    let out = push(
        layout.path(),
        &s.registry,
        "team/app:2",
        &creds("vera", &read),
    )
    .await;
    assert!(!ok(&out), "a viewer cannot push");
    let out = skopeo(vec![
        "delete".into(),
        "--tls-verify=false".into(),
        "--creds".into(),
        creds("vera", &read),
        format!("docker://127.0.0.1:{}/team/app:1", s.registry.port()),
    ])
    .await;
    assert!(!ok(&out), "a viewer cannot delete");
    assert!(ok(&inspect(
        &s.registry,
        "team/app:1",
        Some(&creds("eddie", &write))
    )
    .await));

    // The account password is not a registry credential.
    let out = inspect(
        &s.registry,
        "team/app:1",
        Some(&creds("vera", &vera.password)),
    )
    .await;
    assert!(!ok(&out));
    let res = s
        .app
        .http
        .get(s.app.url(&format!(
            "/auth/token?service={SERVICE}&scope=repository:team/app:pull"
        )))
        .basic_auth("vera", Some(&vera.password))
        .send()
        .await
        .unwrap();
    let (status, body) = status_and_json(res).await;
    assert_eq!(
        (status, body["error"].as_str().unwrap()),
        (401, "token_required")
    );
    assert!(body["message"].as_str().unwrap().contains("Access tokens"));

    // A revoked token fails at the next token request.
    let list: Value = s
        .app
        .get("/api/auth/tokens", &vera.token)
        .await
        .json()
        .await
        .unwrap();
    let id = list["tokens"][0]["id"].as_i64().unwrap();
    s.app
        .delete(&format!("/api/auth/tokens/{id}"), &vera.token)
        .await;
    assert!(!ok(&inspect(
        &s.registry,
        "team/app:1",
        Some(&creds("vera", &read))
    )
    .await));
    let refused: Value = s
        .app
        .get(
            "/api/admin/audit?action=registry_token_refused",
            &s.admin.token,
        )
        .await
        .json()
        .await
        .unwrap();
    assert!(!refused["events"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn grants_limit_pushes_and_anonymous_pull_is_only_for_its_patterns() {
    let s = setup(&["public/**"]).await;
    let res = s
        .app
        .patch(
            "/api/admin/registries/login",
            &s.admin.token,
            &json!({"default_access": "none"}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let tara = s.app.user_with_role(&s.admin.token, "tara", "viewer").await;
    let res = s
        .app
        .post(
            "/api/admin/grants",
            Some(&s.admin.token),
            &json!({"user": "tara", "registry": "login", "pattern": "team-a/**", "access": "write"}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let token = token_for(&s.app, &tara, &["read", "write"]).await;
    let (layout, _) = image("tara");
    let out = push(
        layout.path(),
        &s.registry,
        "team-a/app:1",
        &creds("tara", &token),
    )
    .await;
    assert!(ok(&out), "{}", err(&out));
    assert!(!ok(&push(
        layout.path(),
        &s.registry,
        "team-b/app:1",
        &creds("tara", &token)
    )
    .await));
    assert!(!ok(&push(
        layout.path(),
        &s.registry,
        "public/app:1",
        &creds("tara", &token)
    )
    .await));

    let admin_token = token_for(&s.app, &s.admin, &["write"]).await;
    assert!(ok(&push(
        layout.path(),
        &s.registry,
        "public/app:1",
        &creds("admin", &admin_token)
    )
    .await));
    let out = inspect(&s.registry, "public/app:1", None).await;
    assert!(ok(&out), "anonymous pull of public/**: {}", err(&out));
    assert!(!ok(&inspect(&s.registry, "team-a/app:1", None).await));
    // Signed-in callers get anonymous_pull repositories too.
    assert!(ok(&inspect(
        &s.registry,
        "public/app:1",
        Some(&creds("tara", &token))
    )
    .await));
}

fn decode(token: &str, part: usize) -> Value {
    let raw = token.split('.').nth(part).unwrap();
    serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(raw)
            .unwrap(),
    )
    .unwrap()
}

#[tokio::test]
async fn the_realm_grants_exactly_what_the_caller_may_and_says_why_it_refuses() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let res = app
        .post(
            "/api/admin/registries",
            Some(&admin.token),
            &json!({"name": "login", "url": "http://127.0.0.1:1", "token_service": SERVICE}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let res = app
        .post(
            "/api/admin/registries",
            Some(&admin.token),
            &json!({"name": "other", "url": "http://127.0.0.1:2", "token_service": SERVICE}),
        )
        .await;
    assert_eq!(status_and_json(res).await.1["error"], "registry_exists");
    let res = app
        .get("/api/admin/registries/default/token-auth", &admin.token)
        .await;
    assert_eq!(
        status_and_json(res).await.1["error"],
        "token_service_not_set"
    );

    let vera = app.user_with_role(&admin.token, "vera", "viewer").await;
    let read = token_for(&app, &vera, &["read"]).await;
    let ask = |query: String, user: &'static str, password: String| {
        let app = &app;
        async move {
            let mut req = app.http.get(app.url(&format!("/auth/token?{query}")));
            if !user.is_empty() {
                req = req.basic_auth(user, Some(password));
            }
            status_and_json(req.send().await.unwrap()).await
        }
    };
    let (status, body) = ask(
        format!("service={SERVICE}&scope=repository:team/app:pull,push,delete&scope=registry:catalog:*&scope=repository:Bad_Name:pull&scope=thing:x:pull"),
        "vera",
        read.clone(),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["token"], body["access_token"]);
    assert_eq!(body["expires_in"], 300);
    let token = body["token"].as_str().unwrap();
    let header = decode(token, 0);
    assert_eq!(header["alg"], "ES256");
    assert_eq!(header["kid"].as_str().unwrap().split(':').count(), 12);
    assert_eq!(header["x5c"].as_array().unwrap().len(), 1);
    let claims = decode(token, 1);
    assert_eq!(claims["sub"], "vera");
    assert_eq!(claims["aud"], SERVICE);
    assert_eq!(claims["iss"], "registry-gui");
    assert!(claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap() <= 300);
    assert_eq!(
        claims["access"],
        json!([{"type": "repository", "name": "team/app", "actions": ["pull"]}])
    );

    // docker login: credentials, no scope.
    let (status, body) = ask(format!("service={SERVICE}"), "vera", read.clone()).await;
    assert_eq!(status, 200);
    assert_eq!(
        decode(body["token"].as_str().unwrap(), 1)["access"],
        json!([])
    );
    // No credentials: nothing without anonymous_pull.
    let (status, body) = ask(
        format!("service={SERVICE}&scope=repository:team/app:pull"),
        "",
        String::new(),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        decode(body["token"].as_str().unwrap(), 1)["access"],
        json!([])
    );

    for (query, user, password, status, code) in [
        (
            "scope=repository:team/app:pull".to_string(),
            "vera",
            read.clone(),
            400,
            "unknown_service",
        ),
        (
            "service=nope".to_string(),
            "vera",
            read.clone(),
            400,
            "unknown_service",
        ),
        (
            format!("service={SERVICE}&scope=garbage"),
            "vera",
            read.clone(),
            400,
            "invalid_scope",
        ),
        (
            format!("service={SERVICE}"),
            "vera",
            format!("rgp_{}", "x".repeat(32)),
            401,
            "invalid_credentials",
        ),
        (
            format!("service={SERVICE}"),
            "admin",
            read.clone(),
            401,
            "invalid_credentials",
        ),
    ] {
        let (s, b) = ask(query.clone(), user, password).await;
        assert_eq!((s, b["error"].as_str().unwrap()), (status, code), "{query}");
    }

    // An admin's admin-scope token gets the catalog; the OAuth2 form works too.
    let admin_token = token_for(&app, &admin, &["admin", "write"]).await;
    let res = app
        .http
        .post(app.url("/auth/token"))
        .form(&[
            ("grant_type", "password"),
            ("username", "admin"),
            ("password", admin_token.as_str()),
            ("service", SERVICE),
            ("client_id", "containerd"),
            ("scope", "registry:catalog:* repository:team/app:pull,push"),
        ])
        .send()
        .await
        .unwrap();
    let (status, body) = status_and_json(res).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["scope"],
        "registry:catalog:* repository:team/app:pull,push"
    );
    let res = app
        .http
        .post(app.url("/auth/token"))
        .form(&[("grant_type", "refresh_token"), ("service", SERVICE)])
        .send()
        .await
        .unwrap();
    assert_eq!(
        status_and_json(res).await.1["error"],
        "unsupported_grant_type"
    );
}

#[tokio::test]
async fn failed_realm_logins_are_throttled_but_a_valid_token_still_works() {
    let app = crate::helpers::spawn_app_with(|s| s.throttle.max_failures_per_user = 3).await;
    let admin = app.admin().await;
    app.post(
        "/api/admin/registries",
        Some(&admin.token),
        &json!({"name": "login", "url": "http://127.0.0.1:1", "token_service": SERVICE}),
    )
    .await;
    let vera = app.user_with_role(&admin.token, "vera", "viewer").await;
    let good = token_for(&app, &vera, &["read"]).await;
    let url = app.url(&format!("/auth/token?service={SERVICE}"));
    for _ in 0..3 {
        let res = app
            .http
            .get(&url)
            .basic_auth("vera", Some("wrong"))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 401);
    }
    let res = app
        .http
        .get(&url)
        .basic_auth("vera", Some("wrong"))
        .send()
        .await
        .unwrap();
    assert!(res.headers().contains_key("retry-after"));
    assert_eq!(status_and_json(res).await.1["error"], "too_many_attempts");
    let res = app
        .http
        .get(&url)
        .basic_auth("vera", Some(&good))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "a valid token is not held back");
}

#[tokio::test]
async fn event_deliveries_are_authenticated_bounded_and_stored_once() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let res = app
        .post(
            "/api/admin/registries",
            Some(&admin.token),
            &json!({"name": "login", "url": "http://127.0.0.1:1", "events_secret": "a-long-enough-events-secret"}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let url = app.url("/api/registries/login/events");
    let envelope = json!({"events": [{
        "id": "evt-1", "timestamp": "2026-12-01T10:00:00Z", "action": "push",
        "target": {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": "sha256:abc",
                   "repository": "team/app", "tag": "v9"},
        "request": {"addr": "10.0.0.7:41234"}, "actor": {"name": "ci-bot"}},
        {"id": "evt-2", "action": "pull", "target": {"repository": "team/app", "mediaType": "application/octet-stream"}}]});
    let send = |secret: Option<&'static str>, body: Vec<u8>, url: String| {
        let http = app.http.clone();
        async move {
            let mut req = http
                .post(url)
                .header(
                    "content-type",
                    "application/vnd.docker.distribution.events.v1+json",
                )
                .body(body);
            if let Some(s) = secret {
                req = req.bearer_auth(s);
            }
            status_and_json(req.send().await.unwrap()).await
        }
    };
    let body = envelope.to_string().into_bytes();
    assert_eq!(
        send(None, body.clone(), url.clone()).await.1["error"],
        "invalid_token"
    );
    assert_eq!(
        send(Some("wrong-secret-value-123"), body.clone(), url.clone())
            .await
            .1["error"],
        "invalid_token"
    );
    assert_eq!(
        send(
            Some("a-long-enough-events-secret"),
            body.clone(),
            app.url("/api/registries/nope/events")
        )
        .await
        .1["error"],
        "registry_not_found"
    );
    let (status, first) = send(
        Some("a-long-enough-events-secret"),
        body.clone(),
        url.clone(),
    )
    .await;
    assert_eq!(
        (status, first["received"].as_u64(), first["stored"].as_u64()),
        (200, Some(2), Some(1))
    );
    let (_, again) = send(
        Some("a-long-enough-events-secret"),
        body.clone(),
        url.clone(),
    )
    .await;
    assert_eq!(again["stored"], 0, "a redelivery is stored once");
    assert_eq!(
        send(
            Some("a-long-enough-events-secret"),
            b"{not json".to_vec(),
            url.clone()
        )
        .await
        .1["error"],
        "invalid_request"
    );
    let big = vec![b' '; 1024 * 1024 + 1];
    assert_eq!(
        send(Some("a-long-enough-events-secret"), big, url.clone())
            .await
            .0,
        413
    );
    let events: Value = app
        .get("/api/admin/audit?action=image_pushed", &admin.token)
        .await
        .json()
        .await
        .unwrap();
    let events = events["events"].as_array().unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0]["actor"], "ci-bot");
    assert_eq!(events[0]["ip"], "10.0.0.7");
    assert_eq!(events[0]["target"], "login/team/app:v9@sha256:abc");
    let metrics = app.metrics_text().await;
    assert!(
        metrics.contains("registry_gui_registry_events_total{action=\"pull\"} 2"),
        "{metrics}"
    );
}

#[tokio::test]
async fn the_cli_prints_the_set_up_and_old_events_are_pruned() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let res = app
        .post(
            "/api/admin/registries",
            Some(&admin.token),
            &json!({"name": "login", "url": "http://127.0.0.1:1", "token_service": SERVICE,
                    "anonymous_pull": ["public/**", "Bad/**"]}),
        )
        .await;
    assert_eq!(status_and_json(res).await.1["error"], "invalid_pattern");
    let res = app
        .post(
            "/api/admin/registries",
            Some(&admin.token),
            &json!({"name": "login", "url": "http://127.0.0.1:1", "token_service": SERVICE}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let api: Value = app
        .get("/api/admin/registries/login/token-auth", &admin.token)
        .await
        .json()
        .await
        .unwrap();
    let db = crate::cli::DbTarget::of(&app);
    let cert = app.dir.path().join("cert.pem");
    let cert_arg = cert.clone();
    let out = tokio::task::spawn_blocking(move || {
        crate::cli::cli_with(
            &db,
            &[
                "registry",
                "auth-config",
                "login",
                "--certificate",
                cert_arg.to_str().unwrap(),
            ],
            &[("PUBLIC_URL", "https://gui.example.com/")],
        )
    })
    .await
    .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let printed = String::from_utf8_lossy(&out.stdout);
    assert!(
        printed.contains("realm: https://gui.example.com/auth/token"),
        "{printed}"
    );
    assert!(printed.contains(&format!("service: {SERVICE}")));
    assert!(printed.contains("url: https://gui.example.com/api/registries/login/events"));
    assert_eq!(
        std::fs::read_to_string(&cert).unwrap(),
        api["certificate_pem"].as_str().unwrap(),
        "the CLI and the server use the one stored key"
    );

    // Events past EVENT_RETENTION_DAYS go.
    let id: i64 = sqlx::query_scalar("SELECT id FROM registries WHERE name = 'login'")
        .fetch_one(&app.state.pool)
        .await
        .unwrap();
    for (event, age_days) in [("old", 91), ("new", 1)] {
        sqlx::query(
            "INSERT INTO registry_events (registry_id, event_id, action, repository, at)
             VALUES ($1, $2, 'push', 'r', $3)",
        )
        .bind(id)
        .bind(event)
        .bind(chrono::Utc::now().timestamp() - age_days * 86_400)
        .execute(&app.state.pool)
        .await
        .unwrap();
    }
    let pruned = registry_gui::storage::registry_events::prune_older_than(&app.state.pool, 90)
        .await
        .unwrap();
    assert_eq!(pruned, 1);
}
