//! The negative cases of `shared/spec/security.md` §5 that belong to the signature layer
//! (1–21; case 4, two headers, is the request layer's). Signatures are computed with
//! [`Key::sign`], so each test shows a *valid* request passing before its mutation fails.

use std::time::{Duration, SystemTime};

use twilio_webhook::signature::url_with_body_hash;
use twilio_webhook::{
    Key, KeyError, KeySet, KeyStore, Secret, SignedRequest, ValidationError, Validator,
};

const TOKEN: &str = "auth-token-primary";
const URL: &str = "https://ratings.example.com/sms?event=rust";
const P: [(&str, &str); 4] = [
    ("AccountSid", "AC1111"),
    ("Body", "5 great"),
    ("Digits", "1234"),
    ("From", "+15551234567"),
];

fn key() -> Key {
    Key::auth_token("primary", TOKEN).unwrap()
}

fn validator() -> Validator {
    Validator::from_token(TOKEN).unwrap()
}

fn check(url: &str, params: &[(&str, &str)], sig: &str) -> Result<(), ValidationError> {
    validator()
        .validate_params(url, params.iter().copied(), Some(sig))
        .map(drop)
}

#[test]
fn c01_c02_missing_or_empty_header() {
    assert_eq!(
        validator().validate_params(URL, P, None),
        Err(ValidationError::MissingSignature)
    );
    assert_eq!(check(URL, &P, ""), Err(ValidationError::MalformedSignature));
}

#[test]
fn c03_c05_c06_malformed_partial_and_case_altered_headers() {
    let sig = key().sign(URL, P);
    assert_eq!(check(URL, &P, &sig), Ok(()));
    let hex_digest = "45239860ee13d54713e45b3d4f77ddfd55f015f0";
    let malformed = [
        hex_digest,
        &sig[..27],                     // one character short
        &sig[..8],                      // partial
        sig.trim_end_matches('='),      // padding stripped
        "!!!!!!!!!!!!!!!!!!!!!!!!!!!=", // not base64
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", // too long
    ];
    for bad in malformed {
        assert_eq!(
            check(URL, &P, bad),
            Err(ValidationError::MalformedSignature),
            "{bad}"
        );
    }
    for padded in [format!(" {sig}"), format!("{sig} "), format!("{sig}\n")] {
        assert_eq!(
            check(URL, &P, &padded),
            Err(ValidationError::MalformedSignature)
        );
    }
    let swapped: String = sig
        .chars()
        .map(|c| match c {
            'a'..='z' => c.to_ascii_uppercase(),
            'A'..='Z' => c.to_ascii_lowercase(),
            _ => c,
        })
        .collect();
    assert_ne!(swapped, sig);
    // Depending on the last character, the swapped text is either another MAC or not even
    // canonical base64: refused either way.
    assert!(matches!(
        check(URL, &P, &swapped),
        Err(ValidationError::SignatureMismatch | ValidationError::MalformedSignature)
    ));
}

#[test]
fn c07_to_c11_tampered_parameters() {
    let sig = key().sign(URL, P);
    let mismatch = Err(ValidationError::SignatureMismatch);
    let mut changed = P;
    changed[1] = ("Body", "1 great");
    assert_eq!(check(URL, &changed, &sig), mismatch, "value changed");
    let mut extra = P.to_vec();
    extra.push(("Extra", "1"));
    assert_eq!(check(URL, &extra, &sig), mismatch, "param added");
    let extra_query = format!("{URL}&somethingUnexpected=true");
    assert_eq!(check(&extra_query, &P, &sig), mismatch, "query param added");
    assert_eq!(check(URL, &P[..3], &sig), mismatch, "param removed");
    let mut renamed = P;
    renamed[2] = ("digits", "1234");
    assert_eq!(check(URL, &renamed, &sig), mismatch, "name case changed");
    let mut injected = P.to_vec();
    injected.push(("Digits", "9999"));
    assert_eq!(
        check(URL, &injected, &sig),
        mismatch,
        "duplicate key injected"
    );
}

#[test]
fn c12_c13_other_endpoint_reordered_query_and_ports() {
    let sig = key().sign(URL, P);
    let mismatch = Err(ValidationError::SignatureMismatch);
    for other in [
        "https://ratings.example.com/voice?event=rust",
        "https://other.example.com/sms?event=rust",
        "https://ratings.example.com/sms?event=go",
    ] {
        assert_eq!(check(other, &P, &sig), mismatch, "{other}");
    }
    let two = "https://ratings.example.com/sms?a=1&b=2";
    let sig2 = key().sign(two, P);
    for altered in [
        "https://ratings.example.com/sms?b=2&a=1",
        "https://ratings.example.com/sms?a=%31&b=2",
        "https://ratings.example.com/sms?a=1&b=2&",
    ] {
        assert_eq!(check(altered, &P, &sig2), mismatch, "{altered}");
    }
    // A MAC over a non-default port the configured URL lacks: refused. No port and the
    // default port both pass.
    let on_8443 = key().sign("https://ratings.example.com:8443/sms?event=rust", P);
    assert_eq!(check(URL, &P, &on_8443), mismatch);
    let on_443 = key().sign("https://ratings.example.com:443/sms?event=rust", P);
    assert_eq!(check(URL, &P, &on_443), Ok(()));
}

#[test]
fn c14_c15_wrong_token_and_rotation() {
    let wrong = Key::auth_token("x", "some-other-token")
        .unwrap()
        .sign(URL, P);
    assert_eq!(
        check(URL, &P, &wrong),
        Err(ValidationError::SignatureMismatch)
    );

    let secondary = Key::auth_token("secondary", "auth-token-secondary").unwrap();
    let sig = secondary.sign(URL, P);
    assert_eq!(
        check(URL, &P, &sig),
        Err(ValidationError::SignatureMismatch)
    );

    let expiry = SystemTime::UNIX_EPOCH + Duration::from_secs(2_000_000_000);
    let rotating = Validator::new(KeyStore::single(KeySet::new([
        key(),
        secondary.expires_at(expiry),
    ])));
    let request = SignedRequest::params(URL, P).signature(Some(&sig));
    let before = expiry - Duration::from_secs(1);
    let verified = rotating.validate_at(&request, before).unwrap();
    assert_eq!(verified.key(), "secondary");
    assert_eq!(
        rotating.validate_at(&request, expiry),
        Err(ValidationError::SignatureMismatch)
    );
    // The primary keeps working throughout.
    let primary_sig = key().sign(URL, P);
    let request = SignedRequest::params(URL, P).signature(Some(&primary_sig));
    assert_eq!(
        rotating.validate_at(&request, expiry).unwrap().key(),
        "primary"
    );
}

#[test]
fn c15_all_keys_expired_fails_closed() {
    let old = Key::auth_token("old", TOKEN)
        .unwrap()
        .expires_at(SystemTime::UNIX_EPOCH + Duration::from_secs(1));
    let v = Validator::new(KeyStore::single(old));
    let sig = key().sign(URL, P);
    assert_eq!(
        v.validate_params(URL, P, Some(&sig)),
        Err(ValidationError::NoKey)
    );
    let none = Validator::new(KeyStore::single(KeySet::default()));
    assert_eq!(
        none.validate_params(URL, P, Some(&sig)),
        Err(ValidationError::NoKey)
    );
}

#[test]
fn c16_accounts_never_verify_each_other() {
    let a = Key::auth_token("primary", "token-of-account-a").unwrap();
    let b = Key::auth_token("primary", "token-of-account-b").unwrap();
    let v = Validator::new(KeyStore::accounts([
        ("ACaaaa", KeySet::from(a.clone())),
        ("ACbbbb", KeySet::from(b.clone())),
    ]));
    let from_a = [("AccountSid", "ACaaaa"), ("Body", "4")];
    let verified = v
        .validate_params(URL, from_a, Some(&a.sign(URL, from_a)))
        .unwrap();
    assert_eq!(verified.account(), Some("ACaaaa"));
    assert_eq!(
        v.validate_params(URL, from_a, Some(&b.sign(URL, from_a))),
        Err(ValidationError::SignatureMismatch)
    );
    let unknown = [("AccountSid", "ACcccc"), ("Body", "4")];
    assert_eq!(
        v.validate_params(URL, unknown, Some(&a.sign(URL, unknown))),
        Err(ValidationError::UnknownAccount)
    );
    let none = [("Body", "4")];
    assert_eq!(
        v.validate_params(URL, none, Some(&a.sign(URL, none))),
        Err(ValidationError::UnknownAccount)
    );
    // For raw bodies the account comes from the URL's query.
    let url = url_with_body_hash(&format!("{URL}&AccountSid=ACbbbb"), b"{}");
    assert_eq!(
        v.validate_body(&url, b"{}", Some(&b.sign_url(&url)))
            .unwrap()
            .account(),
        Some("ACbbbb")
    );
}

#[test]
fn c17_shared_keys_no_downgrade() {
    let shared = Key::shared_key("KS1-current", "shared-key-secret").unwrap();
    let v = Validator::new(KeyStore::shared_keys([(
        "KS1",
        KeySet::from(shared.clone()),
    )]));
    let sig = shared.sign(URL, P);
    assert_eq!(sig.len(), 44, "HMAC-SHA256 in base64");
    let settings = "key=KS1,algorithm=HMAC_SHA256";
    let ok = SignedRequest::params(URL, P)
        .signature(Some(&sig))
        .settings(Some(settings));
    let verified = v.validate(&ok).unwrap();
    assert_eq!(
        (verified.account(), verified.key()),
        (Some("KS1"), "KS1-current")
    );

    let stripped = SignedRequest::params(URL, P).signature(Some(&sig));
    assert_eq!(
        v.validate(&stripped),
        Err(ValidationError::MissingSignatureSettings)
    );
    // An attacker holding an Auth Token signature cannot downgrade to SHA-1.
    let sha1 = key().sign(URL, P);
    let downgrade = SignedRequest::params(URL, P)
        .signature(Some(&sha1))
        .settings(Some("key=KS1,algorithm=HMAC_SHA1"));
    assert_eq!(
        v.validate(&downgrade),
        Err(ValidationError::UnsupportedAlgorithm)
    );
    let unsupported = SignedRequest::params(URL, P)
        .signature(Some(&sig))
        .settings(Some("key=KS1,algorithm=HMAC_MD5"));
    assert_eq!(
        v.validate(&unsupported),
        Err(ValidationError::UnsupportedAlgorithm)
    );
    let unknown = SignedRequest::params(URL, P)
        .signature(Some(&sig))
        .settings(Some("key=KS9,algorithm=HMAC_SHA256"));
    assert_eq!(v.validate(&unknown), Err(ValidationError::UnknownSharedKey));
    // Settings header on an Auth-Token endpoint: no shared key configured, fail closed.
    let on_token_endpoint = SignedRequest::params(URL, P)
        .signature(Some(&sig))
        .settings(Some(settings));
    assert_eq!(
        validator().validate(&on_token_endpoint),
        Err(ValidationError::SharedKeyNotConfigured)
    );
}

#[test]
fn c18_bad_secrets_rejected_at_construction() {
    assert_eq!(Secret::new("").err(), Some(KeyError::Empty));
    for padded in [" token", "token ", "token\n", "\ttoken"] {
        assert_eq!(
            Secret::new(padded).err(),
            Some(KeyError::Whitespace),
            "{padded:?}"
        );
    }
    assert!(Validator::from_token("").is_err());
}

#[test]
fn c19_to_c21_raw_bodies() {
    let body = br#"{"rating":5}"#;
    let url = url_with_body_hash(URL, body);
    let sig = key().sign_url(&url);
    let v = validator();
    assert!(v.validate_body(&url, body, Some(&sig)).is_ok());
    assert_eq!(
        v.validate_body(&url, br#"{"rating":1}"#, Some(&sig)),
        Err(ValidationError::BodyHashMismatch),
        "body altered under a valid URL signature"
    );
    let plain_sig = key().sign_url(URL);
    assert_eq!(
        v.validate_body(URL, body, Some(&plain_sig)),
        Err(ValidationError::MissingBodyHash),
        "JSON without bodySHA256 never falls back to form"
    );
    let upper = url.replace(
        &twilio_webhook::signature::body_sha256(body),
        &twilio_webhook::signature::body_sha256(body).to_uppercase(),
    );
    assert_eq!(
        v.validate_body(&upper, body, Some(&key().sign_url(&upper))),
        Err(ValidationError::BodyHashMismatch),
        "upper-case hex"
    );
    let of_empty = url_with_body_hash(URL, b"");
    assert_eq!(
        v.validate_body(&of_empty, b"{}", Some(&key().sign_url(&of_empty))),
        Err(ValidationError::BodyHashMismatch),
        "hash of another body"
    );
    // The first bodySHA256 counts: a second one appended cannot rescue a forged body.
    let doubled = format!(
        "{url}&bodySHA256={}",
        twilio_webhook::signature::body_sha256(b"x")
    );
    assert_eq!(
        v.validate_body(&doubled, b"x", Some(&key().sign_url(&doubled))),
        Err(ValidationError::BodyHashMismatch)
    );
}

#[test]
fn errors_never_display_secrets_or_signatures() {
    let sig = key().sign(URL, P);
    let errors = [
        check(URL, &P[..1], &sig).unwrap_err(),
        check(URL, &P, "bad").unwrap_err(),
        validator().validate_params(URL, P, None).unwrap_err(),
    ];
    for e in errors {
        let text = format!("{e} {e:?}");
        assert!(!text.contains(TOKEN) && !text.contains(&sig), "{text}");
    }
}
