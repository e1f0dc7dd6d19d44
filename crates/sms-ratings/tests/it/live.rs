//! Live streams over real HTTP: the caps on open streams, and votes taken by another
//! instance on the same PostgreSQL reaching a stream within a second (LISTEN/NOTIFY).

use std::time::{Duration, Instant};

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

/// One client address may hold three quarters of its connection cap in streams; the next
/// gets 503 + Retry-After while another address is still served; a stream ends after its
/// lifetime (the page's `EventSource` reconnects).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn open_streams_are_capped_per_client_and_live_a_bounded_time() {
    let db = TestDb::sqlite();
    let mut limits = twilio_guard_serve::Limits::default();
    limits.max_connections_per_ip = 8;
    limits.stream_lifetime = Duration::from_secs(2);
    let s = TestServer::start_configured(&db.location, |c| c.limits(limits)).await;
    add(&s, "CAP", None).await;
    let one = from([127, 0, 0, 1]);
    let mut held = Vec::new();
    for _ in 0..6 {
        let r = open_stream(&one, &s, "CAP").await;
        assert_eq!(r.status(), 200);
        held.push(r);
    }
    let refused = open_stream(&one, &s, "CAP").await;
    assert_eq!(refused.status(), 503);
    assert_eq!(refused.headers()["retry-after"], "5");
    let other = open_stream(&from([127, 0, 0, 2]), &s, "CAP").await;
    assert_eq!(other.status(), 200, "another address is not refused");
    // Each stream ends by itself after its lifetime, freeing its slot.
    let started = Instant::now();
    let body = tokio::time::timeout(Duration::from_secs(15), other.text())
        .await
        .expect("the stream ended");
    assert!(body.unwrap().contains("event: snapshot"));
    assert!(started.elapsed() < Duration::from_secs(10));
    drop(held);
    let again = open_stream(&one, &s, "CAP").await;
    assert_eq!(again.status(), 200, "slots come back");
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
