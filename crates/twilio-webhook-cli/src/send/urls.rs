//! Which URL Twilio would call next, and where that request really goes.
//!
//! Twilio resolves a relative `<Redirect>` or `action` against the URL it fetched the TwiML
//! from — the public URL, userinfo included — and signs the result. With `--public-url` the
//! endpoint sits behind a proxy or tunnel: a URL under the public base is sent to the same
//! path under the local base; any other absolute URL is called as it is.

use twilio_webhook::PublicUrl;
use url::Url;

use super::twilio::{Credentials, split_userinfo};

/// Why a URL from the TwiML cannot be followed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub(crate) enum UrlError {
    /// The URL the flow is at does not parse, so nothing can be resolved against it.
    #[error("cannot resolve {reference:?} against the current URL: {source}")]
    Resolve {
        /// The URL from the TwiML.
        reference: String,
        /// Why.
        source: url::ParseError,
    },
    /// An empty `<Redirect>` or `action`.
    #[error("empty URL")]
    Empty,
}

/// The URL Twilio signs for `endpoint` under `--public-url`: the base (as `proxy`, `serve`
/// and `PublicUrl::base` take it: scheme, host, any port and path prefix) joined with the
/// endpoint's path and query. A full public URL whose path ends with the endpoint's path is
/// unambiguous and taken as it is, with the endpoint's query; a base with a query is refused.
pub(crate) fn public_signed_url(endpoint: &str, public: &str) -> Result<String, String> {
    let wanted = "it is the base of the URL Twilio calls (https://host[:port][/prefix]); the \
                  path and query come from the endpoint URL";
    let (endpoint, _) = split_userinfo(endpoint);
    let target = path_and_query(&endpoint).unwrap_or("/");
    let (path, query) = target.split_at(target.find('?').unwrap_or(target.len()));
    let (public_base, public_query) = public.split_at(public.find('?').unwrap_or(public.len()));
    let public_base = public_base.trim_end_matches('/');
    let public_path = path_and_query(public_base).unwrap_or("");
    // The full URL rather than the base: unambiguous when it ends with the endpoint's path
    // and carries no other query than the endpoint's.
    let full = path.len() > 1 && public_path.ends_with(path);
    if !public_query.is_empty() {
        return if full && public_query == query {
            Ok(public.to_owned())
        } else {
            Err(format!(
                "--public-url has a query that is not the endpoint's: {wanted}"
            ))
        };
    }
    PublicUrl::base(public_base).map_err(|e| format!("--public-url {e}: {wanted}"))?;
    if full {
        return Ok(format!("{public_base}{query}"));
    }
    Ok(format!("{public_base}{target}"))
}

/// What follows the authority of an absolute URL, if anything does.
fn path_and_query(url: &str) -> Option<&str> {
    let (_, rest) = url.split_once("://")?;
    rest.find(['/', '?']).map(|i| &rest[i..])
}

/// The public base and the local base it stands for.
#[derive(Debug, Clone)]
pub(crate) struct Urls {
    /// The start of every public URL that maps to the local endpoint (no userinfo).
    public_base: String,
    /// What replaces it on the wire.
    local_base: String,
}

/// A request's destination: what is signed, and where it goes.
#[derive(Debug, Clone)]
pub(crate) struct Place {
    /// The URL Twilio signs (userinfo included).
    pub(crate) signed: String,
    /// The URL requested: no userinfo, public base replaced by the local one.
    pub(crate) wire: String,
    /// Userinfo of the signed URL: answers a basic-auth challenge.
    pub(crate) credentials: Option<Credentials>,
}

impl Urls {
    /// The mapping between `local` (what the user gave) and `public` (what Twilio signs):
    /// their common path tail is dropped, the rest is the two bases.
    pub(crate) fn new(local: &str, public: &str) -> Urls {
        let strip = |u: &str| {
            let (no_user, _) = split_userinfo(u);
            no_user
                .split(['?', '#'])
                .next()
                .unwrap_or_default()
                .to_owned()
        };
        let (mut public_base, mut local_base) = (strip(public), strip(local));
        while let (Some((p, p_tail)), Some((l, l_tail))) =
            (public_base.rsplit_once('/'), local_base.rsplit_once('/'))
        {
            if p_tail != l_tail || !p.contains("://") || !l.contains("://") {
                break;
            }
            let (p, l) = (p.to_owned(), l.to_owned());
            (public_base, local_base) = (p, l);
        }
        Urls {
            public_base,
            local_base,
        }
    }

    /// Where a request for the signed URL `signed` goes.
    pub(crate) fn place(&self, signed: &str) -> Place {
        let (no_user, credentials) = split_userinfo(signed);
        let wire = match no_user.strip_prefix(&self.public_base) {
            Some(rest) if rest.is_empty() || rest.starts_with(['/', '?']) => {
                format!("{}{rest}", self.local_base)
            }
            _ => no_user,
        };
        Place {
            signed: signed.to_owned(),
            wire,
            credentials,
        }
    }

    /// The place of `reference` (from the TwiML) read at the signed URL `current`.
    pub(crate) fn follow(&self, current: &str, reference: &str) -> Result<Place, UrlError> {
        let reference = reference.trim();
        if reference.is_empty() {
            return Err(UrlError::Empty);
        }
        // An absolute URL is called exactly as written: it is what Twilio signs.
        if Url::parse(reference).is_ok() {
            return Ok(self.place(reference));
        }
        let joined = Url::parse(current)
            .and_then(|base| base.join(reference))
            .map_err(|source| UrlError::Resolve {
                reference: reference.to_owned(),
                source,
            })?;
        Ok(self.place(joined.as_str()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_url_is_a_base_and_a_full_url_is_accepted_when_unambiguous() {
        let endpoint = "http://127.0.0.1:3000/sms?lang=en";
        for (public, signed) in [
            ("https://example.com", "https://example.com/sms?lang=en"),
            ("https://example.com/", "https://example.com/sms?lang=en"),
            (
                "https://example.com/twilio",
                "https://example.com/twilio/sms?lang=en",
            ),
            // The full URL, as `send` once wanted it: its path ends with the endpoint's.
            ("https://example.com/sms", "https://example.com/sms?lang=en"),
            (
                "https://example.com/twilio/sms",
                "https://example.com/twilio/sms?lang=en",
            ),
        ] {
            assert_eq!(
                public_signed_url(endpoint, public).unwrap(),
                signed,
                "{public}"
            );
        }
        // A full URL with the endpoint's own query is unambiguous too; another query is not.
        assert_eq!(
            public_signed_url(endpoint, "https://example.com/sms?lang=en").unwrap(),
            "https://example.com/sms?lang=en"
        );
        for refused in [
            "https://example.com/sms?lang=fr",
            "https://example.com?lang=en",
            "ftp://example.com",
        ] {
            let why = public_signed_url(endpoint, refused).unwrap_err();
            assert!(why.contains("base of the URL Twilio calls"), "{why}");
        }
    }

    #[test]
    fn same_url_maps_to_itself() {
        let urls = Urls::new("http://127.0.0.1:8080/sms", "http://127.0.0.1:8080/sms");
        let p = urls
            .follow("http://127.0.0.1:8080/sms", "next?x=1")
            .unwrap();
        assert_eq!(p.signed, "http://127.0.0.1:8080/next?x=1");
        assert_eq!(p.wire, p.signed);
        let p = urls.follow(&p.signed, "/a/b").unwrap();
        assert_eq!(p.wire, "http://127.0.0.1:8080/a/b");
    }

    #[test]
    fn public_base_with_prefix_maps_to_the_local_one() {
        let urls = Urls::new(
            "http://127.0.0.1:9/voice?a=1",
            "https://hooks.example.com/base/voice?a=1",
        );
        let p = urls
            .follow("https://hooks.example.com/base/voice?a=1", "menu")
            .unwrap();
        assert_eq!(p.signed, "https://hooks.example.com/base/menu");
        assert_eq!(p.wire, "http://127.0.0.1:9/menu");
        // Elsewhere: called as written.
        let p = urls
            .follow(&p.signed, "https://other.example.com/x")
            .unwrap();
        assert_eq!(p.wire, "https://other.example.com/x");
        // A base that merely shares a prefix is not ours.
        let p = urls.place("https://hooks.example.com/basement");
        assert_eq!(p.wire, "https://hooks.example.com/basement");
    }

    #[test]
    fn userinfo_stays_signed_and_becomes_credentials() {
        let urls = Urls::new("http://127.0.0.1:9/sms", "https://u:p%24@h.example/sms");
        let p = urls
            .follow("https://u:p%24@h.example/sms", "/next")
            .unwrap();
        assert_eq!(p.signed, "https://u:p%24@h.example/next");
        assert_eq!(p.wire, "http://127.0.0.1:9/next");
        assert_eq!(p.credentials.unwrap().password, "p$");
        assert!(matches!(urls.follow("x", " "), Err(UrlError::Empty)));
    }
}
