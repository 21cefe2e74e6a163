//! A Docker token server (the `auth.token` realm of distribution) running in the test process.
//!
//! It grants whatever scope an authenticated caller asks for, signs ES256 JWTs with a throwaway
//! self-signed P-256 certificate (the registry's `rootcertbundle`), and counts what it issues.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use actix_web::dev::ServerHandle;
use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use base64::Engine as _;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use rand::RngCore as _;
use serde::Serialize;
use serde_json::json;
use sha2::{Digest as _, Sha256};

use super::Credentials;

/// Which token fields the server puts in its response (servers differ; clients must cope).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenFields {
    Both,
    TokenOnly,
    AccessTokenOnly,
}

struct TokenState {
    service: String,
    issuer: String,
    credentials: Credentials,
    signing_key: EncodingKey,
    key_id: String,
    expires_in: AtomicU64,
    stale: AtomicBool,
    fields: Mutex<TokenFields>,
    issued: AtomicUsize,
    refused: AtomicUsize,
    issued_per_scope: Mutex<HashMap<String, usize>>,
}

/// A running token server. Stops when dropped.
pub struct TokenServer {
    state: Arc<TokenState>,
    port: u16,
    cert_pem: String,
    handle: ServerHandle,
}

#[derive(Serialize)]
struct Claims {
    iss: String,
    sub: String,
    aud: String,
    exp: i64,
    nbf: i64,
    iat: i64,
    jti: String,
    access: Vec<Access>,
}

#[derive(Serialize)]
struct Access {
    #[serde(rename = "type")]
    kind: String,
    name: String,
    actions: Vec<String>,
}

impl TokenServer {
    pub const ISSUER: &'static str = "registry-gui-test-issuer";

    /// Starts on `127.0.0.1:0`, accepting `credentials` for `service`. Must run inside a tokio
    /// runtime (the server future is spawned on it).
    pub async fn start(service: &str, credentials: Credentials) -> anyhow::Result<Self> {
        let certified = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_owned()])?;
        let key_id = libtrust_key_id(&certified.key_pair.public_key_der());
        let state = Arc::new(TokenState {
            service: service.to_owned(),
            issuer: Self::ISSUER.to_owned(),
            credentials,
            signing_key: EncodingKey::from_ec_der(&certified.key_pair.serialize_der()),
            key_id,
            expires_in: AtomicU64::new(300),
            stale: AtomicBool::new(false),
            fields: Mutex::new(TokenFields::Both),
            issued: AtomicUsize::new(0),
            refused: AtomicUsize::new(0),
            issued_per_scope: Mutex::new(HashMap::new()),
        });

        let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
        let port = listener.local_addr()?.port();
        let data = web::Data::from(state.clone());
        let server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .route("/token", web::get().to(issue_token))
        })
        .workers(1)
        // Under a loaded CI machine a request head can take a while: no 408 from the harness.
        .client_request_timeout(std::time::Duration::from_secs(120))
        // Longer than a client's idle pool: a reused connection is never one the server just closed.
        .keep_alive(std::time::Duration::from_secs(300))
        .disable_signals()
        .listen(listener)?
        .run();
        let handle = server.handle();
        tokio::spawn(server);

        Ok(Self {
            state,
            port,
            cert_pem: certified.cert.pem(),
            handle,
        })
    }

    /// `http://127.0.0.1:PORT/token`, the registry's `auth.token.realm`.
    pub fn realm(&self) -> String {
        format!("http://127.0.0.1:{}/token", self.port)
    }

    pub fn service(&self) -> &str {
        &self.state.service
    }

    pub fn issuer(&self) -> &str {
        &self.state.issuer
    }

    /// PEM of the signing certificate, the registry's `auth.token.rootcertbundle`.
    pub fn root_cert_pem(&self) -> &str {
        &self.cert_pem
    }

    /// What the server tells clients in `expires_in`; real tokens also expire then.
    pub fn set_expires_in(&self, seconds: u64) {
        self.state.expires_in.store(seconds, Ordering::SeqCst);
    }

    /// Stale mode: tokens whose `exp` is already past the registry's 60 s leeway, while the
    /// response still claims they live `expires_in` seconds.
    pub fn set_stale(&self, stale: bool) {
        self.state.stale.store(stale, Ordering::SeqCst);
    }

    pub fn set_token_fields(&self, fields: TokenFields) {
        *lock(&self.state.fields) = fields;
    }

    pub fn tokens_issued(&self) -> usize {
        self.state.issued.load(Ordering::SeqCst)
    }

    /// Tokens issued for requests that asked for exactly this scope string among their scopes.
    pub fn tokens_issued_for(&self, scope: &str) -> usize {
        lock(&self.state.issued_per_scope)
            .get(scope)
            .copied()
            .unwrap_or(0)
    }

    /// Token requests refused (missing or wrong credentials, wrong service).
    pub fn requests_refused(&self) -> usize {
        self.state.refused.load(Ordering::SeqCst)
    }

    pub fn reset_counts(&self) {
        self.state.issued.store(0, Ordering::SeqCst);
        self.state.refused.store(0, Ordering::SeqCst);
        lock(&self.state.issued_per_scope).clear();
    }

    /// Signs a token for `scopes` the way a request would get it, without counting it.
    pub fn sign_token(&self, subject: &str, scopes: &[String]) -> anyhow::Result<String> {
        sign(&self.state, subject, scopes)
    }
}

impl Drop for TokenServer {
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

/// The key id libtrust (and so distribution) derives from a public key: base32 of the first 30
/// bytes of SHA-256 over the DER SubjectPublicKeyInfo, in 12 colon-separated groups of 4.
pub fn libtrust_key_id(spki_der: &[u8]) -> String {
    let hash = Sha256::digest(spki_der);
    let encoded = data_encoding::BASE32_NOPAD.encode(&hash[..30]);
    encoded
        .as_bytes()
        .chunks(4)
        .map(|chunk| std::str::from_utf8(chunk).expect("base32 is ASCII"))
        .collect::<Vec<_>>()
        .join(":")
}

fn sign(state: &TokenState, subject: &str, scopes: &[String]) -> anyhow::Result<String> {
    let now = chrono::Utc::now().timestamp();
    let expires_in = state.expires_in.load(Ordering::SeqCst) as i64;
    let (issued_at, expires_at) = if state.stale.load(Ordering::SeqCst) {
        (now - 600, now - 180)
    } else {
        (now, now + expires_in)
    };
    let mut jti = [0u8; 16];
    rand::thread_rng().fill_bytes(&mut jti);
    let claims = Claims {
        iss: state.issuer.clone(),
        sub: subject.to_owned(),
        aud: state.service.clone(),
        exp: expires_at,
        nbf: issued_at,
        iat: issued_at,
        jti: hex::encode(jti),
        access: scopes
            .iter()
            .filter_map(|scope| parse_scope(scope))
            .collect(),
    };
    let mut header = Header::new(Algorithm::ES256);
    header.kid = Some(state.key_id.clone());
    Ok(jsonwebtoken::encode(&header, &claims, &state.signing_key)?)
}

/// `type:name:actions`; the name may itself contain `:` (a registry host with a port).
fn parse_scope(scope: &str) -> Option<Access> {
    let (kind, rest) = scope.split_once(':')?;
    let (name, actions) = rest.rsplit_once(':')?;
    Some(Access {
        kind: kind.to_owned(),
        name: name.to_owned(),
        actions: actions.split(',').map(str::to_owned).collect(),
    })
}

fn basic_credentials(request: &HttpRequest) -> Option<(String, String)> {
    let header = request
        .headers()
        .get(actix_web::http::header::AUTHORIZATION)?
        .to_str()
        .ok()?;
    let (scheme, encoded) = header.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let (user, password) = std::str::from_utf8(&decoded).ok()?.split_once(':')?;
    Some((user.to_owned(), password.to_owned()))
}

async fn issue_token(request: HttpRequest, state: web::Data<TokenState>) -> HttpResponse {
    let mut service = None;
    let mut scopes = Vec::new();
    for (key, value) in url::form_urlencoded::parse(request.query_string().as_bytes()) {
        match &*key {
            "service" => service = Some(value.into_owned()),
            // Several scopes come as repeated parameters, some clients space-separate them.
            "scope" => scopes.extend(value.split(' ').map(str::to_owned)),
            _ => {}
        }
    }

    let authenticated = basic_credentials(&request).filter(|(user, password)| {
        *user == state.credentials.username && *password == state.credentials.password
    });
    let Some((user, _)) = authenticated else {
        state.refused.fetch_add(1, Ordering::SeqCst);
        return HttpResponse::Unauthorized()
            .insert_header(("WWW-Authenticate", "Basic realm=\"token\""))
            .json(json!({ "details": "authentication required" }));
    };
    if service.as_deref() != Some(state.service.as_str()) {
        state.refused.fetch_add(1, Ordering::SeqCst);
        return HttpResponse::BadRequest()
            .json(json!({ "details": format!("unknown service {service:?}") }));
    }

    let token = match sign(&state, &user, &scopes) {
        Ok(token) => token,
        Err(error) => {
            return HttpResponse::InternalServerError()
                .json(json!({ "details": error.to_string() }))
        }
    };
    state.issued.fetch_add(1, Ordering::SeqCst);
    {
        let mut per_scope = lock(&state.issued_per_scope);
        for scope in &scopes {
            *per_scope.entry(scope.clone()).or_default() += 1;
        }
    }

    let mut body = json!({
        "expires_in": state.expires_in.load(Ordering::SeqCst),
        "issued_at": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    });
    let fields = *lock(&state.fields);
    if fields != TokenFields::AccessTokenOnly {
        body["token"] = json!(token);
    }
    if fields != TokenFields::TokenOnly {
        body["access_token"] = json!(token);
    }
    HttpResponse::Ok().json(body)
}
