//! Properties: whatever we sign validates; any one-character change to the URL, a name, a
//! value or the header is refused; the order of the parameters never matters; the form parser
//! gives back exactly the pairs that were encoded, and on any input agrees with the lenient
//! `form_urlencoded` parser wherever it accepts; the pairs read as a `T` give what
//! `serde_html_form` gives from their encoding, for the types handlers are written with.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Debug;

use proptest::prelude::*;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use twilio_webhook::form::Form;
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

/// Names from a small alphabet, so repeats are common; values that parse as many types.
fn form_pairs() -> impl Strategy<Value = Vec<(String, String)>> {
    let name = prop::sample::select(vec![
        "a", "b", "c", "d", "e", "f", "g", "h", "k", "x", "", "é",
    ]);
    let value = prop_oneof![
        prop::sample::select(vec![
            "", "true", "false", "on", "off", "0", "7", "-3", "+4", "255", "256", "2.5", "-1e3",
            "inf", "NaN", "A", "B", "b", "x", "é", " 1",
        ])
        .prop_map(String::from),
        "[0-9]{1,4}",
        ".{0,6}",
    ];
    prop::collection::vec((name.prop_map(String::from), value), 0..8)
}

#[derive(Debug, PartialEq, Deserialize)]
enum Kind {
    A,
    #[serde(rename = "b")]
    B,
}

/// A handler's struct: every kind of field, renames and defaults.
#[derive(Debug, PartialEq, Deserialize)]
struct Rich {
    #[serde(rename = "a", default)]
    text: String,
    b: Option<String>,
    #[serde(default)]
    c: u32,
    #[serde(default)]
    d: i64,
    #[serde(default)]
    e: f64,
    #[serde(default)]
    f: bool,
    #[serde(rename = "g", default)]
    list: Vec<String>,
    h: Option<u8>,
    #[serde(default)]
    k: Option<Kind>,
    #[serde(rename = "x", default)]
    numbers: Vec<i16>,
}

/// A required field and `deny_unknown_fields`.
#[derive(Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
struct Strict {
    a: String,
    b: Option<bool>,
    c: Option<char>,
    d: Option<Vec<u8>>,
    e: Option<f32>,
    f: Option<Kind>,
    g: Option<String>,
    h: Option<i8>,
    k: Option<u64>,
    x: Option<std::num::NonZeroU16>,
}

/// `flatten`: the rest of the pairs, through `deserialize_any`.
#[derive(Debug, PartialEq, Deserialize)]
struct Flat {
    a: Option<String>,
    #[serde(flatten)]
    rest: HashMap<String, String>,
}

#[derive(Debug, PartialEq, Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

#[derive(Debug, PartialEq, Deserialize)]
struct Wrapped(BTreeMap<String, OneOrMany>);

#[derive(Debug, PartialEq, Deserialize)]
#[serde(tag = "k")]
enum Tagged {
    A {
        a: u8,
    },
    #[serde(rename = "b")]
    B {
        b: Option<String>,
    },
}

/// `T` read from `form` and from `encoded` by `serde_html_form` agree, errors included
/// (`key` makes the values comparable: `Debug` text where a float may be NaN).
fn agree<T: DeserializeOwned + Debug, K: PartialEq + Debug>(
    form: &Form,
    encoded: &str,
    key: impl Fn(&T) -> K,
) -> Result<(), TestCaseError> {
    let ours = form.deserialize::<T>().map_err(|e| e.to_string());
    let theirs = serde_html_form::from_str::<T>(encoded).map_err(|e| e.to_string());
    prop_assert_eq!(
        ours.as_ref().map(&key),
        theirs.as_ref().map(&key),
        "{} from {:?}",
        std::any::type_name::<T>(),
        encoded
    );
    Ok(())
}

fn same<T: Clone>(t: &T) -> T {
    t.clone()
}

fn debug<T: Debug>(t: &T) -> String {
    format!("{t:?}")
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2048))]

    #[test]
    fn the_pairs_deserialize_as_serde_html_form_reads_them(p in form_pairs()) {
        every_target_agrees(&p)?;
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Over 64 pairs the names are grouped through links made once (linear time) instead
    /// of by looking through the form: the same results.
    #[test]
    fn large_forms_deserialize_as_serde_html_form_reads_them(p in large_form_pairs()) {
        every_target_agrees(&p)?;
    }
}

/// Many pairs (past `form::de`'s look-back limit of 64): mostly distinct names, some
/// repeated, from the small alphabet too.
fn large_form_pairs() -> impl Strategy<Value = Vec<(String, String)>> {
    let name = prop_oneof![
        1 => prop::sample::select(vec!["a", "b", "c", "x", "", "é"]).prop_map(String::from),
        4 => "n[0-9]{1,3}",
    ];
    let value = prop_oneof![
        prop::sample::select(vec!["", "true", "on", "7", "2.5", "A"]).prop_map(String::from),
        ".{0,4}",
    ];
    prop::collection::vec((name, value), 65..300)
}

/// Every target type reads `pairs` as `serde_html_form` reads them encoded.
fn every_target_agrees(pairs: &[(String, String)]) -> Result<(), TestCaseError> {
    let encoded = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish();
    let form = Form::parse(encoded.as_bytes()).unwrap();
    agree::<Rich, _>(&form, &encoded, debug)?;
    agree::<Strict, _>(&form, &encoded, debug)?;
    agree::<Flat, _>(&form, &encoded, |f: &Flat| (f.a.clone(), f.rest.clone()))?;
    agree::<HashMap<String, String>, _>(&form, &encoded, same)?;
    agree::<HashMap<String, Vec<String>>, _>(&form, &encoded, same)?;
    agree::<BTreeMap<String, Option<u8>>, _>(&form, &encoded, debug)?;
    agree::<BTreeMap<String, bool>, _>(&form, &encoded, debug)?;
    agree::<Wrapped, _>(&form, &encoded, debug)?;
    agree::<Tagged, _>(&form, &encoded, debug)?;
    agree::<Vec<(String, String)>, _>(&form, &encoded, debug)?;
    agree::<Vec<(String, Option<u32>)>, _>(&form, &encoded, debug)?;
    agree::<Vec<(String, Kind)>, _>(&form, &encoded, debug)?;
    agree::<(), _>(&form, &encoded, debug)?;
    agree::<serde::de::IgnoredAny, _>(&form, &encoded, |_| ())
}
