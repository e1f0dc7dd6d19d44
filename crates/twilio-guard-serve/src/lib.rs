//! One HTTP server loop for every binary of the workspace, made for the open internet: a
//! client that stalls in its request head or body, sits idle on a kept-alive connection,
//! sends an oversized head or opens connection after connection cannot hold the server's file
//! descriptors. Plain TCP or TLS (rustls, HTTP/1.1 and HTTP/2 by ALPN), graceful shutdown,
//! and the peer address for the service as axum's `ConnectInfo<SocketAddr>`.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use std::net::SocketAddr;
//! use axum::extract::ConnectInfo;
//! use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
//! use twilio_guard_serve::{Limits, serve};
//!
//! let app = axum::Router::new().route(
//!     "/",
//!     axum::routing::get(|ConnectInfo(peer): ConnectInfo<SocketAddr>| async move {
//!         format!("hello {}", peer.ip())
//!     }),
//! );
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
//! let addr = listener.local_addr()?;
//! let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
//! let server = tokio::spawn(serve(listener, None, app, Limits::default(), async {
//!     let _ = stopped.await;
//! }));
//!
//! let mut client = tokio::net::TcpStream::connect(addr).await?;
//! client.write_all(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").await?;
//! let mut answer = String::new();
//! client.read_to_string(&mut answer).await?;
//! assert!(answer.starts_with("HTTP/1.1 200 OK"));
//! assert!(answer.ends_with("hello 127.0.0.1"));
//!
//! stop.send(()).ok();
//! server.await??;
//! # Ok(()) }
//! ```
//!
//! The limits ([`Limits`]; flags and environment through [`LimitsArgs`]):
//!
//! | what | default | then |
//! |---|---|---|
//! | head: first byte (or connect) to complete head | 10 s | closed, no answer |
//! | body: complete head to last body byte | 10 s | service sees [`BodyError::TimedOut`]; its answer, then closed |
//! | idle kept-alive connection | 30 s | closed |
//! | open connections | 1024 | the next one is accepted and closed at once |
//! | open connections per peer IP (IPv6: per /64) | 256 (set 0 behind a proxy: it is one IP) | the same |
//! | open streams (`text/event-stream` responses) | 768: the connections less a reserved quarter | `503` + `Retry-After: 5` |
//! | open streams per peer IP | 192: the per-IP connections less a quarter | the same |
//! | a stream's lifetime | 5 min | its body ends; `EventSource` reconnects |
//! | request head size | 16 KiB | 431, closed |
//! | shutdown: in-flight requests finish | 30 s | dropped |
//!
//! hyper enforces the head size; the timeouts run on one clock per connection (hyper's own
//! head timer also runs while a kept-alive connection waits for its next request, so it
//! cannot tell "idle" from "slow head" and serves only as a backstop). HTTP/2 has no head
//! timer in hyper; there the idle and body clocks apply.
//!
//! Why these defaults: Twilio gives up on a webhook after 15 s, and a real client sends its
//! head in one packet and its (at most 64 KiB) body right after, so 10 s for each leaves room
//! for slow mobile links and still closes any stalled request within 20 s. A kept-alive
//! connection costs one descriptor and saves the next handshake, so it may idle longer (30 s;
//! behind a load balancer, set it above the balancer's own). 1024 connections is the common
//! open-file limit; `serve` warns at start when `ulimit -n` is below the cap plus 64, since
//! then accepts fail before the cap turns anyone away. A Twilio request head is a dozen short
//! headers (well under 2 KiB);
//! 16 KiB leaves room for long URLs and cookies of browser clients.
//!
//! A connection holding a stream is under no clock, so streams get caps of their own that
//! can never reach the connection caps: a quarter of the connections (server-wide and per
//! address) stays for every other request, so streams held from any number of addresses
//! leave room for webhooks and the organiser. [`Limits::check`] (and so [`serve`] and
//! [`LimitsArgs::limits`]) refuses stream caps above that, naming the most allowed. A stream
//! also ends after a bounded lifetime.
//!
//! Plain TCP speaks HTTP/1.1; over TLS, HTTP/2 where ALPN agreed on it.
//!
//! # Layout
//!
//! - `limits.rs`: [`Limits`], [`LimitsArgs`] (clap flags with environment fallbacks).
//! - `server.rs`: [`serve`], the accept loop, the connection caps, graceful shutdown.
//! - `per_ip.rs`: the count per peer address (IPv6 per /64), for the per-address caps.
//! - `stream.rs`: streams: known by their content type, admitted under their caps (with a
//!   lifetime) or refused with `503`; it decides, the response wrapper carries it out.
//! - `connection.rs`: one connection: TLS handshake, HTTP/1.1 or HTTP/2, the watchdog.
//! - `clock.rs`: one connection's clocks (idle, head, body stalled), fed by its socket.
//! - `body.rs`: the request body with its deadline ([`RequestBody`]); the response wrapper:
//!   marks the request in flight until its answer is out, ends an admitted stream when its
//!   lifetime is up, or sends the refusal `stream.rs` decided on.
//! - `service.rs`: what `serve` asks of a service ([`Service`], [`ResponseBody`]).
//! - `signal.rs`: the signals every server acts on: [`on_terminate`] (Ctrl-C, `SIGTERM`: drain
//!   and stop) and [`on_hangup`] (`SIGHUP`: reload).
//! - [`tls`]: the one rustls server configuration from PEM files.
//! - [`acme`]: automatic HTTPS: [`AcmeArgs`] (flags), certificate issue and renewal
//!   (`acme/order.rs`, `acme/renew.rs`), the swapping certificate resolver
//!   (`acme/resolver.rs`), the cache (`acme/cache.rs`), the `--http-listen` listener
//!   (`acme/http01.rs`).

#![forbid(unsafe_code)]

pub mod acme;
mod body;
mod cap_warning;
mod clock;
mod connection;
mod limits;
mod per_ip;
mod server;
mod service;
mod signal;
mod stream;
pub mod tls;

pub use acme::{Acme, AcmeArgs, CertStatus};
/// The peer address every request carries (axum's type, so axum handlers extract it as is).
pub use axum::extract::ConnectInfo;
pub use body::{BodyError, RequestBody};
pub use limits::{Limits, LimitsArgs, LimitsError, reserved_for_requests};
pub use per_ip::address_group;
pub use server::serve;
pub use service::{ResponseBody, Service};
pub use signal::{on_hangup, on_terminate};
pub use stream::STREAM_RETRY_AFTER;
/// The boxed error a response body may fail with: tower's alias, as the library's tower
/// layer uses it.
pub use tower::BoxError;
