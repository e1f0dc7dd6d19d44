//! The results pages over real HTTP: auth, security headers, escaping, the live stream.

use std::time::Duration;

use sms_ratings::server::CONTENT_SECURITY_POLICY;

use crate::e2e::add;
use crate::server::{ADMIN, NUMBER, TestServer};
use crate::support::TestDb;

const HOSTILE: &str = "<img src=x onerror=alert(1)> \"quoted\" 'single' </script>&amp;";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_need_auth_and_carry_security_headers() {
    let db = TestDb::sqlite();
    let s = TestServer::start(&db.location).await;
    add(&s, "RUST25", Some(NUMBER)).await;
    for path in [
        "/",
        "/events/RUST25",
        "/events/RUST25/live",
        "/api/events/RUST25/snapshot",
    ] {
        let anonymous = s
            .client
            .get(format!("{}{path}", s.base))
            .send()
            .await
            .unwrap();
        assert_eq!(anonymous.status(), 401, "{path}");
        let wrong = s
            .client
            .get(format!("{}{path}", s.base))
            .basic_auth(ADMIN.0, Some("wrong"))
            .send()
            .await
            .unwrap();
        assert_eq!(wrong.status(), 401, "{path}");
    }
    for path in ["/", "/events/rust25"] {
        let r = s.get_admin(path).await;
        assert_eq!(r.status(), 200, "{path}");
        let h = r.headers();
        assert_eq!(h["content-security-policy"], CONTENT_SECURITY_POLICY);
        assert_eq!(h["x-content-type-options"], "nosniff");
        assert_eq!(h["referrer-policy"], "no-referrer");
        assert_eq!(h["cache-control"], "no-store");
        assert!(h["content-type"].to_str().unwrap().starts_with("text/html"));
    }
    assert!(CONTENT_SECURITY_POLICY.contains("script-src 'self'"));
    assert!(!CONTENT_SECURITY_POLICY.contains("unsafe-inline"));
    assert_eq!(s.get_admin("/events/NOPE").await.status(), 404);
    assert_eq!(s.get_admin("/events/not%20a%20code").await.status(), 404);
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn assets_are_embedded_and_public() {
    let db = TestDb::sqlite();
    let s = TestServer::start(&db.location).await;
    for (path, kind, needle) in [
        ("/assets/app.js", "text/javascript", "textContent"),
        ("/assets/app.css", "text/css", "prefers-color-scheme"),
    ] {
        let r = s
            .client
            .get(format!("{}{path}", s.base))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{path}");
        assert!(
            r.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with(kind)
        );
        assert_eq!(r.headers()["x-content-type-options"], "nosniff");
        assert!(r.text().await.unwrap().contains(needle), "{path}");
    }
    s.stop().await;
}

/// The hostile comment is escaped in text and inside the JSON `data-` attribute, and the page
/// holds no inline script or event handler at all.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn comments_are_escaped_everywhere() {
    let db = TestDb::sqlite();
    let s = TestServer::start(&db.location).await;
    add(&s, "XSS", Some(NUMBER)).await;
    let body = format!("2 {HOSTILE} call +14155559876");
    assert_eq!(s.sms("SM1", "+14155550001", &body).await.0, 200);
    let html = s.get_admin("/events/XSS").await.text().await.unwrap();
    // (The one `<img` is the QR code of the event's `sms:` link.)
    assert!(!html.contains("<img src=x"), "raw markup in the page");
    assert!(!html.contains("onerror=alert(1)>"));
    assert!(
        html.contains("&#60;img src=x onerror=alert(1)&#62;"),
        "escaped text is shown"
    );
    assert!(
        !html.contains("</script>&"),
        "a comment cannot close a script"
    );
    assert!(!html.contains("5559876"), "numbers in comments are masked");
    assert!(!html.contains("4155550001"), "the sender is masked");
    assert!(
        !html.contains("•••••0001"),
        "the wall shows no sender at all, not even masked"
    );
    let manage = s
        .get_admin("/events/XSS/manage")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        manage.contains("+1•••••0001"),
        "the organiser sees it masked"
    );
    assert!(!manage.contains("4155550001"));
    // Only the one external script; no inline handlers.
    assert_eq!(html.matches("<script").count(), 1);
    assert!(html.contains("<script src=\"/assets/app.js\" defer></script>"));
    // Escaped text holds no `<`, so every `<…>` is a real tag: none has an `on…=` attribute.
    for tag in html.split('<').skip(1).filter_map(|t| t.split('>').next()) {
        let handler = attribute_names(tag).any(|name| name.to_ascii_lowercase().starts_with("on"));
        assert!(!handler, "inline event handler in <{tag}>");
    }
    // The data attribute decodes back to the exact snapshot the API serves.
    let start = html.find("data-snapshot=\"").unwrap() + "data-snapshot=\"".len();
    let end = start + html[start..].find('"').unwrap();
    let attr = html[start..end]
        .replace("&#60;", "<")
        .replace("&#62;", ">")
        .replace("&#34;", "\"")
        .replace("&#39;", "'")
        .replace("&#38;", "&");
    let embedded: serde_json::Value = serde_json::from_str(&attr).unwrap();
    let api = s
        .get_admin("/api/events/XSS/snapshot")
        .await
        .text()
        .await
        .unwrap();
    let api: serde_json::Value = serde_json::from_str(&api).unwrap();
    assert_eq!(embedded["comments"], api["comments"]);
    assert_eq!(embedded["results"], s.raw_results("XSS").await);
    let comment = api["comments"][0]["comment"].as_str().unwrap();
    assert!(
        comment.starts_with(HOSTILE),
        "JSON keeps the text exactly: {comment}"
    );
    s.stop().await;
}

/// The attribute names of a tag's inside (`a href="…" class=x`), skipping quoted values.
fn attribute_names(tag: &str) -> impl Iterator<Item = String> + '_ {
    let mut names = Vec::new();
    let (mut quote, mut name, mut at_name) = (None, String::new(), false);
    for c in tag.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'') => quote = Some(c),
            (None, c) if c.is_whitespace() => {
                names.push(std::mem::take(&mut name));
                at_name = true;
            }
            (None, '=') => {
                names.push(std::mem::take(&mut name));
                at_name = false;
            }
            (None, c) if at_name => name.push(c),
            _ => {}
        }
    }
    names.push(name);
    names.into_iter().filter(|n| !n.is_empty())
}

#[test]
fn attribute_names_skip_values() {
    let names: Vec<_> = attribute_names("p title=\"a onclick=x\" onclick='y' data-x").collect();
    assert_eq!(names, ["title", "onclick", "data-x"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn index_lists_events_with_figures() {
    let db = TestDb::sqlite();
    let s = TestServer::start(&db.location).await;
    add(&s, "ALPHA", Some(NUMBER)).await;
    add(&s, "BETA", None).await;
    s.store.close_event("BETA".parse().unwrap()).await.unwrap();
    s.store
        .add_event(sms_ratings::model::NewEvent {
            code: "EVIL".parse().unwrap(),
            name: "<script>alert(1)</script> & \"Co\"".into(),
            number: None,
            opens: None,
            closes: None,
            time_zone: None,
        })
        .await
        .unwrap();
    let page = s.get_admin("/events/EVIL").await.text().await.unwrap();
    assert!(page.contains(
        "<h1 dir=\"auto\">&#60;script&#62;alert(1)&#60;/script&#62; &#38; &#34;Co&#34;</h1>"
    ));
    assert!(
        page.contains("Text <kbd class=\"keyword\">EVIL 4</kbd> to</p>"),
        "no number: code needed"
    );
    assert!(page.contains("the event number"));
    s.sms("SM1", "+14155550001", "alpha 4").await;
    s.sms("SM2", "+14155550002", "alpha 5").await;
    let html = s.get_admin("/").await.text().await.unwrap();
    assert!(html.contains("href=\"/events/ALPHA\""));
    assert!(html.contains("+1 500 555 0006"), "number formatted");
    assert!(
        html.contains(
            "<td class=\"num\" data-label=\"Votes\">2</td>\
             <td class=\"num\" data-label=\"Average\">4.5</td>"
        ),
        "{html}"
    );
    assert!(html.contains("data-state=\"closed\""));
    assert!(!html.contains("<script>alert"), "event names are escaped");
    assert_eq!(html.matches("<script").count(), 1);
    s.stop().await;
}

/// Reads server-sent events until one named `snapshot` arrives; returns its data.
pub async fn next_snapshot(
    response: &mut reqwest::Response,
    buffer: &mut String,
) -> serde_json::Value {
    loop {
        if let Some(end) = buffer.find("\n\n") {
            let event: String = buffer.drain(..end + 2).collect();
            if event.lines().any(|l| l == "event: snapshot") {
                let data: String = event
                    .lines()
                    .filter_map(|l| l.strip_prefix("data: "))
                    .collect();
                return serde_json::from_str(&data).unwrap();
            }
            continue;
        }
        let chunk = tokio::time::timeout(Duration::from_secs(10), response.chunk())
            .await
            .expect("a snapshot within 10 s")
            .unwrap()
            .expect("stream still open");
        buffer.push_str(std::str::from_utf8(&chunk).unwrap());
    }
}

/// The stream sends the snapshot on connect and again within a second of a vote for its
/// event (not for other events); shutdown ends it instead of waiting on it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn live_stream_pushes_each_vote_and_ends_on_shutdown() {
    let db = TestDb::sqlite();
    let s = TestServer::start(&db.location).await;
    add(&s, "LIVE", None).await;
    add(&s, "QUIET", None).await;
    let mut stream = s.get_admin("/events/live/live").await;
    assert_eq!(stream.status(), 200);
    assert_eq!(stream.headers()["content-type"], "text/event-stream");
    assert_eq!(stream.headers()["x-accel-buffering"], "no");
    assert_eq!(
        stream.headers()["content-security-policy"],
        CONTENT_SECURITY_POLICY
    );
    let mut buffer = String::new();
    let first = next_snapshot(&mut stream, &mut buffer).await;
    assert_eq!(first["results"]["count"], 0);
    assert_eq!(first["state"], "open");
    s.sms("SM0", "+14155550009", "quiet 1").await;
    let sent = std::time::Instant::now();
    s.sms("SM1", "+14155550001", "live 5 superb").await;
    let next = next_snapshot(&mut stream, &mut buffer).await;
    assert!(
        sent.elapsed() < Duration::from_secs(1),
        "{:?}",
        sent.elapsed()
    );
    assert_eq!(next["results"]["count"], 1);
    assert_eq!(next["average_text"], "5.0");
    assert_eq!(next["comments"][0]["comment"], "superb");
    assert_eq!(next["timeline"]["buckets"][0]["count"], 1);
    assert_eq!(next["results"], s.raw_results("LIVE").await);
    tokio::time::timeout(Duration::from_secs(5), s.stop())
        .await
        .expect("shutdown does not wait for open event streams");
}

/// A vote this process was not told about (taken by another instance on the same database)
/// still reaches the page: the stream re-reads every few seconds.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn live_stream_sees_votes_of_other_instances() {
    let db = TestDb::sqlite();
    let s = TestServer::start(&db.location).await;
    add(&s, "SHARED", None).await;
    let mut stream = s.get_admin("/events/SHARED/live").await;
    let mut buffer = String::new();
    assert_eq!(
        next_snapshot(&mut stream, &mut buffer).await["results"]["count"],
        0
    );
    // Straight into the store: no notification, as with a vote taken by another instance.
    let vote = sms_ratings::model::Vote {
        code: Some("SHARED".parse().unwrap()),
        rating: sms_ratings::model::Rating::new(3).unwrap(),
        comment: String::new(),
    };
    s.store
        .submit(sms_ratings::model::Submission {
            idempotency_key: "SMX1".into(),
            phone: "+14155550001".into(),
            to: NUMBER.into(),
            vote,
            at: sms_ratings::model::Timestamp::now(),
            channel: sms_ratings::model::Channel::Sms,
            caller: sms_ratings::model::CallerId::Trusted,
            quiet: false,
        })
        .await
        .unwrap();
    let next = tokio::time::timeout(
        Duration::from_secs(8),
        next_snapshot(&mut stream, &mut buffer),
    )
    .await
    .expect("the periodic re-read pushes it");
    assert_eq!(next["results"]["count"], 1);
    s.stop().await;
}
