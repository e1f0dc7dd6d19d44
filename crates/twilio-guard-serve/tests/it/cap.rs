//! The connection cap: beyond it a connection is closed at once; slots free up again.

use std::time::Duration;

use tokio::io::AsyncWriteExt as _;

use crate::support::{HALF_HEAD, SLACK, Server, closed_within, get_once, short};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn beyond_the_cap_a_connection_is_closed_and_served_once_slots_free() {
    let mut limits = short();
    limits.max_connections = 3;
    limits.head_timeout = Duration::from_secs(2);
    let server = Server::start(limits).await;
    let mut slow = Vec::new();
    for _ in 0..3 {
        let mut client = server.connect().await;
        client.write_all(HALF_HEAD).await.unwrap();
        slow.push(client);
    }
    // Give the server time to accept all three (they hold the slots, nothing else shows it).
    tokio::time::sleep(Duration::from_millis(300)).await;

    // The fourth: accepted and closed, no answer.
    let mut extra = server.connect().await;
    let _ = extra
        .write_all(b"GET / HTTP/1.1\r\nHost: test\r\n\r\n")
        .await;
    let received = closed_within(&mut extra, SLACK).await.unwrap();
    assert_eq!(received, "");

    // Once the slow ones hit the head timeout, a normal client is served.
    let served = async {
        loop {
            if let Ok(answer) = get_once(server.addr, "/").await
                && answer.starts_with("HTTP/1.1 200")
            {
                return answer;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    };
    let answer = tokio::time::timeout(Duration::from_secs(2) + SLACK, served)
        .await
        .expect("never served after the slow clients timed out");
    assert!(answer.ends_with("ok"));
    drop(slow);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn beyond_the_per_address_cap_only_that_address_is_closed() {
    let mut limits = short();
    limits.max_connections_per_ip = 2;
    limits.head_timeout = Duration::from_secs(60);
    limits.idle_timeout = Duration::from_secs(60);
    let server = Server::start(limits).await;
    let mut slow = Vec::new();
    for _ in 0..2 {
        let mut client = server.connect().await;
        client.write_all(HALF_HEAD).await.unwrap();
        slow.push(client);
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    // A third from 127.0.0.1: closed, no answer.
    let answer = get_once(server.addr, "/").await.unwrap_or_default();
    assert_eq!(answer, "");
    // From another loopback address: served.
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind("127.0.0.2:0".parse().unwrap()).unwrap();
    let mut other = socket.connect(server.addr).await.unwrap();
    other
        .write_all(b"GET / HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let answer = closed_within(&mut other, SLACK).await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    drop(slow);
}
