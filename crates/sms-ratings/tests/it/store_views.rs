//! The storage suite, continued: the queries the results page needs (timeline, latest
//! comments), on SQLite and on PostgreSQL.

use std::time::Duration;

use sms_ratings::model::Timestamp;

use crate::both_backends;
use crate::store::{new_event, sub};
use crate::support::TestDb;

async fn timeline_buckets_votes(db: TestDb) {
    let store = db.open().await;
    store.add_event(new_event("TIME", None)).await.unwrap();
    store.add_event(new_event("OTHER", None)).await.unwrap();
    let minute = 60_000;
    let base = 1_800_000_000_000 - 1_800_000_000_000 % minute;
    // (sid, phone, rating, offset from base in ms)
    let votes = [
        ("SM1", "+1001", 5, 1_000),
        ("SM2", "+1002", 3, 59_999),
        ("SM3", "+1003", 4, minute),
        ("SM4", "+1004", 1, 3 * minute + 5),
        // Re-rate: +1001 now counts in the last bucket only, with its new rating.
        ("SM5", "+1001", 2, 3 * minute + 10),
    ];
    for (sid, phone, rating, offset) in votes {
        let mut s = sub(sid, phone, Some("TIME"), rating);
        s.at = Timestamp::from_millis(base + offset);
        store.submit(s).await.unwrap();
    }
    store
        .submit(sub("SM9", "+1009", Some("OTHER"), 5))
        .await
        .unwrap();
    let t = store
        .timeline("time".parse().unwrap(), Duration::from_secs(60))
        .await
        .unwrap()
        .unwrap();
    let got: Vec<_> = t
        .iter()
        .map(|b| (b.start.millis() - base, b.count, b.sum))
        .collect();
    assert_eq!(
        got,
        [(0, 1, 3), (minute, 1, 4), (3 * minute, 2, 3)],
        "{}",
        db.backend
    );
    let results = store
        .results("TIME".parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(t.iter().map(|b| b.count).sum::<u64>(), results.count);
    let wide = store
        .timeline("TIME".parse().unwrap(), Duration::from_secs(3600))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(wide.iter().map(|b| b.sum).sum::<u64>(), 10);
    assert!(
        store
            .timeline("NOPE".parse().unwrap(), Duration::from_secs(60))
            .await
            .unwrap()
            .is_none()
    );
    store.close().await;
}
both_backends!(timeline, timeline_buckets_votes);

async fn latest_comments_newest_first(db: TestDb) {
    let store = db.open().await;
    store.add_event(new_event("TALK", None)).await.unwrap();
    for i in 0..5i64 {
        let mut s = sub(&format!("SM{i}"), &format!("+100{i}"), Some("TALK"), 4);
        s.at = Timestamp::from_millis(1_000_000 + i);
        if i == 2 {
            s.vote.comment.clear();
        }
        store.submit(s).await.unwrap();
    }
    let latest = store
        .latest_comments("TALK".parse().unwrap(), 3)
        .await
        .unwrap()
        .unwrap();
    let comments: Vec<_> = latest.iter().map(|r| r.comment.as_str()).collect();
    assert_eq!(
        comments,
        ["comment SM4", "comment SM3", "comment SM1"],
        "{}: newest first, empty comments skipped",
        db.backend
    );
    assert_eq!(latest[0].phone, "+1004");
    assert!(
        store
            .latest_comments("NOPE".parse().unwrap(), 3)
            .await
            .unwrap()
            .is_none()
    );
    store.close().await;
}
both_backends!(latest_comments, latest_comments_newest_first);
