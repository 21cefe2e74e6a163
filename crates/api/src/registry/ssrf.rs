//! Server-side request forgery guard. Admins choose registry URLs, but a registry (or a DNS
//! answer, a redirect, a token realm) must never steer the server to link-local or cloud
//! metadata addresses, where credentials and instance secrets live.
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use shared::error::ErrorCode;
use url::{Host, Url};

use crate::error::AppError;

/// Metadata services outside the link-local ranges: fd00:ec2::254 (AWS over IPv6) and
/// fd20:ce::254 (Google over IPv6).
const METADATA_V6: [Ipv6Addr; 2] = [
    Ipv6Addr::new(0xfd00, 0x0ec2, 0, 0, 0, 0, 0, 0x0254),
    Ipv6Addr::new(0xfd20, 0x00ce, 0, 0, 0, 0, 0, 0x0254),
];

/// Metadata services outside 169.254.0.0/16: 100.100.100.200 (Alibaba Cloud) and
/// 192.0.0.192 (Oracle Cloud).
const METADATA_V4: [Ipv4Addr; 2] = [
    Ipv4Addr::new(100, 100, 100, 200),
    Ipv4Addr::new(192, 0, 0, 192),
];

/// Names of metadata services, refused whatever they resolve to (before any DNS lookup).
const METADATA_HOSTNAMES: [&str; 6] = [
    "metadata",
    "metadata.google.internal",
    "metadata.goog",
    "instance-data",
    "instance-data.ec2.internal",
    "metadata.azure.com",
];

/// Whether `ip` is link-local or a cloud metadata address, also when wrapped in IPv6.
pub fn is_forbidden_ip(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_forbidden_v4(v4),
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_forbidden_v4(v4);
            }
            let s = v6.segments();
            let embedded =
                Ipv4Addr::new((s[6] >> 8) as u8, s[6] as u8, (s[7] >> 8) as u8, s[7] as u8);
            // NAT64 (64:ff9b::/96) reaches IPv4 addresses from IPv6-only hosts, and the
            // deprecated IPv4-compatible form (::a.b.c.d) still parses.
            let embeds_v4 = s[..6] == [0x64, 0xff9b, 0, 0, 0, 0] || s[..6] == [0; 6];
            if embeds_v4 && is_forbidden_v4(embedded) {
                return true;
            }
            (s[0] & 0xffc0) == 0xfe80 || METADATA_V6.contains(&v6)
        }
    }
}

fn is_forbidden_v4(ip: Ipv4Addr) -> bool {
    ip.is_link_local() || METADATA_V4.contains(&ip)
}

/// Whether the host of `url` is a forbidden address or metadata name (no DNS lookup).
pub fn is_forbidden_host(url: &Url) -> bool {
    match url.host() {
        Some(Host::Ipv4(ip)) => is_forbidden_ip(IpAddr::V4(ip)),
        Some(Host::Ipv6(ip)) => is_forbidden_ip(IpAddr::V6(ip)),
        Some(Host::Domain(name)) => {
            let name = name.trim_end_matches('.').to_ascii_lowercase();
            if let Ok(ip) = name.parse::<IpAddr>() {
                return is_forbidden_ip(ip);
            }
            METADATA_HOSTNAMES.contains(&name.as_str())
        }
        None => false,
    }
}

/// The check for a registry URL an admin adds or edits.
///
/// - 400 `registry_host_forbidden` for link-local and cloud metadata addresses, always;
/// - 400 `registry_host_not_allowed` when `allowed_hosts` (`REGISTRY_ALLOWED_HOSTS`) is set and
///   neither `host` nor `host:port` is in it, unless `exempt` (the registry bootstrapped from
///   `REGISTRY_URL`, which the operator configured).
pub fn check_registry_url(
    url: &Url,
    allowed_hosts: Option<&[String]>,
    exempt: bool,
) -> Result<(), AppError> {
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none_or(str::is_empty) {
        return Err(AppError::bad_request(
            ErrorCode::InvalidUrl,
            "a registry URL must be http:// or https:// with a host",
        ));
    }
    if is_forbidden_host(url) {
        return Err(AppError::bad_request(
            ErrorCode::RegistryHostForbidden,
            "link-local and cloud metadata addresses cannot be used as registries",
        ));
    }
    let Some(allowed) = allowed_hosts else {
        return Ok(());
    };
    if exempt || host_is_allowed(url, allowed) {
        return Ok(());
    }
    Err(AppError::bad_request(
        ErrorCode::RegistryHostNotAllowed,
        format!(
            "{} is not in REGISTRY_ALLOWED_HOSTS",
            url.host_str().unwrap_or_default()
        ),
    ))
}

fn host_is_allowed(url: &Url, allowed: &[String]) -> bool {
    let Some(host) = url.host_str() else {
        return false;
    };
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    let port = url.port_or_known_default();
    allowed.iter().any(|entry| {
        let entry = entry.trim().trim_end_matches('.').to_ascii_lowercase();
        if entry == host || entry == bare {
            return true;
        }
        match (entry.rsplit_once(':'), port) {
            (Some((entry_host, entry_port)), Some(port)) => {
                let entry_host = entry_host.trim_start_matches('[').trim_end_matches(']');
                entry_host == bare && entry_port == port.to_string()
            }
            _ => false,
        }
    })
}

/// The request-time check of a URL the server is about to contact (registry, token realm,
/// pagination link): 502 `registry_host_forbidden`.
pub fn ensure_contactable(url: &Url) -> Result<(), AppError> {
    if is_forbidden_host(url) {
        return Err(forbidden_upstream(url.host_str().unwrap_or_default()));
    }
    Ok(())
}

pub(crate) fn forbidden_upstream(host: &str) -> AppError {
    AppError::upstream(
        ErrorCode::RegistryHostForbiddenUpstream,
        format!("refused to contact {host}: link-local and cloud metadata addresses are forbidden"),
    )
}

/// The error a refused connection carries through reqwest, found again by `is_forbidden_error`.
#[derive(Debug)]
pub struct ForbiddenAddress {
    pub host: String,
}

impl std::fmt::Display for ForbiddenAddress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} resolves only to forbidden addresses", self.host)
    }
}

impl std::error::Error for ForbiddenAddress {}

/// Whether a reqwest error was caused by this guard (resolver or redirect policy).
pub fn forbidden_cause(error: &(dyn std::error::Error + 'static)) -> Option<String> {
    let mut current: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(e) = current {
        if let Some(f) = e.downcast_ref::<ForbiddenAddress>() {
            return Some(f.host.clone());
        }
        current = e.source();
    }
    None
}

/// DNS resolution that drops forbidden addresses, so a name that resolves (or is rebound) to
/// a metadata address cannot be reached. IP literals never reach a resolver; they are checked
/// by `ensure_contactable` and the redirect policy.
#[derive(Debug, Default, Clone, Copy)]
pub struct GuardedResolver;

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_string();
        Box::pin(async move {
            let resolved: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let allowed: Vec<SocketAddr> = resolved
                .iter()
                .copied()
                .filter(|addr| !is_forbidden_ip(addr.ip()))
                .collect();
            if allowed.is_empty() && !resolved.is_empty() {
                return Err(Box::new(ForbiddenAddress { host }) as _);
            }
            Ok(Box::new(allowed.into_iter()) as Addrs)
        })
    }
}

/// Follows up to 5 redirects, never to a forbidden host. reqwest itself drops `Authorization`
/// when a redirect leaves the original host and port, so credentials stay with the registry.
pub fn redirect_policy() -> reqwest::redirect::Policy {
    reqwest::redirect::Policy::custom(|attempt| {
        if attempt.previous().len() >= 5 {
            return attempt.error("too many redirects");
        }
        if is_forbidden_host(attempt.url()) {
            let host = attempt.url().host_str().unwrap_or_default().to_string();
            return attempt.error(ForbiddenAddress { host });
        }
        if !matches!(attempt.url().scheme(), "http" | "https") {
            return attempt.error("redirect to a non-HTTP URL");
        }
        attempt.follow()
    })
}

#[cfg(test)]
mod tests {
    use std::str::FromStr as _;

    use super::*;

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    #[test]
    fn link_local_and_metadata_addresses_are_forbidden() {
        for bad in [
            "http://169.254.169.254/",
            "http://169.254.0.1:5000",
            "http://[fe80::1]/",
            "http://[febf::1]/",
            "http://[fd00:ec2::254]/",
            "http://[::ffff:169.254.169.254]/",
            "http://[64:ff9b::a9fe:a9fe]/",
            "http://metadata.google.internal/",
            "http://METADATA.google.internal./",
            // The URL parser turns numeric hosts into IPv4 addresses.
            "http://2852039166/",
            "http://0xa9fea9fe/",
            "http://0251.0376.0251.0376/",
            "http://169.254.43518/",
            "http://[::ffff:a9fe:a9fe]/",
            "http://[0:0:0:0:0:ffff:169.254.169.254]/",
            "http://[::169.254.169.254]/",
            "http://100.100.100.200/",
            "http://[::ffff:100.100.100.200]/",
            "http://192.0.0.192/",
            "http://3221225664/",
            "http://[FD00:EC2::254]/",
            "http://[fd00:ec2:0:0:0:0:0:254]:8080/",
            "http://[fd20:ce::254]/",
            "http://metadata/",
            "http://Metadata./",
            "http://metadata.goog/",
        ] {
            let err = check_registry_url(&url(bad), None, false).unwrap_err();
            assert_eq!(err.code(), "registry_host_forbidden", "{bad}");
            assert!(ensure_contactable(&url(bad)).is_err(), "{bad}");
        }
    }

    #[test]
    fn ordinary_addresses_are_allowed() {
        for ok in [
            "http://127.0.0.1:5000",
            "https://registry.example.com",
            "http://10.0.0.5:5000",
            "http://[::1]:5000",
            "http://[fd00::1]/",
            "http://169.253.1.1/",
        ] {
            assert!(check_registry_url(&url(ok), None, false).is_ok(), "{ok}");
            assert!(ensure_contactable(&url(ok)).is_ok(), "{ok}");
        }
    }

    #[test]
    fn the_allow_list_matches_host_or_host_and_port() {
        let allowed = vec![
            "registry.example.com".to_string(),
            "10.0.0.5:5000".to_string(),
            "[::1]:5000".to_string(),
        ];
        let check = |u: &str| check_registry_url(&url(u), Some(&allowed), false);
        assert!(check("https://registry.example.com").is_ok());
        assert!(check("http://registry.example.com:8080").is_ok());
        assert!(check("http://10.0.0.5:5000").is_ok());
        assert!(check("http://[::1]:5000").is_ok());
        for bad in [
            "http://10.0.0.5:5001",
            "http://10.0.0.5",
            "https://evil.example.com",
            "http://[::1]:80",
        ] {
            assert_eq!(
                check(bad).unwrap_err().code(),
                "registry_host_not_allowed",
                "{bad}"
            );
        }
    }

    #[test]
    fn the_bootstrapped_registry_is_exempt_from_the_allow_list_but_not_from_the_ban() {
        let allowed = vec!["registry.example.com".to_string()];
        assert!(check_registry_url(&url("http://10.1.1.1:5000"), Some(&allowed), true).is_ok());
        assert_eq!(
            check_registry_url(&url("http://169.254.169.254"), Some(&allowed), true)
                .unwrap_err()
                .code(),
            "registry_host_forbidden"
        );
    }

    #[tokio::test]
    async fn the_resolver_drops_forbidden_addresses() {
        let forbidden = GuardedResolver
            .resolve(Name::from_str("169.254.169.254").unwrap())
            .await;
        let err = forbidden.err().expect("refused");
        assert_eq!(
            forbidden_cause(err.as_ref()).as_deref(),
            Some("169.254.169.254")
        );

        let fine = GuardedResolver
            .resolve(Name::from_str("127.0.0.1").unwrap())
            .await
            .expect("loopback resolves");
        assert_eq!(fine.count(), 1);
    }
}
