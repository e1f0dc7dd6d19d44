//! The CSV export and the ratings JSON over real HTTP: every text cell quoted, formula
//! starters defused in every cell, phone numbers masked wherever they appear.

use sms_ratings::model::{Rating, Submission, Timestamp, Vote};

use crate::e2e::add;
use crate::server::{NUMBER, TestServer};
use crate::support::TestDb;

/// Stores a vote straight into the store, so a comment can hold what `parse` would clean
/// (tabs, a leading `=`): the export must be safe for any stored text.
async fn vote(s: &TestServer, sid: &str, phone: &str, rating: u8, comment: &str) {
    let vote = Vote {
        code: Some("CSV".parse().unwrap()),
        rating: Rating::new(rating).unwrap(),
        comment: comment.into(),
    };
    s.store
        .submit(Submission {
            idempotency_key: sid.into(),
            phone: phone.into(),
            to: NUMBER.into(),
            vote,
            at: Timestamp::now(),
            channel: sms_ratings::model::Channel::Sms,
        })
        .await
        .unwrap();
}

/// Every cell of a CSV document, read back by a real CSV parser.
fn cells(csv: &str) -> Vec<Vec<String>> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(csv.as_bytes())
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn csv_cells_are_quoted_defused_and_masked() {
    let db = TestDb::sqlite();
    let s = TestServer::start(&db.location).await;
    add(&s, "CSV", Some(NUMBER)).await;
    vote(&s, "SM1", "+14155551234", 4, "x;=1+1;y").await;
    vote(&s, "SM2", "+14155551235", 3, "\t=cmd|' /C calc'!A0").await;
    vote(&s, "SM3", "+14155551236", 5, "+1 415 555 9876 call me").await;
    vote(&s, "SM4", "+14155551237", 2, "-2+3").await;
    vote(&s, "SM5", "+14155551238", 1, "@SUM(A1)\r\nnext").await;
    let response = s.get_admin("/api/events/csv/ratings.csv").await;
    assert_eq!(response.status(), 200);
    let csv = response.text().await.unwrap();

    // Every line of a row starts with a quoted cell: a `;`-splitting spreadsheet sees
    // `"x;=1+1;y"` as one text, never `=1+1` as a cell of its own.
    for line in csv
        .split("\r\n")
        .filter(|l| !l.is_empty() && !l.starts_with("next"))
    {
        assert!(
            line.starts_with('"'),
            "unquoted first cell: {line:?} in {csv}"
        );
    }
    assert!(csv.contains("\"x;=1+1;y\""), "{csv}");
    let rows = cells(&csv);
    assert_eq!(rows[0][0], "phone");
    assert_eq!(rows.len(), 6, "{rows:?}");
    for row in &rows[1..] {
        for cell in row {
            assert!(
                !cell.starts_with(['=', '+', '-', '@', '\t', '\r']),
                "cell {cell:?} starts a formula: {csv}"
            );
        }
        // The phone column: masked, and not a raw leading `+`.
        assert!(row[0].starts_with("'+1•••••"), "{row:?}");
    }
    assert_eq!(rows[2][2], "'\t=cmd|' /C calc'!A0");
    assert_eq!(rows[4][2], "'-2+3");
    for full in ["4155551234", "4155559876", "415 555 9876"] {
        assert!(!csv.contains(full), "{full} in {csv}");
    }
    assert!(
        rows[3][2].ends_with("call me") && rows[3][2].contains("•••••"),
        "{rows:?}"
    );

    // The ratings JSON masks numbers inside comments with the same function.
    let json = s
        .get_admin("/api/events/CSV/ratings")
        .await
        .text()
        .await
        .unwrap();
    for full in ["4155551234", "4155559876", "415 555 9876"] {
        assert!(!json.contains(full), "{full} in {json}");
    }
    assert!(json.contains("9876 call me"), "{json}");
    s.stop().await;
}

/// Issue 22, item 14: numbers written with other separators or full-width digits are masked
/// in the JSON and the CSV alike.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn numbers_in_any_writing_are_masked() {
    let db = TestDb::sqlite();
    let s = TestServer::start(&db.location).await;
    add(&s, "CSV", Some(NUMBER)).await;
    let writings = [
        "call 415/555/0199",
        "or 415_555_0199",
        "+1·415·555·0199 anytime",
        "text ４１５５５５０１９９",
        "＋１ ４１５ ５５５ ０１９９",
    ];
    for (n, comment) in writings.iter().enumerate() {
        vote(
            &s,
            &format!("SM{n}"),
            &format!("+1415555124{n}"),
            4,
            comment,
        )
        .await;
    }
    for path in ["/api/events/CSV/ratings", "/api/events/CSV/ratings.csv"] {
        let text = s.get_admin(path).await.text().await.unwrap();
        for middle in ["555", "５５５"] {
            assert!(!text.contains(middle), "{middle} in {path}: {text}");
        }
        assert_eq!(
            text.matches("•••••0199").count(),
            writings.len(),
            "{path}: {text}"
        );
    }
    s.stop().await;
}

/// "Also by reading": the organiser's JSON and CSV answers are never cached.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn organiser_answers_are_not_cached() {
    let db = TestDb::sqlite();
    let s = TestServer::start(&db.location).await;
    add(&s, "CSV", Some(NUMBER)).await;
    for path in [
        "/api/events",
        "/api/events/CSV/results",
        "/api/events/CSV/ratings",
        "/api/events/CSV/ratings.csv",
        "/api/events/CSV/snapshot",
    ] {
        let response = s.get_admin(path).await;
        assert_eq!(response.status(), 200, "{path}");
        let cache = response.headers().get("cache-control");
        assert_eq!(
            cache.and_then(|v| v.to_str().ok()),
            Some("no-store"),
            "{path}"
        );
    }
    s.stop().await;
}
