//! `twilio-webhook proxy` with its slow-client flags (`twilio_guard_serve`): a stalled head
//! and a stalled body are closed within the limits, the connection cap closes the extra
//! connection, and a normal client is served meanwhile.

use std::time::Duration;

use tokio::io::{AsyncBufReadExt as _, AsyncReadExt as _, AsyncWriteExt as _, BufReader};
use tokio::net::TcpStream;

use crate::upstream::{Behaviour, Upstream};

const SLACK: Duration = Duration::from_secs(10);

async fn closed_within(mut stream: TcpStream, within: Duration) -> Result<String, String> {
    let mut received = Vec::new();
    let read = tokio::time::timeout(within, stream.read_to_end(&mut received)).await;
    let text = String::from_utf8_lossy(&received).into_owned();
    match read {
        Ok(_) => Ok(text),
        Err(_) => Err(format!("still open after {within:?}; received {text:?}")),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_proxy_closes_slow_clients_and_serves_others() {
    let up = Upstream::start(Behaviour::default()).await;
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_twilio-webhook"))
        .args([
            "proxy",
            "--listen",
            "127.0.0.1:0",
            "--upstream",
            &up.url(""),
        ])
        .args(["--public-url", "https://hooks.example.com"])
        .args(["--head-timeout", "1s", "--body-timeout", "1s"])
        .args(["--max-connections", "4"])
        .env("TWILIO_AUTH_TOKEN", "a-test-token")
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let addr = loop {
        let line = lines.next_line().await.unwrap().expect("exited early");
        if let Some(rest) = line.split("listening on ").nth(1) {
            break rest.split(',').next().unwrap().to_owned();
        }
    };
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });

    // A head and 2 of 100 body bytes; half a head.
    let mut stalled_body = TcpStream::connect(&addr).await.unwrap();
    stalled_body
        .write_all(
            b"POST /sms HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n\
              X-Twilio-Signature: AAAA\r\nContent-Length: 100\r\n\r\nTo",
        )
        .await
        .unwrap();
    let mut half_heads = Vec::new();
    for _ in 0..2 {
        let mut c = TcpStream::connect(&addr).await.unwrap();
        c.write_all(b"POST /sms HTTP/1.1\r\nHost: x\r\nContent-Le")
            .await
            .unwrap();
        half_heads.push(c);
    }
    // The fourth slot: a normal client is served.
    let mut normal = TcpStream::connect(&addr).await.unwrap();
    normal
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let answer = closed_within(normal, SLACK).await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");

    // Four slots held: beyond the cap, a connection is closed without an answer. (The normal
    // client's slot is given back as its connection closes; a pause makes sure of it.)
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut holder = TcpStream::connect(&addr).await.unwrap();
    holder.write_all(b"GET /").await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut extra = TcpStream::connect(&addr).await.unwrap();
    let _ = extra
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .await;
    assert_eq!(closed_within(extra, SLACK).await.unwrap(), "");

    let answer = closed_within(stalled_body, Duration::from_secs(1) + SLACK)
        .await
        .unwrap();
    assert!(!answer.contains(" 200 "), "{answer}");
    for c in half_heads {
        assert_eq!(
            closed_within(c, Duration::from_secs(1) + SLACK)
                .await
                .unwrap(),
            ""
        );
    }
    assert!(
        up.seen().is_empty(),
        "a stalled request reached the upstream"
    );
    child.kill().await.unwrap();
}
