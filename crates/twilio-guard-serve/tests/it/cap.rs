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
