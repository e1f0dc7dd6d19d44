//! A minimal upstream for `bench/proxy.sh`: answers every request with a small TwiML
//! document, so the benchmark measures the proxy, not a backend.
//!
//! ```text
//! cargo run --release -p twilio-webhook-cli --example bench_upstream -- 127.0.0.1:0 [DELAY_MS]
//! ```
//! Prints `listening on ADDR` on stdout once bound. `DELAY_MS` (default 0) stands in for a
//! backend's own work (a database write) before it answers.

use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;

async fn answer(
    delay: Duration,
    _body: Bytes,
) -> ([(&'static str, &'static str); 1], &'static str) {
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    (
        [("content-type", "text/xml")],
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Message>ok</Message></Response>",
    )
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let addr: SocketAddr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:0".to_owned())
        .parse()?;
    let delay = Duration::from_millis(std::env::args().nth(2).map_or(Ok(0), |d| d.parse())?);
    let listener = tokio::net::TcpListener::bind(addr).await?;
    println!("listening on {}", listener.local_addr()?);
    let app = Router::new().fallback(move |body: Bytes| answer(delay, body));
    axum::serve(listener, app).await?;
    Ok(())
}
