//! Bearer tokens: answering `WWW-Authenticate` challenges and caching tokens per scope.
use std::sync::Arc;
use std::time::Instant;

use reqwest::header::AUTHORIZATION;
use url::Url;

use crate::error::AppResult;
use crate::registry::challenge::{CachedToken, Challenge, TokenResponse};
use crate::registry::ssrf;

use super::transport::*;
use super::*;

impl RegistryClient {
    /// A token for exactly `scope`, signed here: registry-gui is this registry's login, and
    /// what it may do was checked before the call (`permissions`).
    fn local_token(&self, local: &LocalTokens, scope: Option<&str>) -> AppResult<CachedToken> {
        let access: Vec<_> = scope
            .unwrap_or_default()
            .split(' ')
            .filter_map(crate::registry::signer::parse_scope)
            .collect();
        let signed = local
            .signer
            .sign("registry-gui", &local.service, &access)
            .map_err(crate::error::AppError::Internal)?;
        // Renewed a little before the registry would refuse it.
        let lifetime = (signed.expires_in - 10).max(1) as u64;
        Ok(CachedToken {
            value: signed.token,
            valid_until: Instant::now() + std::time::Duration::from_secs(lifetime),
        })
    }

    /// The `Authorization` to send before any challenge, from what the registry asked last.
    pub(super) async fn authorization_for(&self, scope: Option<&str>) -> AppResult<Option<String>> {
        let known = lock(&self.known_auth).clone();
        match known {
            KnownAuth::Unknown => Ok(None),
            KnownAuth::Basic => Ok(self.basic_header()),
            KnownAuth::Bearer { realm, service } => {
                let token = self.token(&realm, service.as_deref(), scope, None).await?;
                Ok(Some(format!("Bearer {token}")))
            }
        }
    }

    /// Answers a 401: learns the scheme and returns the `Authorization` to retry with.
    pub(super) async fn answer_challenge(
        &self,
        challenge: Option<Challenge>,
        scope: Option<&str>,
        sent: Option<&str>,
    ) -> AppResult<String> {
        match challenge {
            None => Err(auth_failed(format!(
                "registry {:?} refused the request without a usable authentication challenge",
                self.name
            ))),
            Some(Challenge::Basic) => {
                *lock(&self.known_auth) = KnownAuth::Basic;
                let header = self.basic_header().ok_or_else(|| {
                    auth_failed(format!(
                        "registry {:?} requires credentials and none are configured",
                        self.name
                    ))
                })?;
                if sent == Some(header.as_str()) {
                    return Err(auth_failed(format!(
                        "registry {:?} refused the configured credentials",
                        self.name
                    )));
                }
                Ok(header)
            }
            Some(Challenge::Bearer {
                realm,
                service,
                scope: asked,
            }) => {
                *lock(&self.known_auth) = KnownAuth::Bearer {
                    realm: realm.clone(),
                    service: service.clone(),
                };
                let stale = sent.and_then(|s| s.strip_prefix("Bearer "));
                // Cache under our scope (what the next request looks up) but ask for what the
                // registry said it needs.
                let token = self
                    .token_for_scope(
                        &realm,
                        service.as_deref(),
                        scope.or(asked.as_deref()),
                        asked.as_deref().or(scope),
                        stale,
                    )
                    .await?;
                Ok(format!("Bearer {token}"))
            }
        }
    }

    pub(super) async fn token(
        &self,
        realm: &str,
        service: Option<&str>,
        scope: Option<&str>,
        stale: Option<&str>,
    ) -> AppResult<String> {
        self.token_for_scope(realm, service, scope, scope, stale)
            .await
    }

    /// A cached token for `key`, or a new one for `scope` when there is none, it expired, or
    /// it is `stale` (the registry just refused it). Concurrent callers share one fetch.
    pub(super) async fn token_for_scope(
        &self,
        realm: &str,
        service: Option<&str>,
        key: Option<&str>,
        scope: Option<&str>,
        stale: Option<&str>,
    ) -> AppResult<String> {
        let key = format!(
            "{realm} {} {}",
            service.unwrap_or_default(),
            key.unwrap_or_default()
        );
        let slot = {
            let mut tokens = lock(&self.tokens);
            if tokens.len() > 4096 {
                tokens.retain(|_, slot| {
                    Arc::strong_count(slot) > 1
                        || slot
                            .try_lock()
                            .map(|t| t.as_ref().is_some_and(CachedToken::is_fresh))
                            .unwrap_or(true)
                });
            }
            tokens.entry(key).or_default().clone()
        };
        let mut cached = slot.lock().await;
        if let Some(token) = cached.as_ref() {
            if token.is_fresh() && Some(token.value.as_str()) != stale {
                return Ok(token.value.clone());
            }
        }
        let token = self.fetch_token(realm, service, scope).await?;
        let value = token.value.clone();
        *cached = Some(token);
        Ok(value)
    }

    pub(super) async fn fetch_token(
        &self,
        realm: &str,
        service: Option<&str>,
        scope: Option<&str>,
    ) -> AppResult<CachedToken> {
        if let Some(local) = self
            .local_tokens
            .as_ref()
            .filter(|l| service == Some(l.service.as_str()))
        {
            return self.local_token(local, scope);
        }
        let mut url = Url::parse(realm)
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some())
            .ok_or_else(|| {
                auth_failed(format!(
                    "registry {:?} named an invalid token realm",
                    self.name
                ))
            })?;
        ssrf::ensure_contactable(&url)?;
        {
            let mut query = url.query_pairs_mut();
            if let Some(service) = service {
                query.append_pair("service", service);
            }
            if let Some(scope) = scope {
                query.append_pair("scope", scope);
            }
        }
        let started = Instant::now();
        let mut request = self.http.get(url);
        if let Some(basic) = self.basic_header() {
            request = request.header(AUTHORIZATION, basic);
        }
        let result = async {
            let response = request.send().await.map_err(|e| self.transport_error(&e))?;
            let status = response.status();
            let body = read_limited(response, TOKEN_LIMIT).await.map_err(|e| match e {
                ReadError::Transport(e) => self.transport_error(&e),
                ReadError::TooLarge => bad_content("the token response is too large"),
            })?;
            if status == reqwest::StatusCode::UNAUTHORIZED || status == reqwest::StatusCode::FORBIDDEN {
                return Err(auth_failed(format!(
                    "the token service of registry {:?} refused the configured credentials ({status})",
                    self.name
                )));
            }
            if !status.is_success() {
                return Err(auth_failed(format!(
                    "the token service of registry {:?} answered {status}",
                    self.name
                )));
            }
            serde_json::from_slice::<TokenResponse>(&body)
                .ok()
                .and_then(TokenResponse::into_token)
                .ok_or_else(|| auth_failed(format!("registry {:?}'s token service sent no token", self.name)))
        }
        .await;
        self.metrics.upstream(
            &self.name,
            "token",
            started.elapsed(),
            result.as_ref().err().map(error_kind),
        );
        result
    }
}
