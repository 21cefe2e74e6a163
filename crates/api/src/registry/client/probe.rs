//! The connection test behind `POST /api/admin/registries/{name}/test`.
use std::time::Instant;

use reqwest::header::{AUTHORIZATION, WWW_AUTHENTICATE};
use shared::admin::RegistryTestResult;

use crate::error::AppResult;
use crate::registry::challenge::{parse_challenges, Challenge};
use crate::registry::ssrf;

use super::*;

impl RegistryClient {
    /// Contacts `GET /v2/` afresh (no cached token): reachability, API version, whether the
    /// configured credentials work, and the latency. Never fails; problems go in `error`.
    pub async fn probe(&self) -> RegistryTestResult {
        let started = Instant::now();
        let mut result = RegistryTestResult {
            reachable: false,
            status: None,
            api_version: None,
            auth_ok: false,
            latency_ms: 0,
            error: None,
        };
        let outcome = self.probe_into(&mut result).await;
        if let Err(e) = outcome {
            result.error = Some(e.to_string());
        }
        result.latency_ms = started.elapsed().as_millis() as u64;
        self.metrics.upstream(
            &self.name,
            "ping",
            started.elapsed(),
            (!result.reachable).then_some("unreachable"),
        );
        result
    }

    pub(super) async fn probe_into(&self, result: &mut RegistryTestResult) -> AppResult<()> {
        let url = self.v2("")?;
        ssrf::ensure_contactable(&url)?;
        let get = |authorization: Option<String>| {
            let mut request = self.http.get(url.clone());
            if let Some(a) = authorization {
                request = request.header(AUTHORIZATION, a);
            }
            async move { request.send().await.map_err(|e| self.transport_error(&e)) }
        };
        let record = |result: &mut RegistryTestResult, response: &reqwest::Response| {
            result.reachable = true;
            result.status = Some(response.status().as_u16());
            if let Some(v) = response
                .headers()
                .get("docker-distribution-api-version")
                .and_then(|v| v.to_str().ok())
            {
                result.api_version = Some(v.to_string());
            }
        };
        let first = get(None).await?;
        record(result, &first);
        if first.status() != reqwest::StatusCode::UNAUTHORIZED {
            result.auth_ok = first.status().is_success();
            if !result.auth_ok {
                result.error = Some(format!("GET /v2/ answered {}", first.status()));
            }
            return Ok(());
        }
        let challenge = parse_challenges(
            first
                .headers()
                .get_all(WWW_AUTHENTICATE)
                .iter()
                .filter_map(|v| v.to_str().ok()),
        );
        let authorization = match challenge {
            None => {
                return Err(auth_failed(
                    "the registry answered 401 without a usable challenge",
                ))
            }
            Some(Challenge::Basic) => self.basic_header().ok_or_else(|| {
                auth_failed("the registry requires credentials and none are configured")
            })?,
            Some(Challenge::Bearer {
                realm,
                service,
                scope,
            }) => {
                let token = self
                    .fetch_token(&realm, service.as_deref(), scope.as_deref())
                    .await?;
                format!("Bearer {}", token.value)
            }
        };
        let second = get(Some(authorization)).await?;
        record(result, &second);
        result.auth_ok = second.status().is_success();
        if !result.auth_ok {
            result.error = Some(format!(
                "GET /v2/ answered {} after authenticating",
                second.status()
            ));
        }
        Ok(())
    }
}
