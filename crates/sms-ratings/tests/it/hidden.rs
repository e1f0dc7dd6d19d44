//! "Hide results" hides them: while hidden, no rating in any form reaches the projector or
//! the audience page — their HTML (page source included), JSON snapshots and event streams
//! carry the vote count and the comments' text only (issue 22 item 9, issue 20).

use sms_ratings::store::EventChange;

use crate::e2e::add;
use crate::server::{NUMBER, TestServer};
use crate::starve::{SHARE, share};
use crate::support::TestDb;

/// Every view the room sees, as bytes: (what, body).
async fn room_views(s: &TestServer) -> Vec<(String, String)> {
    let mut views = Vec::new();
    for path in ["/events/SHY", "/api/events/SHY/snapshot"] {
        let r = s.get_admin(path).await;
        assert_eq!(r.status(), 200, "{path}");
        views.push((path.to_owned(), r.text().await.unwrap()));
    }
    for path in [format!("/p/{SHARE}"), format!("/p/{SHARE}/snapshot")] {
        let r = s.get(&path).await;
        assert_eq!(r.status(), 200, "{path}");
        views.push((path, r.text().await.unwrap()));
    }
    let organiser = s.get_admin("/events/SHY/live").await;
    views.push(("/events/SHY/live".into(), first_event(organiser).await));
    let public = s.get(&format!("/p/{SHARE}/live")).await;
    views.push((format!("/p/{SHARE}/live"), first_event(public).await));
    views
}

/// The raw bytes of a stream's first `snapshot` event.
async fn first_event(mut stream: reqwest::Response) -> String {
    assert_eq!(stream.status(), 200);
    let mut buffer = String::new();
    while !(buffer.contains("event: snapshot") && buffer.ends_with("\n\n")) {
        let chunk = tokio::time::timeout(std::time::Duration::from_secs(10), stream.chunk())
            .await
            .expect("a snapshot within 10 s")
            .unwrap()
            .expect("stream open");
        buffer.push_str(std::str::from_utf8(&chunk).unwrap());
    }
    buffer
}

/// What gives a rating away, in JSON or in the page (checked with the page's escaped
/// attribute decoded, so the snapshot embedded in it counts): a comment's rating, the
/// histogram's entries, the average, the timeline's sums, the per-channel counts, the star
/// labels and bars.
const RATING_MARKS: &[&str] = &[
    "\"rating\"",
    "\"1\":",
    "\"5\":",
    "\"sum\"",
    "\"sms\":3",
    "\"average\":3",
    "3.7",
    "4★",
    "2★",
    "5★",
    "data-bar=",
];

/// `body` with the HTML escapes askama writes decoded.
fn decoded(body: &str) -> String {
    body.replace("&#34;", "\"")
        .replace("&#39;", "'")
        .replace("&#60;", "<")
        .replace("&#62;", ">")
        .replace("&#38;", "&")
}

fn marks_in(body: &str) -> Vec<&'static str> {
    let body = decoded(body);
    RATING_MARKS
        .iter()
        .copied()
        .filter(|m| body.contains(m))
        .collect()
}

/// Hides (or reveals) the results of `SHY` through the service, as the manage page's action
/// does (so the live pages learn of it at once).
async fn hide(s: &TestServer, hidden: bool) {
    s.ratings
        .change_event("SHY".parse().unwrap(), EventChange::HideResults(hidden))
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hidden_results_send_no_rating_to_the_projector_or_the_audience() {
    let db = TestDb::sqlite();
    let s = TestServer::start(&db.location).await;
    add(&s, "SHY", Some(NUMBER)).await;
    share(&s, "SHY").await;
    for (n, text) in ["4 solid, a bit long", "2 too quiet", "5 loved it"]
        .iter()
        .enumerate()
    {
        let (status, _) = s
            .sms(&format!("SMshy{n}"), &format!("+1415555070{n}"), text)
            .await;
        assert_eq!(status, 200);
    }
    hide(&s, true).await;
    for (what, body) in room_views(&s).await {
        assert_eq!(
            marks_in(&body),
            Vec::<&str>::new(),
            "{what} while hidden:\n{body}"
        );
        assert!(body.contains("solid, a bit long"), "{what}: comments stay");
        assert!(
            decoded(&body).contains("\"count\":3"),
            "{what}: the count stays"
        );
    }

    // Revealed: the same views carry the ratings again (so the marks above are real ones).
    hide(&s, false).await;
    for (what, body) in room_views(&s).await {
        let found = marks_in(&body);
        for mark in ["\"rating\"", "\"sum\"", "\"5\":", "\"sms\":3", "3.7"] {
            assert!(
                found.contains(&mark),
                "{what} revealed lacks {mark}: {found:?}"
            );
        }
    }
    s.stop().await;
}
