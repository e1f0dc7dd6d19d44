//! Why a signature was refused, in words an operator can act on: the `explanation` field of
//! every 403 event in the log.
//!
//! A signature either matches or it does not; the MAC says nothing about why. What usually
//! went wrong is known, though: the URL checked is not the URL Twilio called (a proxy or a
//! tunnel such as ngrok terminated TLS or rewrote the host or port, so the scheme, host or
//! port differ), the body was JSON (signed through `bodySHA256`) or was re-encoded on the
//! way, basic-auth credentials that Twilio signs as part of the URL were not configured, or
//! the token is another account's. The explanation lists what was tried - how many URL forms
//! and keys - and every such difference it can see in the request.
//!
//! It is built only after a request failed (the accepted path never pays for it) and it is
//! log-safe: it names forms, counts, schemes, host names and ports, never a token, a
//! signature, a body, a query string or URL credentials.

use std::fmt::Write as _;
use std::time::SystemTime;

use crate::ValidationError;
use crate::request::WebhookRequest;
use crate::signature::decode_signature;
use crate::url::{Scheme, query_param, url_forms};
use crate::validator::Validator;
use crate::webhook::BodyKind;

/// What a check leaves for its log event.
#[derive(Debug, Default)]
pub(crate) struct Notes {
    /// The `AccountSid` the request names, if any.
    pub(crate) account: Option<String>,
    /// Why the signature failed (403s only).
    pub(crate) explanation: Option<String>,
}

/// What the request layer knew when the signature check failed.
pub(crate) struct Facts<'a> {
    /// The request (its Host, forwarding and Authorization headers are read).
    pub(crate) request: &'a WebhookRequest<'a>,
    /// The URL the signature was checked against.
    pub(crate) url: &'a str,
    /// Whether that URL came from a configured public base URL (not from the request).
    pub(crate) has_base: bool,
    /// The listener's scheme.
    pub(crate) listener: Scheme,
    /// Whether the route checks basic auth (and so also tried the URL with credentials).
    pub(crate) basic_auth: bool,
    /// The validator that refused the request.
    pub(crate) validator: &'a Validator,
    /// What was signed: form, query or raw body.
    pub(crate) kind: BodyKind,
    /// The form or query pairs (only counted and searched for `AccountSid`).
    pub(crate) pairs: &'a [(String, String)],
    /// The body (only looked at for a JSON shape).
    pub(crate) body: &'a [u8],
    /// The signature header (only its decoded length is used).
    pub(crate) signature: &'a str,
    /// The signature-settings header, if any.
    pub(crate) settings: Option<&'a str>,
}

/// The explanation of a failed check, or `None` for an outcome that is not a 403.
pub(crate) fn explain(facts: &Facts<'_>, error: ValidationError) -> Option<String> {
    let hints = match error {
        ValidationError::SignatureMismatch | ValidationError::BodyHashMismatch => {
            let mut hints = url_hints(facts);
            hints.extend(body_hint(facts, error));
            hints.extend(credentials_hint(facts));
            if hints.is_empty() {
                hints.push(NO_DIFFERENCE.to_owned());
            }
            hints
        }
        other => vec![key_choice_hint(other)?.to_owned()],
    };
    let mut out = tried(facts);
    out.push_str("; ");
    out.push_str(&hints.join("; "));
    Some(out)
}

const NO_DIFFERENCE: &str = "no difference between the request and the URL checked: is the \
token the one of the account that owns the number (after a rotation, configure the new token \
as well)?";

/// "tried 4 URL forms (…) × 1 key over 5 form parameters, URL https://host/path".
fn tried(facts: &Facts<'_>) -> String {
    let forms: Vec<String> = url_forms(facts.url)
        .map(|(form, _)| form.to_string())
        .collect();
    let keys = keys_tried(facts);
    let mut out = format!(
        "tried {} URL form{} ({}) × {keys} key{}",
        forms.len(),
        plural(forms.len()),
        forms.join(", "),
        plural(keys),
    );
    if facts.basic_auth {
        out.push_str(", each also with the basic-auth credentials in the URL");
    }
    let _ = match facts.kind {
        BodyKind::Form => write!(out, " over {} form parameters", facts.pairs.len()),
        BodyKind::Query => write!(out, " over the query (GET)"),
        BodyKind::Raw => write!(out, " over the URL with bodySHA256 (raw body)"),
    };
    let url = Url::of(facts.url);
    let _ = write!(
        out,
        ", URL {}://{}{}{} ({})",
        url.scheme,
        safe(url.host),
        url.port
            .map(|p| format!(":{}", safe(p)))
            .unwrap_or_default(),
        safe(url.path),
        if facts.has_base {
            "configured public URL"
        } else {
            "rebuilt from the request"
        },
    );
    out
}

/// The keys of the set the request selects that could have made a MAC of its length.
fn keys_tried(facts: &Facts<'_>) -> usize {
    let Some(tag) = decode_signature(facts.signature) else {
        return 0;
    };
    let account = facts
        .pairs
        .iter()
        .find(|(n, _)| n == "AccountSid")
        .map(|(_, v)| v.clone())
        .or_else(|| query_param(facts.url, "AccountSid"));
    let keys = facts.validator.keys();
    keys.select(|| account.map(Into::into), facts.settings)
        .and_then(|selected| {
            Ok(selected
                .usable(SystemTime::now(), tag.as_slice().len())?
                .count())
        })
        .unwrap_or(0)
}

/// Scheme, host and port of the URL checked against what the request and its proxies say.
fn url_hints(facts: &Facts<'_>) -> Vec<String> {
    let url = Url::of(facts.url);
    let mut hints = Vec::new();
    let host_header = header(facts.request, "host").or(facts.request.authority_value());
    let forwarded_proto = header(facts.request, "x-forwarded-proto")
        .or_else(|| forwarded_param(facts.request, "proto"))
        .map(|p| p.split(',').next().unwrap_or_default().trim());
    let forwarded_host = header(facts.request, "x-forwarded-host")
        .or_else(|| forwarded_param(facts.request, "host"))
        .map(|h| h.split(',').next().unwrap_or_default().trim());
    let source = if facts.has_base {
        "the configured public URL says"
    } else {
        "the proxy that sent it is not trusted, so the URL uses"
    };
    match forwarded_proto {
        Some(proto) if !proto.eq_ignore_ascii_case(url.scheme) => hints.push(format!(
            "scheme differs: a proxy says the request came over {} but {source} {} - \
             Twilio signs the URL it called (https behind ngrok or a load balancer)",
            safe(proto),
            url.scheme
        )),
        None if !facts.has_base && url.scheme == "http" => hints.push(format!(
            "scheme: the URL was rebuilt as http from the {} listener - if Twilio calls an \
             https URL (ngrok, a TLS-terminating proxy), configure the public URL or trust \
             the proxy",
            facts.listener
        )),
        _ => {}
    }
    if let Some(seen) = forwarded_host.or(host_header) {
        let seen = Url::authority(seen);
        if !seen.host.eq_ignore_ascii_case(url.host) {
            hints.push(format!(
                "host differs: the request is for {} but the URL checked has {} - Twilio \
                 signs the host it called (set the public URL to the address in the Twilio \
                 console; a tunnel such as ngrok or a proxy rewrites the Host)",
                safe(seen.host),
                safe(url.host)
            ));
        } else if seen.effective_port(url.scheme) != url.effective_port(url.scheme) {
            hints.push(format!(
                "port differs: the request names port {} but the URL checked has {} - a \
                 proxy or tunnel forwarding to another port changes the signed URL",
                safe(seen.effective_port(url.scheme)),
                safe(url.effective_port(url.scheme))
            ));
        }
    }
    if let Some(port) = url.port {
        hints.push(format!(
            "the URL carries port {} (the form without it was tried too): Twilio signs the \
             port only if the webhook URL in the console has one",
            safe(port)
        ));
    }
    hints
}

/// A JSON-looking body where a form was expected, or a raw body that changed.
fn body_hint(facts: &Facts<'_>, error: ValidationError) -> Option<String> {
    let json = looks_like_json(facts.body);
    let hint = match (facts.kind, error) {
        (BodyKind::Raw, ValidationError::BodyHashMismatch) => {
            "body changed: its SHA-256 differs from the signed bodySHA256 (a proxy or framework \
             re-encoded the JSON?)"
        }
        (BodyKind::Raw, _) => {
            "raw (JSON) body: only the URL with bodySHA256 is signed, so the URL differs from \
             the one Twilio called"
        }
        (BodyKind::Form, _) if json => {
            "the body looks like JSON but came as a form: Twilio signs JSON bodies through \
             bodySHA256 in the URL, never as form parameters (a client or proxy re-encoded it?)"
        }
        _ => return None,
    };
    Some(hint.to_owned())
}

/// Credentials the client sent that the route does not sign with.
fn credentials_hint(facts: &Facts<'_>) -> Option<String> {
    let sent = !matches!(facts.request.single("authorization"), Ok(None));
    (sent && !facts.basic_auth).then(|| {
        "the request carries basic-auth credentials but the route checks none: Twilio signs \
         the URL with user:password@ in it, so configure the same basic auth on the route"
            .to_owned()
    })
}

/// The other 403s: the key set could not be chosen.
fn key_choice_hint(error: ValidationError) -> Option<&'static str> {
    Some(match error {
        ValidationError::UnknownAccount => {
            "the request's AccountSid has no token here (sub-accounts sign with their own token)"
        }
        ValidationError::UnknownSharedKey => {
            "the signature-settings header names a shared key id that is not configured"
        }
        ValidationError::UnsupportedAlgorithm => {
            "the signature-settings header names an algorithm the key does not use"
        }
        ValidationError::MissingSignatureSettings => {
            "this route verifies Webhook Shared Keys but the request has no signature-settings \
             header (signed with an Auth Token?)"
        }
        ValidationError::SharedKeyNotConfigured => {
            "the request names a Webhook Shared Key but this route verifies Auth Tokens: \
             configure its shared keys if Twilio signs with them"
        }
        _ => return None,
    })
}

fn looks_like_json(body: &[u8]) -> bool {
    body.iter()
        .find(|b| !b.is_ascii_whitespace())
        .is_some_and(|b| matches!(b, b'{' | b'['))
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// The header's last value, if it is ASCII.
fn header<'a>(request: &WebhookRequest<'a>, name: &str) -> Option<&'a str> {
    request.last(name).ok().flatten()
}

/// `name=` from the first element of the last `Forwarded` header.
fn forwarded_param<'a>(request: &WebhookRequest<'a>, name: &str) -> Option<&'a str> {
    let element = header(request, "forwarded")?.split(',').next()?;
    element.split(';').find_map(|pair| {
        let (n, v) = pair.trim().split_once('=')?;
        n.eq_ignore_ascii_case(name).then(|| v.trim_matches('"'))
    })
}

/// Client-controlled text as it may appear in a log line: host-name characters only, at
/// most 100 of them.
fn safe(text: &str) -> String {
    text.chars()
        .filter(|c| {
            c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | ':' | '[' | ']' | '/')
        })
        .take(100)
        .collect()
}

/// The pieces of an absolute URL the explanation names (userinfo and query dropped).
struct Url<'a> {
    scheme: &'a str,
    host: &'a str,
    port: Option<&'a str>,
    path: &'a str,
}

impl<'a> Url<'a> {
    fn of(url: &'a str) -> Self {
        let (scheme, rest) = url.split_once("://").unwrap_or(("", url));
        let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        let path_end = rest[end..].find(['?', '#']).map_or(rest.len(), |i| end + i);
        Url {
            scheme,
            path: &rest[end..path_end],
            ..Url::authority(&rest[..end])
        }
    }

    /// `host[:port]`, `[v6][:port]`, with any `user:pass@` dropped.
    fn authority(authority: &'a str) -> Self {
        let authority = authority.rsplit_once('@').map_or(authority, |(_, a)| a);
        let port_at = match authority.rfind(']') {
            Some(close) => authority[close..].find(':').map(|i| close + i),
            None => authority.rfind(':'),
        };
        let (host, port) = match port_at {
            Some(i) => (&authority[..i], Some(&authority[i + 1..])),
            None => (authority, None),
        };
        Url {
            scheme: "",
            host,
            port,
            path: "",
        }
    }

    /// The port, or the scheme's default.
    fn effective_port(&self, scheme: &str) -> &'a str {
        match self.port {
            Some(port) if !port.is_empty() => port,
            _ if scheme.eq_ignore_ascii_case("https") => "443",
            _ => "80",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts<'a>(
        request: &'a WebhookRequest<'a>,
        url: &'a str,
        validator: &'a Validator,
        signature: &'a str,
    ) -> Facts<'a> {
        Facts {
            request,
            url,
            has_base: false,
            listener: Scheme::Http,
            basic_auth: false,
            validator,
            kind: BodyKind::Form,
            pairs: &[],
            body: b"",
            signature,
            settings: None,
        }
    }

    const SIG: &str = "RSOYDt4T1cUTdK1PDd93/VVr8B8=";

    #[test]
    fn names_proxy_scheme_host_and_port_differences() {
        let v = Validator::from_token("t").unwrap();
        let headers = [
            ("host", "app.internal:8080"),
            ("x-forwarded-proto", "https"),
        ];
        let request = WebhookRequest::new("POST", "/sms", &headers);
        let text = explain(
            &facts(&request, "http://app.internal:8080/sms?x=1", &v, SIG),
            ValidationError::SignatureMismatch,
        )
        .unwrap();
        assert!(
            text.starts_with("tried 2 URL forms (as-received, port-removed)"),
            "{text}"
        );
        assert!(text.contains("× 1 key over 0 form parameters"), "{text}");
        assert!(text.contains("scheme differs"), "{text}");
        assert!(text.contains("not trusted"), "{text}");
        assert!(text.contains("carries port 8080"), "{text}");
        assert!(!text.contains("x=1"), "query logged: {text}");

        let headers = [("host", "abc.ngrok-free.app")];
        let request = WebhookRequest::new("POST", "/sms", &headers);
        let mut f = facts(&request, "https://hooks.example.com/sms", &v, SIG);
        f.has_base = true;
        let text = explain(&f, ValidationError::SignatureMismatch).unwrap();
        assert!(
            text.contains("host differs: the request is for abc.ngrok-free.app"),
            "{text}"
        );
        assert!(text.contains("configured public URL"), "{text}");
    }

    #[test]
    fn names_json_credentials_and_key_choice() {
        let v = Validator::from_token("t").unwrap();
        let headers = [("host", "e.com"), ("authorization", "Basic dTpw")];
        let request = WebhookRequest::new("POST", "/sms", &headers);
        let mut f = facts(&request, "https://u:p@e.com/sms", &v, SIG);
        f.has_base = true;
        f.body = b" {\"a\":1}";
        let text = explain(&f, ValidationError::SignatureMismatch).unwrap();
        assert!(text.contains("looks like JSON"), "{text}");
        assert!(
            text.contains("basic-auth credentials but the route checks none"),
            "{text}"
        );
        assert!(
            !text.contains("u:p") && !text.contains("dTpw"),
            "credentials logged: {text}"
        );
        f.kind = BodyKind::Raw;
        let text = explain(&f, ValidationError::BodyHashMismatch).unwrap();
        assert!(text.contains("body changed"), "{text}");
        let text = explain(&f, ValidationError::SharedKeyNotConfigured).unwrap();
        assert!(text.contains("verifies Auth Tokens"), "{text}");
        assert_eq!(explain(&f, ValidationError::MalformedSignature), None);
    }

    #[test]
    fn nothing_seen_still_says_what_was_tried() {
        let v = Validator::from_token("t").unwrap();
        let headers = [("host", "e.com")];
        let request = WebhookRequest::new("POST", "/sms", &headers);
        let mut f = facts(&request, "https://e.com/sms", &v, SIG);
        f.has_base = true;
        let text = explain(&f, ValidationError::SignatureMismatch).unwrap();
        assert!(
            text.contains("tried 2 URL forms (as-received, default-port-added)"),
            "{text}"
        );
        assert!(text.contains("no difference"), "{text}");
        // Hostile header text cannot forge log structure.
        let headers = [("host", "evil.com\n level=error msg=x")];
        let request = WebhookRequest::new("POST", "/sms", &headers);
        let f = facts(&request, "http://e.com/", &v, SIG);
        let text = explain(&f, ValidationError::SignatureMismatch).unwrap();
        assert!(!text.contains('\n') && !text.contains('='), "{text}");
    }

    #[test]
    fn urls_split_without_credentials() {
        let u = Url::of("https://user:pw@[::1]:8443/a/b?c=d#e");
        assert_eq!(
            (u.scheme, u.host, u.port, u.path),
            ("https", "[::1]", Some("8443"), "/a/b")
        );
        let u = Url::of("http://h");
        assert_eq!(
            (u.host, u.port, u.path, u.effective_port("http")),
            ("h", None, "", "80")
        );
    }
}
