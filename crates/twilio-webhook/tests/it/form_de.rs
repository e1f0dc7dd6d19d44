//! `Form::deserialize` on the edge cases of `serde_html_form`'s rules, each with the value
//! expected and checked against `serde_html_form` on the same pairs encoded.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Debug;
use std::num::NonZeroU8;

use serde::Deserialize;
use serde::de::DeserializeOwned;
use twilio_webhook::form::Form;

/// `T` from the pairs of `body`; asserts `serde_html_form` reads `body` the same.
fn read<T: DeserializeOwned + PartialEq + Debug>(body: &str) -> Result<T, String> {
    let form = Form::parse(body.as_bytes()).unwrap();
    let ours = form.deserialize::<T>().map_err(|e| e.to_string());
    let theirs = serde_html_form::from_str::<T>(body).map_err(|e| e.to_string());
    assert_eq!(ours, theirs, "{body:?} as {}", std::any::type_name::<T>());
    ours
}

#[derive(Debug, PartialEq, Deserialize)]
struct One<T> {
    v: T,
}

#[derive(Debug, PartialEq, Deserialize)]
struct Maybe<T> {
    v: Option<T>,
}

#[derive(Debug, PartialEq, Deserialize)]
enum Kind {
    Sms,
    #[serde(rename = "mms")]
    Mms,
    Data(String),
}

#[test]
fn a_repeated_name_is_an_error_but_for_a_sequence() {
    assert_eq!(
        read::<One<String>>("v=1&v=2").unwrap_err(),
        "unsupported value"
    );
    assert_eq!(read::<One<u8>>("v=1&v=2").unwrap_err(), "unsupported value");
    assert_eq!(
        read::<One<Vec<u8>>>("v=1&x=&v=2").unwrap(),
        One { v: vec![1, 2] }
    );
    assert_eq!(read::<One<Vec<u8>>>("v=1").unwrap(), One { v: vec![1] });
    assert_eq!(
        read::<Maybe<Vec<u8>>>("v=1&v=2").unwrap().v,
        Some(vec![1, 2])
    );
    assert_eq!(read::<Maybe<Vec<u8>>>("v=1").unwrap().v, Some(vec![1]));
    assert_eq!(
        read::<Maybe<Vec<String>>>("v=").unwrap().v,
        Some(vec![String::new()])
    );
    assert!(read::<Maybe<String>>("v=1&v=2").is_err());
    // A tuple field is not a sequence there: never read.
    assert_eq!(
        read::<One<(u8, u8)>>("v=1&v=2").unwrap_err(),
        "unsupported value"
    );
    assert!(read::<One<(u8,)>>("v=1").is_err());
    // Skipped names may repeat.
    assert_eq!(read::<One<u8>>("x=1&v=3&x=2").unwrap().v, 3);
}

#[test]
fn an_empty_value_is_none_only_for_booleans_and_numbers() {
    assert_eq!(read::<Maybe<String>>("v=").unwrap().v, Some(String::new()));
    assert_eq!(read::<Maybe<u8>>("v=").unwrap().v, None);
    assert_eq!(read::<Maybe<bool>>("v=").unwrap().v, None);
    assert_eq!(read::<Maybe<f64>>("v=").unwrap().v, None);
    assert_eq!(read::<Maybe<NonZeroU8>>("v=").unwrap().v, None);
    assert_eq!(
        read::<Maybe<char>>("v=").unwrap_err(),
        "invalid value: string \"\", expected a character"
    );
    assert!(read::<Maybe<Kind>>("v=").is_err());
    assert_eq!(read::<Maybe<Option<u8>>>("v=").unwrap().v, Some(None));
    assert_eq!(read::<Maybe<u8>>("").unwrap().v, None);
    assert_eq!(read::<Maybe<u8>>("v=0").unwrap().v, Some(0));
    assert!(read::<Maybe<NonZeroU8>>("v=0").is_err());
    assert!(read::<One<u8>>("v=").is_err());
    assert!(read::<One<u8>>("").is_err());
}

#[test]
fn booleans_are_true_on_or_false() {
    assert!(read::<One<bool>>("v=true").unwrap().v);
    assert!(read::<One<bool>>("v=on").unwrap().v);
    assert!(!read::<One<bool>>("v=false").unwrap().v);
    for other in ["off", "True", "1", "0", "", "yes"] {
        assert!(read::<One<bool>>(&format!("v={other}")).is_err(), "{other}");
    }
}

#[test]
fn numbers_and_chars_are_parsed_from_text() {
    assert_eq!(read::<One<i64>>("v=-42").unwrap().v, -42);
    assert_eq!(read::<One<u16>>("v=%2B7").unwrap().v, 7);
    assert!(read::<One<u8>>("v=256").is_err());
    assert!(read::<One<u8>>("v=+1+").is_err());
    assert!(read::<One<u32>>("v=1.0").is_err());
    assert_eq!(read::<One<f32>>("v=1e3").unwrap().v, 1000.0);
    assert!(read::<One<f64>>("v=inf").unwrap().v.is_infinite());
    assert_eq!(read::<One<char>>("v=%C3%A9").unwrap().v, 'é');
    assert!(read::<One<char>>("v=ab").is_err());
    // As there, 128-bit integers are not supported.
    assert_eq!(
        read::<One<u128>>("v=1").unwrap_err(),
        "u128 is not supported"
    );
}

#[test]
fn enums_are_unit_variants_named_by_the_value() {
    assert_eq!(read::<One<Kind>>("v=Sms").unwrap().v, Kind::Sms);
    assert_eq!(read::<One<Kind>>("v=mms").unwrap().v, Kind::Mms);
    assert!(read::<One<Kind>>("v=Mms").is_err());
    assert_eq!(
        read::<One<Kind>>("v=Data").unwrap_err(),
        "expected unit variant"
    );
}

#[test]
fn maps_group_names_in_first_appearance_order() {
    let map = read::<BTreeMap<String, Vec<u8>>>("b=1&a=2&b=3").unwrap();
    assert_eq!(
        map,
        BTreeMap::from([("a".into(), vec![2]), ("b".into(), vec![1, 3])])
    );
    assert_eq!(read::<HashMap<String, String>>("a=1&b=2").unwrap().len(), 2);
    assert!(read::<HashMap<String, String>>("a=1&a=2").is_err());
    let flags = read::<BTreeMap<u8, bool>>("1=on&2=false").unwrap();
    assert!(flags[&1] && !flags[&2]);
    // In order, repeats kept, at the top level only.
    let pairs = read::<Vec<(String, u8)>>("b=1&a=2&b=3").unwrap();
    assert_eq!(pairs, [("b".into(), 1), ("a".into(), 2), ("b".into(), 3)]);
    assert!(read::<Vec<(String, String, String)>>("a=1").is_err());
    assert!(read::<Vec<String>>("a=1").is_err());
    assert!(read::<(String, String)>("a=1").is_err());
}

#[test]
fn unit_newtypes_and_any() {
    assert_eq!(read::<()>(""), Ok(()));
    assert_eq!(read::<()>("&&"), Ok(()));
    assert!(read::<()>("a=1").is_err());

    #[derive(Debug, PartialEq, Deserialize)]
    struct Outer(BTreeMap<String, String>);
    assert_eq!(read::<Outer>("a=1").unwrap().0["a"], "1");

    #[derive(Debug, PartialEq, Deserialize)]
    struct Id(u32);
    assert_eq!(read::<One<Id>>("v=5").unwrap().v, Id(5));

    #[derive(Debug, PartialEq, Deserialize)]
    #[serde(untagged)]
    enum Any {
        One(String),
        Many(Vec<String>),
    }
    let any = read::<BTreeMap<String, Any>>("a=1&b=2&a=3").unwrap();
    assert_eq!(any["a"], Any::Many(vec!["1".into(), "3".into()]));
    assert_eq!(any["b"], Any::One("2".into()));
}

#[test]
fn structs_rename_default_flatten_and_deny() {
    #[derive(Debug, PartialEq, Deserialize)]
    struct Sms {
        #[serde(rename = "From")]
        from: String,
        #[serde(rename = "NumMedia", default)]
        num_media: u8,
        #[serde(flatten)]
        rest: BTreeMap<String, String>,
    }
    let sms = read::<Sms>("From=%2B1&Body=Hi&To=%2B2").unwrap();
    assert_eq!(
        (sms.from.as_str(), sms.num_media, sms.rest.len()),
        ("+1", 0, 2)
    );
    assert!(read::<Sms>("Body=Hi").is_err());
    assert!(read::<Sms>("From=1&Body=a&Body=b").is_err());

    #[derive(Debug, PartialEq, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Strict {
        a: String,
    }
    assert!(read::<Strict>("a=1").is_ok());
    assert!(read::<Strict>("a=1&b=2").is_err());
}

#[test]
fn fields_may_borrow_from_the_form() {
    #[derive(Deserialize)]
    struct Borrowed<'a> {
        #[serde(rename = "Body")]
        body: &'a str,
        #[serde(rename = "To")]
        to: Vec<&'a str>,
    }
    let form = Form::parse(b"Body=Hi+there%21&To=%2B1&To=x").unwrap();
    let sms: Borrowed<'_> = form.deserialize().unwrap();
    assert_eq!((sms.body, sms.to), ("Hi there!", vec!["+1", "x"]));
}
