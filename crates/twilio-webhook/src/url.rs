//! The URL Twilio signed, and the forms of it that Twilio's own libraries also accept.
//!
//! Twilio's back end is inconsistent about ports, and twilio-node normalises URLs before
//! hashing them. A request is accepted if its signature matches any of these forms of the
//! received URL (each tried only where it changes the string):
//!
//! 1. the URL exactly as received (never re-encoded, never case-changed);
//! 2. its query with `'` written `%27`, or (if it has no `'`) `%27` written `'`;
//! 3. the host lower-cased;
//!
//! and for each combination of these, its *port twin*: the explicit port removed, or, where
//! there is none, the scheme's default port (443 for https, else 80) added. At most eight
//! forms. Everything else — userinfo, IPv6 literals, an upper-case scheme, an empty `?` or
//! `#`, `+`, non-ASCII — is kept byte for byte.
//!
//! ```
//! use twilio_webhook::url::url_forms;
//!
//! let forms: Vec<String> = url_forms("https://Example.com/sms?n=O'Hara")
//!     .map(|(_, url)| url.into_owned())
//!     .collect();
//! assert_eq!(forms, [
//!     "https://Example.com/sms?n=O'Hara",
//!     "https://Example.com:443/sms?n=O'Hara",
//!     "https://Example.com/sms?n=O%27Hara",
//!     "https://Example.com:443/sms?n=O%27Hara",
//!     "https://example.com/sms?n=O'Hara",
//!     "https://example.com:443/sms?n=O'Hara",
//!     "https://example.com/sms?n=O%27Hara",
//!     "https://example.com:443/sms?n=O%27Hara",
//! ]);
//! ```

use std::borrow::Cow;
use std::fmt;
use std::ops::Range;

/// What a URL form changed relative to the URL as received.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub struct UrlForm {
    /// The query's `'` and `%27` were swapped (twilio-node's two encodings).
    pub quote_twin: bool,
    /// The host was lower-cased (twilio-node's WHATWG normalisation).
    pub host_lowercased: bool,
    /// What happened to the port.
    pub port: PortChange,
}

/// What a URL form did to the port.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum PortChange {
    /// Left as received.
    #[default]
    Unchanged,
    /// The explicit port was removed.
    Removed,
    /// The scheme's default port was added where there was none.
    DefaultAdded,
}

impl UrlForm {
    /// The URL exactly as received.
    pub const AS_RECEIVED: UrlForm = UrlForm {
        quote_twin: false,
        host_lowercased: false,
        port: PortChange::Unchanged,
    };
}

impl fmt::Display for UrlForm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts = Vec::new();
        if self.quote_twin {
            parts.push("quote-twin");
        }
        if self.host_lowercased {
            parts.push("host-lowercased");
        }
        match self.port {
            PortChange::Unchanged => {}
            PortChange::Removed => parts.push("port-removed"),
            PortChange::DefaultAdded => parts.push("default-port-added"),
        }
        if parts.is_empty() {
            f.write_str("as-received")
        } else {
            f.write_str(&parts.join("+"))
        }
    }
}

/// Where the pieces of an absolute URL are, found without decoding anything.
#[derive(Debug, Clone)]
struct Layout {
    host: Range<usize>,
    /// The `:port` after the host, colon included (an empty port counts as explicit).
    port: Option<Range<usize>>,
    /// The query between `?` and `#`/end, without the `?`.
    query: Option<Range<usize>>,
    default_port: &'static str,
}

impl Layout {
    /// `None` when the string is not `scheme://authority…`, in which case only the URL as
    /// received is tried.
    fn of(url: &str) -> Option<Layout> {
        let scheme_end = url.find("://")?;
        let scheme = &url[..scheme_end];
        let scheme_ok = !scheme.is_empty()
            && scheme
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'));
        if !scheme_ok {
            return None;
        }
        let auth_start = scheme_end + 3;
        let auth_end = url[auth_start..]
            .find(['/', '?', '#'])
            .map_or(url.len(), |i| auth_start + i);
        let host_start = url[auth_start..auth_end]
            .rfind('@')
            .map_or(auth_start, |i| auth_start + i + 1);
        let hostport = &url[host_start..auth_end];
        let host_len = if hostport.starts_with('[') {
            hostport.find(']')? + 1
        } else {
            hostport.find(':').unwrap_or(hostport.len())
        };
        let port_text = &hostport[host_len..];
        let port = match port_text.strip_prefix(':') {
            _ if port_text.is_empty() => None,
            Some(digits) if digits.bytes().all(|b| b.is_ascii_digit()) => {
                Some(host_start + host_len..auth_end)
            }
            _ => return None,
        };
        let fragment = url[auth_end..]
            .find('#')
            .map_or(url.len(), |i| auth_end + i);
        let query = url[auth_end..fragment]
            .find('?')
            .map(|i| auth_end + i + 1..fragment);
        let default_port = if scheme.eq_ignore_ascii_case("https") {
            ":443"
        } else {
            ":80"
        };
        Some(Layout {
            host: host_start..host_start + host_len,
            port,
            query,
            default_port,
        })
    }
}

/// The forms of `url` to try, most likely first, as (what changed, the URL).
///
/// The first item is always the URL as received, borrowed.
pub fn url_forms(url: &str) -> UrlForms<'_> {
    UrlForms {
        url,
        layout: None,
        quote: false,
        lower: false,
        next: 0,
    }
}

/// Iterator over the forms of a URL; see [`url_forms`].
#[derive(Debug, Clone)]
pub struct UrlForms<'a> {
    url: &'a str,
    layout: Option<Layout>,
    quote: bool,
    lower: bool,
    next: u8,
}

impl<'a> Iterator for UrlForms<'a> {
    type Item = (UrlForm, Cow<'a, str>);

    fn next(&mut self) -> Option<Self::Item> {
        while self.next < 8 {
            let i = self.next;
            self.next += 1;
            let (toggle_port, quote, lower) = (i & 1 == 1, i & 2 == 2, i & 4 == 4);
            if i == 0 {
                // Usually the URL as received matches: the layout is found only if it does not.
                return Some((UrlForm::AS_RECEIVED, Cow::Borrowed(self.url)));
            }
            if i == 1 {
                self.find_layout();
            }
            let Some(layout) = &self.layout else {
                return None;
            };
            if (quote && !self.quote) || (lower && !self.lower) {
                continue;
            }
            return Some(build(self.url, layout, toggle_port, quote, lower));
        }
        None
    }
}

impl UrlForms<'_> {
    fn find_layout(&mut self) {
        let url = self.url;
        self.layout = Layout::of(url);
        if let Some(l) = &self.layout {
            let query = l.query.clone().map_or("", |q| &url[q]);
            self.quote = query.contains('\'') || query.contains("%27");
            self.lower = url[l.host.clone()].bytes().any(|b| b.is_ascii_uppercase());
        }
    }
}

fn build(
    url: &str,
    layout: &Layout,
    toggle_port: bool,
    quote: bool,
    lower: bool,
) -> (UrlForm, Cow<'static, str>) {
    let mut out = String::with_capacity(url.len() + 8);
    out.push_str(&url[..layout.host.start]);
    let host = &url[layout.host.clone()];
    if lower {
        out.push_str(&host.to_ascii_lowercase());
    } else {
        out.push_str(host);
    }
    let after_port = layout.port.as_ref().map_or(layout.host.end, |p| p.end);
    let port = match (&layout.port, toggle_port) {
        (Some(p), false) => {
            out.push_str(&url[p.clone()]);
            PortChange::Unchanged
        }
        (Some(_), true) => PortChange::Removed,
        (None, true) => {
            out.push_str(layout.default_port);
            PortChange::DefaultAdded
        }
        (None, false) => PortChange::Unchanged,
    };
    match (&layout.query, quote) {
        (Some(q), true) => {
            out.push_str(&url[after_port..q.start]);
            out.push_str(&quote_twin(&url[q.clone()]));
            out.push_str(&url[q.end..]);
        }
        _ => out.push_str(&url[after_port..]),
    }
    let form = UrlForm {
        quote_twin: quote,
        host_lowercased: lower,
        port,
    };
    (form, Cow::Owned(out))
}

/// `'` written `%27` if the query has any `'`, else `%27` written `'`.
fn quote_twin(query: &str) -> String {
    if query.contains('\'') {
        query.replace('\'', "%27")
    } else {
        query.replace("%27", "'")
    }
}

/// The query string of `url` (between `?` and any `#`), without the `?`.
pub fn query_of(url: &str) -> Option<&str> {
    let before_fragment = url.split('#').next().unwrap_or(url);
    before_fragment.split_once('?').map(|(_, q)| q)
}

/// The first value of query parameter `name` in `url`, form-decoded.
///
/// ```
/// use twilio_webhook::url::query_param;
/// assert_eq!(query_param("https://e.com/?a=1&b=x%2By&b=2", "b").as_deref(), Some("x+y"));
/// assert_eq!(query_param("https://e.com/?a=1", "b"), None);
/// ```
pub fn query_param(url: &str, name: &str) -> Option<String> {
    let query = query_of(url)?;
    form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

mod public;

pub(crate) use public::Origin;
pub use public::{PublicUrl, ResolveError, Scheme, TrustedProxies, UrlError};

#[cfg(test)]
mod tests {
    use super::*;

    fn forms(url: &str) -> Vec<String> {
        url_forms(url).map(|(_, u)| u.into_owned()).collect()
    }

    #[test]
    fn port_twins() {
        assert_eq!(
            forms("https://h.com:1234/p?q=1"),
            ["https://h.com:1234/p?q=1", "https://h.com/p?q=1"]
        );
        assert_eq!(
            forms("http://h.com/p"),
            ["http://h.com/p", "http://h.com:80/p"]
        );
        assert_eq!(
            forms("https://h.com"),
            ["https://h.com", "https://h.com:443"]
        );
        assert_eq!(
            forms("https://h.com:/x"),
            ["https://h.com:/x", "https://h.com/x"]
        );
    }

    #[test]
    fn userinfo_ipv6_and_case_survive() {
        assert_eq!(
            forms("HTTPS://user:p%40ss@[::1]:8443/a?#"),
            [
                "HTTPS://user:p%40ss@[::1]:8443/a?#",
                "HTTPS://user:p%40ss@[::1]/a?#"
            ]
        );
        assert_eq!(
            forms("https://u:p@[2001:DB8::1]/a"),
            [
                "https://u:p@[2001:DB8::1]/a",
                "https://u:p@[2001:DB8::1]:443/a",
                "https://u:p@[2001:db8::1]/a",
                "https://u:p@[2001:db8::1]:443/a",
            ]
        );
        // Upper-case userinfo is never lower-cased, only the host.
        assert_eq!(
            forms("http://User:Pass@Host.com/"),
            [
                "http://User:Pass@Host.com/",
                "http://User:Pass@Host.com:80/",
                "http://User:Pass@host.com/",
                "http://User:Pass@host.com:80/",
            ]
        );
    }

    #[test]
    fn quote_twin_only_touches_the_query() {
        assert_eq!(
            forms("https://h.com/it's?b=It%27s+ok#frag'"),
            [
                "https://h.com/it's?b=It%27s+ok#frag'",
                "https://h.com:443/it's?b=It%27s+ok#frag'",
                "https://h.com/it's?b=It's+ok#frag'",
                "https://h.com:443/it's?b=It's+ok#frag'",
            ]
        );
    }

    #[test]
    fn non_absolute_urls_are_tried_as_given() {
        assert_eq!(forms("/sms?x=1"), ["/sms?x=1"]);
        assert_eq!(forms("https://h.com:12ab/"), ["https://h.com:12ab/"]);
        assert_eq!(forms(""), [""]);
    }

    #[test]
    fn non_ascii_survives() {
        assert_eq!(
            forms("https://mycompany.com/webhook/España?año=2023"),
            [
                "https://mycompany.com/webhook/España?año=2023",
                "https://mycompany.com:443/webhook/España?año=2023",
            ]
        );
    }

    #[test]
    fn form_names() {
        let names: Vec<String> = url_forms("https://H.com/?a='")
            .map(|(f, _)| f.to_string())
            .collect();
        assert_eq!(
            names,
            [
                "as-received",
                "default-port-added",
                "quote-twin",
                "quote-twin+default-port-added",
                "host-lowercased",
                "host-lowercased+default-port-added",
                "quote-twin+host-lowercased",
                "quote-twin+host-lowercased+default-port-added",
            ]
        );
    }
}
