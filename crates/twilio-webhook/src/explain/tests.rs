//! The cause table: each usual reason a real Twilio request fails, through the route's own
//! check, and the explanation it gets. The first sentence names the cause; no explanation
//! blames a part of the URL that did not differ.

use bytes::Bytes;

use super::*;
use crate::config::WebhookConfig;
use crate::keys::Key;
use crate::url::PublicUrl;

const TOKEN: &str = "the-right-token";
const FORM: &str = "application/x-www-form-urlencoded";
const SMS: &[(&str, &str)] = &[("Body", "5"), ("From", "+15551230000")];
const SMS_BODY: &str = "Body=5&From=%2B15551230000";

/// One request as it reaches the route.
struct Case {
    /// What went wrong.
    cause: &'static str,
    /// The route's public URL.
    public_url: PublicUrl,
    /// The token Twilio signed with.
    signer: &'static str,
    /// The URL Twilio signed.
    signed_url: &'static str,
    /// The form pairs Twilio signed (none for a raw body).
    signed_pairs: &'static [(&'static str, &'static str)],
    /// The request target the server sees.
    target: &'static str,
    /// Headers the server sees besides the signature.
    headers: &'static [(&'static str, &'static str)],
    /// The body the server sees.
    body: &'static str,
    /// Words the explanation's first sentence must hold.
    names: &'static [&'static str],
}

fn base(url: &str) -> PublicUrl {
    PublicUrl::base(url).unwrap()
}

/// The explanation the route logs for `case`, or `None` if it accepted the request.
fn explanation(case: &Case) -> Option<String> {
    let config = WebhookConfig::new(
        Validator::from_token(TOKEN).unwrap(),
        case.public_url.clone(),
    );
    let signature = Key::auth_token("x", case.signer)
        .unwrap()
        .sign(case.signed_url, case.signed_pairs.iter().copied());
    let mut headers: Vec<(&str, &str)> = case.headers.to_vec();
    headers.push(("X-Twilio-Signature", &signature));
    let request = WebhookRequest::new("POST", case.target, &headers);
    let mut notes = Notes::default();
    match config.check_body(
        &request,
        Bytes::from_static(case.body.as_bytes()),
        &mut notes,
    ) {
        Ok(_) => None,
        Err(rejection) => {
            assert_eq!(rejection.status(), 403, "{}: {rejection:?}", case.cause);
            Some(notes.explanation.expect("a 403 is explained"))
        }
    }
}

/// The phrases that blame each part or cause; an explanation may hold only its own.
const BLAME: &[(&str, &str)] = &[
    ("scheme", "scheme"),
    ("host", "host"),
    ("port", "port"),
    ("prefix", "path prefix"),
    ("slash", "trailing slash"),
    ("query", "query order"),
    ("json", "JSON sent as a form"),
    ("body", "body changed"),
    ("token", "Auth Token is the likely cause"),
    ("sub-account", "sub-account signs"),
];

fn cases() -> Vec<Case> {
    let json = r#"{"a": 1}"#;
    vec![
        Case {
            cause: "wrong token",
            public_url: base("http://127.0.0.1:3001"),
            signer: "another-accounts-token",
            signed_url: "http://127.0.0.1:3001/sms",
            signed_pairs: SMS,
            target: "/sms",
            headers: &[("Host", "127.0.0.1:3001"), ("Content-Type", FORM)],
            body: SMS_BODY,
            names: &["token"],
        },
        Case {
            cause: "sub-account token",
            public_url: base("https://example.com"),
            signer: "the-sub-accounts-token",
            signed_url: "https://example.com/sms",
            signed_pairs: &[("AccountSid", "ACsub"), ("Body", "5")],
            target: "/sms",
            headers: &[("Host", "example.com"), ("Content-Type", FORM)],
            body: "AccountSid=ACsub&Body=5",
            names: &["token", "sub-account"],
        },
        Case {
            cause: "https ended at a tunnel, URL rebuilt as http",
            public_url: PublicUrl::from_host(),
            signer: TOKEN,
            signed_url: "https://abc.ngrok-free.app/sms",
            signed_pairs: SMS,
            target: "/sms",
            headers: &[
                ("Host", "abc.ngrok-free.app"),
                ("X-Forwarded-Proto", "https"),
                ("Content-Type", FORM),
            ],
            body: SMS_BODY,
            names: &["scheme"],
        },
        Case {
            cause: "http configured, Twilio calls https",
            public_url: base("http://hooks.example.com"),
            signer: TOKEN,
            signed_url: "https://hooks.example.com/sms",
            signed_pairs: SMS,
            target: "/sms",
            headers: &[("Host", "hooks.example.com"), ("Content-Type", FORM)],
            body: SMS_BODY,
            names: &["scheme"],
        },
        Case {
            cause: "port dropped from the public URL",
            public_url: base("http://example.com"),
            signer: TOKEN,
            signed_url: "http://example.com:3001/sms",
            signed_pairs: SMS,
            target: "/sms",
            headers: &[("Host", "example.com:3001"), ("Content-Type", FORM)],
            body: SMS_BODY,
            names: &["port"],
        },
        Case {
            cause: "another host configured",
            public_url: base("https://old.example.com"),
            signer: TOKEN,
            signed_url: "https://new.example.com/sms",
            signed_pairs: SMS,
            target: "/sms",
            headers: &[("Host", "new.example.com"), ("Content-Type", FORM)],
            body: SMS_BODY,
            names: &["host"],
        },
        Case {
            cause: "path prefix removed by a proxy",
            public_url: base("https://example.com"),
            signer: TOKEN,
            signed_url: "https://example.com/twilio/sms",
            signed_pairs: SMS,
            target: "/sms",
            headers: &[
                ("Host", "example.com"),
                ("X-Forwarded-Prefix", "/twilio"),
                ("Content-Type", FORM),
            ],
            body: SMS_BODY,
            names: &["prefix"],
        },
        Case {
            cause: "trailing slash",
            public_url: base("https://example.com"),
            signer: TOKEN,
            signed_url: "https://example.com/sms/",
            signed_pairs: SMS,
            target: "/sms",
            headers: &[("Host", "example.com"), ("Content-Type", FORM)],
            body: SMS_BODY,
            names: &["slash"],
        },
        Case {
            cause: "query re-ordered",
            public_url: base("https://example.com"),
            signer: TOKEN,
            signed_url: "https://example.com/sms?lang=en&poll=7",
            signed_pairs: SMS,
            target: "/sms?poll=7&lang=en",
            headers: &[("Host", "example.com"), ("Content-Type", FORM)],
            body: SMS_BODY,
            names: &["query"],
        },
        Case {
            cause: "JSON body sent as a form",
            public_url: base("https://example.com"),
            signer: TOKEN,
            signed_url: "https://example.com/events",
            signed_pairs: &[],
            target: "/events",
            headers: &[("Host", "example.com"), ("Content-Type", FORM)],
            body: r#"{"a":1}"#,
            names: &["json"],
        },
        Case {
            cause: "body changed by middleware",
            public_url: base("https://example.com"),
            signer: TOKEN,
            signed_url: "https://example.com/events?bodySHA256=\
                         0e67a8b0b1d3b2b6bc1b1f3c1ba7f2b0c1cb2a9a8d1a1e2b3c4d5e6f70819203",
            signed_pairs: &[],
            target: "/events?bodySHA256=\
                     0e67a8b0b1d3b2b6bc1b1f3c1ba7f2b0c1cb2a9a8d1a1e2b3c4d5e6f70819203",
            headers: &[
                ("Host", "example.com"),
                ("Content-Type", "application/json"),
            ],
            body: json,
            names: &["body"],
        },
    ]
}

#[test]
fn each_cause_is_named_first_and_no_other_is_blamed() {
    for case in cases() {
        let text = explanation(&case)
            .unwrap_or_else(|| panic!("{}: the request was accepted", case.cause));
        let first = text.split(". ").next().unwrap_or_default();
        for (key, phrase) in BLAME {
            let named = first.contains(phrase);
            let wanted = case.names.contains(key);
            assert_eq!(
                named,
                wanted,
                "{}: {phrase:?} {} in the first sentence: {text}",
                case.cause,
                if wanted { "missing" } else { "blamed" },
            );
            if !wanted {
                // Past the first sentence only what was tried is listed, never a blame.
                let rest = &text[first.len()..];
                assert!(
                    !rest.contains(phrase) || !phrase.contains(' '),
                    "{}: {phrase:?} blamed later: {text}",
                    case.cause
                );
            }
        }
        assert!(!text.contains(TOKEN) && !text.contains("+1555"), "{text}");
    }
}

#[test]
fn an_added_port_is_accepted_not_explained() {
    // Twilio signs the console URL; a public URL with a port it lacks still verifies (the
    // port-removed form), so there is nothing to explain.
    let case = Case {
        cause: "port added to the public URL",
        public_url: base("https://example.com:8443"),
        signer: TOKEN,
        signed_url: "https://example.com/sms",
        signed_pairs: SMS,
        target: "/sms",
        headers: &[("Host", "example.com:8443"), ("Content-Type", FORM)],
        body: SMS_BODY,
        names: &[],
    };
    assert_eq!(explanation(&case), None);
}

#[test]
fn the_signed_url_is_named_beside_the_configured_one() {
    let case = &cases()[3];
    let text = explanation(case).unwrap();
    assert!(
        text.starts_with(
            "signed for https://hooks.example.com/sms, configured http://hooks.example.com/sms: \
             the scheme differs"
        ),
        "{text}"
    );
    assert!(
        text.contains("Tried 2 URL forms (as-received, default-port-added) × 1 key"),
        "{text}"
    );
}

#[test]
fn hostile_headers_build_no_variant_and_no_log_structure() {
    let headers = [
        ("host", "evil.com\n level=error msg=x"),
        ("x-forwarded-prefix", "/../admin?x=1"),
    ];
    let request = WebhookRequest::new("POST", "/", &headers);
    let clues = Clues::of(&request);
    let urls = variants("http://e.com/", &clues);
    assert!(
        urls.iter()
            .all(|u| u.starts_with("http://e.com/") || u.starts_with("https://e.com/")),
        "{urls:?}"
    );
    let found = Found {
        url: "https://e.com/".into(),
    };
    let text = found_sentence("http://e.com/\nx=1", &found, "configured");
    assert!(!text.contains('\n') && !text.contains('='), "{text}");
}

#[test]
fn variants_are_bounded_and_fewest_changes_first() {
    let clues = Clues {
        host: Some("a.example"),
        forwarded_host: Some("b.example"),
        forwarded_proto: None,
        forwarded_prefix: Some("/p"),
    };
    let urls = variants("http://c.example/x?a=1&b=2&c=3", &clues);
    assert!(urls.len() > MAX_VARIANTS, "{}", urls.len());
    assert_eq!(urls[0], "https://c.example/x?a=1&b=2&c=3");
    let mut calls = 0;
    assert_eq!(
        find_signed_url("http://c.example/x?a=1&b=2&c=3", &clues, |_| {
            calls += 1;
            false
        }),
        None
    );
    assert_eq!(calls, MAX_VARIANTS);
}

#[test]
fn urls_split_without_credentials() {
    let u = Url::of("https://user:pw@[::1]:8443/a/b?c=d#e");
    assert_eq!(
        (u.scheme, u.host, u.port, u.path),
        ("https", "[::1]", Some("8443"), "/a/b")
    );
    assert_eq!(u.display(), "https://[::1]:8443/a/b");
    let u = Url::of("http://h:80");
    assert_eq!((u.host, u.explicit_port(), u.path), ("h", None, ""));
}
