//! Conference mode's costs, each beside its baseline from the same run:
//!
//! - `import/200_talks_10_rooms`: an agenda of 200 talks in 10 rooms (CSV) read and written
//!   into a fresh SQLite database through the service, beside `import/parse_only` (the same
//!   file read, nothing written). The budget is one second for the whole import.
//! - `vote/room_number` (a bare text to a room's number, routed among its 20 talks by their
//!   windows) beside `vote/single_event` (a bare text to a number serving one event, today's
//!   path): the same service, the same SQLite file, a new phone each vote.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::fmt::Write;
use std::hint::black_box;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use criterion::{Criterion, criterion_group, criterion_main};
use sms_ratings::agenda;
use sms_ratings::clock::Clock;
use sms_ratings::model::{NewEvent, Timestamp};
use sms_ratings::service::Ratings;
use sms_ratings::service::conference::AgendaImport;
use twilio_webhook::payload::IncomingMessage;

/// 200 talks in 10 rooms: 20 a room, 30 minutes each with 10 between, from 08:00 UTC.
fn agenda_csv() -> String {
    let mut csv = String::from("code,title,speakers,room,start,end,number\n");
    for room in 0..10 {
        for slot in 0..20 {
            let start = 8 * 60 + slot * 40;
            let end = start + 30;
            writeln!(
                csv,
                "T{room}X{slot},Talk {slot} in room {room},Speaker {room}-{slot},Room {room},\
                 2026-05-04T{:02}:{:02}Z,2026-05-04T{:02}:{:02}Z,+3120794{:04}",
                start / 60,
                start % 60,
                end / 60,
                end % 60,
                room
            )
            .unwrap();
        }
    }
    csv
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

async fn service(dir: &tempfile::TempDir, clock: Clock) -> Ratings {
    let path = dir.path().join("bench.db");
    let store = sms_ratings::store::open(path.to_str().unwrap())
        .await
        .unwrap();
    Ratings::new(store).with_clock(clock)
}

fn import(c: &mut Criterion) {
    let csv = agenda_csv();
    let rt = runtime();
    let mut group = c.benchmark_group("import");
    group.sample_size(10);
    group.bench_function("parse_only", |b| {
        b.iter(|| agenda::parse(black_box(csv.as_bytes()), &jiff::tz::TimeZone::UTC).unwrap())
    });
    group.bench_function("200_talks_10_rooms", |b| {
        b.iter_with_setup(
            || tempfile::tempdir().unwrap(),
            |dir| {
                rt.block_on(async {
                    let ratings = service(&dir, Clock::system()).await;
                    let report = ratings
                        .import_agenda(AgendaImport {
                            conference: Some("BENCH".parse().unwrap()),
                            file: csv.clone().into_bytes(),
                            ..AgendaImport::default()
                        })
                        .await
                        .unwrap();
                    assert_eq!(report.plan.added.len(), 200);
                    ratings.close().await;
                });
            },
        )
    });
    group.finish();
}

fn vote(c: &mut Criterion) {
    let rt = runtime();
    let dir = tempfile::tempdir().unwrap();
    // 10:25 UTC: in each room only talk 3's window (10:00–10:30, window 10:20–10:50) is
    // open; talk 4 starts at 10:40.
    let now: jiff::Timestamp = "2026-05-04T10:25:00Z".parse().unwrap();
    let clock = Clock::manual(Timestamp::from_millis(now.as_millisecond()));
    let ratings = rt.block_on(async {
        let ratings = service(&dir, clock).await;
        ratings
            .import_agenda(AgendaImport {
                conference: Some("BENCH".parse().unwrap()),
                file: agenda_csv().into_bytes(),
                ..AgendaImport::default()
            })
            .await
            .unwrap();
        ratings
            .create_event(NewEvent {
                code: "SINGLE".parse().unwrap(),
                name: "One event".into(),
                number: Some("+15005550006".into()),
                opens: None,
                closes: None,
                time_zone: None,
            })
            .await
            .unwrap();
        ratings
    });
    let ratings = Arc::new(ratings);
    let n = AtomicU64::new(0);
    let text = |to: &str, expect: &str| {
        let i = n.fetch_add(1, Ordering::Relaxed);
        let sid = format!("SM{i:032}");
        let from = format!("+1415{:07}", i % 10_000_000);
        let sms = IncomingMessage::from_pairs(&[
            ("MessageSid", sid.as_str()),
            ("AccountSid", "AC1"),
            ("From", from.as_str()),
            ("To", to),
            ("Body", "4"),
        ])
        .unwrap();
        let reply = rt.block_on(ratings.handle(sms)).unwrap();
        assert!(reply.text.unwrap().contains(expect));
    };
    let mut group = c.benchmark_group("vote");
    group.bench_function("single_event", |b| {
        b.iter(|| text(black_box("+15005550006"), "One event"))
    });
    group.bench_function("room_number", |b| {
        b.iter(|| text(black_box("+31207940000"), "Talk 3 in room 0"))
    });
    group.finish();
    rt.block_on(ratings.close());
}

criterion_group!(benches, import, vote);
criterion_main!(benches);
