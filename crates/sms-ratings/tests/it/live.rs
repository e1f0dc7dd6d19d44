//! Live streams over real HTTP: the caps on open streams, and votes taken by another
//! instance on the same PostgreSQL reaching a stream within a second (LISTEN/NOTIFY).

use std::time::{Duration, Instant};

use sms_ratings::server::StreamLimits;

use crate::e2e::add;
use crate::server::{ADMIN, NUMBER, TestServer};
use crate::support::TestDb;

async fn open_stream(client: &reqwest::Client, s: &TestServer, code: &str) -> reqwest::Response {
    client
        .get(format!("{}/events/{code}/live", s.base))
        .basic_auth(ADMIN.0, Some(ADMIN.1))
        .send()
        .await
        .unwrap()
}

fn from(ip: [u8; 4]) -> reqwest::Client {
    let _ = crate::support::http_client();
    reqwest::Client::builder()
        .local_address(std::net::IpAddr::from(ip))
        .build()
        .unwrap()
}

/// One client address may hold `per_client` streams; the next gets 503 + Retry-After while
/// another address is still served; the server-wide cap holds across addresses.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn open_streams_are_capped_per_client_and_per_server() {
    let db = TestDb::sqlite();
    let per_client = StreamLimits::default().per_client;
    let s = TestServer::start(&db.location).await;
    add(&s, "CAP", None).await;
    let one = from([127, 0, 0, 1]);
    let mut held = Vec::new();
    for _ in 0..per_client {
        let r = open_stream(&one, &s, "CAP").await;
        assert_eq!(r.status(), 200);
        held.push(r);
    }
    let refused = open_stream(&one, &s, "CAP").await;
    assert_eq!(refused.status(), 503);
    assert!(refused.headers().contains_key("retry-after"));
    let other = open_stream(&from([127, 0, 0, 2]), &s, "CAP").await;
    assert_eq!(other.status(), 200, "another address is not refused");
    drop((held, other));
    s.stop().await;

    let limits = StreamLimits {
        total: 3,
        per_client: 2,
    };
    let s = TestServer::start_configured(&db.location, |c| c.stream_limits(limits)).await;
    let a = from([127, 0, 0, 3]);
    let b = from([127, 0, 0, 4]);
    let held = [
        open_stream(&a, &s, "CAP").await,
        open_stream(&a, &s, "CAP").await,
        open_stream(&b, &s, "CAP").await,
    ];
    assert!(held.iter().all(|r| r.status() == 200));
    let c = open_stream(&from([127, 0, 0, 5]), &s, "CAP").await;
    assert_eq!(c.status(), 503, "the server-wide cap");
    drop(held);
    s.stop().await;
}

/// Two instances on one PostgreSQL: a vote taken by A is on a stream served by B within a
/// second (B learns of it through LISTEN/NOTIFY, not its 5 s safety re-read).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_vote_on_one_instance_reaches_a_stream_on_another_within_a_second() {
    let Some(db) = TestDb::postgres("a_vote_on_one_instance_reaches_a_stream_on_another").await
    else {
        return;
    };
    let a = TestServer::start(&db.location).await;
    let b = TestServer::start(&db.location).await;
    add(&a, "TWO", Some(NUMBER)).await;
    let mut stream = b.get_admin("/events/TWO/live").await;
    assert_eq!(stream.status(), 200);
    let mut buffer = String::new();
    let first = crate::page::next_snapshot(&mut stream, &mut buffer).await;
    assert_eq!(first["results"]["count"], 0);
    // Let B's listener settle, then several votes, each timed on its own.
    tokio::time::sleep(Duration::from_millis(500)).await;
    for n in 1..=3u64 {
        let sent = Instant::now();
        let (status, _) = a
            .sms(&format!("SMtwo{n}"), &format!("+1415555000{n}"), "4")
            .await;
        assert_eq!(status, 200);
        let next = crate::page::next_snapshot(&mut stream, &mut buffer).await;
        let took = sent.elapsed();
        assert_eq!(next["results"]["count"], n);
        assert!(
            took < Duration::from_secs(1),
            "vote {n} reached B after {took:?}"
        );
        eprintln!("vote {n} on A reached the stream on B after {took:?}");
    }
    drop(stream);
    a.stop().await;
    b.stop().await;
}
