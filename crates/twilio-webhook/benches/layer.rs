//! The cost of `TwilioLayer` per request: the same axum handler with and without it, driven
//! in-process with `tower::ServiceExt::oneshot`, in one run so the ratio is meaningful.
//!
//! - `bare`: the handler alone (the baseline);
//! - `layer/no_replay`: body read, public URL, form parse, HMAC-SHA1 check;
//! - `layer/replay_fresh`: the same plus the in-memory replay guard, every request new.
//!
//! Each request is built (and signed) outside the timed part.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::hint::black_box;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, header};
use axum::routing::post;
use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use tower::ServiceExt as _;
use twilio_webhook::tower::TwilioLayer;
use twilio_webhook::{Key, PublicUrl, Validator, WebhookConfig};

#[path = "fixtures/sms.rs"]
mod fixtures;
use fixtures::SMS;

const TOKEN: &str = "bench-auth-token-0123456789abcdef";

async fn handler(body: String) -> ([(header::HeaderName, &'static str); 1], String) {
    let twiml = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Message>{} bytes</Message></Response>",
        body.len()
    );
    ([(header::CONTENT_TYPE, "text/xml")], twiml)
}

/// A typical inbound SMS (21 parameters), `Body` varied by `n`.
fn request(key: &Key, n: u64) -> Request<Body> {
    let body_text = format!("rating {n}");
    let pairs: Vec<(&str, &str)> = SMS
        .iter()
        .map(|&(k, v)| {
            if k == "Body" {
                (k, body_text.as_str())
            } else {
                (k, v)
            }
        })
        .collect();
    let signature = key.sign("https://example.com/sms", pairs.iter().copied());
    let body = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(&pairs)
        .finish();
    Request::post("/sms")
        .header("host", "example.com")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::CONTENT_LENGTH, body.len())
        .header("x-twilio-signature", signature)
        .body(Body::from(body))
        .unwrap()
}

fn config() -> WebhookConfig {
    WebhookConfig::new(
        Validator::from_token(TOKEN).unwrap(),
        PublicUrl::base("https://example.com").unwrap(),
    )
}

fn bench(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let key = Key::auth_token("bench", TOKEN).unwrap();
    let bare = Router::new().route("/sms", post(handler));
    let no_replay = Router::new().route(
        "/sms",
        post(handler).layer(TwilioLayer::new(config().without_replay_guard())),
    );
    let with_replay = Router::new().route("/sms", post(handler).layer(TwilioLayer::new(config())));

    let mut group = c.benchmark_group("sms_webhook");
    let mut n = 0u64;
    for (name, app) in [
        ("bare", &bare),
        ("layer/no_replay", &no_replay),
        ("layer/replay_fresh", &with_replay),
    ] {
        group.bench_function(name, |b| {
            b.iter_batched(
                || {
                    n += 1;
                    request(&key, n)
                },
                |req| {
                    let response = runtime.block_on(app.clone().oneshot(req)).unwrap();
                    assert!(response.status().is_success());
                    black_box(response)
                },
                BatchSize::SmallInput,
            );
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
