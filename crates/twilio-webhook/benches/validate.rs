//! `validate_sms`: full validation of a realistic 21-parameter incoming-SMS webhook, beside
//! `bare_hmac_sha1`: the pre-keyed HMAC-SHA1 of the same canonical bytes — the floor.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use hmac::{Hmac, KeyInit, Mac};
use sha1::Sha1;
use twilio_webhook::signature::canonical_string;
use twilio_webhook::{Key, Validator};

#[path = "fixtures/sms.rs"]
mod fixtures;
use fixtures::SMS;

const TOKEN: &str = "0123456789abcdef0123456789abcdef";
const URL: &str = "https://ratings.example.com/sms";

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
