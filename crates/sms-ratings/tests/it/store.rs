//! The storage suite: every test runs on SQLite and on PostgreSQL.

use std::sync::Arc;

use sms_ratings::model::{NewEvent, Outcome, Rating, Submission, Timestamp, Vote};
use sms_ratings::store::{Store, StoreError};

use crate::both_backends;
use crate::support::TestDb;

const NUMBER: &str = "+15005550006";

pub fn new_event(code: &str, number: Option<&str>) -> NewEvent {
    NewEvent {
        code: code.parse().unwrap(),
        name: format!("Event {code}"),
        number: number.map(str::to_owned),
        opens: None,
        closes: None,
        time_zone: None,
    }
}

pub fn sub(sid: &str, phone: &str, code: Option<&str>, rating: u8) -> Submission {
    Submission {
        idempotency_key: sid.into(),
        phone: phone.into(),
        to: NUMBER.into(),
        vote: Vote {
            code: code.map(|c| c.parse().unwrap()),
            rating: Rating::new(rating).unwrap(),
            comment: format!("comment {sid}"),
        },
        at: Timestamp::now(),
        channel: sms_ratings::model::Channel::Sms,
        caller: sms_ratings::model::CallerId::Trusted,
        quiet: false,
    }
}

async fn count(store: &Arc<dyn Store>, code: &str) -> (u64, Option<f64>) {
    let r = store.results(code.parse().unwrap()).await.unwrap().unwrap();
    (r.count, r.average)
}

async fn migrations_are_idempotent(db: TestDb) {
    let store = db.open().await;
    store.add_event(new_event("AB1", None)).await.unwrap();
    store.close().await;
    let again = db.open().await;
    assert_eq!(again.events().await.unwrap().len(), 1, "{}", db.backend);
    again.close().await;
}
both_backends!(migrations_idempotent, migrations_are_idempotent);

async fn events_add_list_close(db: TestDb) {
    let store = db.open().await;
    let e = store
        .add_event(new_event("rust25", Some(NUMBER)))
        .await
        .unwrap();
    assert_eq!(e.code.as_str(), "RUST25");
    assert!(!e.closed);
    let dup = store.add_event(new_event("Rust25", None)).await;
    assert!(matches!(dup, Err(StoreError::DuplicateEvent(c)) if c == "RUST25"));
    store.add_event(new_event("ALPHA", None)).await.unwrap();
    let codes: Vec<_> = store
        .events()
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.code.to_string())
        .collect();
    assert_eq!(codes, ["ALPHA", "RUST25"]);
    let closed = store.close_event("rust25".parse().unwrap()).await.unwrap();
    assert!(closed.closed);
    let missing = store.close_event("NOPE".parse().unwrap()).await;
    assert!(matches!(missing, Err(StoreError::UnknownEvent(_))));
    assert!(
        store
            .event("ALPHA".parse().unwrap())
            .await
            .unwrap()
            .is_some()
    );
    store.close().await;
}
both_backends!(events, events_add_list_close);

async fn vote_rerate_and_duplicate(db: TestDb) {
    let store = db.open().await;
    store
        .add_event(new_event("RUST25", Some(NUMBER)))
        .await
        .unwrap();
    let first = store
        .submit(sub("SM1", "+15551230001", None, 4))
        .await
        .unwrap();
    assert!(matches!(
        first.outcome,
        Some(Outcome::Recorded {
            replaced: false,
            ..
        })
    ));
    assert!(first.reply.contains("4/5"), "{}", first.reply);
    let second = store
        .submit(sub("SM2", "+15551230001", Some("rust25"), 2))
        .await
        .unwrap();
    assert!(matches!(
        second.outcome,
        Some(Outcome::Recorded { replaced: true, .. })
    ));
    assert!(second.reply.contains("replaces"), "{}", second.reply);
    let repeat = store
        .submit(sub("SM1", "+15551230001", None, 5))
        .await
        .unwrap();
    assert!(repeat.is_duplicate());
    assert_eq!(repeat.reply, first.reply);
    assert_eq!(count(&store, "RUST25").await, (1, Some(2.0)));
    let rows = store
        .ratings("RUST25".parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].comment, "comment SM2");
    store.close().await;
}
both_backends!(vote_rerate_duplicate, vote_rerate_and_duplicate);

async fn closed_unknown_and_ambiguous(db: TestDb) {
    let store = db.open().await;
    store
        .add_event(new_event("ONE", Some(NUMBER)))
        .await
        .unwrap();
    store
        .add_event(new_event("TWO", Some(NUMBER)))
        .await
        .unwrap();
    let ambiguous = store.submit(sub("SM1", "+1555", None, 3)).await.unwrap();
    assert!(matches!(ambiguous.outcome, Some(Outcome::NeedCode(ref c)) if c == &["ONE", "TWO"]));
    store.close_event("TWO".parse().unwrap()).await.unwrap();
    let closed = store
        .submit(sub("SM2", "+1555", Some("two"), 3))
        .await
        .unwrap();
    assert!(
        matches!(closed.outcome, Some(Outcome::Closed(_))),
        "{closed:?}"
    );
    let unknown = store
        .submit(sub("SM3", "+1555", Some("ZZZ"), 3))
        .await
        .unwrap();
    assert!(matches!(unknown.outcome, Some(Outcome::UnknownEvent(_))));
    // With TWO closed, the number serves one open event: no code needed any more.
    let ok = store.submit(sub("SM4", "+1555", None, 3)).await.unwrap();
    assert!(matches!(ok.outcome, Some(Outcome::Recorded { ref event, .. }) if event.code == "ONE"));
    assert_eq!(count(&store, "TWO").await.0, 0);
    assert_eq!(count(&store, "ONE").await.0, 1);
    store.close().await;
}
both_backends!(closed_unknown, closed_unknown_and_ambiguous);

async fn not_yet_open(db: TestDb) {
    let store = db.open().await;
    let mut e = new_event("LATER", None);
    e.opens = Some(Timestamp::from_millis(
        Timestamp::now().millis() + 3_600_000,
    ));
    store.add_event(e).await.unwrap();
    let r = store
        .submit(sub("SM1", "+1555", Some("LATER"), 5))
        .await
        .unwrap();
    assert!(matches!(r.outcome, Some(Outcome::NotYetOpen(..))));
    assert_eq!(count(&store, "LATER").await.0, 0);
    store.close().await;
}
both_backends!(opens_later, not_yet_open);

/// Many concurrent votes (distinct, re-rates and repeated ids) land in batches; totals exact.
async fn concurrent_batches_are_exact(db: TestDb) {
    let store = db.open().await;
    store.add_event(new_event("LOAD", None)).await.unwrap();
    let mut tasks = Vec::new();
    for i in 0..400u32 {
        let store = Arc::clone(&store);
        // 200 phones, each voting twice (2nd replaces), every message sent twice.
        let phone = format!("+1555{:07}", i % 200);
        let rating = if i < 200 { 1 } else { 5 };
        for _ in 0..2 {
            let store = Arc::clone(&store);
            let sid = format!("SM{i:08}");
            let s = sub(&sid, &phone, Some("LOAD"), rating as u8);
            let phone = phone.clone();
            tasks.push(tokio::spawn(async move {
                (sid, phone, store.submit(s).await.unwrap())
            }));
        }
    }
    let mut fresh = 0;
    let mut replies = std::collections::HashMap::new();
    let mut first_votes = std::collections::HashMap::new();
    for t in tasks {
        let (sid, phone, receipt) = t.await.unwrap();
        if !receipt.is_duplicate() {
            fresh += 1;
        }
        if let Some(Outcome::Recorded { replaced, .. }) = &receipt.outcome {
            *first_votes.entry(phone).or_insert(0) += u32::from(!replaced);
        }
        // Both deliveries, in one batch or two, answer the same.
        let first = replies.entry(sid).or_insert_with(|| receipt.reply.clone());
        assert_eq!(*first, receipt.reply, "{}", db.backend);
    }
    assert_eq!(fresh, 400, "{}: each MessageSid counted once", db.backend);
    // Whichever batches they fell into, each phone's first vote replaced nothing and its
    // second replaced the first.
    assert_eq!(first_votes.len(), 200, "{}", db.backend);
    assert!(
        first_votes.values().all(|&n| n == 1),
        "{}: {first_votes:?}",
        db.backend
    );
    let r = store
        .results("LOAD".parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(r.count, 200);
    assert_eq!(r.histogram["1"] + r.histogram["5"], 200);
    store.close().await;
}
both_backends!(concurrent_exact, concurrent_batches_are_exact);

async fn closed_store_is_unavailable(db: TestDb) {
    let store = db.open().await;
    store.add_event(new_event("X1", None)).await.unwrap();
    store.close().await;
    let r = store.submit(sub("SM1", "+1555", Some("X1"), 3)).await;
    assert!(matches!(r, Err(StoreError::Unavailable(_))), "{r:?}");
    assert!(store.health().await.is_err());
}
both_backends!(closed_unavailable, closed_store_is_unavailable);

/// Every vote answered before `close` returned is committed and visible after reopening.
async fn close_finishes_in_flight(db: TestDb) {
    let store = db.open().await;
    store.add_event(new_event("FLUSH", None)).await.unwrap();
    let mut tasks = Vec::new();
    for i in 0..300 {
        let store = Arc::clone(&store);
        tasks.push(tokio::spawn(async move {
            store
                .submit(sub(&format!("SM{i}"), &format!("+1{i}"), Some("FLUSH"), 3))
                .await
        }));
    }
    // Close while votes are queued: the first is answered, many others are still waiting.
    let first = tasks.remove(0).await.unwrap();
    assert!(first.is_ok());
    store.close().await;
    let ok = futures_count(tasks).await + 1;
    let again = db.open().await;
    assert_eq!(count(&again, "FLUSH").await.0, ok, "{}", db.backend);
    assert!(ok > 0);
    again.close().await;
}
both_backends!(close_flushes, close_finishes_in_flight);

async fn futures_count(
    tasks: Vec<tokio::task::JoinHandle<Result<sms_ratings::model::Receipt, StoreError>>>,
) -> u64 {
    let mut ok = 0;
    for t in tasks {
        if t.await.unwrap().is_ok() {
            ok += 1;
        }
    }
    ok
}

// ---- Organiser management (schema version 2) ----

/// Edits, state changes, settings, share tokens, hidden comments and resets, on both
/// backends.
async fn organiser_management(db: TestDb) {
    use sms_ratings::store::EventChange;
    let store = db.open().await;
    let code = || "MGMT".parse::<sms_ratings::model::EventCode>().unwrap();
    let settings_of =
        async |store: &Arc<dyn Store>| store.event_settings(code()).await.unwrap().unwrap();
    store
        .add_event(new_event("MGMT", Some(NUMBER)))
        .await
        .unwrap();
    let settings = settings_of(&store).await;
    assert!(
        !settings.archived && !settings.results_hidden,
        "{}",
        db.backend
    );
    assert_eq!(settings.share_token, None);

    let mut edit = new_event("MGMT", None);
    edit.name = "Renamed".into();
    edit.closes = Some(Timestamp::from_millis(4_000_000_000_000));
    let edited = store.edit_event(edit).await.unwrap();
    assert_eq!(
        (edited.name.as_str(), edited.number.as_deref()),
        ("Renamed", None)
    );
    let missing = store.edit_event(new_event("NOPE", None)).await;
    assert!(matches!(missing, Err(StoreError::UnknownEvent(_))));

    let past = Timestamp::from_millis(1_000);
    let mut closing = new_event("PAST", None);
    closing.closes = Some(past);
    closing.opens = Some(Timestamp::from_millis(500));
    store.add_event(closing).await.unwrap();
    let opened = store
        .change_event(
            "PAST".parse().unwrap(),
            EventChange::OpenNow(Timestamp::now()),
        )
        .await
        .unwrap();
    assert!(opened.is_open_at(Timestamp::now()), "{opened:?}");
    assert_eq!(
        (opened.opens, opened.closes),
        (None, None),
        "a past closing time goes"
    );

    let archived = store
        .change_event(code(), EventChange::Archive)
        .await
        .unwrap();
    assert!(archived.closed);
    assert!(settings_of(&store).await.archived);
    store
        .change_event(code(), EventChange::Unarchive)
        .await
        .unwrap();
    let reopened = store
        .change_event(code(), EventChange::OpenNow(Timestamp::now()))
        .await
        .unwrap();
    assert!(!reopened.closed);
    assert_eq!(
        reopened.closes, edited.closes,
        "a future closing time stays"
    );
    store
        .change_event(code(), EventChange::HideResults(true))
        .await
        .unwrap();
    assert!(settings_of(&store).await.results_hidden);
    let unknown = store
        .change_event("NOPE".parse().unwrap(), EventChange::Close)
        .await;
    assert!(matches!(unknown, Err(StoreError::UnknownEvent(_))));

    let token = "t".repeat(43);
    store
        .change_event(code(), EventChange::Share(Some(token.clone())))
        .await
        .unwrap();
    let shared = store.event_by_share_token(token.clone()).await.unwrap();
    assert_eq!(shared.unwrap().code, code());
    assert!(
        store
            .event_by_share_token("u".repeat(43))
            .await
            .unwrap()
            .is_none()
    );
    store
        .change_event(code(), EventChange::Share(None))
        .await
        .unwrap();
    assert!(store.event_by_share_token(token).await.unwrap().is_none());

    for (i, phone) in ["+15550000001", "+15550000002"].into_iter().enumerate() {
        store
            .submit(sub(&format!("SMM{i}"), phone, Some("MGMT"), 4))
            .await
            .unwrap();
    }
    assert!(
        store
            .hide_comment(code(), "SMM1".into(), true)
            .await
            .unwrap()
    );
    assert!(
        !store
            .hide_comment(code(), "SMX".into(), true)
            .await
            .unwrap()
    );
    let shown = store.latest_comments(code(), 10).await.unwrap().unwrap();
    assert_eq!(shown.len(), 1, "hidden comments leave the latest list");
    assert_eq!(shown[0].message_sid, "SMM0");
    let all = store.ratings(code()).await.unwrap().unwrap();
    let flags: Vec<_> = all
        .iter()
        .map(|r| (r.message_sid.as_str(), r.hidden))
        .collect();
    assert_eq!(flags, [("SMM0", false), ("SMM1", true)]);
    assert_eq!(
        count(&store, "MGMT").await.0,
        2,
        "a hidden comment's vote counts"
    );

    assert_eq!(store.reset_votes(code()).await.unwrap(), 2);
    assert_eq!(count(&store, "MGMT").await.0, 0);
    assert_eq!(store.reset_votes(code()).await.unwrap(), 0);
    let gone = store.reset_votes("NOPE".parse().unwrap()).await;
    assert!(matches!(gone, Err(StoreError::UnknownEvent(_))));
    // The reset event takes new votes; an old MessageSid stays processed.
    let again = store
        .submit(sub("SMM0", "+15550000001", Some("MGMT"), 4))
        .await
        .unwrap();
    assert!(again.is_duplicate());
    store.close().await;
}
both_backends!(organiser_manage, organiser_management);
