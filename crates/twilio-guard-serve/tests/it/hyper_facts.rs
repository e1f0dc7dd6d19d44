//! What hyper's own HTTP/1 head timer does, checked rather than assumed: it also runs while a
//! kept-alive connection waits for its next request, so on its own it cannot give an idle
//! timeout longer than the head timeout. That is why the crate keeps its own clocks and
//! leaves hyper's timer as a backstop.

use std::time::Duration;

use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;

use crate::support::{SLACK, app, closed_within, get_kept_alive};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hyper_header_read_timeout_also_closes_an_idle_kept_alive_connection() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let (stream, _) = listener.accept().await.unwrap();
        let mut http = http1::Builder::new();
        http.timer(TokioTimer::new())
            .header_read_timeout(Duration::from_secs(1));
        let service = TowerToHyperService::new(app());
        let _ = http.serve_connection(TokioIo::new(stream), service).await;
    });
    let mut client = tokio::net::TcpStream::connect(addr).await.unwrap();
    let answer = get_kept_alive(&mut client, "/").await;
    assert!(answer.ends_with("ok"), "{answer}");
    // No byte sent after the response, yet the connection closes: the head timer started
    // when hyper began waiting for the next head, not at its first byte.
    closed_within(&mut client, Duration::from_secs(1) + SLACK)
        .await
        .unwrap();
}
