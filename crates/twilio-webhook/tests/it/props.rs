//! Properties: whatever we sign validates; any one-character change to the URL, a name, a
//! value or the header is refused; the order of the parameters never matters; the form parser
//! gives back exactly the pairs that were encoded, and on any input agrees with the lenient
//! `form_urlencoded` parser wherever it accepts.

use proptest::prelude::*;
use twilio_webhook::{Key, Validator};

fn token() -> impl Strategy<Value = String> {
    "[!-~][ -~]{0,38}[!-~]"
}

fn url() -> impl Strategy<Value = String> {
    prop_oneof![
        "(https?|HTTPS)://([a-zA-Z0-9._~%!$&'()*+,;=:-]{1,12}@)?[a-zA-Z0-9.-]{1,20}(:[0-9]{0,5})?(/[^?#]{0,20})?(\\?[^#]{0,30})?(#.{0,10})?",
        "https://\\[[0-9a-fA-F:]{2,20}\\](:[0-9]{1,5})?/.{0,20}",
        ".{0,60}",
    ]
}

fn params() -> impl Strategy<Value = Vec<(String, String)>> {
    prop::collection::vec((".{0,12}", ".{0,16}"), 0..12)
}

fn pairs(p: &[(String, String)]) -> impl Iterator<Item = (&str, &str)> {
    p.iter().map(|(k, v)| (k.as_str(), v.as_str()))
}

/// `s` with the character at `index` (mod its length) replaced by a different one that is not
/// the same letter in another case (the validator may lower-case the host on purpose).
fn mutate(s: &str, index: usize, replacement: char) -> Option<String> {
    let chars: Vec<char> = s.chars().collect();
    if chars.is_empty() {
        return None;
    }
    let i = index % chars.len();
    let old = chars[i];
    let new = if replacement.eq_ignore_ascii_case(&old) {
        if old == '#' { '$' } else { '#' }
    } else {
        replacement
    };
    let mut out = chars;
    out[i] = new;
    Some(out.into_iter().collect())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn signed_requests_validate(token in token(), url in url(), p in params()) {
        let key = Key::auth_token("k", &token).unwrap();
        let v = Validator::from_token(&token).unwrap();
        let sig = key.sign(&url, pairs(&p));
        prop_assert!(v.validate_params(&url, pairs(&p), Some(&sig)).is_ok());
        let body_url = twilio_webhook::signature::url_with_body_hash(&url, url.as_bytes());
        let sig = key.sign_url(&body_url);
        prop_assert!(v.validate_body(&body_url, url.as_bytes(), Some(&sig)).is_ok());
    }

    #[test]
    fn order_never_matters(token in token(), url in url(), p in params(), seed in any::<u64>()) {
        let key = Key::auth_token("k", &token).unwrap();
        let sig = key.sign(&url, pairs(&p));
        let mut shuffled = p.clone();
        // A deterministic shuffle from the seed (Fisher–Yates with an LCG).
        let mut state = seed;
        for i in (1..shuffled.len()).rev() {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            shuffled.swap(i, (state >> 33) as usize % (i + 1));
        }
        let v = Validator::from_token(&token).unwrap();
        prop_assert!(v.validate_params(&url, pairs(&shuffled), Some(&sig)).is_ok());
    }

    #[test]
    fn one_changed_character_is_refused(
        token in token(), url in url(), p in params(),
        index in any::<usize>(), replacement in any::<char>(), target in 0..4u8,
    ) {
        let key = Key::auth_token("k", &token).unwrap();
        let v = Validator::from_token(&token).unwrap();
        let sig = key.sign(&url, pairs(&p));
        let mut p2 = p.clone();
        let (url2, sig2) = match target {
            0 => (mutate(&url, index, replacement), Some(sig.clone())),
            1 if !p.is_empty() => {
                let i = index % p.len();
                p2[i].0 = match mutate(&p[i].0, index / 7, replacement) {
                    Some(name) => name,
                    None => replacement.to_string(),
                };
                (Some(url.clone()), Some(sig.clone()))
            }
            2 if !p.is_empty() => {
                let i = index % p.len();
                p2[i].1 = match mutate(&p[i].1, index / 7, replacement) {
                    Some(value) => value,
                    None => replacement.to_string(),
                };
                (Some(url.clone()), Some(sig.clone()))
            }
            _ => (Some(url.clone()), mutate(&sig, index, replacement)),
        };
        let (Some(url2), Some(sig2)) = (url2, sig2) else { return Ok(()) };
        prop_assume!(url2 != url || p2 != p || sig2 != sig);
        prop_assert!(v.validate_params(&url2, pairs(&p2), Some(&sig2)).is_err(),
            "accepted after a change: {url2:?} {p2:?}");
    }

    #[test]
    fn encoded_pairs_parse_back_exactly(p in params()) {
        let body = form_urlencoded::Serializer::new(String::new()).extend_pairs(&p).finish();
        let form = twilio_webhook::form::Form::parse(body.as_bytes()).unwrap();
        prop_assert_eq!(form.pairs(), twilio_webhook::form::parse_form(body.as_bytes()).unwrap());
        prop_assert_eq!(form.iter().collect::<Vec<_>>(), pairs(&p).collect::<Vec<_>>());
    }

    #[test]
    fn strict_parse_agrees_with_the_lenient_one(input in prop::collection::vec(
        prop_oneof![Just(b'&'), Just(b'='), Just(b'+'), Just(b'%'), Just(b'4'), Just(b'1'),
            Just(b'a'), Just(0xc3u8), Just(0xa9u8), any::<u8>()],
        0..40,
    )) {
        if let Ok(form) = twilio_webhook::form::Form::parse(&input) {
            let lenient: Vec<(String, String)> = form_urlencoded::parse(&input)
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect();
            prop_assert_eq!(form.pairs(), lenient.as_slice());
        }
    }
}
