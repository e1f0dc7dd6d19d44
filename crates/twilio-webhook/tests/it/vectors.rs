//! Every known-answer vector of `shared/spec/signature.md` §6 and `security.md` §2: the
//! signature we compute, and the verdict our policy gives (which is what at least one of
//! Twilio's libraries gives for a request Twilio really signed; divergences are noted).

use twilio_webhook::url::{PortChange, UrlForm};
use twilio_webhook::{Key, ValidationError, Validator};

const U: &str = "https://mycompany.com/myapp.php?foo=1&bar=2";
const P: [(&str, &str); 5] = [
    ("CallSid", "CA1234567890ABCDE"),
    ("Caller", "+14158675309"),
    ("Digits", "1234"),
    ("From", "+14158675309"),
    ("To", "+18005551212"),
];

fn key(token: &str) -> Key {
    Key::auth_token("primary", token).unwrap()
}

fn validator(token: &str) -> Validator {
    Validator::from_token(token).unwrap()
}

/// `sig` is the signature of exactly `signed_url` + params, and validates for `url`.
#[track_caller]
fn accepts(sig: &str, signed_url: &str, url: &str, params: &[(&str, &str)]) {
    assert_eq!(key("12345").sign(signed_url, params.iter().copied()), sig);
    let verdict = validator("12345").validate_params(url, params.iter().copied(), Some(sig));
    assert!(verdict.is_ok(), "{sig} for {url}: {verdict:?}");
}

#[track_caller]
fn rejects(sig: &str, url: &str, params: &[(&str, &str)]) {
    let verdict = validator("12345").validate_params(url, params.iter().copied(), Some(sig));
    assert_eq!(
        verdict,
        Err(ValidationError::SignatureMismatch),
        "{sig} for {url}"
    );
}

#[test]
fn v01_docs_example_and_wrong_signatures() {
    accepts("RSOYDt4T1cUTdK1PDd93/VVr8B8=", U, U, &P);
    let v = validator("12345")
        .validate_params(U, P, Some("RSOYDt4T1cUTdK1PDd93/VVr8B8="))
        .unwrap();
    assert_eq!(v.url_form(), UrlForm::AS_RECEIVED);
    for wrong in [
        "WRONG_SIGNATURE",
        "NOTRSOYDt4T1cUTdK1PDd93/VVr8B8=",
        "FAIL",
        "fake_signature",
        "IncorrectSignatureValue123=",
        "WRONG SIGNATURE",
        "",
    ] {
        assert_eq!(
            validator("12345").validate_params(U, P, Some(wrong)),
            Err(ValidationError::MalformedSignature),
            "{wrong}"
        );
    }
    assert_eq!(
        validator("12345").validate_params(U, P, None),
        Err(ValidationError::MissingSignature)
    );
}

#[test]
fn v03_to_v07_ports() {
    let u443 = "https://mycompany.com:443/myapp.php?foo=1&bar=2";
    accepts("kvajT1Ptam85bY51eRf/AJRuM3w=", u443, U, &P);
    let v = validator("12345")
        .validate_params(U, P, Some("kvajT1Ptam85bY51eRf/AJRuM3w="))
        .unwrap();
    assert_eq!(v.url_form().port, PortChange::DefaultAdded);
    let http = "http://mycompany.com/myapp.php?foo=1&bar=2";
    let http80 = "http://mycompany.com:80/myapp.php?foo=1&bar=2";
    accepts("0ZXoZLH/DfblKGATFgpif+LLRf4=", http80, http, &P);
    let http1234 = "http://mycompany.com:1234/myapp.php?foo=1&bar=2";
    accepts("Zmvh+3yNM1Phv2jhDCwEM3q5ebU=", http1234, http1234, &P);
    let https1234 = "https://mycompany.com:1234/myapp.php?foo=1&bar=2";
    accepts("RSOYDt4T1cUTdK1PDd93/VVr8B8=", U, https1234, &P);
    accepts("CYn1h0gLBdNxDGkKJg6hYohgeD8=", https1234, https1234, &P);
    // Never bridged: http vs https, and a non-default port the request does not carry.
    rejects("RSOYDt4T1cUTdK1PDd93/VVr8B8=", http, &P);
    rejects("CYn1h0gLBdNxDGkKJg6hYohgeD8=", U, &P);
}

#[test]
fn v08_to_v11_userinfo() {
    let creds = "https://user:pass@mycompany.com/myapp.php?foo=1&bar=2";
    accepts("CukzLTc1tT5dXEDIHm/tKBanW10=", creds, creds, &P);
    let creds443 = "https://user:pass@mycompany.com:443/myapp.php?foo=1&bar=2";
    accepts("ZQFR1PTIZXF2MXB8ZnKCvnnA+rI=", creds443, creds, &P);
    let user = "https://user@mycompany.com/myapp.php?foo=1&bar=2";
    accepts("2YRLlVAflCqxaNicjMpJcSTgzSs=", user, user, &P);
    let user443 = "https://user@mycompany.com:443/myapp.php?foo=1&bar=2";
    accepts("aZfj4hyX1MLZhSS6QIL18Vn2/RA=", user443, user, &P);
    // Userinfo is signed: the same request without it does not verify.
    rejects("CukzLTc1tT5dXEDIHm/tKBanW10=", U, &P);
}

#[test]
fn v12_apostrophes_both_encodings() {
    let raw = format!("{U}&Body=It's+amazing");
    let escaped = format!("{U}&Body=It%27s+amazing");
    accepts("TfZzewPq8wqrGlMfyAud8+/IvJ0=", &escaped, &raw, &P);
    accepts("dsq4Ehbj6cs+KdTkpF5sSSplOWw=", &raw, &raw, &P);
    accepts("TfZzewPq8wqrGlMfyAud8+/IvJ0=", &escaped, &escaped, &P);
    accepts("dsq4Ehbj6cs+KdTkpF5sSSplOWw=", &raw, &escaped, &P);
}

#[test]
fn v13_v14_repeated_keys_sorted_and_deduplicated() {
    let a = [
        ("MessagingBinding.Address", "+1325xxxxxxx"),
        ("MessagingBinding.Address", "+1415xxxxxxx"),
    ];
    let b = [a[1], a[0]];
    accepts("83O6e2vORAoJHUNzJjDWN1jz+BA=", U, U, &a);
    accepts("83O6e2vORAoJHUNzJjDWN1jz+BA=", U, U, &b);
    let dup = [
        ("Sid", "CA123"),
        ("SidAccount", "AC123"),
        ("Digits", "5678"),
        ("Digits", "1234"),
        ("Digits", "1234"),
    ];
    accepts("IK+Dwps556ElfBT0I3Rgjkr1wJU=", U, U, &dup);
    // The signature over the non-deduplicated string (no library produces it) is refused.
    rejects("tM//N+MVWOh7+ol2z8YCNxSY0Eg=", U, &dup);
}

#[test]
fn v15_to_v25_java_vectors() {
    accepts("zYQTYrRWXE7LtzbG4PfP7/bkkGo=", U, U, &[]);
    let no_query = "https://mycompany.com/myapp.php";
    accepts("1xaxFBvyzXYvWplzNOSs28HWO94=", no_query, no_query, &P);
    let extra = "https://mycompany.com/myapp.php?foo=1&bar=2&type=thiswontbeusedinthesignaturegeneratorandsoshouldbeignored";
    accepts("hYkNsTBttoNGkyCS0p+wWmQoRTg=", extra, extra, &P);
    let encoded = "https://mycompany.com/myapp.php?foo=hello%20world&bar=test%2Bvalue";
    accepts("er2tvAP1Wx+iuTTE2BPgvEaN1cs=", encoded, encoded, &P);
    let special = [
        ("Message", "Hello & goodbye! @#$%^*()"),
        ("From", "+1 (415) 867-5309"),
        ("Special", "unicode: ñáéíóú"),
    ];
    accepts("dCPiR4WtQ6QFN6pJh81CtlCcWLQ=", U, U, &special);
    let empty = [
        ("Digits", ""),
        ("CallSid", "CA1234567890ABCDE"),
        ("EmptyParam", ""),
    ];
    accepts("9HHp/OqQMEwdrVebHDdA/+tqjX8=", U, U, &empty);
    let null = [
        ("Digits", ""),
        ("CallSid", "CA1234567890ABCDE"),
        ("NullParam", ""),
    ];
    accepts("L9lTTwIlxM1xGAtLRwhOSZggRhM=", U, U, &null);
    let zebra = [
        ("Zebra", "last"),
        ("Alpha", "first"),
        ("Beta", "second"),
        ("Gamma", "third"),
    ];
    accepts("enveUe73ZTVLAekHxez3Qx6JuuQ=", U, U, &zebra);
    let spain = "https://mycompany.com/webhook/España?año=2023";
    accepts("G/Hx6mqqnjUNlPAoi2Sp9bGst0g=", spain, spain, &P);
    let case = [
        ("callSid", "lowercase"),
        ("CallSid", "uppercase"),
        ("CALLSID", "allcaps"),
    ];
    accepts("jDK7WKT8wiNrwggd4ceTv4e1MJ4=", U, U, &case);
    let double = "https://mycompany.com:443//myapp.php?foo=1&bar=2";
    accepts("A9lH3u16NjyiiM/+wylw5rirFUs=", double, double, &P);
}

#[test]
fn v26_to_v31_case_of_host_scheme_userinfo() {
    let mixed = "https://MyCompany.com/myapp.php?foo=1&bar=2";
    accepts("g9IN/x4Cft2g517EjYvEvM/W7LU=", mixed, mixed, &P);
    let mixed1234 = "https://MyCompany.com:1234/myapp.php?foo=1&bar=2";
    accepts("PCqOZm8cnu/L6+u5i5fuEd+Iac4=", mixed1234, mixed1234, &P);
    let http_mixed = "http://MyCompany.com/myapp.php?foo=1&bar=2";
    accepts("XY7AlKOKL6im4yWyX84gldUrtis=", http_mixed, http_mixed, &P);
    // Divergence from twilio-csharp (which refuses these): twilio-node lower-cases the host
    // before hashing, so a signature over the lower-cased host is one Twilio's libraries
    // accept, and so do we — through the lower-cased form, never the raw one.
    let v = validator("12345")
        .validate_params(mixed, P, Some("RSOYDt4T1cUTdK1PDd93/VVr8B8="))
        .unwrap();
    assert!(v.url_form().host_lowercased);
    let v = validator("12345")
        .validate_params(mixed1234, P, Some("RSOYDt4T1cUTdK1PDd93/VVr8B8="))
        .unwrap();
    assert!(v.url_form().host_lowercased);
    assert_eq!(v.url_form().port, PortChange::Removed);
    let creds = "http://username:password@MyCompany.com/myapp.php?foo=1&bar=2";
    accepts("PJ08CxXr7KLPjEQCTc8LkUSMwSM=", creds, creds, &P);
    let upper_scheme = "HTTP://username:password@MyCompany.com/myapp.php?foo=1&bar=2";
    accepts(
        "hy/l8pca+LFms4cvRdv8uiP6NGc=",
        upper_scheme,
        upper_scheme,
        &P,
    );
    let upper_creds = "http://Username:Password@MyCompany.com/myapp.php?foo=1&bar=2";
    accepts("SkTSKyDJH9kUlhItI0slbgZ1UsI=", upper_creds, upper_creds, &P);
    // The scheme and userinfo are never case-changed.
    rejects("PJ08CxXr7KLPjEQCTc8LkUSMwSM=", upper_scheme, &P);
    rejects("PJ08CxXr7KLPjEQCTc8LkUSMwSM=", upper_creds, &P);
}

#[test]
fn v32_docs_worked_example() {
    let p = [
        ("CallSid", "CA1234567890ABCDE"),
        ("Caller", "+12349013030"),
        ("Digits", "1234"),
        ("From", "+12349013030"),
        ("To", "+18005551212"),
    ];
    accepts("0/KCTR6DLpKmkAf8muzZqo1nDgQ=", U, U, &p);
    let u443 = "https://mycompany.com:443/myapp.php?foo=1&bar=2";
    accepts("EpDEmp1PyjDYp77YxYU3GILBWzE=", u443, U, &p);
}

#[test]
fn twilio_go_vectors() {
    let mut p7 = P.to_vec();
    p7.extend([("ReasonConferenceEnded", "test"), ("Reason", "Participant")]);
    let https1234 = "https://mycompany.com:1234/myapp.php?foo=1&bar=2";
    accepts("vOEb5UThFn24KEfnOFLQY2AE5FY=", U, U, &p7);
    accepts("vOEb5UThFn24KEfnOFLQY2AE5FY=", U, https1234, &p7);
    let http = "http://mycompany.com/myapp.php?foo=1&bar=2";
    let http1234 = "http://mycompany.com:1234/myapp.php?foo=1&bar=2";
    accepts("n2xBNyzSW7rfYStDtOFiFMv7qNo=", http, http, &p7);
    accepts("n2xBNyzSW7rfYStDtOFiFMv7qNo=", http, http1234, &p7);
    // Sorting concatenated key+value strings instead of keys (twilio-go#139) is wrong.
    rejects("95+Bu0JVPi0r/SsESZCVf0dWAjw=", U, &p7);
    accepts(
        "NBdBDr/T/lgjI+tlgpXjKZQZs/k=",
        U,
        U,
        &[("property", "value"), ("boolean", "true")],
    );
}

#[test]
fn twilio_node_unit_vectors() {
    let k = key("s3cr3t");
    let v = validator("s3cr3t");
    let base = "https://example.com/path?test=param";
    assert_eq!(k.sign_url(base), "loLgTitFAoWx57yy5oEU4Hlddzw=");
    assert_eq!(
        k.sign_url("https://example.com/path?test=param2"),
        "De7bak0ehNIYPffbL8v7JywCK2Y="
    );
    assert!(
        v.validate_params(
            "https://example.com/path?test=param2",
            [],
            Some("loLgTitFAoWx57yy5oEU4Hlddzw=")
        )
        .is_err()
    );
    let with_port = "https://example.com:443/path?test=param";
    assert_eq!(k.sign_url(with_port), "IdwMFypqvNxti3YgvWWmfcNL26M=");
    for (url, sig) in [
        (base, "IdwMFypqvNxti3YgvWWmfcNL26M="),
        (with_port, "loLgTitFAoWx57yy5oEU4Hlddzw="),
    ] {
        assert!(v.validate_params(url, [], Some(sig)).is_ok(), "{url}");
    }
    let quote = "https://example.com/path?test=param'WithQuote";
    let escaped = "https://example.com/path?test=param%27WithQuote";
    assert_eq!(k.sign_url(quote), "GfI7onHX/KQ2k1oVS3cUTVk4IEw=");
    assert_eq!(k.sign_url(escaped), "HkuXLxVQ7zHv9LmGpzlLuGaxhJY=");
    for url in [quote, escaped] {
        for sig in [
            "GfI7onHX/KQ2k1oVS3cUTVk4IEw=",
            "HkuXLxVQ7zHv9LmGpzlLuGaxhJY=",
        ] {
            assert!(v.validate_params(url, [], Some(sig)).is_ok(), "{url} {sig}");
        }
    }
}

#[test]
fn twilio_aspnet_vectors() {
    let k = key("thisisafakeauthtoken");
    let url = "https://api.example.com/webhook";
    assert_eq!(k.sign_url(url), "ShVLeVFvgnhl6L+/+WD3mmS++uA=");
    let form = [("key1", "value1"), ("key2", "value2")];
    assert_eq!(k.sign(url, form), "tu7JvEvVVjIE4feJP2HQYrb/cEk=");
    let v = validator("thisisafakeauthtoken");
    assert!(
        v.validate_params(
            "https://example.com/",
            [],
            Some("ShVLeVFvgnhl6L+/+WD3mmS++uA=")
        )
        .is_err()
    );
}

#[test]
fn security_md_section2_vectors() {
    let u443 = "https://mycompany.com:443/myapp.php?foo=1&bar=2";
    assert_eq!(key("12345").sign(u443, P), "kvajT1Ptam85bY51eRf/AJRuM3w=");
    let mut tampered = P;
    tampered[2] = ("Digits", "1235");
    assert_eq!(
        key("12345").sign(U, tampered),
        "f+aaB5gu2f9IF90l/5/dsmxJ+94="
    );
    rejects("RSOYDt4T1cUTdK1PDd93/VVr8B8=", U, &tampered);
    rejects("f+aaB5gu2f9IF90l/5/dsmxJ+94=", U, &P);
    assert_eq!(key("54321").sign(U, P), "DhEM0O+7fM1ZaLSSD70e0cqtHo8=");
    rejects("DhEM0O+7fM1ZaLSSD70e0cqtHo8=", U, &P);
    let mut renamed = P;
    renamed[2] = ("digits", "1234");
    assert_eq!(
        key("12345").sign(U, renamed),
        "av2M0zreVPWO8BoDIaZLKr772Dg="
    );
    rejects("av2M0zreVPWO8BoDIaZLKr772Dg=", U, &P);
    // No delimiters: {Foo: barBaz} and {Foobar: Baz} sign identically. A known property of
    // Twilio's scheme, which is why the handler must get exactly the verified pairs.
    let a = key("12345").sign(U, [("Foo", "barBaz")]);
    let b = key("12345").sign(U, [("Foobar", "Baz")]);
    assert_eq!(a, "PMCefSN/qL9DZPWWTHBueOLA9+8=");
    assert_eq!(a, b);
}

mod body {
    use super::*;
    use twilio_webhook::signature::{body_sha256, url_with_body_hash};

    const BODY: &[u8] = br#"{"property": "value", "boolean": true}"#;
    const HASH: &str = "0a1ff7634d9ab3b95db5c9a2dfe9416e41502b283a80c7cf19632632f96e6620";

    #[test]
    fn body_hash_vectors() {
        assert_eq!(body_sha256(BODY), HASH);
        let url = url_with_body_hash(U, BODY);
        assert_eq!(url, format!("{U}&bodySHA256={HASH}"));
        assert_eq!(key("12345").sign_url(&url), "a9nBmqA0ju/hNViExpshrM61xv4=");
        let v = validator("12345");
        assert!(
            v.validate_body(&url, BODY, Some("a9nBmqA0ju/hNViExpshrM61xv4="))
                .is_ok()
        );
        let only = format!("https://mycompany.com/myapp.php?bodySHA256={HASH}");
        assert_eq!(key("12345").sign_url(&only), "y77kIzt2vzLz71DgmJGsen2scGs=");
        assert!(
            v.validate_body(&only, BODY, Some("y77kIzt2vzLz71DgmJGsen2scGs="))
                .is_ok()
        );
    }

    #[test]
    fn empty_object_signed_with_port() {
        assert_eq!(
            body_sha256(b"{}"),
            "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"
        );
        let url = url_with_body_hash(U, b"{}");
        let v = validator("12345")
            .validate_body(&url, b"{}", Some("Ldidvp12m26NI7eqEvxnEpkd9Hc="))
            .unwrap();
        assert_eq!(v.url_form().port, PortChange::DefaultAdded);
    }

    #[test]
    fn body_without_hash_or_with_wrong_hash() {
        let v = validator("12345");
        assert_eq!(
            v.validate_body(U, BODY, Some("RSOYDt4T1cUTdK1PDd93/VVr8B8=")),
            Err(ValidationError::MissingBodyHash)
        );
        let url = url_with_body_hash(U, BODY);
        assert_eq!(
            v.validate_body(
                &url,
                b"{\"property\": \"forged\"}",
                Some("a9nBmqA0ju/hNViExpshrM61xv4=")
            ),
            Err(ValidationError::BodyHashMismatch)
        );
    }

    #[test]
    fn rack_vectors() {
        let v = validator("qwerty");
        let body = br#"{"message": "a post body"}"#;
        assert_eq!(
            body_sha256(body),
            "8d90d640c6ba47d595ac56203d7f5c6b511be80fdf44a2055acca75a119b9fd2"
        );
        let url = url_with_body_hash("https://example.com/test", body);
        assert!(
            v.validate_body(&url, body, Some("zR5Oq4f6cijN5oz5bisiVuxYnTU="))
                .is_ok()
        );

        let forged = br#"{"message": "a post body that does not match the bodySHA256"}"#;
        assert_eq!(
            body_sha256(forged),
            "eb9900c4f2733bda58624c7492f7461e5e8bc967528e298d87e465a5848a1ffd"
        );
        let claimed = "https://example.com/test?bodySHA256=79bfb0acaf0045fd30f13d48d4fe296b393d85a3bfbee881a0172b2bd574b11e";
        assert_eq!(
            v.validate_body(claimed, forged, Some("+LYlbGr/VmN84YPJQCuWs+9UA7E=")),
            Err(ValidationError::BodyHashMismatch)
        );
        let form = [("foo", "bar")];
        assert!(
            v.validate_params(
                "https://example.com/test",
                form,
                Some("TR9Skm9jiF4WVRJznU5glK5I83k=")
            )
            .is_ok()
        );
        assert_eq!(
            v.validate_params("https://example.com/test", form, Some("foobarbaz")),
            Err(ValidationError::MalformedSignature)
        );
    }
}
