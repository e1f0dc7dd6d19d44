//! `validate_sms`: full validation of a realistic 21-parameter incoming-SMS webhook, beside
//! `bare_hmac_sha1`: the pre-keyed HMAC-SHA1 of the same canonical bytes — the floor.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use hmac::{Hmac, KeyInit, Mac};
use sha1::Sha1;
use twilio_webhook::signature::canonical_string;
use twilio_webhook::{Key, Validator};

const TOKEN: &str = "0123456789abcdef0123456789abcdef";
const URL: &str = "https://ratings.example.com/sms";

/// In the order Twilio's form body lists them (not sorted).
const SMS: [(&str, &str); 21] = [
    ("ToCountry", "US"),
    ("ToState", "CA"),
    ("SmsMessageSid", "SM0123456789abcdef0123456789abcdef"),
    ("NumMedia", "0"),
    ("ToCity", "SAN FRANCISCO"),
    ("FromZip", "94105"),
    ("SmsSid", "SM0123456789abcdef0123456789abcdef"),
    ("FromState", "CA"),
    ("SmsStatus", "received"),
    ("FromCity", "SAN FRANCISCO"),
    ("Body", "RUSTCONF 5 Great talks, loved the workshop!"),
    ("FromCountry", "US"),
    ("To", "+15005550006"),
    ("MessagingServiceSid", "MG0123456789abcdef0123456789abcdef"),
    ("ToZip", "94105"),
    ("NumSegments", "1"),
    ("ReferralNumMedia", "0"),
    ("MessageSid", "SM0123456789abcdef0123456789abcdef"),
    ("AccountSid", "AC0123456789abcdef0123456789abcdef"),
    ("From", "+15551234567"),
    ("ApiVersion", "2010-04-01"),
];

fn bench(c: &mut Criterion) {
    let key = Key::auth_token("primary", TOKEN).unwrap();
    let signature = key.sign(URL, SMS);
    let validator = Validator::from_token(TOKEN).unwrap();
    let canonical = canonical_string(URL, SMS);
    let prekeyed = Hmac::<Sha1>::new_from_slice(TOKEN.as_bytes()).unwrap();

    let mut group = c.benchmark_group("sms_webhook");
    group.bench_function("bare_hmac_sha1", |b| {
        b.iter(|| {
            let mut mac = prekeyed.clone();
            mac.update(black_box(canonical.as_bytes()));
            black_box(mac.finalize().into_bytes())
        })
    });
    group.bench_function("validate_sms", |b| {
        b.iter(|| {
            validator
                .validate_params(black_box(URL), black_box(SMS), Some(black_box(&signature)))
                .unwrap()
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
