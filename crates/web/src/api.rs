//! The one place that talks to the JSON API.
//!
//! Every call adds `Authorization: Bearer <token>` when signed in and decodes the API's
//! `ErrorBody` on a non-2xx answer into an [`ApiError`]. Two answers change the session for
//! every page at once: `401 invalid_token` ends it (back to sign-in with "session expired"), and
//! `403 password_change_required` sends the user to the forced password change.
use serde::de::DeserializeOwned;
use serde::Serialize;
use shared::admin::{
    AuditPage, CreateRegistryRequest, CreateUserRequest, CreateUserResponse, RegistryList,
    RegistryResponse, RegistryTestResult, TokenAuthConfig, UpdateRegistryRequest,
    UpdateUserRequest, UpdateUserResponse, UserList,
};
use shared::auth::{
    BackupCodesResponse, ChangePasswordRequest, LoginRequest, LoginResponse,
    RegenerateBackupCodesRequest, SessionResponse, UpdateProfileRequest, UserProfile,
    VerifyTwoFactorRequest,
};
use shared::error::ErrorCode;
use shared::permissions::{CreateGrantRequest, GrantList, GrantResponse};
use shared::registry::{
    BulkDeleteRequest, BulkDeleteResponse, CatalogPage, DeleteResponse, HealthResponse,
    ManifestDetails, TagPage,
};
use shared::tokens::{AdminTokenList, CreateTokenRequest, CreatedToken, TokenList};
use shared::ErrorBody;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

/// A failed API call, as the user should hear about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// HTTP status; 0 when the server could not be reached.
    pub status: u16,
    /// The API's stable error code (`invalid_code`, `registry_unreachable`, ...).
    pub code: String,
    pub message: String,
    /// Seconds to wait, from `Retry-After` (429 `too_many_attempts`, 503 `server_busy`).
    pub retry_after: Option<u64>,
}

impl ApiError {
    /// The code as the catalog knows it; `None` for a network or decoding failure, or a code
    /// from a newer server.
    pub fn kind(&self) -> Option<ErrorCode> {
        ErrorCode::from_wire(&self.code)
    }

    fn network(detail: &str) -> Self {
        Self {
            status: 0,
            code: "network_error".into(),
            message: format!(
                "The server could not be reached ({detail}). Check your connection and try again."
            ),
            retry_after: None,
        }
    }

    fn decode(detail: &str) -> Self {
        Self {
            status: 0,
            code: "bad_response".into(),
            message: format!("The server sent an answer this page does not understand: {detail}"),
            retry_after: None,
        }
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

/// A raw answer: status, body text and the one header the app reads.
struct Answer {
    status: u16,
    body: String,
    retry_after: Option<u64>,
    /// Whether the request carried a session token.
    authenticated: bool,
}

fn js_detail(value: &JsValue) -> String {
    value
        .dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .or_else(|| value.as_string())
        .unwrap_or_else(|| "request failed".into())
}

/// What the API layer needs from whoever holds the session, installed once at start-up by
/// `session::install`. The API layer only reports a refused session; deciding what that means
/// (back to sign-in, the forced password change) is the session's business.
#[derive(Clone, Copy)]
pub struct SessionHooks {
    /// The bearer token of the current session, if any.
    pub token: fn() -> Option<String>,
    /// Called with every error answer to a request; `authenticated` says whether it carried a
    /// token.
    pub on_error: fn(&ApiError, bool),
}

thread_local! {
    static HOOKS: std::cell::Cell<Option<SessionHooks>> = const { std::cell::Cell::new(None) };
}

pub fn install(hooks: SessionHooks) {
    HOOKS.with(|h| h.set(Some(hooks)));
}

fn hooks() -> Option<SessionHooks> {
    HOOKS.with(std::cell::Cell::get)
}

/// Any answer the server gave, whatever its status.
async fn send_any(method: &str, path: &str, body: Option<String>) -> ApiResult<Answer> {
    let window = web_sys::window().ok_or_else(|| ApiError::network("no window"))?;
    let headers = web_sys::Headers::new().map_err(|e| ApiError::network(&js_detail(&e)))?;
    let token = hooks().and_then(|h| (h.token)());
    if let Some(token) = &token {
        headers
            .set("Authorization", &format!("Bearer {token}"))
            .map_err(|e| ApiError::network(&js_detail(&e)))?;
    }
    headers
        .set("Accept", "application/json")
        .map_err(|e| ApiError::network(&js_detail(&e)))?;
    let init = web_sys::RequestInit::new();
    init.set_method(method);
    if let Some(body) = &body {
        headers
            .set("Content-Type", "application/json")
            .map_err(|e| ApiError::network(&js_detail(&e)))?;
        init.set_body(&JsValue::from_str(body));
    }
    init.set_headers(&headers);
    let request = web_sys::Request::new_with_str_and_init(path, &init)
        .map_err(|e| ApiError::network(&js_detail(&e)))?;
    let response: web_sys::Response = JsFuture::from(window.fetch_with_request(&request))
        .await
        .map_err(|e| ApiError::network(&js_detail(&e)))?
        .unchecked_into();
    let status = response.status();
    let retry_after = response
        .headers()
        .get("Retry-After")
        .ok()
        .flatten()
        .and_then(|v| v.trim().parse().ok());
    let text = response
        .text()
        .map_err(|e| ApiError::network(&js_detail(&e)))?;
    let body = JsFuture::from(text)
        .await
        .map_err(|e| ApiError::network(&js_detail(&e)))?
        .as_string()
        .unwrap_or_default();
    Ok(Answer {
        status,
        body,
        retry_after,
        authenticated: token.is_some(),
    })
}

/// A 2xx answer, or the API's error.
async fn send(method: &str, path: &str, body: Option<String>) -> ApiResult<Answer> {
    let answer = send_any(method, path, body).await?;
    if (200..300).contains(&answer.status) {
        Ok(answer)
    } else {
        Err(error_of(answer))
    }
}

fn error_of(answer: Answer) -> ApiError {
    let authenticated = answer.authenticated;
    let body: ErrorBody = serde_json::from_str(&answer.body).unwrap_or_else(|_| {
        ErrorBody::new(
            "http_error",
            format!("The server answered with HTTP status {}.", answer.status),
        )
    });
    let error = ApiError {
        status: answer.status,
        code: body.error,
        message: body.message,
        retry_after: answer.retry_after,
    };
    if let Some(hooks) = hooks() {
        (hooks.on_error)(&error, authenticated);
    }
    error
}

fn parse<T: DeserializeOwned>(answer: Answer) -> ApiResult<T> {
    serde_json::from_str(&answer.body).map_err(|e| ApiError::decode(&e.to_string()))
}

fn json<B: Serialize>(body: &B) -> ApiResult<String> {
    serde_json::to_string(body).map_err(|e| ApiError::decode(&e.to_string()))
}

async fn get<T: DeserializeOwned>(path: &str) -> ApiResult<T> {
    parse(send("GET", path, None).await?)
}

async fn post<B: Serialize, T: DeserializeOwned>(path: &str, body: &B) -> ApiResult<T> {
    parse(send("POST", path, Some(json(body)?)).await?)
}

async fn patch<B: Serialize, T: DeserializeOwned>(path: &str, body: &B) -> ApiResult<T> {
    parse(send("PATCH", path, Some(json(body)?)).await?)
}

/// For endpoints that answer `204 No Content`.
async fn send_no_content(method: &str, path: &str) -> ApiResult<()> {
    send(method, path, None).await.map(|_| ())
}

/// `encodeURIComponent`: safe for one path segment or one query value.
pub fn encode(part: &str) -> String {
    String::from(js_sys::encode_uri_component(part))
}

/// A repository name in a URL path: each segment encoded, the `/` separators kept.
pub fn encode_repository(name: &str) -> String {
    name.split('/').map(encode).collect::<Vec<_>>().join("/")
}

/// Builds `?a=1&b=2`, leaving out absent values.
#[derive(Default)]
struct Query(Vec<String>);

impl Query {
    fn with(mut self, key: &str, value: impl AsRef<str>) -> Self {
        self.0.push(format!("{key}={}", encode(value.as_ref())));
        self
    }

    fn with_opt(self, key: &str, value: Option<impl AsRef<str>>) -> Self {
        match value {
            Some(v) if !v.as_ref().is_empty() => self.with(key, v),
            _ => self,
        }
    }

    fn build(self) -> String {
        if self.0.is_empty() {
            String::new()
        } else {
            format!("?{}", self.0.join("&"))
        }
    }
}

// ---- accounts ----------------------------------------------------------------------------

pub async fn login(request: &LoginRequest) -> ApiResult<LoginResponse> {
    post("/api/auth/login", request).await
}

pub async fn verify_two_factor(request: &VerifyTwoFactorRequest) -> ApiResult<SessionResponse> {
    post("/api/auth/verify-2fa", request).await
}

pub async fn logout() -> ApiResult<()> {
    send_no_content("POST", "/api/auth/logout").await
}

pub async fn me() -> ApiResult<UserProfile> {
    get("/api/auth/me").await
}

pub async fn update_profile(request: &UpdateProfileRequest) -> ApiResult<UserProfile> {
    patch("/api/auth/me", request).await
}

pub async fn change_password(request: &ChangePasswordRequest) -> ApiResult<SessionResponse> {
    post("/api/auth/change-password", request).await
}

pub async fn regenerate_backup_codes(
    request: &RegenerateBackupCodesRequest,
) -> ApiResult<BackupCodesResponse> {
    post("/api/auth/regenerate-backup-codes", request).await
}

// ---- registries --------------------------------------------------------------------------

/// The server's OpenAPI document, kept as JSON: the reference page reads it generically.
pub async fn openapi() -> ApiResult<serde_json::Value> {
    get("/api/openapi.json").await
}

pub async fn registries() -> ApiResult<RegistryList> {
    get("/api/registries").await
}

/// `503` carries the same body as `200` (an unreachable registry), so both are answers here.
pub async fn health(registry: &str) -> ApiResult<HealthResponse> {
    let path = format!(
        "/api/health{}",
        Query::default().with("registry", registry).build()
    );
    let answer = send_any("GET", &path, None).await?;
    match answer.status {
        200 | 503 => parse(answer),
        _ => Err(error_of(answer)),
    }
}

pub struct CatalogParams<'a> {
    pub registry: &'a str,
    pub q: &'a str,
    pub page: usize,
    pub per_page: usize,
    pub refresh: bool,
}

pub async fn catalog(p: &CatalogParams<'_>) -> ApiResult<CatalogPage> {
    let query = Query::default()
        .with("registry", p.registry)
        .with_opt("q", Some(p.q.trim()))
        .with("page", p.page.to_string())
        .with("per_page", p.per_page.to_string())
        .with_opt("refresh", p.refresh.then_some("true"))
        .build();
    get(&format!("/api/catalog{query}")).await
}

pub struct TagParams<'a> {
    pub registry: &'a str,
    pub repository: &'a str,
    pub sort: &'a str,
    pub order: &'a str,
    pub q: &'a str,
    pub page: usize,
    pub per_page: usize,
    pub refresh: bool,
}

pub async fn tags(p: &TagParams<'_>) -> ApiResult<TagPage> {
    let query = Query::default()
        .with("registry", p.registry)
        .with("details", "true")
        .with("sort", p.sort)
        .with("order", p.order)
        .with_opt("q", Some(p.q.trim()))
        .with("page", p.page.to_string())
        .with("per_page", p.per_page.to_string())
        .with_opt("refresh", p.refresh.then_some("true"))
        .build();
    get(&format!(
        "/api/repositories/{}/tags{query}",
        encode_repository(p.repository)
    ))
    .await
}

fn manifest_path(registry: &str, repository: &str, reference: &str, refresh: bool) -> String {
    format!(
        "/api/repositories/{}/manifests/{}{}",
        encode_repository(repository),
        encode(reference),
        Query::default()
            .with("registry", registry)
            .with_opt("refresh", refresh.then_some("true"))
            .build()
    )
}

/// `refresh` bypasses the server's short tag → digest cache.
pub async fn manifest(
    registry: &str,
    repository: &str,
    reference: &str,
    refresh: bool,
) -> ApiResult<ManifestDetails> {
    get(&manifest_path(registry, repository, reference, refresh)).await
}

pub async fn delete_manifest(
    registry: &str,
    repository: &str,
    reference: &str,
) -> ApiResult<DeleteResponse> {
    parse(
        send(
            "DELETE",
            &manifest_path(registry, repository, reference, false),
            None,
        )
        .await?,
    )
}

pub async fn delete_tags(
    registry: &str,
    repository: &str,
    request: &BulkDeleteRequest,
) -> ApiResult<BulkDeleteResponse> {
    post(
        &format!(
            "/api/repositories/{}/delete-tags{}",
            encode_repository(repository),
            Query::default().with("registry", registry).build()
        ),
        request,
    )
    .await
}

// ---- access tokens -----------------------------------------------------------------------

pub async fn tokens() -> ApiResult<TokenList> {
    get("/api/auth/tokens").await
}

pub async fn create_token(request: &CreateTokenRequest) -> ApiResult<CreatedToken> {
    post("/api/auth/tokens", request).await
}

pub async fn revoke_token(id: i64) -> ApiResult<()> {
    send_no_content("DELETE", &format!("/api/auth/tokens/{id}")).await
}

/// Everyone's tokens, or one user's (`user` empty for all).
pub async fn all_tokens(user: &str) -> ApiResult<AdminTokenList> {
    if user.is_empty() {
        get("/api/admin/tokens").await
    } else {
        get(&format!("/api/admin/tokens?user={}", encode(user))).await
    }
}

pub async fn admin_revoke_token(id: i64) -> ApiResult<()> {
    send_no_content("DELETE", &format!("/api/admin/tokens/{id}")).await
}

// ---- repository grants -------------------------------------------------------------------

pub async fn grants(user: &str) -> ApiResult<GrantList> {
    get(&format!("/api/admin/grants?user={}", encode(user))).await
}

pub async fn create_grant(request: &CreateGrantRequest) -> ApiResult<GrantResponse> {
    post("/api/admin/grants", request).await
}

pub async fn delete_grant(id: i64) -> ApiResult<()> {
    send_no_content("DELETE", &format!("/api/admin/grants/{id}")).await
}

// ---- administration ----------------------------------------------------------------------

pub async fn users() -> ApiResult<UserList> {
    get("/api/admin/users").await
}

pub async fn create_user(request: &CreateUserRequest) -> ApiResult<CreateUserResponse> {
    post("/api/admin/users", request).await
}

pub async fn update_user(
    username: &str,
    request: &UpdateUserRequest,
) -> ApiResult<UpdateUserResponse> {
    patch(&format!("/api/admin/users/{}", encode(username)), request).await
}

pub async fn delete_user(username: &str) -> ApiResult<()> {
    send_no_content("DELETE", &format!("/api/admin/users/{}", encode(username))).await
}

pub async fn reset_two_factor(username: &str) -> ApiResult<()> {
    send_no_content(
        "POST",
        &format!("/api/admin/users/{}/reset-2fa", encode(username)),
    )
    .await
}

pub async fn create_registry(request: &CreateRegistryRequest) -> ApiResult<RegistryResponse> {
    post("/api/admin/registries", request).await
}

pub async fn token_auth(name: &str) -> ApiResult<TokenAuthConfig> {
    get(&format!(
        "/api/admin/registries/{}/token-auth",
        encode(name)
    ))
    .await
}

pub async fn update_registry(
    name: &str,
    request: &UpdateRegistryRequest,
) -> ApiResult<RegistryResponse> {
    patch(&format!("/api/admin/registries/{}", encode(name)), request).await
}

pub async fn delete_registry(name: &str) -> ApiResult<()> {
    send_no_content("DELETE", &format!("/api/admin/registries/{}", encode(name))).await
}

pub async fn test_registry(name: &str) -> ApiResult<RegistryTestResult> {
    parse(
        send(
            "POST",
            &format!("/api/admin/registries/{}/test", encode(name)),
            None,
        )
        .await?,
    )
}

pub async fn audit(
    user: &str,
    action: &str,
    limit: u32,
    before: Option<i64>,
) -> ApiResult<AuditPage> {
    let query = Query::default()
        .with_opt("user", Some(user.trim()))
        .with_opt("action", Some(action))
        .with("limit", limit.to_string())
        .with_opt("before", before.map(|b| b.to_string()))
        .build();
    get(&format!("/api/admin/audit{query}")).await
}

pub async fn system_status() -> ApiResult<shared::admin::SystemStatus> {
    get("/api/admin/system").await
}
