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

/// Appends the parameter part of the canonical string: the pairs sorted by name then value in
/// `order`, repeated (name, value) pairs dropped, each written as name then value.
///
/// After sorting, each name's distinct values stand together, in order: exactly the sequence
/// Twilio's libraries list.
pub(crate) fn write_params(out: &mut Vec<u8>, pairs: &[(&str, &str)], order: SortOrder) {
    out.reserve(pairs.iter().map(|(k, v)| k.len() + v.len()).sum());
    match order {
        SortOrder::CodePoint if pairs.len() <= PACKED_MAX => {
            let mut packed = [0u64; PACKED_MAX];
            let packed = &mut packed[..pairs.len()];
            sort_packed(packed, pairs);
            let mut previous = None;
            for &k in packed.iter() {
                let (name, value) = pairs[(k & 0xff) as usize];
                // Equal pairs have equal prefixes: compare strings only when those match.
                if let Some((p, pn, pv)) = previous
                    && p == k >> 8
                    && pn == name
                    && pv == value
                {
                    continue;
                }
                out.extend_from_slice(name.as_bytes());
                out.extend_from_slice(value.as_bytes());
                previous = Some((k >> 8, name, value));
            }
        }
        SortOrder::CodePoint => {
            let mut order: Vec<usize> = (0..pairs.len()).collect();
            order.sort_unstable_by(|&a, &b| pairs[a].cmp(&pairs[b]));
            emit(out, pairs, order.into_iter());
        }
        SortOrder::Utf16 => {
            let mut order: Vec<usize> = (0..pairs.len()).collect();
            order.sort_unstable_by(|&a, &b| {
                let (a, b) = (pairs[a], pairs[b]);
                utf16_cmp(a.0, b.0).then_with(|| utf16_cmp(a.1, b.1))
            });
            emit(out, pairs, order.into_iter());
        }
    }
}

/// Most webhooks have a few dozen parameters; up to this many are sorted on the stack.
const PACKED_MAX: usize = 64;

/// Sorts pair indices in code-point order of (name, value).
///
/// Sorting is on the hot path of every request, so each index is packed below the first seven
/// bytes of its name (big-endian, zero-padded) into one `u64`: integer order of those keys is
/// name order wherever the prefixes differ, which for a webhook's names is almost everywhere.
/// Runs that share a prefix are then put in order by full comparison.
fn sort_packed(packed: &mut [u64], pairs: &[(&str, &str)]) {
    for (i, (slot, (name, _))) in packed.iter_mut().zip(pairs).enumerate() {
        *slot = (prefix7(name.as_bytes()) << 8) | i as u64;
    }
    if LAST_ORDER.with_borrow(|last| apply_if_sorts(last, packed, pairs)) {
        return;
    }
    sort_keys(packed, pairs);
    LAST_ORDER.with_borrow_mut(|last| {
        last.clear();
        last.extend(packed.iter().map(|&k| k as u8));
    });
}

thread_local! {
    /// The order (pair indices) of the last parameter list sorted on this thread. One kind of
    /// webhook comes with the same names in the same order every time, so the last order
    /// usually sorts the next list too; it is only used after checking that it does.
    static LAST_ORDER: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Permutes `packed` (keys in input order) by `order` when that puts the pairs in strictly
/// increasing order — the one order a sort could give, as no two pairs are then equal — and
/// says whether it did. A strictly increasing sequence of `packed.len()` keys uses every index
/// once, so a stale or foreign order can only fail the check, never produce a wrong result.
fn apply_if_sorts(order: &[u8], packed: &mut [u64], pairs: &[(&str, &str)]) -> bool {
    if order.len() != packed.len() {
        return false;
    }
    let mut sorted = [0u64; PACKED_MAX];
    let sorted = &mut sorted[..packed.len()];
    for (slot, &i) in sorted.iter_mut().zip(order) {
        match packed.get(usize::from(i)) {
            Some(&k) => *slot = k,
            None => return false,
        }
    }
    let increasing = sorted.windows(2).all(|w| {
        let (a, b) = (w[0], w[1]);
        a >> 8 < b >> 8
            || (a >> 8 == b >> 8 && pairs[(a & 0xff) as usize] < pairs[(b & 0xff) as usize])
    });
    if increasing {
        packed.copy_from_slice(sorted);
    }
    increasing
}

/// Sorts packed keys by prefix, then each run sharing a prefix by the full pairs.
fn sort_keys(packed: &mut [u64], pairs: &[(&str, &str)]) {
    insertion_sort(packed);
    let pair = |k: u64| pairs[(k & 0xff) as usize];
    let mut start = 0;
    for end in 1..=packed.len() {
        if end == packed.len() || packed[end] >> 8 != packed[start] >> 8 {
            if end - start > 1 {
                packed[start..end].sort_unstable_by(|&a, &b| pair(a).cmp(&pair(b)));
            }
            start = end;
        }
    }
}

/// For the few dozen integers of a webhook, insertion sort beats the general-purpose sort
/// (no recursion, no pivot selection) and is linear on the already-sorted input Twilio's
/// clients often send.
fn insertion_sort(keys: &mut [u64]) {
    for i in 1..keys.len() {
        let key = keys[i];
        let mut j = i;
        while j > 0 && keys[j - 1] > key {
            keys[j] = keys[j - 1];
            j -= 1;
        }
        keys[j] = key;
    }
}

/// The first seven bytes of `name`, zero-padded, as a big-endian integer.
fn prefix7(name: &[u8]) -> u64 {
    if let Some(eight) = name.first_chunk::<8>() {
        return u64::from_be_bytes(*eight) >> 8;
    }
    // Shorter names ("To", "Body") are common. Four to seven bytes are read as two overlapping
    // four-byte words: the bytes they share are the same, so OR-ing them is exact (and avoids
    // a byte-wise copy the CPU then has to forward to a wide load).
    let n = name.len();
    let value = match (name.first_chunk::<4>(), name.last_chunk::<4>()) {
        (Some(head), Some(tail)) => {
            (u64::from(u32::from_be_bytes(*head)) << (8 * (n - 4)))
                | u64::from(u32::from_be_bytes(*tail))
        }
        _ => name.iter().fold(0, |acc, &b| (acc << 8) | u64::from(b)),
    };
    value << (8 * (7 - n))
}

/// Writes the pairs in the given index order, skipping a pair equal to the one before it.
fn emit(out: &mut Vec<u8>, pairs: &[(&str, &str)], order: impl Iterator<Item = usize>) {
    let mut previous: Option<(&str, &str)> = None;
    for (name, value) in order.map(|i| pairs[i]) {
        if previous == Some((name, value)) {
            continue;
        }
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(value.as_bytes());
        previous = Some((name, value));
    }
}

fn utf16_cmp(a: &str, b: &str) -> Ordering {
    a.encode_utf16().cmp(b.encode_utf16())
}

/// Whether UTF-16 order could differ from code-point order for the parameters written in
/// `suffix`: only characters at or above U+E000 (UTF-8 lead bytes 0xEE and up) sort
/// differently. One pass over the contiguous bytes, word at a time for the usual ASCII.
pub(crate) fn may_sort_differently(suffix: &[u8]) -> bool {
    !suffix.is_ascii() && suffix.iter().any(|&b| b >= 0xEE)
}

/// The parameter part of the canonical string in `order`.
pub(crate) fn params_suffix<'a>(
    pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
    order: SortOrder,
) -> Vec<u8> {
    let pairs: Vec<(&str, &str)> = pairs.into_iter().collect();
    let mut out = Vec::new();
    write_params(&mut out, &pairs, order);
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

/// A MAC value: up to 32 bytes, `len` of them used.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) struct MacBytes {
    bytes: [u8; 32],
    len: usize,
}

impl MacBytes {
    pub(crate) const EMPTY: MacBytes = MacBytes {
        bytes: [0; 32],
        len: 0,
    };

    pub(crate) fn from_slice(tag: &[u8]) -> Option<Self> {
        let mut bytes = [0; 32];
        bytes.get_mut(..tag.len())?.copy_from_slice(tag);
        Some(MacBytes {
            bytes,
            len: tag.len(),
        })
    }

    pub(crate) fn as_slice(&self) -> &[u8] {
        &self.bytes[..self.len]
    }
}

/// Decodes a signature header strictly: standard alphabet, canonical padding, no whitespace,
/// at most 32 bytes (the longest MAC).
pub(crate) fn decode_signature(header: &str) -> Option<MacBytes> {
    // 44 characters encode 32 bytes; anything longer is refused before decoding.
    if header.len() > 44 {
        return None;
    }
    let mut buf = [0u8; 33];
    let len = STANDARD.decode_slice(header, &mut buf).ok()?;
    MacBytes::from_slice(&buf[..len])
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
    fn a_remembered_order_is_used_only_where_it_sorts() {
        let expect = |pairs: &[(&str, &str)]| {
            let mut sorted = pairs.to_vec();
            sorted.sort_unstable();
            sorted.dedup();
            sorted
                .iter()
                .flat_map(|(k, v)| [*k, *v])
                .collect::<String>()
        };
        // Same length each time, so the order remembered from one list is tried on the next.
        let lists: [&[(&str, &str)]; 5] = [
            &[("b", "1"), ("a", "2"), ("c", "3")],
            &[("b", "1"), ("a", "2"), ("c", "3")],
            &[("c", "1"), ("b", "2"), ("a", "3")],
            &[("b", "1"), ("a", "2"), ("b", "1")],
            &[("Body", "x"), ("Body", "a"), ("B", "z")],
        ];
        for pairs in lists {
            let mut out = Vec::new();
            write_params(&mut out, pairs, SortOrder::CodePoint);
            assert_eq!(String::from_utf8(out).unwrap(), expect(pairs), "{pairs:?}");
        }
    }

    #[test]
    fn prefix7_is_the_zero_padded_first_seven_bytes() {
        let naive = |name: &[u8]| {
            (0..7).fold(0u64, |acc, i| {
                (acc << 8) | u64::from(*name.get(i).unwrap_or(&0))
            })
        };
        let bytes = b"\xffAbcdefghij";
        for len in 0..=bytes.len() {
            for start in 0..2 {
                let name = &bytes[start..len.max(start)];
                assert_eq!(prefix7(name), naive(name), "{name:?}");
            }
        }
    }

    #[test]
    fn utf16_order_differs_only_above_e000() {
        // U+FF61 < U+1F600 as code points, but U+1F600 is the surrogate pair D83D DE00 in
        // UTF-16, and 0xD83D < 0xFF61.
        let pairs = [("a", "\u{ff61}"), ("a", "\u{1f600}")];
        let cp = params_suffix(pairs, SortOrder::CodePoint);
        let u16 = params_suffix(pairs, SortOrder::Utf16);
        assert_eq!(cp, "a\u{ff61}a\u{1f600}".as_bytes());
        assert_eq!(u16, "a\u{1f600}a\u{ff61}".as_bytes());
        assert!(may_sort_differently(&cp));
        assert!(!may_sort_differently("añbé".as_bytes()));
    }

    #[test]
    fn shared_prefixes_and_many_params_sort_fully() {
        // Names equal in their first seven bytes, and more pairs than fit on the stack.
        let names: Vec<String> = (0..100).rev().map(|i| format!("LongName{i:03}")).collect();
        let mut pairs = vec![("LongNamf", "x"), ("LongNam", "y"), ("LongNam", "a")];
        pairs.extend(names.iter().map(|n| (n.as_str(), "v")));
        let small = params_suffix(pairs[..60].iter().copied(), SortOrder::CodePoint);
        let mut sorted = pairs[..60].to_vec();
        sorted.sort();
        let expected: String = sorted.iter().map(|(k, v)| format!("{k}{v}")).collect();
        assert_eq!(small, expected.as_bytes());
        let big = params_suffix(pairs.iter().copied(), SortOrder::CodePoint);
        let mut sorted = pairs.clone();
        sorted.sort();
        let expected: String = sorted.iter().map(|(k, v)| format!("{k}{v}")).collect();
        assert_eq!(big, expected.as_bytes());
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
            decode_signature("RSOYDt4T1cUTdK1PDd93/VVr8B8=").map(|v| v.as_slice().len()),
            Some(20)
        );
        assert!(decode_signature("RSOYDt4T1cUTdK1PDd93/VVr8B8").is_none());
        assert!(decode_signature(" RSOYDt4T1cUTdK1PDd93/VVr8B8=").is_none());
        assert!(decode_signature("RSOYDt4T1cUTdK1PDd93/VVr8B8=\n").is_none());
    }
}
