//! Security review round 3, items 1 and 2: the audience cannot starve the webhooks and the
//! organiser, neither by holding live streams nor by polling snapshots.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use sms_ratings::store::EventChange;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

use crate::e2e::add;
use crate::server::{ADMIN, NUMBER, TestServer, form, sms_params};
use crate::support::TestDb;

/// A valid share token (43 base64url characters).
pub const SHARE: &str = "audience-link-0123456789abcdefghijklmnopqrs";

/// Gives `code` the audience link [`SHARE`].
pub async fn share(s: &TestServer, code: &str) {
    s.store
        .change_event(
            code.parse().unwrap(),
            EventChange::Share(Some(SHARE.into())),
        )
        .await
        .unwrap();
}

/// Opens `GET path` from `from` and reads the response head: its status, or 0 when the
/// connection was closed or reset without one. The stream is returned to be held open.
async fn open_from(from: Ipv4Addr, server: SocketAddr, path: &str) -> (u16, Option<TcpStream>) {
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind(SocketAddr::new(IpAddr::V4(from), 0)).unwrap();
    let Ok(mut stream) = socket.connect(server).await else {
        return (0, None);
    };
    let request = format!("GET {path} HTTP/1.1\r\nHost: x\r\n\r\n");
    if stream.write_all(request.as_bytes()).await.is_err() {
        return (0, None);
    }
    let mut head = Vec::new();
    let mut byte = [0u8; 1024];
    let read = tokio::time::timeout(Duration::from_secs(5), async {
        while !head.windows(4).any(|w| w == b"\r\n\r\n") {
            match stream.read(&mut byte).await {
                Ok(0) | Err(_) => return false,
                Ok(n) => head.extend_from_slice(&byte[..n]),
            }
        }
        true
    })
    .await;
    let status = String::from_utf8_lossy(&head)
        .get(9..12)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    match read {
        Ok(true) => (status, Some(stream)),
        _ => (status, None),
    }
}

/// The status of a request, or the error it met (reset, closed) as text.
async fn status_of(request: reqwest::RequestBuilder) -> Result<u16, String> {
    match request.timeout(Duration::from_secs(10)).send().await {
        Ok(r) => Ok(r.status().as_u16()),
        Err(e) => Err(format!("{e:?}")),
    }
}

/// Item 1. Several loopback addresses open audience streams until the server refuses them:
/// a signed vote, `/livez` and the organiser's manage page (from which the link could be
/// revoked) are still answered 200, and the refusals are 503 with `Retry-After`. On the
/// old code the streams took every connection and the three met connection resets.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn streams_held_from_many_addresses_leave_room_for_votes_and_the_organiser() {
    let db = TestDb::sqlite();
    let mut limits = twilio_guard_serve::Limits::default();
    limits.max_connections = 40;
    let s = TestServer::start_configured(&db.location, |c| c.limits(limits)).await;
    add(&s, "HOLD", Some(NUMBER)).await;
    share(&s, "HOLD").await;
    let server: SocketAddr = s.base.trim_start_matches("http://").parse().unwrap();
    let path = format!("/p/{SHARE}/live");

    let mut held = Vec::new();
    let mut refused = 0;
    for host in 2..=7u8 {
        for _ in 0..10 {
            let (status, stream) = open_from(Ipv4Addr::new(127, 0, 0, host), server, &path).await;
            match (status, stream) {
                (200, Some(stream)) => held.push(stream),
                _ => refused += 1,
            }
        }
    }
    eprintln!("streams held: {}, refused: {refused}", held.len());

    let params = sms_params("SMstarve1", "+14155550101", NUMBER, "5");
    let params: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let vote = status_of(
        s.client
            .post(format!("{}/sms", s.base))
            .header("content-type", "application/x-www-form-urlencoded")
            .header("x-twilio-signature", s.sign(&params))
            .body(form(&params)),
    )
    .await;
    let livez = status_of(s.client.get(format!("{}/livez", s.base))).await;
    let manage = status_of(
        s.client
            .get(format!("{}/events/HOLD/manage", s.base))
            .basic_auth(ADMIN.0, Some(ADMIN.1)),
    )
    .await;
    assert_eq!(
        (&vote, &livez, &manage),
        (&Ok(200), &Ok(200), &Ok(200)),
        "with {} streams held: vote {vote:?}, /livez {livez:?}, manage {manage:?}",
        held.len()
    );
    // A quarter of the 40 connections is kept from streams.
    assert_eq!(held.len(), 30, "the stream cap is three quarters");
    // One more stream: refused with a time to come back.
    let refusal = s
        .client
        .get(format!("{}{path}", s.base))
        .send()
        .await
        .unwrap();
    assert_eq!(refusal.status(), 503);
    assert!(refusal.headers().contains_key("retry-after"));
    drop(held);
    s.stop().await;
}

/// Stores `n` votes for `code` directly (group-committed), from distinct phones.
async fn seed(s: &TestServer, code: &str, n: u32) {
    use futures_util::StreamExt as _;
    use sms_ratings::model::{Channel, Rating, Submission, Timestamp, Vote};
    let now = Timestamp::now().millis();
    futures_util::stream::iter(0..n)
        .map(|i| {
            let submission = Submission {
                idempotency_key: format!("SMseed{i:010}"),
                phone: format!("+1303{i:07}"),
                to: NUMBER.into(),
                vote: Vote {
                    code: Some(code.parse().unwrap()),
                    rating: Rating::new(u8::try_from(i % 5 + 1).unwrap()).unwrap(),
                    comment: if i % 3 == 0 {
                        format!("comment {i}")
                    } else {
                        String::new()
                    },
                },
                at: Timestamp::from_millis(now - i64::from(n - i) * 100),
                channel: Channel::Sms,
                caller: sms_ratings::model::CallerId::Trusted,
                quiet: false,
            };
            s.store.submit(submission)
        })
        .buffer_unordered(256)
        .for_each(|r| async move {
            r.unwrap();
        })
        .await;
}

/// Signed votes sent by 8 clients for `phase`, while `pollers` clients each read the
/// audience snapshot, the organiser's snapshot and the audience page once a second (as the
/// page script polls). Returns the votes answered 200 and the polls answered 200.
async fn votes_while_polling(
    s: &std::sync::Arc<TestServer>,
    phase: Duration,
    pollers: usize,
    run: &str,
) -> (u64, u64) {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
    let stop = Arc::new(AtomicBool::new(false));
    let polls = Arc::new(AtomicU64::new(0));
    let mut polling = Vec::new();
    for p in 0..pollers {
        let (s, stop, polls) = (Arc::clone(s), Arc::clone(&stop), Arc::clone(&polls));
        polling.push(tokio::spawn(async move {
            let paths = [
                format!("/p/{SHARE}/snapshot"),
                "/api/events/LOAD/snapshot".to_owned(),
                format!("/p/{SHARE}"),
            ];
            let mut n = p;
            while !stop.load(Ordering::SeqCst) {
                let r = s
                    .client
                    .get(format!("{}{}", s.base, paths[n % 3]))
                    .basic_auth(ADMIN.0, Some(ADMIN.1))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(r.status(), 200);
                r.bytes().await.unwrap();
                polls.fetch_add(1, Ordering::SeqCst);
                n += 1;
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }));
    }
    let votes = Arc::new(AtomicU64::new(0));
    let deadline = tokio::time::Instant::now() + phase;
    let mut voting = Vec::new();
    for v in 0..8u64 {
        let (s, votes, run) = (Arc::clone(s), Arc::clone(&votes), run.to_owned());
        voting.push(tokio::spawn(async move {
            let mut i = 0u64;
            while tokio::time::Instant::now() < deadline {
                let (sid, phone) = (format!("SM{run}{v}x{i}"), format!("+1404{v}{i:06}"));
                let (status, _) = s.sms(&sid, &phone, "4").await;
                assert_eq!(status, 200);
                votes.fetch_add(1, Ordering::SeqCst);
                i += 1;
            }
        }));
    }
    for t in voting {
        t.await.unwrap();
    }
    stop.store(true, Ordering::SeqCst);
    for t in polling {
        t.await.unwrap();
    }
    (votes.load(Ordering::SeqCst), polls.load(Ordering::SeqCst))
}

/// Item 2. On an event with 20 000 votes, 60 clients polling snapshots and pages once a
/// second leave the signed-vote rate within 30% of the same run's rate without them
/// (alternating phases with and without, so drift on a shared machine cancels out).
/// Every read is the hub's latest frame, so the polls cost no query over the votes. On the
/// old code each poll built a snapshot over every vote and the votes slowed to a crawl.
///
/// A rate ratio needs the machine to itself: run beside the suite's other tests it measures
/// them as much as the polls, so it is run alone (`.ci/run`: `-- --ignored --test-threads=1`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "load-shaped: run alone with --ignored --test-threads=1 (.ci/run does)"]
async fn snapshot_polls_leave_the_vote_rate_within_30_percent() {
    let db = TestDb::sqlite();
    let s = std::sync::Arc::new(TestServer::start(&db.location).await);
    add(&s, "LOAD", Some(NUMBER)).await;
    share(&s, "LOAD").await;
    seed(&s, "LOAD", 20_000).await;
    let phase = Duration::from_millis(1500);
    // Warm up (connections, caches), then alternate, so drift on a shared machine falls on
    // both sides alike; the median of the rounds' ratios, so a burst from another process
    // (or a parallel test) in one round does not decide.
    votes_while_polling(&s, Duration::from_secs(1), 60, "w").await;
    let (mut ratios, mut rounds, mut polls) = (Vec::new(), Vec::new(), 0);
    for round in 0..5 {
        let (without, _) = votes_while_polling(&s, phase, 0, &format!("a{round}")).await;
        let (with, polled) = votes_while_polling(&s, phase, 60, &format!("b{round}")).await;
        polls += polled;
        ratios.push(with as f64 / without.max(1) as f64);
        rounds.push((without, with));
    }
    ratios.sort_by(f64::total_cmp);
    let median = ratios[ratios.len() / 2];
    eprintln!(
        "signed votes per {phase:?} round (without, with 60 clients polling): {rounds:?}; \
         {polls} polls answered 200; median ratio {median:.2}"
    );
    assert!(polls >= 60 * 5, "the pollers polled: {polls}");
    assert!(
        median >= 0.7,
        "votes with polling vs without, per round: {rounds:?}; median ratio {median:.2}"
    );
    std::sync::Arc::try_unwrap(s).ok().unwrap().stop().await;
}
