//! Why a signature was refused, in words an operator can act on: the `explanation` field of
//! every 403 event in the log, and the hint `twilio-webhook verify --explain` prints.
//!
//! A signature either matches or it does not; the MAC says nothing about why. So, only after
//! a request has failed (never to accept one), the explanation tries the likely variants of
//! the URL checked — the scheme swapped, the host (and port) the `Host` or
//! `X-Forwarded-Host` header names, a path prefix a proxy names in `X-Forwarded-Prefix`, the
//! trailing slash toggled, a short query in another order — and says which one the signature
//! matches: "signed for https://…, configured http://…: the scheme differs". When none does
//! and the body is not to blame, the URL is ruled out and the Auth Token is the likely cause
//! (a sub-account's own token, a rotated one). A part of the URL is named only when it
//! actually differs in the variant that matched; what a header suggested but did not match
//! is listed as checked, never blamed.
//!
//! The cost is bounded: at most [`MAX_VARIANTS`] other URLs, each through the validator's
//! own URL forms (at most eight), per key. A variant that matches is never accepted; it only
//! names the cause.
//!
//! The text is log-safe: it names schemes, host names, ports and paths, never a token, a
//! signature, a body, a query string or URL credentials.

use std::fmt::Write as _;
use std::time::SystemTime;

use crate::ValidationError;
use crate::request::WebhookRequest;
use crate::signature::decode_signature;
use crate::url::{Scheme, query_of, query_param, url_forms};
use crate::validator::Validator;
use crate::webhook::BodyKind;

/// The most URL variants one failed request costs (each checked in its URL forms, per key).
pub const MAX_VARIANTS: usize = 16;

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
    /// The route's own check of this request against another URL (same keys, body and
    /// basic-auth forms): whether the signature matches it.
    pub(crate) check: &'a dyn Fn(&str) -> bool,
}

/// What the request's headers say about the URL it was sent to. All optional; a header that
/// is not host-shaped (or prefix-shaped) is ignored.
#[derive(Debug, Default, Clone, Copy)]
#[non_exhaustive]
pub struct Clues<'a> {
    /// The `Host` header (or HTTP/2 `:authority`).
    pub host: Option<&'a str>,
    /// `X-Forwarded-Host` (or `Forwarded: host=`), first entry.
    pub forwarded_host: Option<&'a str>,
    /// `X-Forwarded-Proto` (or `Forwarded: proto=`), first entry.
    pub forwarded_proto: Option<&'a str>,
    /// `X-Forwarded-Prefix`: the path prefix a proxy removed.
    pub forwarded_prefix: Option<&'a str>,
}

impl<'a> Clues<'a> {
    /// No clues: only the scheme, the trailing slash and the query order are varied.
    pub fn none() -> Self {
        Clues::default()
    }

    /// The clues in `request`'s headers.
    pub(crate) fn of(request: &WebhookRequest<'a>) -> Self {
        let first = |v: &'a str| v.split(',').next().unwrap_or_default().trim();
        Clues {
            host: header(request, "host").or(request.authority_value()),
            forwarded_host: header(request, "x-forwarded-host")
                .or_else(|| forwarded_param(request, "host"))
                .map(first),
            forwarded_proto: header(request, "x-forwarded-proto")
                .or_else(|| forwarded_param(request, "proto"))
                .map(first),
            forwarded_prefix: header(request, "x-forwarded-prefix").map(first),
        }
    }
}

/// The variant of the URL checked that the signature matches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    /// The URL Twilio signed (as far as the variants tell).
    pub url: String,
}

/// Tries the likely variants of `url` (at most [`MAX_VARIANTS`]) with `check`, which says
/// whether the signature matches a URL; returns the first that matches, fewest changes first.
/// Call it only for a request that already failed: it is the cost of an explanation.
pub fn find_signed_url(
    url: &str,
    clues: &Clues<'_>,
    mut check: impl FnMut(&str) -> bool,
) -> Option<Found> {
    variants(url, clues)
        .into_iter()
        .take(MAX_VARIANTS)
        .find(|candidate| check(candidate))
        .map(|url| Found { url })
}

/// The first sentence for a signature that matched `found` rather than `checked`:
/// "signed for https://…, configured http://…: the scheme differs (…)". `source` is how the
/// checked URL came about ("configured", "rebuilt from the request", "given").
pub fn found_sentence(checked: &str, found: &Found, source: &str) -> String {
    let (a, b) = (Url::of(checked), Url::of(&found.url));
    let mut parts = Vec::new();
    let mut advice: Vec<String> = Vec::new();
    if !a.scheme.eq_ignore_ascii_case(b.scheme) {
        parts.push("scheme");
        advice.push(
            "Twilio signs the URL it called: behind ngrok or a TLS-terminating proxy that is \
             https, so configure the public URL with https"
                .to_owned(),
        );
    }
    if !a.host.eq_ignore_ascii_case(b.host) {
        parts.push("host");
        advice.push("set the public URL to the address in the Twilio console".to_owned());
    }
    if a.explicit_port() != b.explicit_port() {
        parts.push("port");
        advice.push(
            "Twilio signs a port only when the console URL has one: give the public URL the \
             port of the console URL"
                .to_owned(),
        );
    }
    if a.path != b.path {
        if b.path.trim_end_matches('/') == a.path.trim_end_matches('/') {
            parts.push("trailing slash");
            advice.push("make the route's path end exactly as the console URL's does".to_owned());
        } else {
            parts.push("path prefix");
            let prefix = b.path.strip_suffix(a.path).unwrap_or(b.path);
            advice.push(format!(
                "a proxy removed {}: end the public URL's base with it",
                safe(prefix)
            ));
        }
    }
    if query_of(checked) != query_of(&found.url) {
        parts.push("query order");
        advice.push(
            "a proxy or framework re-ordered the query: the request target must reach the \
             server as Twilio sent it"
                .to_owned(),
        );
    }
    let which = match parts.as_slice() {
        [one] => format!("the {one} differs"),
        [init @ .., last] => format!("the {} and {last} differ", init.join(", ")),
        [] => "a form of it the validator does not try matches".to_owned(),
    };
    format!(
        "signed for {}, {source} {}: {which} ({})",
        b.display(),
        a.display(),
        advice.join("; ")
    )
}

/// The first sentence when no variant of `url` matches and the body is not to blame: the
/// Auth Token (a sub-account's, when the request names an `account`; a rotated one).
pub fn token_sentence(url: &str, clues: &Clues<'_>, account: Option<&str>) -> String {
    let checked = 1 + variants(url, clues).len().min(MAX_VARIANTS);
    let sub_account = if account.is_some() {
        "; the request names an AccountSid (account_sid): a sub-account signs with its own \
         Auth Token, not its parent's"
    } else {
        ""
    };
    format!(
        "no variant of the URL matches ({checked} URLs checked), so the Auth Token is the \
         likely cause: it must be the one of the account that owns the number, and after a \
         rotation the new one{sub_account}"
    )
}

/// The first sentence when a raw body's SHA-256 is not the `bodySHA256` its URL carries.
pub const BODY_CHANGED: &str = "the body changed on the way: its SHA-256 differs from the \
bodySHA256 Twilio signed in the URL (a proxy or middleware re-encoded the JSON?)";

/// The explanation of a failed check, or `None` for an outcome that is not a 403.
pub(crate) fn explain(facts: &Facts<'_>, error: ValidationError) -> Option<String> {
    let cause = match error {
        ValidationError::SignatureMismatch | ValidationError::BodyHashMismatch => {
            signature_cause(facts, error)
        }
        other => key_choice_hint(other)?.to_owned(),
    };
    Some(format!("{cause}. {}", tried(facts)))
}

/// The cause of a mismatch: a URL variant that matches, else the body, the credentials, the
/// token.
fn signature_cause(facts: &Facts<'_>, error: ValidationError) -> String {
    if let Some(hint) = body_hint(facts, error) {
        return hint.to_owned();
    }
    let clues = Clues::of(facts.request);
    let source = if facts.has_base {
        "configured"
    } else {
        "rebuilt from the request"
    };
    if let Some(found) = find_signed_url(facts.url, &clues, facts.check) {
        let mut out = found_sentence(facts.url, &found, source);
        if !facts.has_base && (clues.forwarded_host.is_some() || clues.forwarded_proto.is_some()) {
            out.push_str(
                "; the request's forwarding headers came from a proxy that is not trusted, so \
                 they were not used: trust it (PublicUrl::trusting) or configure the public URL",
            );
        }
        return out;
    }
    if let Some(hint) = credentials_hint(facts) {
        return hint.to_owned();
    }
    token_sentence(facts.url, &clues, account(facts).as_deref())
}

/// "Tried 2 URL forms (…) × 1 key over 5 form parameters, URL https://host/path (…)".
fn tried(facts: &Facts<'_>) -> String {
    let forms: Vec<String> = url_forms(facts.url)
        .map(|(form, _)| form.to_string())
        .collect();
    let keys = keys_tried(facts);
    let mut out = format!(
        "Tried {} URL form{} ({}) × {keys} key{}",
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
    let url = Url::of(facts.url).display();
    let _ = if facts.has_base {
        write!(out, ", URL {url} (configured public URL)")
    } else {
        write!(
            out,
            ", URL {url} (rebuilt from the request, {} listener)",
            facts.listener
        )
    };
    out
}

/// The URL variants worth a check, fewest changes first (the URL itself excluded, at most
/// [`MAX_VARIANTS`] used): scheme × host from the headers × path (prefix, trailing slash),
/// then a short query in its other orders.
fn variants(url: &str, clues: &Clues<'_>) -> Vec<String> {
    let Some(parts) = Parts::of(url) else {
        return Vec::new();
    };
    let mut schemes = vec![parts.scheme.to_owned()];
    match parts.scheme.to_ascii_lowercase().as_str() {
        "http" => schemes.push("https".to_owned()),
        "https" => schemes.push("http".to_owned()),
        _ => {}
    }
    let mut authorities = vec![parts.authority.to_owned()];
    for seen in [clues.forwarded_host, clues.host].into_iter().flatten() {
        if host_shaped(seen)
            && !authorities
                .iter()
                .any(|a: &String| a.eq_ignore_ascii_case(seen))
        {
            authorities.push(seen.to_owned());
        }
    }
    let mut paths = vec![parts.path.to_owned()];
    if let Some(prefix) = clues.forwarded_prefix.map(|p| p.trim_end_matches('/'))
        && prefix_shaped(prefix)
        && !parts.path.starts_with(&format!("{prefix}/"))
    {
        paths.push(format!("{prefix}{}", parts.path));
    }
    match parts.path.strip_suffix('/') {
        Some(trimmed) if !trimmed.is_empty() => paths.push(trimmed.to_owned()),
        Some(_) => {}
        None => paths.push(format!("{}/", parts.path)),
    }
    let mut out: Vec<(usize, String)> = Vec::new();
    for (p, path) in paths.iter().enumerate() {
        for (a, authority) in authorities.iter().enumerate() {
            for (s, scheme) in schemes.iter().enumerate() {
                let changes = usize::from(s > 0) + usize::from(a > 0) + usize::from(p > 0);
                if changes > 0 {
                    let rebuilt = parts.with(scheme, authority, path, parts.tail);
                    out.push((changes, rebuilt));
                }
            }
        }
    }
    // Re-orderings of a short query come after the single and double changes.
    for tail in query_orders(parts.tail) {
        out.push((
            2,
            parts.with(parts.scheme, parts.authority, parts.path, &tail),
        ));
    }
    out.sort_by_key(|(changes, _)| *changes);
    out.into_iter().map(|(_, url)| url).collect()
}

/// The other orders of a query of two or three parameters (a fragment kept at the end).
fn query_orders(tail: &str) -> Vec<String> {
    let Some(rest) = tail.strip_prefix('?') else {
        return Vec::new();
    };
    let (query, fragment) = rest
        .split_once('#')
        .map_or((rest, None), |(q, f)| (q, Some(f)));
    let pairs: Vec<&str> = query.split('&').collect();
    let orders: &[&[usize]] = match pairs.len() {
        2 => &[&[1, 0]],
        3 => &[&[0, 2, 1], &[1, 0, 2], &[1, 2, 0], &[2, 0, 1], &[2, 1, 0]],
        _ => &[],
    };
    orders
        .iter()
        .map(|order| {
            let query: Vec<&str> = order.iter().map(|&i| pairs[i]).collect();
            let mut tail = format!("?{}", query.join("&"));
            if let Some(fragment) = fragment {
                tail.push('#');
                tail.push_str(fragment);
            }
            tail
        })
        .collect()
}

/// `host[:port]` with host-name characters only: a header that could build another kind of
/// URL is not a clue.
fn host_shaped(authority: &str) -> bool {
    !authority.is_empty()
        && authority.len() <= 255
        && authority
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'))
}

/// `/a/b`: a path prefix without query, fragment or dot segments.
fn prefix_shaped(prefix: &str) -> bool {
    prefix.starts_with('/')
        && prefix.len() <= 255
        && !prefix.split('/').any(|s| s == "." || s == "..")
        && prefix
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '/' | '.' | '-' | '_' | '~'))
}

/// An absolute URL cut where a variant changes it; userinfo kept with the scheme.
struct Parts<'a> {
    scheme: &'a str,
    userinfo: &'a str,
    authority: &'a str,
    path: &'a str,
    tail: &'a str,
}

impl<'a> Parts<'a> {
    fn of(url: &'a str) -> Option<Self> {
        let (scheme, rest) = url.split_once("://")?;
        let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        let (authority, after) = rest.split_at(end);
        let (userinfo, authority) = match authority.rfind('@') {
            Some(at) => authority.split_at(at + 1),
            None => ("", authority),
        };
        let path_end = after.find(['?', '#']).unwrap_or(after.len());
        let (path, tail) = after.split_at(path_end);
        Some(Parts {
            scheme,
            userinfo,
            authority,
            path,
            tail,
        })
    }

    fn with(&self, scheme: &str, authority: &str, path: &str, tail: &str) -> String {
        format!("{scheme}://{}{authority}{path}{tail}", self.userinfo)
    }
}

/// The `AccountSid` the request names, in the form or the URL's query.
fn account(facts: &Facts<'_>) -> Option<String> {
    facts
        .pairs
        .iter()
        .find(|(n, _)| n == "AccountSid")
        .map(|(_, v)| v.clone())
        .or_else(|| query_param(facts.url, "AccountSid"))
}

/// The keys of the set the request selects that could have made a MAC of its length.
fn keys_tried(facts: &Facts<'_>) -> usize {
    let Some(tag) = decode_signature(facts.signature) else {
        return 0;
    };
    let account = account(facts);
    let keys = facts.validator.keys();
    keys.select(|| account.map(Into::into), facts.settings)
        .and_then(|selected| {
            Ok(selected
                .usable(SystemTime::now(), tag.as_slice().len())?
                .count())
        })
        .unwrap_or(0)
}

/// A JSON-looking body where a form was expected, or a raw body that changed.
fn body_hint(facts: &Facts<'_>, error: ValidationError) -> Option<&'static str> {
    match (facts.kind, error) {
        (BodyKind::Raw, ValidationError::BodyHashMismatch) => Some(BODY_CHANGED),
        (BodyKind::Form, _) if looks_like_json(facts.body) => Some(
            "the body is JSON sent as a form: Twilio signs JSON bodies through bodySHA256 in \
             the URL, never as form parameters (a client or proxy re-encoded it?)",
        ),
        _ => None,
    }
}

/// Credentials the client sent that the route does not sign with.
fn credentials_hint(facts: &Facts<'_>) -> Option<&'static str> {
    let sent = !matches!(facts.request.single("authorization"), Ok(None));
    (sent && !facts.basic_auth).then_some(
        "the request carries basic-auth credentials but the route checks none: Twilio signs \
         the URL with user:password@ in it, so configure the same basic auth on the route",
    )
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

    /// The port, unless absent or the scheme's default.
    fn explicit_port(&self) -> Option<&'a str> {
        let port = self.port.filter(|p| !p.is_empty())?;
        (port != self.default_port()).then_some(port)
    }

    fn default_port(&self) -> &'static str {
        if self.scheme.eq_ignore_ascii_case("https") {
            "443"
        } else {
            "80"
        }
    }

    /// `scheme://host[:port]/path`, log-safe (no credentials, no query).
    fn display(&self) -> String {
        let port = self
            .port
            .map(|p| format!(":{}", safe(p)))
            .unwrap_or_default();
        format!(
            "{}://{}{port}{}",
            safe(self.scheme),
            safe(self.host),
            safe(self.path)
        )
    }
}

#[cfg(test)]
mod tests;
