//! The URL Twilio signed, as the proxy learns it: a configured public URL, or the forwarded
//! headers of listed proxies in front. Never the client's `Host` alone, never the request
//! target's scheme (a request Twilio signed for another app of the same account
//! would otherwise verify here).

use std::net::IpAddr;

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
}

/// `(scheme, host[:port])` of a URL the library resolved (`scheme://[userinfo@]host…`):
/// credentials in a configured base are not a host.
pub(crate) fn scheme_and_host(url: &str) -> Option<(String, String)> {
    let (scheme, rest) = url.split_once("://")?;
    let authority = rest.split(['/', '?']).next().unwrap_or_default();
    let host = authority.rsplit('@').next().unwrap_or_default();
    Some((scheme.to_ascii_lowercase(), host.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn who_is_admitted_and_what_host_is_told() {
        let peer = Some("127.0.0.1".parse().unwrap());
        let other = Some("10.0.0.1".parse().unwrap());
        let base = Public::base("https://u:p@hooks.example.com:8443/p").unwrap();
        assert!(base.admits(other) && !base.trusts(peer));
        let behind = Public::behind(TrustedProxies::new(["127.0.0.1"]).unwrap()).unwrap();
        assert!(behind.admits(peer) && !behind.admits(other) && !behind.admits(None));
        assert!(matches!(
            Public::behind(TrustedProxies::default()),
            Err(ProxyError::NoPublicUrl)
        ));
        assert_eq!(
            scheme_and_host("HTTPS://u:p@hooks.example.com:8443/p/sms?x=1"),
            Some(("https".into(), "hooks.example.com:8443".into()))
        );
        assert_eq!(
            scheme_and_host("http://h.com?x"),
            Some(("http".into(), "h.com".into()))
        );
    }
}
