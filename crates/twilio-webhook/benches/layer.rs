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

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use tower::ServiceExt as _;
use twilio_webhook::Key;

#[path = "fixtures/sms.rs"]
mod fixtures;
#[path = "fixtures/layer.rs"]
mod layer;

fn bench(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let key = Key::auth_token("bench", layer::TOKEN).unwrap();
    let bare = layer::bare();
    let no_replay = layer::with(layer::config().without_replay_guard());
    let with_replay = layer::with(layer::config());

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
                    layer::request(&key, n)
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
