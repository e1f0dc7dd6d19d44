//! The checks of the flow, one request at a time.

use super::*;
use crate::keys::Key;
use crate::url::PublicUrl;
use crate::validator::Validator;

const TOKEN: &str = "test-token";

fn config() -> WebhookConfig {
    WebhookConfig::new(
        Validator::from_token(TOKEN).unwrap(),
        PublicUrl::base("https://example.com").unwrap(),
    )
}

fn sign(url: &str, pairs: &[(&str, &str)]) -> String {
    Key::auth_token("x", TOKEN)
        .unwrap()
        .sign(url, pairs.iter().copied())
}

#[test]
fn form_pairs_are_handed_on_in_order() {
    let sig = sign(
        "https://example.com/sms?x=1",
        &[("B", "2"), ("A", "1"), ("A", "0")],
    );
    let headers = [
        (
            "Content-Type",
            "application/x-www-form-urlencoded; charset=UTF-8",
        ),
        ("X-Twilio-Signature", sig.as_str()),
    ];
    let req = WebhookRequest::new("POST", "/sms?x=1", &headers);
    let w = config()
        .verify(&req, Bytes::from_static(b"B=2&A=1&A=0"))
        .unwrap();
    assert_eq!(w.kind(), BodyKind::Form);
    let names: Vec<_> = w.pairs().iter().map(|(n, v)| format!("{n}={v}")).collect();
    assert_eq!(names, ["B=2", "A=1", "A=0"]);
}

#[test]
fn get_verifies_the_query() {
    let sig = sign("https://example.com/voice?From=%2B1", &[]);
    let headers = [("x-twilio-signature", sig.as_str())];
    let req = WebhookRequest::new("GET", "/voice?From=%2B1", &headers);
    let w = config()
        .methods(["GET"])
        .verify(&req, Bytes::new())
        .unwrap();
    assert_eq!((w.kind(), w.get("From")), (BodyKind::Query, Some("+1")));
}

#[test]
fn order_of_checks() {
    let c = config().body_limit(4);
    let sig = sign("https://example.com/sms", &[]);
    let too_big = [
        ("content-length", "5"),
        ("x-twilio-signature", sig.as_str()),
    ];
    let req = WebhookRequest::new("POST", "/sms", &too_big);
    assert_eq!(c.admit(req).err(), Some(Rejection::PayloadTooLarge));
    let req = WebhookRequest::new("PUT", "/sms", &too_big);
    assert_eq!(c.admit(req).err().map(|r| r.status()), Some(405));
    let none: [(&str, &str); 0] = [];
    let req = WebhookRequest::new("POST", "/sms", &none);
    assert_eq!(
        c.verify(&req, Bytes::from_static(b"%ZZ")).err(),
        Some(Rejection::Signature(ValidationError::MissingSignature))
    );
    let two = [("x-twilio-signature", "a"), ("X-Twilio-Signature", "b")];
    let req = WebhookRequest::new("POST", "/sms", &two);
    assert_eq!(
        c.verify(&req, Bytes::new()).err(),
        Some(Rejection::RepeatedSignatureHeader)
    );
}

#[test]
fn body_modes() {
    let c = config();
    let sig = sign("https://example.com/sms", &[]);
    let json = [
        ("content-type", "application/json"),
        ("x-twilio-signature", sig.as_str()),
    ];
    let req = WebhookRequest::new("POST", "/sms", &json);
    assert_eq!(
        c.verify(&req, Bytes::from_static(b"{}")).err(),
        Some(Rejection::UnsupportedMediaType)
    );
    let bare = [("x-twilio-signature", sig.as_str())];
    let req = WebhookRequest::new("POST", "/sms", &bare);
    assert_eq!(
        c.verify(&req, Bytes::new()).err(),
        Some(Rejection::UnsupportedMediaType)
    );
    let form = [
        ("content-type", "application/x-www-form-urlencoded"),
        ("x-twilio-signature", sig.as_str()),
    ];
    let req = WebhookRequest::new("POST", "/sms", &form);
    assert_eq!(
        c.verify(&req, Bytes::from_static(b"a=%E9")).err(),
        Some(Rejection::MalformedForm)
    );
}
