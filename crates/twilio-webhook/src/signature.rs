//! The signature itself: the canonical string Twilio signs, the MAC over it and its encodings.
//!
//! Twilio signs the URL it requested, exactly as configured, followed by every POST parameter
//! as `name` + `value`, sorted by name, with no separators. A JSON (or other raw) body is not
//! part of the string: Twilio adds `bodySHA256=<hex sha256 of the body>` to the URL's query and
//! signs that URL alone.
//!
//! ```
//! use twilio_webhook::signature::canonical_string;
//!
//! let s = canonical_string(
//!     "https://example.com/sms?x=1",
//!     [("To", "+15005550006"), ("From", "+15551234567"), ("Body", "4")],
//! );
//! assert_eq!(s, "https://example.com/sms?x=1Body4From+15551234567To+15005550006");
//! ```

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use sha2::{Digest as _, Sha256};

/// The MAC algorithm a key signs with.
///
/// Auth Tokens sign with HMAC-SHA1; Twilio's Webhook Shared Keys may sign with HMAC-SHA256.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Algorithm {
    /// HMAC-SHA1, 20-byte MAC: what every Auth Token signature uses.
    HmacSha1,
    /// HMAC-SHA256, 32-byte MAC: Webhook Shared Keys configured for `HMAC_SHA256`.
    HmacSha256,
}

impl Algorithm {
    /// Length of the raw MAC in bytes (20 or 32).
    pub const fn mac_len(self) -> usize {
        match self {
            Algorithm::HmacSha1 => 20,
            Algorithm::HmacSha256 => 32,
        }
    }

    /// The name Twilio uses in `X-Twilio-Webhooks-Signature-Settings` (`HMAC_SHA1`, `HMAC_SHA256`).
    pub const fn settings_name(self) -> &'static str {
        match self {
            Algorithm::HmacSha1 => "HMAC_SHA1",
            Algorithm::HmacSha256 => "HMAC_SHA256",
        }
    }

    /// Parses Twilio's settings name exactly (`HMAC_SHA1` or `HMAC_SHA256`).
    pub fn from_settings_name(name: &str) -> Option<Self> {
        match name {
            "HMAC_SHA1" => Some(Algorithm::HmacSha1),
            "HMAC_SHA256" => Some(Algorithm::HmacSha256),
            _ => None,
        }
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Algorithm::HmacSha1 => "hmac-sha1",
            Algorithm::HmacSha256 => "hmac-sha256",
        })
    }
}

/// Error returned when an algorithm name is not recognised.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown algorithm (expected hmac-sha1 or hmac-sha256)")]
pub struct UnknownAlgorithm;

impl FromStr for Algorithm {
    type Err = UnknownAlgorithm;

    /// Accepts `hmac-sha1`/`hmac-sha256` in any case, with `-` or `_`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().replace('_', "-").as_str() {
            "hmac-sha1" | "sha1" => Ok(Algorithm::HmacSha1),
            "hmac-sha256" | "sha256" => Ok(Algorithm::HmacSha256),
            _ => Err(UnknownAlgorithm),
        }
    }
}

/// How parameter names (and a repeated name's values) are ordered.
///
/// The two orders differ only where a string holds characters at or above U+E000: JavaScript
/// and Java compare UTF-16 code units, Rust, Python and Go compare code points. Twilio's own
/// order is undocumented, so the validator accepts either where they differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SortOrder {
    /// Byte order of the UTF-8 strings, equal to code-point order.
    CodePoint,
    /// UTF-16 code-unit order (JavaScript's `sort()`, Java's `compareTo`).
    Utf16,
}

impl fmt::Display for SortOrder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SortOrder::CodePoint => "code-point",
            SortOrder::Utf16 => "utf-16",
        })
    }
}

/// Sorts `pairs` by name then value in `order` and drops repeated (name, value) pairs.
///
/// After this, each name's distinct values stand together, in order: exactly the sequence the
/// canonical string lists.
pub(crate) fn sort_pairs(pairs: &mut Vec<(&str, &str)>, order: SortOrder) {
    match order {
        SortOrder::CodePoint => {
            // Twilio usually sends parameters already sorted; checking is cheaper than sorting.
            if !pairs.is_sorted() {
                pairs.sort_unstable();
            }
        }
        SortOrder::Utf16 => pairs.sort_unstable_by(|a, b| {
            utf16_cmp(a.0, b.0).then_with(|| utf16_cmp(a.1, b.1))
        }),
    }
    pairs.dedup();
}

fn utf16_cmp(a: &str, b: &str) -> Ordering {
    a.encode_utf16().cmp(b.encode_utf16())
}

/// Whether UTF-16 order could differ from code-point order for these pairs: only characters at
/// or above U+E000 (UTF-8 lead bytes 0xEE and up) can sort differently.
pub(crate) fn may_sort_differently(pairs: &[(&str, &str)]) -> bool {
    pairs
        .iter()
        .any(|(k, v)| k.bytes().chain(v.bytes()).any(|b| b >= 0xEE))
}

/// Appends the parameter part of the canonical string (`name` `value` …) for sorted pairs.
pub(crate) fn write_params(out: &mut Vec<u8>, sorted: &[(&str, &str)]) {
    for (name, value) in sorted {
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(value.as_bytes());
    }
}

/// The parameter part of the canonical string in `order`.
pub(crate) fn params_suffix<'a>(
    pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
    order: SortOrder,
) -> Vec<u8> {
    let mut pairs: Vec<(&str, &str)> = pairs.into_iter().collect();
    sort_pairs(&mut pairs, order);
    let mut out = Vec::with_capacity(pairs.iter().map(|(k, v)| k.len() + v.len()).sum());
    write_params(&mut out, &pairs);
    out
}

/// The exact string Twilio signs for `url` and form (or GET-less) parameters, in code-point
/// order.
///
/// The URL is taken byte for byte; parameters are sorted by name, each name's distinct values
/// sorted, and each written as name then value. Pass no parameters for GET requests and for
/// JSON bodies (whose URL carries `bodySHA256`).
pub fn canonical_string<'a>(
    url: &str,
    params: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> String {
    let suffix = params_suffix(params, SortOrder::CodePoint);
    let mut out = String::with_capacity(url.len() + suffix.len());
    out.push_str(url);
    // The suffix is a concatenation of whole `&str`s, so it is valid UTF-8.
    out.push_str(&String::from_utf8_lossy(&suffix));
    out
}

/// Standard base64 with padding, as the `X-Twilio-Signature` header carries a MAC.
pub fn encode_signature(mac: &[u8]) -> String {
    STANDARD.encode(mac)
}

/// Decodes a signature header strictly: standard alphabet, canonical padding, no whitespace.
pub(crate) fn decode_signature(header: &str) -> Option<Vec<u8>> {
    // Longer than any MAC we know: refuse before allocating for attacker-sized input.
    if header.len() > 64 {
        return None;
    }
    STANDARD.decode(header).ok()
}

/// Lowercase hex SHA-256 of a raw body: the value Twilio puts in `bodySHA256`.
///
/// ```
/// assert_eq!(
///     twilio_webhook::signature::body_sha256(b"{}"),
///     "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a",
/// );
/// ```
pub fn body_sha256(body: &[u8]) -> String {
    hex::encode(Sha256::digest(body))
}

/// `url` with `bodySHA256=<hash of body>` added to its query, as Twilio does before signing a
/// JSON (or other raw) body: `?bodySHA256=…` when there is no query, `&bodySHA256=…` after an
/// existing one, before any `#fragment`.
///
/// ```
/// use twilio_webhook::signature::url_with_body_hash;
/// assert_eq!(
///     url_with_body_hash("https://example.com/hook?a=1", b"{}"),
///     "https://example.com/hook?a=1&bodySHA256=44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a",
/// );
/// ```
pub fn url_with_body_hash(url: &str, body: &[u8]) -> String {
    let (before_fragment, fragment) = match url.find('#') {
        Some(i) => url.split_at(i),
        None => (url, ""),
    };
    let separator = match before_fragment.find('?') {
        None => "?",
        Some(i) if i + 1 == before_fragment.len() || before_fragment.ends_with('&') => "",
        Some(_) => "&",
    };
    format!(
        "{before_fragment}{separator}bodySHA256={}{fragment}",
        body_sha256(body)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorts_names_then_distinct_values() {
        let s = canonical_string(
            "U",
            [
                ("Sid", "CA123"),
                ("Digits", "5678"),
                ("SidAccount", "AC123"),
                ("Digits", "1234"),
                ("Digits", "1234"),
            ],
        );
        assert_eq!(s, "UDigits1234Digits5678SidCA123SidAccountAC123");
    }

    #[test]
    fn names_sort_case_sensitively() {
        let s = canonical_string(
            "U",
            [
                ("callSid", "lowercase"),
                ("CallSid", "uppercase"),
                ("CALLSID", "allcaps"),
            ],
        );
        assert_eq!(s, "UCALLSIDallcapsCallSiduppercasecallSidlowercase");
    }

    #[test]
    fn utf16_order_differs_only_above_e000() {
        // U+FF61 < U+1F600 as code points, but U+1F600 is the surrogate pair D83D DE00 in
        // UTF-16, and 0xD83D < 0xFF61.
        let mut cp = vec![("a", "\u{ff61}"), ("a", "\u{1f600}")];
        let mut u16 = cp.clone();
        sort_pairs(&mut cp, SortOrder::CodePoint);
        sort_pairs(&mut u16, SortOrder::Utf16);
        assert_eq!(cp, vec![("a", "\u{ff61}"), ("a", "\u{1f600}")]);
        assert_eq!(u16, vec![("a", "\u{1f600}"), ("a", "\u{ff61}")]);
        assert!(may_sort_differently(&cp));
        assert!(!may_sort_differently(&[("a", "ñ"), ("b", "é")]));
    }

    #[test]
    fn body_hash_is_appended_like_twilio() {
        let h = body_sha256(b"{}");
        assert_eq!(
            url_with_body_hash("https://e.com/p", b"{}"),
            format!("https://e.com/p?bodySHA256={h}")
        );
        assert_eq!(
            url_with_body_hash("https://e.com/p?", b"{}"),
            format!("https://e.com/p?bodySHA256={h}")
        );
        assert_eq!(
            url_with_body_hash("https://e.com/p?a=1#rt=100", b"{}"),
            format!("https://e.com/p?a=1&bodySHA256={h}#rt=100")
        );
    }

    #[test]
    fn algorithm_names_parse() {
        assert_eq!("HMAC_SHA256".parse(), Ok(Algorithm::HmacSha256));
        assert_eq!("hmac-sha1".parse(), Ok(Algorithm::HmacSha1));
        assert_eq!("md5".parse::<Algorithm>(), Err(UnknownAlgorithm));
        assert_eq!(
            Algorithm::from_settings_name("HMAC_SHA256"),
            Some(Algorithm::HmacSha256)
        );
        assert_eq!(Algorithm::from_settings_name("hmac_sha256"), None);
    }

    #[test]
    fn strict_base64() {
        assert_eq!(
            decode_signature("RSOYDt4T1cUTdK1PDd93/VVr8B8=").map(|v| v.len()),
            Some(20)
        );
        assert!(decode_signature("RSOYDt4T1cUTdK1PDd93/VVr8B8").is_none());
        assert!(decode_signature(" RSOYDt4T1cUTdK1PDd93/VVr8B8=").is_none());
        assert!(decode_signature("RSOYDt4T1cUTdK1PDd93/VVr8B8=\n").is_none());
    }
}
