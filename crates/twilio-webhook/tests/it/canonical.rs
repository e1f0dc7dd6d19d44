//! The canonical string against an oracle written the plain way: sort the (name, value)
//! pairs, drop repeated pairs, write each as name then value after the URL. The library's
//! sort (packed seven-byte prefixes, an insertion sort, a per-thread cache of the last order)
//! is shared by signing and verifying, so a bug in it would pass any sign-then-verify test;
//! here the signature is made from the oracle's string with a bare HMAC instead.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, KeyInit as _, Mac as _};
use proptest::prelude::*;
use sha1::Sha1;
use twilio_webhook::Validator;
use twilio_webhook::signature::canonical_string;

const TOKEN: &str = "oracle-test-token";

/// The plain rule: code-point order of names, then of values; repeats once.
fn oracle(url: &str, params: &[(String, String)]) -> String {
    let mut sorted: Vec<(&str, &str)> = params
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    sorted.sort();
    sorted.dedup();
    let mut out = url.to_owned();
    for (name, value) in sorted {
        out.push_str(name);
        out.push_str(value);
    }
    out
}

fn hmac_sha1(text: &str) -> String {
    let mut mac = Hmac::<Sha1>::new_from_slice(TOKEN.as_bytes()).unwrap();
    mac.update(text.as_bytes());
    STANDARD.encode(mac.finalize().into_bytes())
}

/// Names that collide where the packed sort is weakest: shared seven-byte prefixes, prefixes
/// of one another, the empty name, NUL and bytes above ASCII, and the real names.
fn name() -> impl Strategy<Value = String> {
    prop_oneof![
        "[AB]{0,2}",
        "SmsMessage[SsI]{0,2}",
        "Param[a\u{0}\u{7f}é]{0,3}",
        Just("AccountSid".to_owned()),
        Just("Body".to_owned()),
        ".{0,9}",
    ]
}

fn value() -> impl Strategy<Value = String> {
    prop_oneof!["[xy]{0,2}", ".{0,6}"]
}

/// Up to 80 pairs: beyond 64 the sort leaves the packed path; repeats are likely.
fn params() -> impl Strategy<Value = Vec<(String, String)>> {
    prop::collection::vec((name(), value()), 0..80)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2048))]

    /// The string equals the oracle's, for the list and for a reordering of it signed right
    /// after (which meets the order cached from the first), and the validator accepts a
    /// signature made over the oracle's string.
    #[test]
    fn canonical_string_is_sort_and_dedup(
        url in "https://example\\.com/[a-z]{0,6}(\\?[a-z=&]{0,8})?",
        p in params(),
        rotate in 0usize..80,
        reverse: bool,
    ) {
        let expected = oracle(&url, &p);
        prop_assert_eq!(canonical_string(&url, p.iter().map(|(k, v)| (k.as_str(), v.as_str()))), expected.clone());
        let mut other = p.clone();
        if !other.is_empty() {
            let n = other.len();
            other.rotate_left(rotate % n);
        }
        if reverse {
            other.reverse();
        }
        prop_assert_eq!(canonical_string(&url, other.iter().map(|(k, v)| (k.as_str(), v.as_str()))), expected.clone());
        let signature = hmac_sha1(&expected);
        let validator = Validator::from_token(TOKEN).unwrap();
        let verified = validator.validate_params(
            &url,
            other.iter().map(|(k, v)| (k.as_str(), v.as_str())),
            Some(&signature),
        );
        prop_assert!(verified.is_ok(), "{:?}", verified);
    }
}
