//! One case of the `validate` and `layer` benches run `N` times inside `measured`, for
//! callgrind: instruction counts are repeatable on a loaded machine where wall-clock is not.
//!
//! ```text
//! cargo bench -p twilio-webhook --features axum --bench instructions --no-run
//! valgrind --tool=callgrind --toggle-collect='*measured*' \
//!     $BUILD/release/deps/instructions-* CASE N      # Ir / N = instructions per request
//! ```
//!
//! Cases: `bare_hmac_sha1`, `validate_sms`, `bare`, `layer/no_replay`, `layer/replay_fresh`,
//! `layer/replay_hit` (the same signed request again: answered from the stored response),
//! `deserialize` (a verified SMS read as a two-field `serde` struct, as `TwilioRequest<T>`
//! does), `payload` (the same read as the library's `IncomingMessage`), `deserialize_large`
//! (a body at the default 64 KiB limit of distinct names, read as a map: the worst case of
//! grouping names).
//! Requests are built and signed before `measured` runs.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::hint::black_box;

use axum::Router;
use axum::body::Body;
use axum::http::Request;
use hmac::{Hmac, KeyInit, Mac};
use sha1::Sha1;
use tower::ServiceExt as _;
use twilio_webhook::payload::IncomingMessage;
use twilio_webhook::signature::canonical_string;
use twilio_webhook::webhook::FromWebhook as _;
use twilio_webhook::{Key, Validator, WebhookRequest};

#[path = "fixtures/sms.rs"]
mod fixtures;
use fixtures::SMS;

#[path = "fixtures/layer.rs"]
mod layer;

const TOKEN: &str = "0123456789abcdef0123456789abcdef";
const URL: &str = "https://ratings.example.com/sms";

fn main() {
    let mut args = std::env::args().skip(1).filter(|a| a != "--bench");
    let case = args.next().unwrap_or_else(|| "validate_sms".into());
    let n: usize = args.next().map_or(1000, |s| s.parse().unwrap());
    match case.as_str() {
        "bare_hmac_sha1" => {
            let canonical = canonical_string(URL, SMS);
            let prekeyed = Hmac::<Sha1>::new_from_slice(TOKEN.as_bytes()).unwrap();
            measured(n, || {
                let mut mac = prekeyed.clone();
                mac.update(black_box(canonical.as_bytes()));
                black_box(mac.finalize().into_bytes());
            });
        }
        "validate_sms" => {
            let signature = Key::auth_token("primary", TOKEN).unwrap().sign(URL, SMS);
            let validator = Validator::from_token(TOKEN).unwrap();
            measured(n, || {
                black_box(
                    validator
                        .validate_params(black_box(URL), black_box(SMS), Some(&signature))
                        .unwrap(),
                );
            });
        }
        "bare" => drive(n, layer::bare()),
        "layer/no_replay" => drive(n, layer::with(layer::config().without_replay_guard())),
        "layer/replay_fresh" => drive(n, layer::with(layer::config())),
        "layer/replay_hit" => {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .build()
                .unwrap();
            let app = layer::with(layer::config());
            let key = Key::auth_token("bench", layer::TOKEN).unwrap();
            let mut requests: Vec<Request<Body>> =
                (0..=n).map(|_| layer::request(&key, 0)).collect();
            // The first sighting runs the handler and records its response; every measured
            // one is a replay of it.
            send(&runtime, &app, requests.pop().unwrap());
            measured(n, || send(&runtime, &app, requests.pop().unwrap()));
        }
        "deserialize" | "payload" => {
            #[derive(serde::Deserialize)]
            struct Sms {
                #[serde(rename = "From")]
                _from: String,
                #[serde(rename = "Body")]
                _body: String,
            }
            let config = Key::auth_token("bench", layer::TOKEN).unwrap();
            let request = layer::request(&config, 1);
            let (parts, body) = request.into_parts();
            let body = tokio::runtime::Builder::new_current_thread()
                .build()
                .unwrap()
                .block_on(axum::body::to_bytes(body, usize::MAX))
                .unwrap();
            let head = WebhookRequest::new("POST", "/sms", &parts.headers);
            let webhook = layer::config().verify(&head, body).unwrap();
            if case == "payload" {
                measured(n, || {
                    black_box(IncomingMessage::from_webhook(&webhook).unwrap());
                });
            } else {
                measured(n, || {
                    black_box(webhook.deserialize::<Sms>().unwrap());
                });
            }
        }
        "deserialize_large" => {
            let mut body = String::new();
            for i in 0.. {
                let pair = format!("n{i}=v&");
                if body.len() + pair.len() > twilio_webhook::DEFAULT_BODY_LIMIT {
                    break;
                }
                body.push_str(&pair);
            }
            let form = twilio_webhook::form::Form::parse(body.as_bytes()).unwrap();
            measured(n, || {
                let map: std::collections::HashMap<&str, &str> = form.deserialize().unwrap();
                black_box(map);
            });
        }
        other => panic!("unknown case {other}"),
    }
}

fn drive(n: usize, app: Router) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let key = Key::auth_token("bench", layer::TOKEN).unwrap();
    let mut requests: Vec<Request<Body>> = (0..n as u64).map(|i| layer::request(&key, i)).collect();
    measured(n, || send(&runtime, &app, requests.pop().unwrap()));
}

/// One request through `app`, which must answer 2xx.
fn send(runtime: &tokio::runtime::Runtime, app: &Router, request: Request<Body>) {
    let response = runtime.block_on(async {
        let response = app.clone().oneshot(request).await.unwrap();
        assert!(response.status().is_success());
        response
    });
    black_box(response);
}

#[inline(never)]
fn measured(n: usize, mut each: impl FnMut()) {
    for _ in 0..n {
        each();
    }
}
