//! Shared arrangement for the registry tests: the app pointed at a real registry (directly or
//! through a counting proxy), signed-in users, and small request helpers.
use std::time::Duration;

use registry_gui::config::Settings;
use registry_gui::secret::Secret;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::helpers::{spawn_app_with, Session, TestApp};
use crate::support::{AuthMode, CountingProxy, RegistryOptions, TestRegistry};

/// The three ways a registry can ask us to authenticate.
pub const AUTH_MODES: [AuthMode; 3] = [AuthMode::None, AuthMode::Basic, AuthMode::Token];

/// Points the bootstrapped registry at `url` with the registry's credentials.
pub fn point_at(settings: &mut Settings, url: &str, registry: &TestRegistry) {
    settings.registry.url = url.parse().expect("registry URL");
    settings.registry.username = registry.credentials().map(|c| c.username.clone());
    settings.registry.password = registry
        .credentials()
        .map(|c| Secret::new(c.password.clone()));
}

/// The app, talking to `registry` directly, and a signed-in admin.
pub async fn app_for(registry: &TestRegistry) -> (TestApp, Session) {
    app_for_with(registry, |_| {}).await
}

pub async fn app_for_with(
    registry: &TestRegistry,
    configure: impl FnOnce(&mut Settings),
) -> (TestApp, Session) {
    let url = registry.url();
    let app = spawn_app_with(|s| {
        point_at(s, &url, registry);
        configure(s);
    })
    .await;
    let admin = app.admin().await;
    (app, admin)
}

/// The app talking to `registry` through a counting proxy.
pub async fn app_through_proxy(registry: &TestRegistry) -> (TestApp, Session, CountingProxy) {
    app_through_proxy_with(registry, |_| {}).await
}

pub async fn app_through_proxy_with(
    registry: &TestRegistry,
    configure: impl FnOnce(&mut Settings),
) -> (TestApp, Session, CountingProxy) {
    let proxy = CountingProxy::start(&registry.url()).await;
    let url = proxy.url();
    let app = spawn_app_with(|s| {
        point_at(s, &url, registry);
        configure(s);
    })
    .await;
    let admin = app.admin().await;
    proxy.reset();
    (app, admin, proxy)
}

pub async fn start_registry(auth: AuthMode) -> TestRegistry {
    TestRegistry::start(auth).await
}

pub async fn start_registry_without_deletes(auth: AuthMode) -> TestRegistry {
    TestRegistry::start_with(RegistryOptions {
        auth,
        delete_enabled: false,
    })
    .await
}

/// GET `path` and decode the body as `T`, asserting 200.
pub async fn get_ok<T: DeserializeOwned>(app: &TestApp, path: &str, token: &str) -> T {
    let res = app.get(path, token).await;
    let status = res.status();
    let text = res.text().await.expect("body");
    assert_eq!(status, 200, "GET {path}: {text}");
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("GET {path}: {e}: {text}"))
}

/// Status and JSON body of a response.
pub async fn status_and_json(res: reqwest::Response) -> (u16, Value) {
    let status = res.status().as_u16();
    let text = res.text().await.expect("body");
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

/// Sends `method path` byte for byte (no client-side normalization of `..` or `%2e`), and
/// returns the status and body.
pub async fn raw_request(app: &TestApp, method: &str, path: &str, token: &str) -> (u16, String) {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", app.port))
        .await
        .expect("connect");
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n\
         Content-Length: 0\r\nConnection: close\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).await.expect("write");
    let mut response = Vec::new();
    tokio::time::timeout(Duration::from_secs(30), stream.read_to_end(&mut response))
        .await
        .expect("response in time")
        .expect("read");
    let response = String::from_utf8_lossy(&response).to_string();
    let status = response
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    (status, body)
}

/// The registry's own view of a repository's tags (sorted), bypassing the app.
pub async fn registry_tags(registry: &TestRegistry, repository: &str) -> Vec<String> {
    let mut tags = registry.http().tags(repository).await.unwrap_or_default();
    tags.sort();
    tags
}

/// The `tag_deleted` events of the audit log, newest first.
pub async fn tag_deleted_events(app: &TestApp) -> Vec<shared::admin::AuditEvent> {
    let filter = registry_gui::storage::audit::Filter {
        action: Some("tag_deleted".into()),
        limit: 100,
        ..Default::default()
    };
    registry_gui::storage::audit::list(&app.state.pool, &filter)
        .await
        .expect("audit log")
        .0
}
