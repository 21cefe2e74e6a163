//! The client address used for throttling and the audit log.
use std::net::IpAddr;

use actix_web::HttpRequest;

/// The TCP peer, unless the peer is a trusted proxy: then the right-most address in
/// `X-Forwarded-For` that is not itself a trusted proxy.
pub fn client_ip(req: &HttpRequest, trusted_proxies: &[IpAddr]) -> String {
    let peer = req.peer_addr().map(|a| a.ip());
    match peer {
        Some(peer) if trusted_proxies.contains(&peer) => forwarded_client(req, trusted_proxies)
            .unwrap_or(peer)
            .to_string(),
        Some(peer) => peer.to_string(),
        None => "unknown".into(),
    }
}

fn forwarded_client(req: &HttpRequest, trusted: &[IpAddr]) -> Option<IpAddr> {
    let header = req.headers().get("x-forwarded-for")?.to_str().ok()?;
    header
        .split(',')
        .rev()
        .filter_map(|part| part.trim().parse::<IpAddr>().ok())
        .find(|ip| !trusted.contains(ip))
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    #[test]
    fn the_peer_is_used_when_it_is_not_a_trusted_proxy() {
        let req = TestRequest::default()
            .peer_addr("10.0.0.5:1234".parse().unwrap())
            .insert_header(("x-forwarded-for", "1.2.3.4"))
            .to_http_request();
        assert_eq!(client_ip(&req, &[]), "10.0.0.5");
    }

    #[test]
    fn a_trusted_proxy_passes_on_the_forwarded_address() {
        let proxy: IpAddr = "10.0.0.5".parse().unwrap();
        let req = TestRequest::default()
            .peer_addr("10.0.0.5:1234".parse().unwrap())
            .insert_header(("x-forwarded-for", "6.6.6.6, 1.2.3.4"))
            .to_http_request();
        assert_eq!(client_ip(&req, &[proxy]), "1.2.3.4");
    }
}
