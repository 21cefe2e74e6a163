//! Sending one request: credentials, the answer to a challenge, size limits, and upstream
//! failures mapped to stable errors.
use std::time::Instant;

use base64::Engine as _;
use bytes::Bytes;
use reqwest::header::{ACCEPT, AUTHORIZATION, WWW_AUTHENTICATE};
use reqwest::Method;
use reqwest::StatusCode;
use shared::error::ErrorCode;

use crate::error::{AppError, AppResult};
use crate::registry::challenge::parse_challenges;
use crate::registry::ssrf;

use super::*;

impl RegistryClient {
    pub(super) fn basic_header(&self) -> Option<String> {
        self.credentials.as_ref().map(|(user, password)| {
            let raw = format!("{user}:{}", password.expose());
            format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(raw)
            )
        })
    }

    pub(super) fn transport_error(&self, e: &reqwest::Error) -> AppError {
        if let Some(host) = ssrf::forbidden_cause(e) {
            return ssrf::forbidden_upstream(&host);
        }
        let cause = error_chain(e);
        if e.is_connect() {
            return AppError::upstream(
                ErrorCode::RegistryUnreachable,
                format!(
                    "cannot connect to registry {:?} at {}: {cause}",
                    self.name, self.base
                ),
            );
        }
        if e.is_timeout() {
            return AppError::upstream(
                ErrorCode::RegistryTimeout,
                format!("registry {:?} did not answer in time", self.name),
            );
        }
        AppError::upstream(
            ErrorCode::RegistryUnreachable,
            format!("request to registry {:?} failed: {cause}", self.name),
        )
    }

    /// Sends one request under the concurrency limit, answering one auth challenge.
    // A span per upstream call; the path only (never the query or a header), so no credential
    // can reach a log line through it.
    #[tracing::instrument(
        level = "debug",
        skip_all,
        fields(registry = %self.name, op = call.op, method = %call.method, path = %call.url.path())
    )]
    pub(super) async fn send(&self, call: Call<'_>) -> AppResult<Upstream> {
        ssrf::ensure_contactable(&call.url)?;
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|_| AppError::Internal(anyhow::anyhow!("registry semaphore closed")))?;
        let mut authorization = self.authorization_for(call.scope.as_deref()).await?;
        let mut answered = false;
        loop {
            let started = Instant::now();
            let result = self.send_once(&call, authorization.as_deref()).await;
            let response = match result {
                Ok(r) => r,
                Err(e) => {
                    self.metrics.upstream(
                        &self.name,
                        call.op,
                        started.elapsed(),
                        Some(error_kind(&e)),
                    );
                    return Err(e);
                }
            };
            if response.status == StatusCode::UNAUTHORIZED && !answered {
                self.metrics
                    .upstream(&self.name, call.op, started.elapsed(), None);
                answered = true;
                let challenge = parse_challenges(
                    response
                        .headers
                        .get_all(WWW_AUTHENTICATE)
                        .iter()
                        .filter_map(|v| v.to_str().ok()),
                );
                authorization = Some(
                    self.answer_challenge(
                        challenge,
                        call.scope.as_deref(),
                        authorization.as_deref(),
                    )
                    .await?,
                );
                continue;
            }
            if response.status == StatusCode::UNAUTHORIZED
                || response.status == StatusCode::FORBIDDEN
            {
                self.metrics
                    .upstream(&self.name, call.op, started.elapsed(), Some("auth_failed"));
                return Err(auth_failed(format!(
                    "registry {:?} refused access ({}) even after authenticating",
                    self.name, response.status
                )));
            }
            let kind = response.status.is_server_error().then_some("status_5xx");
            self.metrics
                .upstream(&self.name, call.op, started.elapsed(), kind);
            return Ok(response);
        }
    }

    pub(super) async fn send_once(
        &self,
        call: &Call<'_>,
        authorization: Option<&str>,
    ) -> AppResult<Upstream> {
        let mut request = self.http.request(call.method.clone(), call.url.clone());
        if let Some(accept) = call.accept {
            request = request.header(ACCEPT, accept);
        }
        if let Some(authorization) = authorization {
            request = request.header(AUTHORIZATION, authorization);
        }
        let response = request.send().await.map_err(|e| self.transport_error(&e))?;
        let status = response.status();
        let headers = response.headers().clone();
        let body = if call.method == Method::HEAD || status == StatusCode::UNAUTHORIZED {
            Bytes::new()
        } else {
            read_limited(response, call.limit)
                .await
                .map_err(|e| match e {
                    ReadError::Transport(e) => self.transport_error(&e),
                    ReadError::TooLarge => bad_content(format!(
                        "registry {:?} sent more than {} bytes for {}",
                        self.name, call.limit, call.op
                    )),
                })?
        };
        Ok(Upstream {
            status,
            headers,
            body,
        })
    }

    pub(super) fn unexpected(&self, what: &str, response: &Upstream) -> AppError {
        let code = response.error_code().unwrap_or_default();
        registry_error(format!(
            "registry {:?} answered {} to {what} {code}",
            self.name, response.status
        ))
    }
}

pub(super) fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = s.source();
    }
    out
}

pub(super) enum ReadError {
    Transport(reqwest::Error),
    TooLarge,
}

pub(super) async fn read_limited(
    mut response: reqwest::Response,
    limit: usize,
) -> Result<Bytes, ReadError> {
    if response.content_length().is_some_and(|n| n > limit as u64) {
        return Err(ReadError::TooLarge);
    }
    let mut body =
        Vec::with_capacity(response.content_length().unwrap_or(0).min(limit as u64) as usize);
    while let Some(chunk) = response.chunk().await.map_err(ReadError::Transport)? {
        if body.len() + chunk.len() > limit {
            return Err(ReadError::TooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.into())
}
