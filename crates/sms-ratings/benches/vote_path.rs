//! The vote path with and without the ballot-stuffing detector, for `bench/flags.sh`, which
//! counts instructions under callgrind (repeatable on a busy machine, unlike wall-clock).
//!
//! `vote_path CASE N`: opens a SQLite store in a temporary directory (`CASE` = `detector`
//! or `plain`: `Options::detector` set or not), then sends `N` texts through the rating
//! service as the webhook does: distinct phones from many number blocks, ratings mixed,
//! a few senders repeating, all queued at once so the writer commits them in batches. The
//! script runs each case with `N` and with 0 votes: the difference per vote is the vote
//! path's cost, setup left out (the writer thread's work included, which a toggle around a
//! function would miss).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::sync::Arc;

use sms_ratings::model::NewEvent;
use sms_ratings::service::{BudgetLimits, Ratings};
use sms_ratings::store::{self, Options};
use twilio_webhook::payload::IncomingMessage;

fn main() {
    let mut args = std::env::args().skip(1);
    let case = args.next().expect("CASE: detector | plain");
    let n: u32 = args.next().expect("N").parse().unwrap();
    let detector = match case.as_str() {
        "detector" => Options::default().detector,
        "plain" => None,
        other => panic!("unknown case {other}"),
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(run(detector, n));
}

async fn run(detector: Option<Arc<sms_ratings::flag::Detector>>, n: u32) {
    let dir = tempfile::tempdir().unwrap();
    let location = dir.path().join("bench.db");
    let options = Options {
        detector,
        ..Options::default()
    };
    let store = store::open_with(location.to_str().unwrap(), options)
        .await
        .unwrap();
    let ratings = Ratings::new(store).with_reply_budget(BudgetLimits {
        per_sender_per_hour: usize::MAX,
        per_minute: usize::MAX,
    });
    ratings
        .create_event(NewEvent {
            code: "BENCH".parse().unwrap(),
            name: "Bench".into(),
            number: Some("+15005550006".into()),
            opens: None,
            closes: None,
            time_zone: None,
        })
        .await
        .unwrap();
    let mut votes = Vec::new();
    for i in 0..n {
        // One sender in ten texts again; blocks spread like a city's numbers.
        let phone = format!(
            "+1{}{}{:04}",
            200 + (i * 7) % 700,
            200 + (i * 13) % 700,
            i % 9000
        );
        let sid = format!("SM{i:032}");
        let body = format!("{} thanks", 1 + (i * 7) % 5);
        let pairs = [
            ("MessageSid", sid.as_str()),
            ("AccountSid", "AC00000000000000000000000000000000"),
            ("From", phone.as_str()),
            ("To", "+15005550006"),
            ("Body", body.as_str()),
        ];
        let sms = IncomingMessage::from_pairs(&pairs).unwrap();
        let ratings = ratings.clone();
        votes.push(tokio::spawn(async move { ratings.handle(sms).await }));
    }
    for vote in votes {
        vote.await.unwrap().unwrap();
    }
    ratings.close().await;
}
