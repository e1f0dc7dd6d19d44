//! The URL Twilio signed, as the proxy learns it: a configured public URL, or the forwarded
//! headers of listed proxies in front. Never the client's `Host` alone, never the request
//! target's scheme (issue 16: a request Twilio signed for another app of the same account
//! would otherwise verify here).

use std::net::IpAddr;

use http::HeaderMap;
use twilio_webhook::url::{Origin, Scheme};
use twilio_webhook::{PublicUrl, TrustedProxies};

use super::ProxyError;

/// Where the signed URL comes from; every route shares it.
#[derive(Debug, Clone)]
pub struct Public {
    url: PublicUrl,
    has_base: bool,
    trusted: TrustedProxies,
}

impl Public {
    /// The public base URL Twilio calls (`https://host[:port][/prefix]`).
    pub fn base(url: &str) -> Result<Public, ProxyError> {
        let url = PublicUrl::base(url).map_err(|e| ProxyError::PublicUrl(e.to_string()))?;
        Ok(Public {
            url,
            has_base: true,
            trusted: TrustedProxies::default(),
        })
    }

    /// No base URL: the forwarded headers of `proxies` name it, and requests from anyone
    /// else are refused. An empty list is refused (nothing could be verified).
    pub fn behind(proxies: TrustedProxies) -> Result<Public, ProxyError> {
        if proxies == TrustedProxies::default() {
            return Err(ProxyError::NoPublicUrl);
        }
        Ok(Public {
            url: PublicUrl::trusting(proxies.clone()),
            has_base: false,
            trusted: proxies,
        })
    }

    /// With a base URL: these proxies' `X-Forwarded-For` list is extended rather than
    /// replaced (the URL still comes from the base).
    #[must_use]
    pub fn trusting(mut self, proxies: TrustedProxies) -> Public {
        if self.has_base {
            self.trusted = proxies;
        }
        self
    }

    pub(crate) fn url(&self) -> PublicUrl {
        self.url.clone()
    }

    /// Whether a request from `peer` can be verified at all.
    pub(crate) fn admits(&self, peer: Option<IpAddr>) -> bool {
        self.has_base || self.trusts(peer)
    }

    /// Whether `peer` is a listed proxy.
    pub(crate) fn trusts(&self, peer: Option<IpAddr>) -> bool {
        peer.is_some_and(|ip| self.trusted.contains(ip))
    }

    /// `(scheme, host)` of the URL the request was verified against: what the library
    /// resolved, from the same inputs (the base, or the trusted peer's headers).
    pub(crate) fn verified_origin(
        &self,
        headers: &HeaderMap,
        peer: Option<IpAddr>,
        listener: Scheme,
    ) -> Option<(String, String)> {
        let last = |name: &str| {
            headers
                .get_all(name)
                .iter()
                .next_back()
                .and_then(|v| v.to_str().ok())
        };
        let origin = Origin::new(listener)
            .peer(peer)
            .host(last("host"))
            .forwarded(last("forwarded"))
            .x_forwarded_proto(last("x-forwarded-proto"))
            .x_forwarded_host(last("x-forwarded-host"));
        let url = self.url.resolve("/", &origin).ok()?;
        let (scheme, rest) = url.split_once("://")?;
        let authority = rest.split('/').next().unwrap_or_default();
        // A configured base may carry basic-auth credentials; they are not a host.
        let host = authority.rsplit('@').next().unwrap_or_default();
        Some((scheme.to_ascii_lowercase(), host.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origin_from_base_or_trusted_headers_only() {
        let mut headers = HeaderMap::new();
        headers.insert("host", "evil.example".parse().unwrap());
        headers.insert("x-forwarded-host", "spoof.example".parse().unwrap());
        headers.insert("x-forwarded-proto", "https".parse().unwrap());
        let base = Public::base("https://u:p@hooks.example.com:8443/p").unwrap();
        let peer = Some("127.0.0.1".parse().unwrap());
        assert_eq!(
            base.verified_origin(&headers, peer, Scheme::Http),
            Some(("https".into(), "hooks.example.com:8443".into()))
        );
        assert!(base.admits(peer));
        let behind = Public::behind(TrustedProxies::new(["127.0.0.1"]).unwrap()).unwrap();
        assert_eq!(
            behind.verified_origin(&headers, peer, Scheme::Http),
            Some(("https".into(), "spoof.example".into()))
        );
        let other = Some("10.0.0.1".parse().unwrap());
        assert!(!behind.admits(other));
        assert!(matches!(
            Public::behind(TrustedProxies::default()),
            Err(ProxyError::NoPublicUrl)
        ));
    }
}
