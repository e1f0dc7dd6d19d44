//! Public-URL reconstruction; documented on [`PublicUrl`], re-exported from [`crate::url`].

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

/// The scheme a listener serves (used when no base URL or trusted proxy says otherwise).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum Scheme {
    /// Plain HTTP (also what a server behind a TLS-terminating proxy sees).
    #[default]
    Http,
    /// HTTPS terminated by this server.
    Https,
}

impl Scheme {
    /// `"http"` or `"https"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Scheme::Http => "http",
            Scheme::Https => "https",
        }
    }

    fn parse(s: &str) -> Option<Scheme> {
        if s.eq_ignore_ascii_case("https") {
            Some(Scheme::Https)
        } else if s.eq_ignore_ascii_case("http") {
            Some(Scheme::Http)
        } else {
            None
        }
    }
}

impl fmt::Display for Scheme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a public-URL policy could not be built (a configuration mistake).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum UrlError {
    /// The base URL is not `http://` or `https://` followed by a host.
    #[error("public base URL must look like https://host[:port][/prefix]")]
    InvalidBase,
    /// The base URL has a query or a fragment; only a path prefix may follow the host.
    #[error("public base URL must not have a query or fragment")]
    BaseHasQuery,
    /// A trusted-proxy entry is neither an IP address nor a CIDR block.
    #[error("trusted proxy {0:?} is not an IP address or CIDR block")]
    InvalidProxy(String),
}

/// Why the URL of one request could not be rebuilt (the request's fault: 400).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum ResolveError {
    /// No `Host` header (nor HTTP/2 authority) and no configured base URL.
    #[error("missing Host header")]
    MissingHost,
    /// The `Host` (or trusted forwarded host) is not a plain `host[:port]`.
    #[error("invalid Host header")]
    InvalidHost,
    /// A trusted proxy sent a forwarded protocol other than http or https.
    #[error("invalid forwarded protocol")]
    InvalidProto,
    /// The request target is not an origin-form path (`/…`).
    #[error("invalid request target")]
    InvalidTarget,
}

/// An IP address or CIDR block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Net {
    addr: IpAddr,
    prefix: u8,
}

impl Net {
    fn contains(&self, ip: IpAddr) -> bool {
        match (self.addr, ip) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

impl FromStr for Net {
    type Err = UrlError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || UrlError::InvalidProxy(s.to_owned());
        let (addr, prefix) = match s.trim().split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s.trim(), None),
        };
        let addr = IpAddr::from_str(addr).map_err(|_| bad())?.to_canonical();
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            Some(p) => p.parse::<u8>().ok().filter(|p| *p <= max).ok_or_else(bad)?,
            None => max,
        };
        Ok(Net { addr, prefix })
    }
}

/// The proxies whose forwarded headers are believed: IP addresses and CIDR blocks.
///
/// ```
/// use twilio_webhook::TrustedProxies;
/// let proxies = TrustedProxies::new(["127.0.0.1", "10.0.0.0/8", "fd00::/8"]).unwrap();
/// assert!(proxies.contains("10.200.0.1".parse().unwrap()));
/// assert!(proxies.contains("::ffff:127.0.0.1".parse().unwrap()));
/// assert!(!proxies.contains("192.168.1.1".parse().unwrap()));
/// assert!(TrustedProxies::new(["10.0.0.0/33"]).is_err());
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies {
    nets: Vec<Net>,
}

impl TrustedProxies {
    /// Parses each entry as an IP address (`10.0.0.1`, `::1`) or CIDR block (`10.0.0.0/8`).
    pub fn new<S: AsRef<str>>(entries: impl IntoIterator<Item = S>) -> Result<Self, UrlError> {
        let nets = entries
            .into_iter()
            .map(|e| e.as_ref().parse())
            .collect::<Result<_, _>>()?;
        Ok(TrustedProxies { nets })
    }

    /// Whether `ip` (an IPv4-mapped IPv6 address counts as IPv4) is a listed proxy.
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = ip.to_canonical();
        self.nets.iter().any(|n| n.contains(ip))
    }
}

/// What the server knows about how a request reached it: the listener's scheme, the peer
/// address and the header values URL reconstruction may use (for headers that repeat, the
/// last value received).
#[derive(Debug, Clone, Default)]
pub(crate) struct Origin<'a> {
    scheme: Scheme,
    peer: Option<IpAddr>,
    host: Option<&'a str>,
    forwarded: Option<&'a str>,
    x_forwarded_proto: Option<&'a str>,
    x_forwarded_host: Option<&'a str>,
}

impl<'a> Origin<'a> {
    /// A request that arrived on a listener serving `scheme`.
    pub(crate) fn new(scheme: Scheme) -> Self {
        Origin {
            scheme,
            ..Origin::default()
        }
    }

    /// The peer's address (the connection's remote end, not any header).
    #[must_use]
    pub(crate) fn peer(mut self, peer: Option<IpAddr>) -> Self {
        self.peer = peer;
        self
    }

    /// The `Host` header (or the HTTP/2 `:authority`).
    #[must_use]
    pub(crate) fn host(mut self, host: Option<&'a str>) -> Self {
        self.host = host;
        self
    }

    /// The last `Forwarded` header line.
    #[must_use]
    pub(crate) fn forwarded(mut self, value: Option<&'a str>) -> Self {
        self.forwarded = value;
        self
    }

    /// The last `X-Forwarded-Proto` header line.
    #[must_use]
    pub(crate) fn x_forwarded_proto(mut self, value: Option<&'a str>) -> Self {
        self.x_forwarded_proto = value;
        self
    }

    /// The last `X-Forwarded-Host` header line.
    #[must_use]
    pub(crate) fn x_forwarded_host(mut self, value: Option<&'a str>) -> Self {
        self.x_forwarded_host = value;
        self
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Policy {
    Base(String),
    Headers(TrustedProxies),
}

/// The URL Twilio requested, rebuilt from the request the server received.
///
/// Twilio signs the URL as configured in the console, so the server must know it. Three
/// policies, chosen once at start-up:
///
/// - [`PublicUrl::base`]: a configured base (`https://example.com`, optionally with a port and
///   a path prefix) joined with the request target exactly as received. The right choice
///   behind any proxy or tunnel whose address you know.
/// - [`PublicUrl::trusting`]: the `Forwarded` (RFC 7239) or `X-Forwarded-Proto` /
///   `X-Forwarded-Host` headers, honoured only when the peer address is a listed proxy;
///   from anyone else they are ignored.
/// - [`PublicUrl::from_host`]: the `Host` header and the listener's scheme.
///
/// The request target (raw path and query) is never decoded, re-encoded or re-sorted: any
/// change would change the signed string.
///
/// ```
/// use twilio_webhook::{PublicUrl, TrustedProxies};
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// // Behind a proxy that strips `/twilio`: the base carries the prefix.
/// let base = PublicUrl::base("https://example.com/twilio")?;
/// // Forwarded headers count from listed proxies only.
/// let proxied = PublicUrl::trusting(TrustedProxies::new(["10.0.0.0/8"])?);
/// # let _ = (base, proxied);
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicUrl {
    policy: Policy,
}

impl PublicUrl {
    /// A configured public base URL: `http(s)://host[:port][/prefix]`, kept byte for byte
    /// (a trailing `/` is dropped, since every request target starts with one).
    ///
    /// ```
    /// use twilio_webhook::PublicUrl;
    /// assert!(PublicUrl::base("https://example.com").is_ok());
    /// assert!(PublicUrl::base("https://example.com:8443/hooks/").is_ok());
    /// assert!(PublicUrl::base("example.com").is_err());
    /// assert!(PublicUrl::base("https://example.com/?a=1").is_err());
    /// ```
    pub fn base(url: &str) -> Result<Self, UrlError> {
        let (scheme, rest) = url.split_once("://").ok_or(UrlError::InvalidBase)?;
        Scheme::parse(scheme).ok_or(UrlError::InvalidBase)?;
        if rest.contains(['?', '#']) {
            return Err(UrlError::BaseHasQuery);
        }
        let authority = rest.split('/').next().unwrap_or_default();
        let host = authority.rsplit('@').next().unwrap_or_default();
        if !valid_host(host) {
            return Err(UrlError::InvalidBase);
        }
        Ok(PublicUrl {
            policy: Policy::Base(url.trim_end_matches('/').to_owned()),
        })
    }

    /// The `Host` header and the listener's scheme; forwarded headers are never believed.
    ///
    /// **The client chooses `Host`**: a request Twilio signed for another URL of the same
    /// account verifies here too. Use it only where one host name can reach the server;
    /// on the internet configure [`PublicUrl::base`]. The scheme is never read from the
    /// request (an absolute-form target or HTTP/2 `:scheme` is client input), and an
    /// absolute-form target contributes only its path and query.
    pub fn from_host() -> Self {
        PublicUrl::trusting(TrustedProxies::default())
    }

    /// Forwarded headers from `proxies`, else the `Host` header and the listener's scheme.
    ///
    /// `Forwarded` wins over `X-Forwarded-*`. Where a header holds a list, the last entry
    /// counts: it is the one the trusted peer itself added or set; earlier entries may come
    /// from anyone.
    pub fn trusting(proxies: TrustedProxies) -> Self {
        PublicUrl {
            policy: Policy::Headers(proxies),
        }
    }

    /// Whether this policy has a configured base (then no header is ever consulted).
    pub fn has_base(&self) -> bool {
        matches!(self.policy, Policy::Base(_))
    }

    /// The URL Twilio requested for request target `target` (raw path and query).
    pub(crate) fn resolve(
        &self,
        target: &str,
        origin: &Origin<'_>,
    ) -> Result<String, ResolveError> {
        let target = origin_form(target)?;
        match &self.policy {
            Policy::Base(base) => Ok(concat(&[base, target])),
            Policy::Headers(proxies) => {
                let trusted = origin.peer.is_some_and(|ip| proxies.contains(ip));
                let (proto, host) = if trusted {
                    forwarded_proto_host(origin)
                } else {
                    (None, None)
                };
                let scheme = match proto {
                    Some(p) => Scheme::parse(p).ok_or(ResolveError::InvalidProto)?,
                    None => origin.scheme,
                };
                let host = host.or(origin.host).ok_or(ResolveError::MissingHost)?;
                if !valid_host(host) {
                    return Err(ResolveError::InvalidHost);
                }
                Ok(concat(&[scheme.as_str(), "://", host, target]))
            }
        }
    }
}

/// The parts one after the other, in one allocation (`format!` costs several times more on
/// this per-request path).
fn concat(parts: &[&str]) -> String {
    let mut url = String::with_capacity(parts.iter().map(|p| p.len()).sum());
    parts.iter().for_each(|p| url.push_str(p));
    url
}

/// The path-and-query of a request target: origin-form as is; absolute-form (sent to
/// proxies) cut after the authority.
fn origin_form(target: &str) -> Result<&str, ResolveError> {
    if target.starts_with('/') {
        return Ok(target);
    }
    let (_, rest) = target
        .split_once("://")
        .ok_or(ResolveError::InvalidTarget)?;
    Ok(rest.find(['/', '?']).map_or("/", |i| &rest[i..]))
}

/// The (proto, host) a trusted peer forwarded: `Forwarded` first, else `X-Forwarded-*`.
fn forwarded_proto_host<'a>(origin: &Origin<'a>) -> (Option<&'a str>, Option<&'a str>) {
    if let Some(element) = origin.forwarded.and_then(last_forwarded_element) {
        let (proto, host) = forwarded_params(element);
        if proto.is_some() || host.is_some() {
            return (proto, host);
        }
    }
    (
        origin.x_forwarded_proto.and_then(last_list_item),
        origin.x_forwarded_host.and_then(last_list_item),
    )
}

fn last_list_item(value: &str) -> Option<&str> {
    value
        .rsplit(',')
        .next()
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

/// The last comma-separated element of a `Forwarded` value (commas inside quotes kept).
fn last_forwarded_element(value: &str) -> Option<&str> {
    let mut in_quotes = false;
    let mut escaped = false;
    let mut start = 0;
    for (i, c) in value.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if in_quotes => escaped = true,
            '"' => in_quotes = !in_quotes,
            ',' if !in_quotes => start = i + 1,
            _ => {}
        }
    }
    Some(value[start..].trim()).filter(|s| !s.is_empty())
}

/// `proto=` and `host=` of one `Forwarded` element; quoted values unquoted (a value with
/// escapes is not a valid host or proto anyway, so it is left to fail validation).
fn forwarded_params(element: &str) -> (Option<&str>, Option<&str>) {
    let mut proto = None;
    let mut host = None;
    for pair in element.split(';') {
        let Some((name, value)) = pair.trim().split_once('=') else {
            continue;
        };
        let value = value.trim();
        let value = value
            .strip_prefix('"')
            .and_then(|v| v.strip_suffix('"'))
            .unwrap_or(value);
        if name.trim().eq_ignore_ascii_case("proto") {
            proto = Some(value);
        } else if name.trim().eq_ignore_ascii_case("host") {
            host = Some(value);
        }
    }
    (proto, host)
}

/// A plain `host[:port]` (IPv6 in brackets): visible ASCII with none of the characters that
/// would end the authority or smuggle userinfo into it.
fn valid_host(host: &str) -> bool {
    !host.is_empty()
        && host
            .bytes()
            .all(|b| b.is_ascii_graphic() && !matches!(b, b'/' | b'?' | b'#' | b'@' | b'\\'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> Option<IpAddr> {
        Some(s.parse().unwrap())
    }

    #[test]
    fn base_keeps_target_bytes() {
        let base = PublicUrl::base("HTTPS://Example.com:8443/p/").unwrap();
        let o = Origin::new(Scheme::Http).host(Some("evil.com"));
        assert_eq!(
            base.resolve("/sms?b=2&a=%27x'+y", &o).unwrap(),
            "HTTPS://Example.com:8443/p/sms?b=2&a=%27x'+y"
        );
        assert_eq!(
            base.resolve("http://ignored/x?y", &o).unwrap(),
            "HTTPS://Example.com:8443/p/x?y"
        );
        assert_eq!(base.resolve("*", &o), Err(ResolveError::InvalidTarget));
    }

    #[test]
    fn base_validation() {
        assert_eq!(PublicUrl::base("ftp://x.com"), Err(UrlError::InvalidBase));
        assert_eq!(PublicUrl::base("https://"), Err(UrlError::InvalidBase));
        assert_eq!(
            PublicUrl::base("https://x.com#f"),
            Err(UrlError::BaseHasQuery)
        );
        assert!(PublicUrl::base("https://u:p@x.com").is_ok());
    }

    #[test]
    fn host_policy() {
        let p = PublicUrl::from_host();
        let o = Origin::new(Scheme::Https)
            .host(Some("h.com"))
            .peer(ip("127.0.0.1"));
        assert_eq!(p.resolve("/a", &o).unwrap(), "https://h.com/a");
        let o = Origin::new(Scheme::Http);
        assert_eq!(p.resolve("/a", &o), Err(ResolveError::MissingHost));
        let o = Origin::new(Scheme::Http).host(Some("a@b.com"));
        assert_eq!(p.resolve("/a", &o), Err(ResolveError::InvalidHost));
    }

    #[test]
    fn forwarded_from_trusted_peer_only() {
        let p = PublicUrl::trusting(TrustedProxies::new(["10.0.0.0/8", "::1"]).unwrap());
        let o = Origin::new(Scheme::Http)
            .host(Some("internal:80"))
            .forwarded(Some(
                r#"for=1.2.3.4;host=spoof.com, for=5.6.7.8;proto=https;host="pub.com""#,
            ))
            .x_forwarded_host(Some("xfh.com"));
        assert_eq!(
            p.resolve("/a", &o.clone().peer(ip("10.9.9.9"))).unwrap(),
            "https://pub.com/a"
        );
        assert_eq!(
            p.resolve("/a", &o.clone().peer(ip("::1"))).unwrap(),
            "https://pub.com/a"
        );
        assert_eq!(
            p.resolve("/a", &o.clone().peer(ip("11.0.0.1"))).unwrap(),
            "http://internal:80/a"
        );
        assert_eq!(
            p.resolve("/a", &o.peer(None)).unwrap(),
            "http://internal:80/a"
        );
    }

    #[test]
    fn x_forwarded_last_item_and_fallbacks() {
        let p = PublicUrl::trusting(TrustedProxies::new(["127.0.0.1"]).unwrap());
        let o = Origin::new(Scheme::Http)
            .peer(ip("127.0.0.1"))
            .host(Some("internal"))
            .x_forwarded_proto(Some("http, https"))
            .x_forwarded_host(Some("spoof.com, pub.com"));
        assert_eq!(p.resolve("/a?x", &o).unwrap(), "https://pub.com/a?x");
        let o = o.x_forwarded_host(None);
        assert_eq!(p.resolve("/a", &o).unwrap(), "https://internal/a");
        let o = o.x_forwarded_proto(Some("gopher"));
        assert_eq!(p.resolve("/a", &o), Err(ResolveError::InvalidProto));
    }

    #[test]
    fn cidr_edges() {
        let t = TrustedProxies::new(["0.0.0.0/0"]).unwrap();
        assert!(t.contains("8.8.8.8".parse().unwrap()));
        assert!(!t.contains("2001:db8::1".parse().unwrap()));
        let t = TrustedProxies::new(["2001:db8::/32"]).unwrap();
        assert!(t.contains("2001:db8:ffff::1".parse().unwrap()));
        assert!(!t.contains("2001:db9::1".parse().unwrap()));
        assert!(TrustedProxies::new(["nope"]).is_err());
        assert!(TrustedProxies::new(["::/129"]).is_err());
    }

    #[test]
    fn base_and_trusted_proxies_resolve() {
        let base = PublicUrl::base("https://example.com/twilio").unwrap();
        let origin = Origin::new(Scheme::Http).host(Some("10.0.0.5:8080"));
        assert_eq!(
            base.resolve("/sms?a=%2B1", &origin).unwrap(),
            "https://example.com/twilio/sms?a=%2B1"
        );
        let proxied = PublicUrl::trusting(TrustedProxies::new(["10.0.0.0/8"]).unwrap());
        let origin = Origin::new(Scheme::Http)
            .host(Some("app:8080"))
            .x_forwarded_proto(Some("https"))
            .x_forwarded_host(Some("example.com"));
        // From a listed proxy the headers count ...
        let from_proxy = origin.clone().peer(Some("10.1.2.3".parse().unwrap()));
        assert_eq!(
            proxied.resolve("/sms", &from_proxy).unwrap(),
            "https://example.com/sms"
        );
        // ... from anybody else they are ignored.
        let from_outside = origin.peer(Some("203.0.113.9".parse().unwrap()));
        assert_eq!(
            proxied.resolve("/sms", &from_outside).unwrap(),
            "http://app:8080/sms"
        );
    }
}
