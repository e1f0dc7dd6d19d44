//! Load generator for `bench/ratings.sh`: signed SMS webhooks (or a no-op GET) at a fixed
//! concurrency over keep-alive connections; prints req/s and latency percentiles.
//!
//! ```sh
//! cargo run --release -p sms-ratings --example load -- \
//!   --url http://127.0.0.1:8080 --token TOKEN --event BENCH --requests 100000 --concurrency 64
//! cargo run --release -p sms-ratings --example load -- --url http://127.0.0.1:8080 --noop ...
//! ```
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use clap::Parser;
use twilio_webhook::Key;

#[derive(Parser)]
struct Args {
    /// Server base URL (also the signed public URL).
    #[arg(long)]
    url: String,
    /// Twilio auth token to sign with.
    #[arg(long, default_value = "")]
    token: String,
    /// Event code the votes name.
    #[arg(long, default_value = "BENCH")]
    event: String,
    /// Requests to send.
    #[arg(long, default_value_t = 50_000)]
    requests: usize,
    /// Run for this many seconds instead of a fixed number of requests.
    #[arg(long)]
    duration: Option<f64>,
    /// Requests in flight.
    #[arg(long, default_value_t = 64)]
    concurrency: usize,
    /// Distinct prefix for MessageSids and phones (runs must not collide).
    #[arg(long, default_value = "run")]
    run: String,
    /// Hit `GET /livez` instead (the no-op baseline of the same server).
    #[arg(long)]
    noop: bool,
}

fn body(args: &Args, key: &Key, url: &str, i: usize) -> (String, String) {
    let sid = format!("SM{:0>32}", format!("{}{i}", args.run));
    let phone = format!("+1{:0>10}", i); // a distinct phone per vote: every vote a new row
    let text = format!("{} {}", args.event, 1 + i % 5);
    let params = [
        ("AccountSid", "AC00000000000000000000000000000000"),
        ("Body", text.as_str()),
        ("From", phone.as_str()),
        ("MessageSid", sid.as_str()),
        ("NumMedia", "0"),
        ("To", "+15005550006"),
    ];
    let signature = key.sign(url, params.iter().copied());
    let form = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(params)
        .finish();
    (form, signature)
}

#[tokio::main]
async fn main() {
    let args = Arc::new(Args::parse());
    let key = Arc::new(Key::auth_token("bench", args.token.as_str()).ok());
    if !args.noop && key.is_none() {
        panic!("--token is required for SMS load");
    }
    // Built inside the whole workspace, reqwest may carry the CLI's `rustls-no-provider`.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(args.concurrency)
        .build()
        .unwrap();
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let deadline = args.duration.map(|s| started + Duration::from_secs_f64(s));
    let limit = if deadline.is_some() {
        usize::MAX
    } else {
        args.requests
    };
    let tasks: Vec<_> = (0..args.concurrency)
        .map(|_| {
            let (client, next, args, key) =
                (client.clone(), next.clone(), args.clone(), key.clone());
            tokio::spawn(async move {
                let sms_url = format!("{}/sms", args.url);
                let noop_url = format!("{}/livez", args.url);
                let mut latencies = Vec::new();
                let mut failures = 0usize;
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= limit || deadline.is_some_and(|d| Instant::now() >= d) {
                        return (latencies, failures);
                    }
                    let request = match key.as_ref() {
                        Some(key) if !args.noop => {
                            let (form, signature) = body(&args, key, &sms_url, i);
                            client
                                .post(&sms_url)
                                .header("content-type", "application/x-www-form-urlencoded")
                                .header("x-twilio-signature", signature)
                                .body(form)
                        }
                        _ => client.get(&noop_url),
                    };
                    let t = Instant::now();
                    let ok = match request.send().await {
                        Ok(r) => r.status().is_success() && r.bytes().await.is_ok(),
                        Err(_) => false,
                    };
                    if ok {
                        latencies.push(t.elapsed());
                    } else {
                        failures += 1;
                    }
                }
            })
        })
        .collect();
    let mut latencies: Vec<Duration> = Vec::new();
    let mut failures = 0;
    for t in tasks {
        let (l, f) = t.await.unwrap();
        latencies.extend(l);
        failures += f;
    }
    let elapsed = started.elapsed();
    latencies.sort_unstable();
    let pct = |p: f64| {
        let i = ((latencies.len() as f64 * p) as usize).min(latencies.len().saturating_sub(1));
        latencies.get(i).map_or(0.0, |d| d.as_secs_f64() * 1000.0)
    };
    println!(
        "{} ok={} failed={} secs={:.2} req_per_s={:.0} p50_ms={:.2} p99_ms={:.2} max_ms={:.2}",
        if args.noop { "noop" } else { "sms" },
        latencies.len(),
        failures,
        elapsed.as_secs_f64(),
        latencies.len() as f64 / elapsed.as_secs_f64(),
        pct(0.50),
        pct(0.99),
        pct(1.0),
    );
}
