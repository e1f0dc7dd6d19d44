//! Each timeout closes a stalled connection; the header limit refuses; normal clients are
//! served meanwhile.

use std::time::Duration;

use tokio::io::AsyncWriteExt as _;
use tokio::net::TcpStream;

use crate::support::{HALF_HEAD, SLACK, Server, closed_within, get_kept_alive, get_once, short};

const LONG: Duration = Duration::from_secs(3600);

/// Sends `bytes` one at a time, `every` apart: true if the server closed the connection
/// (a write failed) within the 1 s limit of these tests plus the slack.
async fn cut_off(client: &mut TcpStream, bytes: impl Iterator<Item = u8>, every: Duration) -> bool {
    let trickle = async {
        for byte in bytes {
            if client.write_all(&[byte]).await.is_err() {
                return;
            }
            tokio::time::sleep(every).await;
        }
    };
    tokio::time::timeout(Duration::from_secs(1) + SLACK, trickle)
        .await
        .is_ok()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn half_a_head_is_closed_without_an_answer() {
    let mut limits = short();
    limits.idle_timeout = LONG;
    let server = Server::start(limits).await;
    let mut client = server.connect().await;
    client.write_all(HALF_HEAD).await.unwrap();
    let received = closed_within(&mut client, Duration::from_secs(1) + SLACK)
        .await
        .unwrap();
    assert_eq!(received, "");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_trickled_head_is_closed_at_the_head_timeout() {
    // One byte every 200 ms keeps the socket busy, but the head never completes in time.
    let mut limits = short();
    limits.idle_timeout = LONG;
    let server = Server::start(limits).await;
    let mut client = server.connect().await;
    // 200 bytes × 200 ms = 40 s of trickling: far past the 1 s head limit plus the slack.
    let bytes = HALF_HEAD.iter().copied().cycle().take(200);
    assert!(
        cut_off(&mut client, bytes, Duration::from_millis(200)).await,
        "still accepting head bytes after the head timeout"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_body_is_closed() {
    let mut limits = short();
    limits.idle_timeout = LONG;
    limits.head_timeout = LONG;
    let server = Server::start(limits).await;
    let mut client = server.connect().await;
    client
        .write_all(b"POST /echo HTTP/1.1\r\nHost: test\r\nContent-Length: 100\r\n\r\nab")
        .await
        .unwrap();
    let received = closed_within(&mut client, Duration::from_secs(1) + SLACK)
        .await
        .unwrap();
    // The service saw a failed body; whatever it answered, it was not a success.
    assert!(!received.contains(" 200 "), "{received}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_trickled_body_is_closed_at_the_body_deadline() {
    // A timer reset on every frame (tower-http's body timeout) would never fire here.
    let mut limits = short();
    limits.idle_timeout = LONG;
    limits.head_timeout = LONG;
    let server = Server::start(limits).await;
    let mut client = server.connect().await;
    client
        .write_all(b"POST /echo HTTP/1.1\r\nHost: test\r\nContent-Length: 100\r\n\r\n")
        .await
        .unwrap();
    let bytes = std::iter::repeat_n(b'x', 100);
    assert!(
        cut_off(&mut client, bytes, Duration::from_millis(300)).await,
        "still accepting body bytes after the body deadline"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_kept_alive_connection_is_closed() {
    let mut limits = short();
    limits.head_timeout = LONG;
    let server = Server::start(limits).await;
    let mut client = server.connect().await;
    let answer = get_kept_alive(&mut client, "/").await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    // Still usable right away (kept alive) ...
    let answer = get_kept_alive(&mut client, "/").await;
    assert!(answer.ends_with("ok"), "{answer}");
    // ... and closed once idle for the idle timeout.
    let received = closed_within(&mut client, Duration::from_secs(1) + SLACK)
        .await
        .unwrap();
    assert_eq!(received, "");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silent_new_connection_is_closed_at_the_head_timeout() {
    let mut limits = short();
    limits.idle_timeout = LONG;
    let server = Server::start(limits).await;
    let mut client = server.connect().await;
    closed_within(&mut client, Duration::from_secs(1) + SLACK)
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_oversized_head_gets_431() {
    let server = Server::start(short()).await;
    let mut client = server.connect().await;
    let filler = "a".repeat(8192);
    let request = format!("GET / HTTP/1.1\r\nHost: test\r\nX-Filler: {filler}\r\n\r\n");
    client.write_all(request.as_bytes()).await.unwrap();
    let received = closed_within(&mut client, SLACK).await.unwrap();
    assert!(received.starts_with("HTTP/1.1 431"), "{received}");
    // A head under the limit is served.
    let filler = "a".repeat(2048);
    let mut client = server.connect().await;
    let request =
        format!("GET / HTTP/1.1\r\nHost: test\r\nX-Filler: {filler}\r\nConnection: close\r\n\r\n");
    client.write_all(request.as_bytes()).await.unwrap();
    let received = closed_within(&mut client, SLACK).await.unwrap();
    assert!(received.starts_with("HTTP/1.1 200"), "{received}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_normal_client_is_served_while_200_slow_ones_are_open() {
    let mut limits = short();
    limits.head_timeout = Duration::from_secs(60);
    limits.idle_timeout = Duration::from_secs(60);
    let server = Server::start(limits).await;
    let mut slow = Vec::new();
    for _ in 0..200 {
        let mut client = server.connect().await;
        client.write_all(HALF_HEAD).await.unwrap();
        slow.push(client);
    }
    let answer = tokio::time::timeout(SLACK, get_once(server.addr, "/"))
        .await
        .unwrap()
        .unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.ends_with("ok"));
    drop(slow);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_peer_address_reaches_the_service() {
    let server = Server::start(short()).await;
    let mut client = server.connect().await;
    let local = client.local_addr().unwrap();
    let answer = get_kept_alive(&mut client, "/peer").await;
    assert!(answer.ends_with(&local.to_string()), "{answer}");
}
