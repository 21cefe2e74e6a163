//! A registry HTTP client for tests and seeding that answers whatever challenge the registry
//! sends: none, `Basic`, or `Bearer` (token fetched from the challenge's realm and cached per
//! scope set).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use actix_web::web::Bytes;
use anyhow::{anyhow, bail, Context as _};
use reqwest::header::{HeaderMap, ACCEPT, WWW_AUTHENTICATE};
use reqwest::{Method, Response, StatusCode};
use url::Url;

use super::Credentials;

/// A parsed `WWW-Authenticate` challenge.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Challenge {
    Basic,
    Bearer {
        realm: String,
        service: Option<String>,
        scope: Option<String>,
    },
}

/// Parses `Basic realm="…"` or `Bearer realm="…",service="…",scope="…"` (any parameter order;
/// quoted values may contain commas, as in `scope="repository:a:pull,push"`).
pub fn parse_challenge(header: &str) -> Option<Challenge> {
    let header = header.trim();
    let (scheme, rest) = header.split_once(' ').unwrap_or((header, ""));
    if scheme.eq_ignore_ascii_case("basic") {
        return Some(Challenge::Basic);
    }
    if !scheme.eq_ignore_ascii_case("bearer") {
        return None;
    }
    let params = parse_auth_params(rest);
    Some(Challenge::Bearer {
        realm: params.get("realm")?.clone(),
        service: params.get("service").cloned(),
        scope: params.get("scope").cloned(),
    })
}

fn parse_auth_params(input: &str) -> HashMap<String, String> {
    let mut params = HashMap::new();
    let mut chars = input.chars().peekable();
    loop {
        while chars.next_if(|c| *c == ',' || c.is_whitespace()).is_some() {}
        let key: String = std::iter::from_fn(|| chars.next_if(|c| *c != '=')).collect();
        if chars.next().is_none() {
            break;
        }
        let mut value = String::new();
        if chars.next_if_eq(&'"').is_some() {
            while let Some(c) = chars.next() {
                match c {
                    '\\' => value.extend(chars.next()),
                    '"' => break,
                    c => value.push(c),
                }
            }
        } else {
            value.extend(std::iter::from_fn(|| chars.next_if(|c| *c != ',')));
        }
        params.insert(key.trim().to_ascii_lowercase(), value.trim().to_owned());
    }
    params
}

/// The scopes a Docker token server expects for a request to `path` (a `/v2/…` path).
pub fn scopes_for(method: &Method, path: &str) -> Vec<String> {
    let path = path.split('?').next().unwrap_or(path);
    if path.starts_with("/v2/_catalog") {
        return vec!["registry:catalog:*".to_owned()];
    }
    let Some(rest) = path.strip_prefix("/v2/") else {
        return Vec::new();
    };
    let name = ["/manifests/", "/blobs/", "/tags/"]
        .iter()
        .filter_map(|marker| rest.rfind(marker))
        .max()
        .map(|end| &rest[..end]);
    let Some(name) = name else {
        return Vec::new();
    };
    let actions = match *method {
        Method::GET | Method::HEAD => "pull",
        Method::DELETE => "delete",
        _ => "pull,push",
    };
    vec![format!("repository:{name}:{actions}")]
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Scheme {
    Unknown,
    Basic,
    Bearer,
}

struct AuthState {
    scheme: Scheme,
    bearer_realm: Option<(String, Option<String>)>,
    tokens: HashMap<String, String>,
}

/// An authenticating client for one registry. Cheap to clone; clones share tokens.
#[derive(Clone)]
pub struct RegistryHttp {
    client: reqwest::Client,
    base: Url,
    credentials: Option<Credentials>,
    auth: Arc<Mutex<AuthState>>,
}

impl RegistryHttp {
    /// `base_url` is `http://127.0.0.1:PORT` (no path); `credentials` are used for Basic and for
    /// the token realm.
    pub fn new(base_url: &str, credentials: Option<Credentials>) -> Self {
        Self {
            client: test_client(),
            base: Url::parse(base_url).expect("registry base URL"),
            credentials,
            auth: Arc::new(Mutex::new(AuthState {
                scheme: Scheme::Unknown,
                bearer_realm: None,
                tokens: HashMap::new(),
            })),
        }
    }

    pub fn base_url(&self) -> &Url {
        &self.base
    }

    pub fn client(&self) -> &reqwest::Client {
        &self.client
    }

    /// Resolves a path (`/v2/…`) or absolute URL against the registry.
    pub fn url(&self, path_or_url: &str) -> anyhow::Result<Url> {
        self.base
            .join(path_or_url)
            .with_context(|| format!("bad registry URL {path_or_url}"))
    }

    /// Sends a request, answering an auth challenge once. `scopes` empty means "derive them from
    /// the path". On a 401 that follows a cached token, the token is dropped and fetched again,
    /// as a client must when a token expires early.
    pub async fn send(
        &self,
        method: Method,
        path_or_url: &str,
        headers: HeaderMap,
        body: Option<Bytes>,
        scopes: &[String],
    ) -> anyhow::Result<Response> {
        let url = self.url(path_or_url)?;
        let scopes = if scopes.is_empty() {
            scopes_for(&method, url.path())
        } else {
            scopes.to_vec()
        };
        let scope_key = scopes.join(" ");
        self.prefetch_token(&scopes, &scope_key).await?;

        let mut retried = false;
        loop {
            let mut request = self
                .client
                .request(method.clone(), url.clone())
                .headers(headers.clone());
            if let Some(body) = &body {
                request = request.body(body.clone());
            }
            request = self.authorize(request, &scope_key);
            let response = request
                .send()
                .await
                .with_context(|| format!("{method} {url}"))?;
            if response.status() != StatusCode::UNAUTHORIZED || retried {
                return Ok(response);
            }
            let Some(challenge) = response
                .headers()
                .get(WWW_AUTHENTICATE)
                .and_then(|value| value.to_str().ok())
                .and_then(parse_challenge)
            else {
                return Ok(response);
            };
            retried = true;
            match challenge {
                Challenge::Basic => {
                    if self.credentials.is_none() {
                        return Ok(response);
                    }
                    self.lock().scheme = Scheme::Basic;
                }
                Challenge::Bearer {
                    realm,
                    service,
                    scope,
                } => {
                    let wanted = if scopes.is_empty() {
                        scope
                            .map(|s| s.split(' ').map(str::to_owned).collect())
                            .unwrap_or_default()
                    } else {
                        scopes.clone()
                    };
                    let token = self
                        .fetch_token(&realm, service.as_deref(), &wanted)
                        .await?;
                    let mut auth = self.lock();
                    auth.scheme = Scheme::Bearer;
                    auth.bearer_realm = Some((realm, service));
                    auth.tokens.insert(scope_key.clone(), token);
                }
            }
        }
    }

    /// Once the registry is known to want tokens, fetch one before the first request of a new
    /// scope set instead of collecting a 401 for each.
    async fn prefetch_token(&self, scopes: &[String], scope_key: &str) -> anyhow::Result<()> {
        let realm = {
            let auth = self.lock();
            if auth.scheme != Scheme::Bearer
                || scopes.is_empty()
                || auth.tokens.contains_key(scope_key)
            {
                return Ok(());
            }
            auth.bearer_realm.clone()
        };
        if let Some((realm, service)) = realm {
            let token = self.fetch_token(&realm, service.as_deref(), scopes).await?;
            self.lock().tokens.insert(scope_key.to_owned(), token);
        }
        Ok(())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, AuthState> {
        self.auth
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn authorize(
        &self,
        request: reqwest::RequestBuilder,
        scope_key: &str,
    ) -> reqwest::RequestBuilder {
        let auth = self.lock();
        match (auth.scheme, &self.credentials) {
            (Scheme::Basic, Some(credentials)) => {
                request.basic_auth(&credentials.username, Some(&credentials.password))
            }
            (Scheme::Bearer, _) => match auth.tokens.get(scope_key) {
                Some(token) => request.bearer_auth(token),
                None => request,
            },
            _ => request,
        }
    }

    /// Fetches a token from a Docker token server (`GET realm?service=…&scope=…&scope=…`).
    pub async fn fetch_token(
        &self,
        realm: &str,
        service: Option<&str>,
        scopes: &[String],
    ) -> anyhow::Result<String> {
        let mut url = Url::parse(realm).with_context(|| format!("bad realm {realm}"))?;
        {
            let mut query = url.query_pairs_mut();
            if let Some(service) = service {
                query.append_pair("service", service);
            }
            for scope in scopes {
                query.append_pair("scope", scope);
            }
        }
        let mut request = self.client.get(url.clone());
        if let Some(credentials) = &self.credentials {
            request = request.basic_auth(&credentials.username, Some(&credentials.password));
        }
        let response = request.send().await.with_context(|| format!("GET {url}"))?;
        let status = response.status();
        if !status.is_success() {
            bail!("token server answered {status} for {url}");
        }
        let body: serde_json::Value = response.json().await.context("token response")?;
        body.get("token")
            .or_else(|| body.get("access_token"))
            .and_then(|token| token.as_str())
            .map(str::to_owned)
            .ok_or_else(|| anyhow!("token response without token: {body}"))
    }

    /// Forgets every cached token (the learned auth scheme stays).
    pub fn forget_tokens(&self) {
        self.lock().tokens.clear();
    }

    pub async fn get(&self, path: &str, accept: &[&str]) -> anyhow::Result<Response> {
        self.send(Method::GET, path, accept_headers(accept), None, &[])
            .await
    }

    pub async fn head(&self, path: &str, accept: &[&str]) -> anyhow::Result<Response> {
        self.send(Method::HEAD, path, accept_headers(accept), None, &[])
            .await
    }

    pub async fn delete(&self, path: &str) -> anyhow::Result<Response> {
        self.send(Method::DELETE, path, HeaderMap::new(), None, &[])
            .await
    }

    /// The whole catalog, following `Link: <…>; rel="next"` with pages of 1,000.
    pub async fn catalog(&self) -> anyhow::Result<Vec<String>> {
        let mut names = Vec::new();
        let mut next = Some("/v2/_catalog?n=1000".to_owned());
        while let Some(page) = next.take() {
            let response = self.get(&page, &[]).await?;
            let status = response.status();
            if !status.is_success() {
                bail!("GET {page}: {status}: {}", response.text().await?);
            }
            next = next_link(response.headers());
            let body: serde_json::Value = response.json().await?;
            let repositories = body["repositories"].as_array().cloned().unwrap_or_default();
            names.extend(
                repositories
                    .iter()
                    .filter_map(|name| name.as_str().map(str::to_owned)),
            );
        }
        Ok(names)
    }

    /// All tags of `repository`, following `Link` when the registry paginates.
    pub async fn tags(&self, repository: &str) -> anyhow::Result<Vec<String>> {
        let mut tags = Vec::new();
        let mut next = Some(format!("/v2/{repository}/tags/list"));
        while let Some(page) = next.take() {
            let response = self.get(&page, &[]).await?;
            let status = response.status();
            if !status.is_success() {
                bail!("GET {page}: {status}: {}", response.text().await?);
            }
            next = next_link(response.headers());
            let body: serde_json::Value = response.json().await?;
            let page_tags = body["tags"].as_array().cloned().unwrap_or_default();
            tags.extend(
                page_tags
                    .iter()
                    .filter_map(|tag| tag.as_str().map(str::to_owned)),
            );
        }
        Ok(tags)
    }
}

fn accept_headers(accept: &[&str]) -> HeaderMap {
    let mut headers = HeaderMap::new();
    for media_type in accept {
        headers.append(ACCEPT, media_type.parse().expect("media type header"));
    }
    headers
}

/// The target of `Link: <…>; rel="next"`, if any.
pub fn next_link(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(reqwest::header::LINK)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .find(|link| link.contains("rel=\"next\"") || link.contains("rel=next"))
        .and_then(|link| {
            let start = link.find('<')? + 1;
            let end = link[start..].find('>')? + start;
            Some(link[start..end].to_owned())
        })
}

/// A reqwest client for loopback tests: never goes through an environment proxy.
pub fn test_client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .pool_max_idle_per_host(64)
        .build()
        .expect("reqwest client")
}
