//! Routes: a path prefix, the upstream its requests go to, and the checks they pass first.
//!
//! A request belongs to the route with the longest prefix that matches it at a segment
//! boundary (`/voice` matches `/voice`, `/voice/gather` and `/voice?x=1`, never `/voicemail`).
//! No matching route is a 404 from the proxy itself.

use std::fmt;
use std::sync::Arc;

use http::StatusCode;
use twilio_webhook::keys::KeySource;
use twilio_webhook::{PublicUrl, WebhookConfig};

use super::ProxyError;
use super::resign::Resigner;

/// Where verified requests go: an `http://` origin and an optional path prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upstream {
    pub(crate) origin: String,
    pub(crate) prefix: String,
}

impl Upstream {
    /// Parses `http://host[:port][/prefix]`.
    pub fn parse(url: &str) -> Result<Upstream, ProxyError> {
        let rest = url.strip_prefix("http://").ok_or(ProxyError::Upstream)?;
        let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
        let bad = authority.is_empty()
            || authority.contains('@')
            || path.contains(['?', '#'])
            || format!("http://{authority}/").parse::<http::Uri>().is_err();
        if bad {
            return Err(ProxyError::Upstream);
        }
        Ok(Upstream {
            origin: format!("http://{authority}"),
            prefix: path.trim_end_matches('/').to_owned(),
        })
    }
}

impl fmt::Display for Upstream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.origin, self.prefix)
    }
}

/// Builds a route's checks once the public URL is known (the proxy decides it for every
/// route, so a route cannot disagree with it).
type MakeWebhook = Box<dyn FnOnce(PublicUrl) -> WebhookConfig + Send>;

/// One route: requests under `prefix` are checked by its [`WebhookConfig`] and forwarded to
/// its upstream (the full request target appended to the upstream's own prefix).
pub struct Route {
    pub(crate) prefix: String,
    pub(crate) upstream: Upstream,
    pub(crate) make: MakeWebhook,
    pub(crate) resign: Option<Arc<Resigner>>,
    pub(crate) keys: Option<KeySource>,
}

impl fmt::Debug for Route {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Route")
            .field("prefix", &self.prefix)
            .field("upstream", &self.upstream)
            .field("resign", &self.resign.is_some())
            .finish_non_exhaustive()
    }
}

impl Route {
    /// Requests under `prefix` (`/` for all) go to `upstream` (`http://host[:port][/prefix]`)
    /// once `webhook` — given the proxy's public URL — accepts them.
    ///
    /// ```
    /// use twilio_webhook::{Validator, WebhookConfig};
    /// use twilio_webhook_cli::proxy::Route;
    /// let validator = Validator::from_token("your-auth-token").unwrap();
    /// let route = Route::new("/voice/gather", "http://127.0.0.1:4000", move |public| {
    ///     WebhookConfig::new(validator, public).without_replay_guard()
    /// });
    /// assert!(route.is_ok());
    /// assert!(Route::new("voice", "http://127.0.0.1:4000", |_| unreachable!()).is_err());
    /// ```
    pub fn new(
        prefix: &str,
        upstream: &str,
        webhook: impl FnOnce(PublicUrl) -> WebhookConfig + Send + 'static,
    ) -> Result<Route, ProxyError> {
        Ok(Route {
            prefix: normalise_prefix(prefix)?,
            upstream: Upstream::parse(upstream)?,
            make: Box::new(webhook),
            resign: None,
            keys: None,
        })
    }

    /// Where this route's keys come from, so `SIGHUP` can reload them.
    #[must_use]
    pub fn key_source(mut self, source: KeySource) -> Route {
        self.keys = Some(source);
        self
    }

    /// Re-sign what this route forwards with the Standard Webhooks scheme.
    #[must_use]
    pub fn resign(mut self, resigner: Resigner) -> Route {
        self.resign = Some(Arc::new(resigner));
        self
    }
}

/// `/` or `/a/b` (no trailing `/`, no query): the form prefixes are compared in.
fn normalise_prefix(prefix: &str) -> Result<String, ProxyError> {
    if !prefix.starts_with('/') || prefix.contains(['?', '#']) || prefix.contains("//") {
        return Err(ProxyError::Route(format!(
            "route prefix {prefix:?} must be a path like /sms"
        )));
    }
    let trimmed = prefix.trim_end_matches('/');
    Ok(if trimmed.is_empty() { "/" } else { trimmed }.to_owned())
}

/// Whether `path` lies under `prefix` (segment boundary).
pub(crate) fn under(prefix: &str, path: &str) -> bool {
    prefix == "/"
        || path
            .strip_prefix(prefix)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

/// Index of the route with the longest prefix `path` lies under.
pub(crate) fn pick<'a>(prefixes: impl Iterator<Item = &'a str>, path: &str) -> Option<usize> {
    prefixes
        .enumerate()
        .filter(|(_, p)| under(p, path))
        .max_by_key(|(_, p)| p.len())
        .map(|(i, _)| i)
}

/// Requests the proxy turns away before any route's checks: its own statuses, declared here.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Refusal {
    /// No `--public-url`, and the peer is not a `--trusted-proxy`: the URL Twilio signed is
    /// unknowable, so nothing from this peer can be verified (403).
    #[error("peer is not a trusted proxy and no public URL is configured")]
    UntrustedPeer,
    /// No route's prefix matches the path (404).
    #[error("no route for this path")]
    NoRoute,
}

impl Refusal {
    /// The status the client gets.
    pub fn status(self) -> StatusCode {
        match self {
            Refusal::UntrustedPeer => StatusCode::FORBIDDEN,
            Refusal::NoRoute => StatusCode::NOT_FOUND,
        }
    }

    /// The fixed body text.
    pub(crate) fn body(self) -> &'static str {
        match self {
            Refusal::UntrustedPeer => "Forbidden",
            Refusal::NoRoute => "Not found",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upstream_urls() {
        let u = Upstream::parse("http://127.0.0.1:3000/app/").unwrap();
        assert_eq!(
            (u.origin.as_str(), u.prefix.as_str()),
            ("http://127.0.0.1:3000", "/app")
        );
        let u = Upstream::parse("http://backend").unwrap();
        assert_eq!(u.prefix, "");
        for bad in [
            "https://x",
            "http://",
            "http://u:p@x/",
            "http://x/?a=1",
            "ftp://x",
            "http://bad host/",
        ] {
            assert!(Upstream::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn longest_prefix_at_a_segment_boundary() {
        let prefixes = ["/", "/voice", "/voice/gather", "/sms"];
        let at = |path| pick(prefixes.iter().copied(), path).map(|i| prefixes[i]);
        assert_eq!(at("/voice/gather"), Some("/voice/gather"));
        assert_eq!(at("/voice/gather/2"), Some("/voice/gather"));
        assert_eq!(at("/voice/gathering"), Some("/voice"));
        assert_eq!(at("/voicemail"), Some("/"));
        assert_eq!(at("/sms"), Some("/sms"));
        let only = ["/sms"];
        assert_eq!(pick(only.iter().copied(), "/smsx"), None);
        assert_eq!(normalise_prefix("/sms/").unwrap(), "/sms");
        assert_eq!(normalise_prefix("/").unwrap(), "/");
        assert!(normalise_prefix("sms").is_err());
        assert!(normalise_prefix("/a?b").is_err());
    }
}
