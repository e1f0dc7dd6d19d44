//! One request as the server received it, with no framework types: the method, the raw
//! request target, the headers, the peer and the listener's scheme. [`WebhookConfig`]
//! checks it, through [`WebhookConfig::admit`] and the [flow](crate::flow) that follows.
//!
//! [`WebhookConfig`]: crate::WebhookConfig
//! [`WebhookConfig::admit`]: crate::WebhookConfig::admit

use std::net::{IpAddr, SocketAddr};

use crate::rejection::Rejection;
use crate::url::Scheme;

/// Read access to a request's headers, whatever the HTTP library.
pub trait HeaderSource {
    /// Every value of header `name` (given in lower case; match case-insensitively), in the
    /// order received.
    fn header_values(&self, name: &str) -> Vec<&[u8]>;
}

impl<A: AsRef<str>, B: AsRef<[u8]>, const N: usize> HeaderSource for [(A, B); N] {
    fn header_values(&self, name: &str) -> Vec<&[u8]> {
        pair_values(self, name)
    }
}

impl<A: AsRef<str>, B: AsRef<[u8]>> HeaderSource for Vec<(A, B)> {
    fn header_values(&self, name: &str) -> Vec<&[u8]> {
        pair_values(self, name)
    }
}

fn pair_values<'h, A: AsRef<str>, B: AsRef<[u8]>>(
    pairs: &'h [(A, B)],
    name: &str,
) -> Vec<&'h [u8]> {
    pairs
        .iter()
        .filter(|(n, _)| n.as_ref().eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_ref())
        .collect()
}

/// One request as received: method, raw request target, headers, peer, listener scheme.
#[derive(Clone, Copy)]
pub struct WebhookRequest<'a> {
    method: &'a str,
    target: &'a str,
    headers: &'a (dyn HeaderSource + Sync),
    peer: Option<IpAddr>,
    scheme: Option<Scheme>,
    authority: Option<&'a str>,
}

impl<'a> WebhookRequest<'a> {
    /// A request with `method` for `target`, the path and query exactly as received (never
    /// decoded or re-encoded).
    pub fn new(method: &'a str, target: &'a str, headers: &'a (dyn HeaderSource + Sync)) -> Self {
        WebhookRequest {
            method,
            target,
            headers,
            peer: None,
            scheme: None,
            authority: None,
        }
    }

    /// The connection's remote address (decides whether forwarded headers are believed).
    #[must_use]
    pub fn peer(mut self, peer: Option<SocketAddr>) -> Self {
        self.peer = peer.map(|p| p.ip());
        self
    }

    /// The listener's scheme, overriding [`WebhookConfig::listener_scheme`](crate::WebhookConfig::listener_scheme).
    #[must_use]
    pub fn scheme(mut self, scheme: Scheme) -> Self {
        self.scheme = Some(scheme);
        self
    }

    /// The HTTP/2 `:authority` (or an absolute URI's authority): used when there is no
    /// `Host` header.
    #[must_use]
    pub fn authority(mut self, authority: Option<&'a str>) -> Self {
        self.authority = authority;
        self
    }

    pub(crate) fn method(&self) -> &'a str {
        self.method
    }

    pub(crate) fn target(&self) -> &'a str {
        self.target
    }

    pub(crate) fn peer_ip(&self) -> Option<IpAddr> {
        self.peer
    }

    pub(crate) fn listener_scheme(&self) -> Option<Scheme> {
        self.scheme
    }

    pub(crate) fn authority_value(&self) -> Option<&'a str> {
        self.authority
    }

    /// The path, without the query: safe to log.
    pub(crate) fn path(&self) -> &'a str {
        self.target.split('?').next().unwrap_or_default()
    }

    /// The header's only value; 400 if it repeats.
    pub(crate) fn single(&self, name: &str) -> Result<Option<&'a [u8]>, Rejection> {
        match self.headers.header_values(name).as_slice() {
            [] => Ok(None),
            [one] => Ok(Some(one)),
            _ => Err(Rejection::MalformedHeader),
        }
    }

    /// The header's only value as visible ASCII; 400 if it repeats or is not ASCII.
    pub(crate) fn single_ascii(&self, name: &str) -> Result<Option<&'a str>, Rejection> {
        self.single(name)?.map(ascii).transpose()
    }

    /// The header's last value (the one the nearest hop set), as text.
    pub(crate) fn last(&self, name: &str) -> Result<Option<&'a str>, Rejection> {
        self.headers
            .header_values(name)
            .last()
            .map(|v| ascii(v))
            .transpose()
    }
}

fn ascii(value: &[u8]) -> Result<&str, Rejection> {
    std::str::from_utf8(value)
        .ok()
        .filter(|s| s.is_ascii())
        .ok_or(Rejection::MalformedHeader)
}
