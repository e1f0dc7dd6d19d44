//! The client's address behind trusted proxies: the peer, unless the peer is a configured
//! proxy (the library's [`TrustedProxies`], the rule the `twilio-webhook proxy` trusts
//! forwarding headers by); then `X-Forwarded-For` is read from the right, past every listed
//! proxy, and the first address not listed is the client. A client cannot forge its way
//! past this: entries left of the first untrusted hop are the client's own and are ignored.
//!
//! ```text
//! peer 10.0.0.2 (listed), X-Forwarded-For: 6.6.6.6, 203.0.113.9, 10.0.0.7 (listed)
//!   -> 203.0.113.9
//! ```

use std::net::{IpAddr, SocketAddr};

use axum::http::HeaderMap;
use twilio_webhook::TrustedProxies;

/// The client's address, from the peer and, when the peer is trusted, `X-Forwarded-For`.
pub(crate) fn resolve(
    trusted: &TrustedProxies,
    peer: Option<IpAddr>,
    headers: &HeaderMap,
) -> Option<IpAddr> {
    let mut nearest = peer?;
    if !trusted.contains(nearest) {
        return Some(nearest);
    }
    let hops = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .collect::<Vec<_>>();
    for hop in hops.into_iter().rev() {
        // A hop that does not parse ends the chain: the last proxy that wrote it is the
        // nearest address known.
        let Some(ip) = parse_hop(hop) else {
            return Some(nearest);
        };
        if !trusted.contains(ip) {
            return Some(ip);
        }
        nearest = ip;
    }
    Some(nearest)
}

/// One `X-Forwarded-For` entry: `1.2.3.4`, `1.2.3.4:5678`, `2001:db8::1`, `[2001:db8::1]:5678`.
fn parse_hop(hop: &str) -> Option<IpAddr> {
    let hop = hop.trim();
    if let Ok(ip) = hop.parse::<IpAddr>() {
        return Some(ip.to_canonical());
    }
    hop.parse::<SocketAddr>()
        .ok()
        .map(|s| s.ip().to_canonical())
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn xff(values: &[&str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for v in values {
            headers.append("x-forwarded-for", HeaderValue::from_str(v).unwrap());
        }
        headers
    }

    fn ip(s: &str) -> Option<IpAddr> {
        Some(s.parse().unwrap())
    }

    #[test]
    fn only_listed_proxies_are_believed() {
        let trusted = TrustedProxies::new(["10.0.0.0/8", "::1"]).unwrap();
        let chain = xff(&["6.6.6.6, 203.0.113.9", "10.0.0.7"]);
        assert_eq!(resolve(&trusted, ip("10.0.0.2"), &chain), ip("203.0.113.9"));
        assert_eq!(resolve(&trusted, ip("::1"), &chain), ip("203.0.113.9"));
        assert_eq!(resolve(&trusted, ip("192.0.2.1"), &chain), ip("192.0.2.1"));
        assert_eq!(
            resolve(&TrustedProxies::default(), ip("10.0.0.2"), &chain),
            ip("10.0.0.2")
        );
        assert_eq!(resolve(&trusted, ip("10.0.0.2"), &xff(&[])), ip("10.0.0.2"));
        assert_eq!(
            resolve(&trusted, ip("10.0.0.2"), &xff(&["10.0.0.9, 10.0.0.8"])),
            ip("10.0.0.9")
        );
        assert_eq!(
            resolve(&trusted, ip("10.0.0.2"), &xff(&["1.1.1.1, junk, 10.0.0.8"])),
            ip("10.0.0.8")
        );
        assert_eq!(
            resolve(&trusted, ip("10.0.0.2"), &xff(&["[2001:db8::5]:443"])),
            ip("2001:db8::5")
        );
        assert_eq!(resolve(&trusted, None, &chain), None);
    }
}
