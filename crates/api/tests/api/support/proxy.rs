//! A counting reverse proxy in front of a registry, to prove how many upstream requests the app
//! makes (cache hits, "no request for an invalid name") and to inject faults the real registry
//! cannot produce.

use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use actix_web::body::{BodySize, MessageBody};
use actix_web::dev::ServerHandle;
use actix_web::http::StatusCode;
use actix_web::web::{self, Bytes, BytesMut};
use actix_web::{App, HttpRequest, HttpResponse, HttpServer};
use futures::StreamExt as _;

use super::registry_http::test_client;

/// A fault the proxy injects into every request until cleared. Faulty requests are still
/// counted and logged.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    None,
    /// Answer with this status and a distribution-style error body, without forwarding.
    Status(u16),
    /// Wait this long, then forward.
    Delay(Duration),
}

struct ProxyState {
    upstream: String,
    client: reqwest::Client,
    count: AtomicUsize,
    log: Mutex<Vec<(String, String)>>,
    fault: Mutex<Fault>,
}

/// A running proxy. Stops when dropped.
///
/// Only `Host` is rewritten, so what the registry builds from it points past the proxy: absolute
/// upload `Location`s go straight to the registry (catalog `Link`s are relative and do come back
/// through). In token mode the realm is the token server's own address: count tokens there.
pub struct CountingProxy {
    state: Arc<ProxyState>,
    port: u16,
    handle: ServerHandle,
}

impl CountingProxy {
    /// Starts on `127.0.0.1:0` in front of `upstream` (`http://127.0.0.1:PORT`). Must run inside
    /// a tokio runtime.
    pub async fn start(upstream: &str) -> Self {
        let state = Arc::new(ProxyState {
            upstream: upstream.trim_end_matches('/').to_owned(),
            client: test_client(),
            count: AtomicUsize::new(0),
            log: Mutex::new(Vec::new()),
            fault: Mutex::new(Fault::None),
        });
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind proxy");
        let port = listener.local_addr().expect("proxy address").port();
        let data = web::Data::from(state.clone());
        let server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .default_service(web::to(forward))
        })
        .workers(1)
        // Under a loaded CI machine a request head can take a while: no 408 from the harness.
        .client_request_timeout(std::time::Duration::from_secs(120))
        // Longer than a client's idle pool: a reused connection is never one the server just closed.
        .keep_alive(std::time::Duration::from_secs(300))
        .disable_signals()
        .listen(listener)
        .expect("listen proxy")
        .run();
        let handle = server.handle();
        tokio::spawn(server);
        Self {
            state,
            port,
            handle,
        }
    }

    /// `http://127.0.0.1:PORT`: point the app here instead of at the registry.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Requests received since start or the last [`reset`](Self::reset).
    pub fn count(&self) -> usize {
        self.state.count.load(Ordering::SeqCst)
    }

    /// `(method, path_and_query)` of each request received, in arrival order, as the client sent
    /// them (not normalized).
    pub fn requests(&self) -> Vec<(String, String)> {
        lock(&self.state.log).clone()
    }

    /// How many logged requests have a path (query included) starting with `prefix`.
    pub fn count_starting_with(&self, prefix: &str) -> usize {
        lock(&self.state.log)
            .iter()
            .filter(|(_, path)| path.starts_with(prefix))
            .count()
    }

    pub fn reset(&self) {
        let mut log = lock(&self.state.log);
        log.clear();
        self.state.count.store(0, Ordering::SeqCst);
    }

    pub fn set_fault(&self, fault: Fault) {
        *lock(&self.state.fault) = fault;
    }

    pub fn clear_fault(&self) {
        self.set_fault(Fault::None);
    }
}

impl Drop for CountingProxy {
    fn drop(&mut self) {
        // `stop` sends its command right away; the returned future only waits for completion.
        drop(self.handle.stop(false));
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn is_hop_by_hop(name: &str) -> bool {
    matches!(
        name,
        "connection"
            | "keep-alive"
            | "proxy-authenticate"
            | "proxy-authorization"
            | "te"
            | "trailer"
            | "transfer-encoding"
            | "upgrade"
    )
}

/// An empty body that still announces `Content-Length: n`: what a HEAD response must carry
/// (a blob HEAD's length is the blob size), which actix derives from the body size.
struct HeadBody(u64);

impl MessageBody for HeadBody {
    type Error = std::convert::Infallible;

    fn size(&self) -> BodySize {
        BodySize::Sized(self.0)
    }

    fn poll_next(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
    ) -> Poll<Option<Result<Bytes, Self::Error>>> {
        Poll::Ready(None)
    }
}

async fn forward(
    request: HttpRequest,
    mut payload: web::Payload,
    state: web::Data<ProxyState>,
) -> HttpResponse {
    let path_and_query = request
        .uri()
        .path_and_query()
        .map_or("/", |p| p.as_str())
        .to_owned();
    {
        let mut log = lock(&state.log);
        log.push((request.method().to_string(), path_and_query.clone()));
        state.count.fetch_add(1, Ordering::SeqCst);
    }

    let fault = *lock(&state.fault);
    match fault {
        Fault::None => {}
        Fault::Status(code) => {
            let status = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            return HttpResponse::build(status).json(serde_json::json!({
                "errors": [{ "code": "UNKNOWN", "message": "fault injected by CountingProxy" }]
            }));
        }
        Fault::Delay(delay) => tokio::time::sleep(delay).await,
    }

    // Raw bytes: the `Bytes` extractor would decode a Content-Encoding.
    let mut body = BytesMut::new();
    while let Some(chunk) = payload.next().await {
        match chunk {
            Ok(chunk) => body.extend_from_slice(&chunk),
            Err(error) => {
                return HttpResponse::BadRequest().body(format!("proxy read error: {error}"))
            }
        }
    }

    // actix and reqwest use different `http` crate versions: convert through strings.
    let method = reqwest::Method::from_bytes(request.method().as_str().as_bytes())
        .expect("method valid in actix is valid in reqwest");
    let is_head = method == reqwest::Method::HEAD;
    let mut upstream = state
        .client
        .request(method, format!("{}{}", state.upstream, path_and_query));
    for (name, value) in request.headers() {
        let name = name.as_str();
        if is_hop_by_hop(name) || name == "host" || name == "content-length" {
            continue;
        }
        upstream = upstream.header(name, value.as_bytes());
    }
    if !body.is_empty() {
        upstream = upstream.body(body.freeze());
    }
    let response = match upstream.send().await {
        Ok(response) => response,
        Err(error) => {
            return HttpResponse::BadGateway().body(format!("proxy upstream error: {error}"))
        }
    };

    let status = StatusCode::from_u16(response.status().as_u16()).expect("valid status");
    let mut reply = HttpResponse::build(status);
    let mut content_length = None;
    for (name, value) in response.headers() {
        let name = name.as_str();
        if name == "content-length" {
            content_length = value.to_str().ok().and_then(|v| v.parse::<u64>().ok());
            continue;
        }
        if is_hop_by_hop(name) {
            continue;
        }
        reply.append_header((name, value.as_bytes()));
    }
    if is_head {
        return reply.body(HeadBody(content_length.unwrap_or(0)));
    }
    match response.bytes().await {
        Ok(bytes) => reply.body(bytes),
        Err(error) => HttpResponse::BadGateway().body(format!("proxy upstream body: {error}")),
    }
}
