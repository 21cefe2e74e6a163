//! `/auth/token`: the token realm of registries whose login is registry-gui (the Docker
//! registry token protocol, outside `/api` because registry clients expect a plain realm).
use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use base64::Engine as _;
use shared::error::ErrorCode;
use shared::registry_auth::{OAuthToken, RegistryToken};

use crate::auth::attempts::Client;
use crate::auth::client_ip::client_ip;
use crate::error::{AppError, AppResult};
use crate::registry_login::{scope_string, Realm, TokenRequest};
use crate::state::AppState;
use crate::storage::unix_to_rfc3339 as issued_at;

super::routes! {
    get "/auth/token" => token_get [public],
    post "/auth/token" => token_post [public],
}

pub fn config(cfg: &mut web::ServiceConfig) {
    register(cfg);
}

#[derive(utoipa::OpenApi)]
#[openapi(paths(token_get, token_post))]
pub struct Doc;

/// Largest OAuth2 form accepted.
const FORM_LIMIT: usize = 16 * 1024;

fn realm(state: &AppState) -> Realm<'_> {
    Realm {
        auth: state.auth(),
        signer: &state.signer,
        metrics: &state.metrics,
    }
}

fn basic(req: &HttpRequest) -> Option<(String, String)> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, encoded) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let (user, password) = String::from_utf8(decoded)
        .ok()?
        .split_once(':')
        .map(|(u, p)| (u.to_string(), p.to_string()))?;
    Some((user, password))
}

fn no_store(mut res: actix_web::HttpResponseBuilder) -> actix_web::HttpResponseBuilder {
    res.insert_header((header::CACHE_CONTROL, "no-store"));
    res
}

/// The token realm (`auth.token.realm` of the registry): `GET /auth/token?service=S&scope=…` with
/// HTTP Basic `username:<access token>`, or without credentials for anonymous pulls.
///
/// Only access tokens sign in (the account password gets 401 `token_required`: accounts use two
/// factors). What is granted is the intersection of the requested actions with the caller's
/// access (`pull` needs read; `push`, `delete` and `*` need write) and the token's scope (`read`:
/// pull only); `registry:catalog:*` only for administrators' admin-scope tokens. Anything not
/// granted is left out, never an error; anonymous callers get `pull` on the registry's
/// `anonymous_pull` patterns. A request with credentials and no scope (`docker login`) gets an
/// empty `access`. Failed authentications count in the sign-in throttle (429).
#[utoipa::path(
    get,
    path = "/auth/token",
    tag = "registry login",
    params(
        ("service" = String, Query, description = "The registry's `auth.token.service`."),
        ("scope" = Option<String>, Query, description = "`type:name:actions`, repeatable (e.g. `repository:team/app:pull,push`)."),
        ("account" = Option<String>, Query, description = "Ignored: the token's owner is the subject."),
    ),
    responses((status = 200, description = "A registry token (the same JWT in `token` and `access_token`).", body = RegistryToken)),
)]
async fn token_get(state: web::Data<AppState>, req: HttpRequest) -> AppResult<HttpResponse> {
    let mut request = TokenRequest {
        credentials: basic(&req),
        ..TokenRequest::default()
    };
    for (key, value) in url::form_urlencoded::parse(req.query_string().as_bytes()) {
        match key.as_ref() {
            "service" => request.service = Some(value.into_owned()),
            "scope" => request.scopes.push(value.into_owned()),
            _ => {}
        }
    }
    let client = Client {
        ip: client_ip(&req, &state.settings.trusted_proxies),
    };
    let issued = realm(&state).issue(&request, &client).await?;
    Ok(no_store(HttpResponse::Ok()).json(RegistryToken {
        token: issued.signed.token.clone(),
        access_token: issued.signed.token,
        expires_in: issued.signed.expires_in,
        issued_at: issued_at(issued.signed.issued_at),
    }))
}

/// The OAuth2 form of the realm (containerd, buildkit): `grant_type=password&username=&password=
/// &service=&scope=` (scopes space-separated; `client_id` accepted). Same rules as the GET;
/// another `grant_type` is 400 `unsupported_grant_type`.
#[utoipa::path(
    post,
    path = "/auth/token",
    tag = "registry login",
    request_body(content_type = "application/x-www-form-urlencoded", content = String, example = "grant_type=password&username=alice&password=rgp_…&service=registry.example.com&scope=repository:team/app:pull"),
    responses((status = 200, description = "An OAuth2 token answer.", body = OAuthToken)),
)]
async fn token_post(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Bytes,
) -> AppResult<HttpResponse> {
    if body.len() > FORM_LIMIT {
        return Err(AppError::rejected(
            actix_web::http::StatusCode::PAYLOAD_TOO_LARGE,
            ErrorCode::PayloadTooLarge,
            "the token form is too large",
        ));
    }
    let mut request = TokenRequest::default();
    let (mut grant_type, mut username, mut password) = (None, None, None);
    for (key, value) in url::form_urlencoded::parse(&body) {
        match key.as_ref() {
            "grant_type" => grant_type = Some(value.into_owned()),
            "username" => username = Some(value.into_owned()),
            "password" => password = Some(value.into_owned()),
            "service" => request.service = Some(value.into_owned()),
            "scope" => request.scopes.push(value.into_owned()),
            _ => {}
        }
    }
    if grant_type.as_deref() != Some("password") {
        return Err(AppError::bad_request(
            ErrorCode::UnsupportedGrantType,
            "only grant_type=password is supported",
        ));
    }
    request.credentials = match (username, password) {
        (Some(u), Some(p)) => Some((u, p)),
        _ => basic(&req),
    };
    let client = Client {
        ip: client_ip(&req, &state.settings.trusted_proxies),
    };
    let issued = realm(&state).issue(&request, &client).await?;
    Ok(no_store(HttpResponse::Ok()).json(OAuthToken {
        scope: scope_string(&issued.granted),
        access_token: issued.signed.token,
        expires_in: issued.signed.expires_in,
        issued_at: issued_at(issued.signed.issued_at),
    }))
}
