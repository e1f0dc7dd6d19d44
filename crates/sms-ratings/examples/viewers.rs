//! Viewer load for `bench/viewers.sh`: holds N live result streams (`GET /events/{code}/live`,
//! server-sent events) open on one event, each on its own connection, and counts the
//! snapshots they receive.
//!
//! Prints `connected=N` once every stream answered 200 (the bench waits for that line), then
//! after `--duration` seconds a summary line.
//!
//! ```sh
//! cargo run --release -p sms-ratings --example viewers -- \
//!   --url http://127.0.0.1:8080 --password PW --event BENCH --viewers 1000 --duration 60
//! ```
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::io::Write as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use clap::Parser;

#[derive(Parser)]
struct Args {
    /// Server base URL.
    #[arg(long)]
    url: String,
    /// Organiser user.
    #[arg(long, default_value = "admin")]
    user: String,
    /// Organiser password.
    #[arg(long, env = "ADMIN_PASSWORD")]
    password: String,
    /// Event code to watch.
    #[arg(long, default_value = "BENCH")]
    event: String,
    /// Streams to hold open.
    #[arg(long, default_value_t = 1000)]
    viewers: usize,
    /// Seconds to hold them after all connected.
    #[arg(long, default_value_t = 60.0)]
    duration: f64,
}

#[tokio::main]
async fn main() {
    let args = Arc::new(Args::parse());
    let _ = rustls::crypto::ring::default_provider().install_default();
    let url = format!("{}/events/{}/live", args.url, args.event);
    let snapshots = Arc::new(AtomicU64::new(0));
    let (ready_tx, mut ready_rx) = tokio::sync::mpsc::channel(args.viewers.max(1));
    let mut tasks = Vec::with_capacity(args.viewers);
    for _ in 0..args.viewers {
        // One client per viewer: its own connection, as separate browsers would have.
        let client = reqwest::Client::builder()
            .pool_max_idle_per_host(0)
            .build()
            .unwrap();
        let (url, args, snapshots, ready) = (
            url.clone(),
            Arc::clone(&args),
            Arc::clone(&snapshots),
            ready_tx.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let mut response = client
                .get(&url)
                .basic_auth(&args.user, Some(&args.password))
                .send()
                .await
                .unwrap();
            let status = response.status().as_u16();
            let _ = ready.send(status).await;
            drop(ready);
            let mut mine = 0u64;
            while let Ok(Some(chunk)) = response.chunk().await {
                let n = chunk
                    .windows(15)
                    .filter(|w| w == b"event: snapshot")
                    .count() as u64;
                snapshots.fetch_add(n, Ordering::Relaxed);
                mine += n;
            }
            mine
        }));
    }
    drop(ready_tx);
    let mut ok = 0usize;
    let mut refused = 0usize;
    while let Some(status) = ready_rx.recv().await {
        if status == 200 { ok += 1 } else { refused += 1 }
    }
    println!("connected={ok} refused={refused}");
    std::io::stdout().flush().unwrap();
    let at_start = snapshots.load(Ordering::Relaxed);
    tokio::time::sleep(Duration::from_secs_f64(args.duration)).await;
    let during = snapshots.load(Ordering::Relaxed) - at_start;
    println!(
        "viewers={} connected={ok} snapshots_during={during} per_viewer={:.1}",
        args.viewers,
        during as f64 / ok.max(1) as f64
    );
    for t in tasks {
        t.abort();
    }
}
