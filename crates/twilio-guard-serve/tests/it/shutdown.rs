//! Graceful shutdown: in-flight requests finish, new connections are refused, and a request
//! that never finishes is dropped at the drain bound.

use std::time::Duration;

use axum::routing::get;
use tokio::io::AsyncWriteExt as _;

use crate::support::{SLACK, Server, closed_within, short};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_flight_requests_finish_then_the_server_returns() {
    let mut server = Server::start(short()).await;
    let mut client = server.connect().await;
    client
        .write_all(b"GET /slow HTTP/1.1\r\nHost: test\r\n\r\n")
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    server.stop();
    // The answer arrives in full, then the connection closes (no more keep-alive).
    let received = closed_within(&mut client, SLACK).await.unwrap();
    assert!(received.starts_with("HTTP/1.1 200"), "{received}");
    assert!(received.ends_with("done"), "{received}");
    tokio::time::timeout(SLACK, &mut server.task)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert!(tokio::net::TcpStream::connect(server.addr).await.is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_that_never_finishes_is_dropped_at_the_drain_bound() {
    let mut limits = short();
    limits.drain_timeout = Duration::from_secs(1);
    let app = axum::Router::new().route("/hang", get(std::future::pending::<&'static str>));
    let mut server = Server::start_with(limits, None, app).await;
    let mut client = server.connect().await;
    client
        .write_all(b"GET /hang HTTP/1.1\r\nHost: test\r\n\r\n")
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    server.stop();
    tokio::time::timeout(Duration::from_secs(1) + SLACK, &mut server.task)
        .await
        .expect("serve did not return at the drain bound")
        .unwrap()
        .unwrap();
    closed_within(&mut client, SLACK).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_half_sent_head_does_not_hold_up_the_drain() {
    let mut limits = short();
    limits.idle_timeout = Duration::from_secs(3600);
    limits.drain_timeout = Duration::from_secs(3600);
    let mut server = Server::start(limits).await;
    let mut client = server.connect().await;
    client.write_all(crate::support::HALF_HEAD).await.unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    server.stop();
    tokio::time::timeout(Duration::from_secs(1) + SLACK, &mut server.task)
        .await
        .expect("a half-sent head held the drain")
        .unwrap()
        .unwrap();
}
