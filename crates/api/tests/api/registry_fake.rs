//! Behaviour the real registry cannot produce, against a scripted HTTP server on 127.0.0.1:
//! hostile redirects and token realms, refused page sizes, missing digest headers, tampered
//! content.
use std::sync::{Arc, Mutex};

use actix_web::dev::ServerHandle;
use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use base64::Engine as _;
use serde_json::json;
use sha2::Digest as _;

use crate::helpers::{spawn_app_with, TestApp};
use crate::registry_common::status_and_json;

/// One request as the fake server saw it.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    pub path: String,
    pub authorization: Option<String>,
}

type Script = Arc<dyn Fn(&HttpRequest) -> HttpResponse + Send + Sync>;

/// An HTTP server answering every request with `script`. Stops when dropped.
pub struct FakeServer {
    port: u16,
    seen: Arc<Mutex<Vec<Seen>>>,
    handle: ServerHandle,
}

struct FakeState {
    script: Script,
    seen: Arc<Mutex<Vec<Seen>>>,
}

async fn answer(req: HttpRequest, state: web::Data<FakeState>) -> HttpResponse {
    state.seen.lock().unwrap().push(Seen {
        method: req.method().to_string(),
        path: req
            .uri()
            .path_and_query()
            .map_or("/", |p| p.as_str())
            .to_string(),
        authorization: req
            .headers()
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string),
    });
    (state.script)(&req)
}

impl FakeServer {
    pub async fn start(
        script: impl Fn(&HttpRequest) -> HttpResponse + Send + Sync + 'static,
    ) -> Self {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let data = web::Data::new(FakeState {
            script: Arc::new(script),
            seen: seen.clone(),
        });
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .default_service(web::to(answer))
        })
        .workers(1)
        .disable_signals()
        .listen(listener)
        .unwrap()
        .run();
        let handle = server.handle();
        tokio::spawn(server);
        Self { port, seen, handle }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

impl Drop for FakeServer {
    fn drop(&mut self) {
        drop(self.handle.stop(false));
    }
}

async fn app_against(url: &str, credentials: Option<(&str, &str)>) -> (TestApp, String) {
    let app = spawn_app_with(|s| {
        s.registry.url = url.parse().unwrap();
        s.registry.username = credentials.map(|c| c.0.to_string());
        s.registry.password = credentials.map(|c| registry_gui::secret::Secret::new(c.1));
    })
    .await;
    let admin = app.admin().await;
    (app, admin.token)
}

fn query_param(req: &HttpRequest, name: &str) -> Option<String> {
    url::form_urlencoded::parse(req.query_string().as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

#[tokio::test]
async fn a_redirect_to_a_metadata_address_is_refused() {
    let fake = FakeServer::start(|_| {
        HttpResponse::Found()
            .insert_header(("Location", "http://169.254.169.254/latest/meta-data/"))
            .finish()
    })
    .await;
    let (app, token) = app_against(&fake.url(), None).await;

    let (status, body) = status_and_json(app.get("/api/catalog", &token).await).await;

    assert_eq!(
        (status, body["error"].as_str()),
        (502, Some("registry_host_forbidden")),
        "{body}"
    );
}

#[tokio::test]
async fn a_token_realm_on_a_metadata_address_is_refused_and_gets_no_credentials() {
    let fake = FakeServer::start(|_| {
        HttpResponse::Unauthorized()
            .insert_header((
                "WWW-Authenticate",
                r#"Bearer service="fake",realm="http://169.254.169.254/token",scope="registry:catalog:*""#,
            ))
            .finish()
    })
    .await;
    let (app, token) = app_against(&fake.url(), Some(("user", "s3cret"))).await;

    let (status, body) = status_and_json(app.get("/api/catalog", &token).await).await;

    assert_eq!(
        (status, body["error"].as_str()),
        (502, Some("registry_host_forbidden")),
        "{body}"
    );
    assert!(fake.seen().iter().all(|s| s.authorization.is_none()));
}

#[tokio::test]
async fn basic_credentials_are_not_sent_along_a_redirect_to_another_host() {
    let elsewhere =
        FakeServer::start(|_| HttpResponse::Ok().json(json!({"repositories": ["moved"]}))).await;
    let target = format!("{}/storage/catalog", elsewhere.url());
    let expected = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode("user:s3cret")
    );
    let expected_in_script = expected.clone();
    let registry = FakeServer::start(move |req| {
        let authorized = req
            .headers()
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            == Some(expected_in_script.as_str());
        if !authorized {
            return HttpResponse::Unauthorized()
                .insert_header(("WWW-Authenticate", r#"Basic realm="fake""#))
                .finish();
        }
        HttpResponse::TemporaryRedirect()
            .insert_header(("Location", target.clone()))
            .finish()
    })
    .await;
    let (app, token) = app_against(&registry.url(), Some(("user", "s3cret"))).await;

    let (status, body) = status_and_json(app.get("/api/catalog", &token).await).await;

    assert_eq!(status, 200, "{body}");
    assert_eq!(body["repositories"][0]["name"], "moved");
    assert!(registry
        .seen()
        .iter()
        .any(|s| s.authorization.as_deref() == Some(expected.as_str())));
    let at_other_host = elsewhere.seen();
    assert_eq!(at_other_host.len(), 1);
    assert_eq!(at_other_host[0].authorization, None);
}

#[tokio::test]
async fn a_refused_page_size_falls_back_to_smaller_pages_and_follows_links() {
    let names: Vec<String> = (0..250).map(|i| format!("repo{i:03}")).collect();
    let fake = FakeServer::start(move |req| {
        let n: usize = query_param(req, "n").and_then(|n| n.parse().ok()).unwrap_or(100);
        if n > 100 {
            return HttpResponse::BadRequest().json(json!({"errors": [{
                "code": "PAGINATION_NUMBER_INVALID", "message": "invalid number of results requested"}]}));
        }
        let last = query_param(req, "last");
        let start = last.map_or(0, |l| names.iter().position(|x| *x == l).map_or(0, |p| p + 1));
        let page: Vec<&String> = names.iter().skip(start).take(n).collect();
        let mut res = HttpResponse::Ok();
        if start + n < names.len() {
            if let Some(last) = page.last() {
                res.insert_header(("Link", format!(r#"</v2/_catalog?last={last}&n={n}>; rel="next""#)));
            }
        }
        res.json(json!({ "repositories": page }))
    })
    .await;
    let (app, token) = app_against(&fake.url(), None).await;

    let (status, body) = status_and_json(app.get("/api/catalog?per_page=1000", &token).await).await;

    assert_eq!(status, 200, "{body}");
    assert_eq!(body["total"], 250);
    assert_eq!(body["repositories"][249]["name"], "repo249");
    let paths: Vec<String> = fake.seen().into_iter().map(|s| s.path).collect();
    assert_eq!(
        paths,
        [
            "/v2/_catalog?n=1000",
            "/v2/_catalog?n=100",
            "/v2/_catalog?last=repo099&n=100",
            "/v2/_catalog?last=repo199&n=100",
        ]
    );
}

#[tokio::test]
async fn a_pagination_link_to_another_host_is_not_followed() {
    let fake = FakeServer::start(|_| {
        HttpResponse::Ok()
            .insert_header((
                "Link",
                r#"<http://127.0.0.2:1/v2/_catalog?last=a>; rel="next""#,
            ))
            .json(json!({"repositories": ["a"]}))
    })
    .await;
    let (app, token) = app_against(&fake.url(), None).await;

    let (status, body) = status_and_json(app.get("/api/catalog", &token).await).await;

    assert_eq!(
        (status, body["error"].as_str()),
        (502, Some("registry_bad_content")),
        "{body}"
    );
}

const CONFIG: &str =
    r#"{"architecture":"amd64","os":"linux","created":"2024-02-02T02:02:02Z","config":{}}"#;

fn sha256(bytes: &[u8]) -> String {
    format!("sha256:{}", hex::encode(sha2::Sha256::digest(bytes)))
}

fn manifest_body() -> String {
    json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": sha256(CONFIG.as_bytes()), "size": CONFIG.len()},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": sha256(b"layer"), "size": 1000}]
    })
    .to_string()
}

#[tokio::test]
async fn without_a_docker_content_digest_header_the_digest_is_the_sha256_of_the_body() {
    let fake = FakeServer::start(|req| {
        let path = req.path();
        if path.ends_with("/tags/list") {
            return HttpResponse::Ok().json(json!({"name": "x", "tags": ["a"]}));
        }
        if path.contains("/manifests/") {
            return HttpResponse::Ok()
                .content_type("application/vnd.oci.image.manifest.v1+json")
                .body(manifest_body());
        }
        if path.contains("/blobs/") {
            return HttpResponse::Ok().body(CONFIG);
        }
        HttpResponse::NotFound().finish()
    })
    .await;
    let (app, token) = app_against(&fake.url(), None).await;

    let (status, body) = status_and_json(
        app.get("/api/repositories/x/tags?details=true", &token)
            .await,
    )
    .await;

    assert_eq!(status, 200, "{body}");
    let tag = &body["tags"][0];
    assert_eq!(tag["digest"], sha256(manifest_body().as_bytes()));
    assert_eq!(tag["size"], 1000 + CONFIG.len());
    assert_eq!(tag["created"], "2024-02-02T02:02:02Z");
    let accept = fake.seen();
    assert!(accept.iter().any(|s| s.path == "/v2/x/manifests/a"));
}

#[tokio::test]
async fn content_that_does_not_match_its_digest_is_refused() {
    let fake = FakeServer::start(|req| {
        if req.path().contains("/manifests/") {
            return HttpResponse::Ok()
                .content_type("application/vnd.oci.image.manifest.v1+json")
                .body(manifest_body());
        }
        HttpResponse::NotFound().finish()
    })
    .await;
    let (app, token) = app_against(&fake.url(), None).await;
    let wrong = format!("sha256:{}", "0".repeat(64));

    let (status, body) = status_and_json(
        app.get(&format!("/api/repositories/x/manifests/{wrong}"), &token)
            .await,
    )
    .await;

    assert_eq!(
        (status, body["error"].as_str()),
        (502, Some("registry_bad_content")),
        "{body}"
    );
}

#[tokio::test]
async fn an_empty_repository_has_an_empty_tag_list_however_the_registry_says_it() {
    let fake = FakeServer::start(|req| match req.path() {
        "/v2/nulls/tags/list" => HttpResponse::Ok().json(json!({"name": "nulls", "tags": null})),
        "/v2/empty/tags/list" => HttpResponse::Ok().json(json!({"name": "empty", "tags": []})),
        _ => HttpResponse::NotFound().json(json!({"errors": [{"code": "NAME_UNKNOWN", "message": "repository name not known to registry"}]})),
    })
    .await;
    let (app, token) = app_against(&fake.url(), None).await;

    let (status, body) =
        status_and_json(app.get("/api/repositories/gone/tags", &token).await).await;
    assert_eq!(status, 404, "{body}");
    assert_eq!(body["error"], "not_found");
    for repo in ["nulls", "empty"] {
        let (status, body) = status_and_json(
            app.get(
                &format!("/api/repositories/{repo}/tags?details=true"),
                &token,
            )
            .await,
        )
        .await;
        assert_eq!(status, 200, "{repo}: {body}");
        assert_eq!(body["total"], 0);
        assert_eq!(body["tags"], json!([]));
    }
}

#[tokio::test]
async fn an_endless_catalog_of_huge_names_stops_with_502_and_memory_stays_bounded() {
    // Every page: 1,000 names of 200 bytes and a link to the next page, for ever.
    let fake = FakeServer::start(|req| {
        if req.path() != "/v2/_catalog" {
            return HttpResponse::Ok().json(json!({}));
        }
        let page: usize = query_param(req, "last")
            .and_then(|l| l.trim_start_matches('p').parse().ok())
            .unwrap_or(0)
            + 1;
        let names: Vec<String> = (0..1000)
            .map(|i| format!("{}{page:08}x{i:04}", "a".repeat(186)))
            .collect();
        HttpResponse::Ok()
            .insert_header((
                "Link",
                format!("</v2/_catalog?last=p{page}&n=1000>; rel=\"next\""),
            ))
            .json(json!({"repositories": names}))
    })
    .await;
    let (app, token) = app_against(&fake.url(), None).await;
    let (status, body) = status_and_json(app.get("/api/catalog", &token).await).await;
    assert_eq!(status, 502, "{body}");
    assert_eq!(body["error"], "registry_bad_content");
    // 64 MiB of 200-byte names is about 336 pages: the walk stopped there, not later.
    let pages = fake
        .seen()
        .iter()
        .filter(|s| s.path.starts_with("/v2/_catalog"))
        .count();
    assert!((300..=400).contains(&pages), "{pages} pages were read");
}

#[tokio::test]
async fn catalog_names_that_are_not_repository_names_are_skipped() {
    let fake = FakeServer::start(|req| match req.path() {
        "/v2/_catalog" => HttpResponse::Ok().json(json!({"repositories": [
            "good/app", "../etc/passwd", "UPPER", "ok", "a//b", "x?y=1", "with space"
        ]})),
        _ => HttpResponse::Ok().json(json!({})),
    })
    .await;
    let (app, token) = app_against(&fake.url(), None).await;
    let (status, body) = status_and_json(app.get("/api/catalog?per_page=100", &token).await).await;
    assert_eq!(status, 200, "{body}");
    let text = body.to_string();
    assert!(
        text.contains("good/app") && text.contains("\"ok\""),
        "{text}"
    );
    for bad in ["passwd", "UPPER", "a//b", "x?y", "with space"] {
        assert!(!text.contains(bad), "{bad} in {text}");
    }
}
