//! Which sites may frame an event's audience link (`/p/{token}`): the organiser lists origins
//! (a slide deck's, e.g. `https://docs.google.com`); every other page stays unframeable.
//!
//! An origin is `https://host[:port]`: no path, query, credentials or plain http, and a
//! wildcard only as a whole leftmost label above a two-label domain (`https://*.example.com`),
//! the forms CSP's `frame-ancestors` reads without surprises.
//!
//! ```
//! use sms_ratings::embed::parse_origins;
//!
//! let origins = parse_origins("https://docs.google.com,\nhttps://*.officeapps.live.com").unwrap();
//! assert_eq!(origins, ["https://docs.google.com", "https://*.officeapps.live.com"]);
//! assert!(parse_origins("http://docs.google.com").is_err());
//! assert!(parse_origins("https://docs.google.com/presentation").is_err());
//! assert!(parse_origins("https://*").is_err());
//! ```

/// Most origins an event lists (a header stays small).
pub const MAX_ORIGINS: usize = 8;

/// Why a list of origins is refused; names the first bad entry.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum InvalidOrigin {
    /// Not `https://host[:port]`.
    #[error("{0:?} is not an origin: use https:// and a host only, e.g. https://docs.google.com")]
    Shape(String),
    /// More than [`MAX_ORIGINS`].
    #[error("at most {MAX_ORIGINS} origins")]
    TooMany,
}

/// The origins in `text` (separated by white space or commas), lower-cased, duplicates
/// dropped; empty for none.
pub fn parse_origins(text: &str) -> Result<Vec<String>, InvalidOrigin> {
    let mut origins: Vec<String> = Vec::new();
    for entry in text.split(|c: char| c == ',' || c.is_whitespace()) {
        if entry.is_empty() {
            continue;
        }
        let origin = entry.trim_end_matches('/').to_ascii_lowercase();
        if !is_origin(&origin) {
            return Err(InvalidOrigin::Shape(entry.to_owned()));
        }
        if !origins.contains(&origin) {
            origins.push(origin);
        }
    }
    if origins.len() > MAX_ORIGINS {
        return Err(InvalidOrigin::TooMany);
    }
    Ok(origins)
}

/// `https://host[:port]`, lower case, host a DNS name (a `*` leftmost label allowed above two
/// labels).
fn is_origin(origin: &str) -> bool {
    let Some(authority) = origin.strip_prefix("https://") else {
        return false;
    };
    let (host, port) = match authority.rsplit_once(':') {
        Some((host, port)) => (host, Some(port)),
        None => (authority, None),
    };
    let port_ok = port.is_none_or(|p| p.parse::<u16>().is_ok_and(|n| n > 0));
    let (wild, name) = match host.strip_prefix("*.") {
        Some(rest) => (true, rest),
        None => (false, host),
    };
    let labels: Vec<&str> = name.split('.').collect();
    let label_ok = |l: &&str| {
        !l.is_empty()
            && l.len() <= 63
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
    };
    port_ok
        && name.len() <= 253
        && labels.iter().all(label_ok)
        && labels.len() >= if wild { 2 } else { 1 }
}

/// The `frame-ancestors` sources for a stored list (`'none'` when empty).
pub fn frame_ancestors(origins: &[String]) -> String {
    if origins.is_empty() {
        "'none'".to_owned()
    } else {
        origins.join(" ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_https_hosts() {
        for bad in [
            "docs.google.com",
            "https://",
            "https://*",
            "https://*.com",
            "https://a.*.com",
            "https://user@docs.google.com",
            "https://docs.google.com?x",
            "https://docs.google.com:0",
            "https://docs.google.com:99999",
            "https://docs.google.com;script-src",
            "'self'",
            "*",
            "data:",
        ] {
            assert!(parse_origins(bad).is_err(), "{bad}");
        }
        assert_eq!(
            parse_origins("HTTPS://Docs.Google.com/ https://docs.google.com:8443").unwrap(),
            ["https://docs.google.com", "https://docs.google.com:8443"]
        );
        assert!(parse_origins(" , ").unwrap().is_empty());
        let many: Vec<String> = (0..=MAX_ORIGINS)
            .map(|i| format!("https://h{i}.example"))
            .collect();
        assert_eq!(parse_origins(&many.join(" ")), Err(InvalidOrigin::TooMany));
        assert_eq!(frame_ancestors(&[]), "'none'");
    }
}
