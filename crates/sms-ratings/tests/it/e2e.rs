//! End to end over real HTTP with signed requests, on SQLite and PostgreSQL.

use std::time::Duration;

use reqwest::StatusCode;
use sms_ratings::model::NewEvent;

use crate::both_backends;
use crate::server::{NUMBER, TestServer, form, sms_params};
use crate::support::TestDb;

pub async fn add(server: &TestServer, code: &str, number: Option<&str>) {
    server
        .store
        .add_event(NewEvent {
            code: code.parse().unwrap(),
            name: format!("{code} Conf"),
            number: number.map(str::to_owned),
            opens: None,
            closes: None,
            time_zone: None,
        })
        .await
        .unwrap();
}

async fn rate_and_rerate(db: TestDb) {
    let s = TestServer::start(&db.location).await;
    add(&s, "RUST25", Some(NUMBER)).await;
    let (status, reply) = s.sms("SM001", "+14155550001", "4 great talk").await;
    assert_eq!(status, 200);
    assert!(reply.contains("4/5") && reply.contains("RUST25"), "{reply}");
    let (status, reply) = s.sms("SM002", "+14155550001", "rust25 ★★").await;
    assert_eq!(status, 200);
    assert!(
        reply.contains("2/5") && reply.contains("replaces"),
        "{reply}"
    );
    let r = s.results("rust25").await;
    assert_eq!(r["count"], 1);
    assert_eq!(r["average"], 2.0);
    assert_eq!(r["histogram"]["2"], 1);
    assert_eq!(r["histogram"]["4"], 0);
    assert_eq!(r["code"], "RUST25");
    assert_eq!(r["open"], true);
    assert!(r["updated_at"].as_str().unwrap().ends_with('Z'));
    s.stop().await;
}
both_backends!(e2e_rate_rerate, rate_and_rerate);

async fn two_events(db: TestDb) {
    let s = TestServer::start(&db.location).await;
    add(&s, "ALPHA", Some(NUMBER)).await;
    add(&s, "BETA", Some(NUMBER)).await;
    let (status, reply) = s.sms("SM1", "+14155550001", "5").await;
    assert_eq!(status, 200);
    assert!(
        reply.contains("ALPHA") && reply.contains("BETA"),
        "asks for a code: {reply}"
    );
    assert_eq!(s.sms("SM2", "+14155550001", "alpha 5").await.0, 200);
    assert_eq!(s.sms("SM3", "+14155550001", "Beta 3/5 ok").await.0, 200);
    assert_eq!(s.sms("SM4", "+14155550002", "beta 1").await.0, 200);
    assert_eq!(s.count("ALPHA").await, 1);
    assert_eq!(s.results("BETA").await["average"], 2.0);
    s.stop().await;
}
both_backends!(e2e_two_events, two_events);

async fn closed_unknown_and_help(db: TestDb) {
    let s = TestServer::start(&db.location).await;
    add(&s, "DONE", Some(NUMBER)).await;
    s.store.close_event("DONE".parse().unwrap()).await.unwrap();
    let (status, reply) = s.sms("SM1", "+14155550001", "5").await;
    assert_eq!(status, 200);
    assert!(reply.contains("closed"), "{reply}");
    let (_, reply) = s.sms("SM2", "+14155550001", "NOPE 5").await;
    assert!(reply.contains("NOPE"), "{reply}");
    let (status, reply) = s.sms("SM3", "+14155550001", "what is this").await;
    assert_eq!(status, 200);
    assert!(reply.starts_with("To rate"), "{reply}");
    assert_eq!(s.count("DONE").await, 0);
    s.stop().await;
}
both_backends!(e2e_closed_help, closed_unknown_and_help);

async fn forged_and_malformed(db: TestDb) {
    let s = TestServer::start(&db.location).await;
    add(&s, "SAFE", Some(NUMBER)).await;
    let params = sms_params("SM1", "+14155550001", NUMBER, "5");
    let params: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let good = s.sign(&params);
    // Signed for a 1, sent with a 5.
    let mut tampered = params.clone();
    tampered[2] = ("Body", "1");
    let forged = s.sign(&tampered);
    assert_eq!(s.post(&params, &forged, &[]).await.status(), 403);
    // Another token's signature.
    let other = twilio_webhook::Key::auth_token("x", "another-token").unwrap();
    let sig = other.sign(&format!("{}/sms", s.base), params.iter().copied());
    assert_eq!(s.post(&params, &sig, &[]).await.status(), 403);
    // No signature; garbage signature.
    let unsigned = s
        .client
        .post(format!("{}/sms", s.base))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form(&params))
        .send()
        .await
        .unwrap();
    assert_eq!(unsigned.status(), 400);
    assert_eq!(s.post(&params, "not base64!", &[]).await.status(), 400);
    // Wrong content type and method.
    let json = s
        .client
        .post(format!("{}/sms", s.base))
        .header("content-type", "application/json")
        .header("x-twilio-signature", good.as_str())
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(json.status(), 415);
    let get = s.get("/sms").await;
    assert_eq!(get.status(), 405);
    assert_eq!(s.count("SAFE").await, 0, "nothing stored");
    // The genuine request still works afterwards.
    assert_eq!(s.post(&params, &good, &[]).await.status(), 200);
    assert_eq!(s.count("SAFE").await, 1);
    s.stop().await;
}
both_backends!(e2e_forged, forged_and_malformed);

async fn replays_have_no_second_effect(db: TestDb) {
    let s = TestServer::start(&db.location).await;
    add(&s, "ONCE", Some(NUMBER)).await;
    let params = sms_params("SMreplay", "+14155550001", NUMBER, "5");
    let params: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let sig = s.sign(&params);
    let token = [(
        "i-twilio-idempotency-token",
        "d50dc30c-5d0d-418d-92ea-12cd8fd05f09",
    )];
    let first = s.post(&params, &sig, &token).await;
    assert_eq!(first.status(), 200);
    let first = first.text().await.unwrap();
    let changed = [(
        "i-twilio-idempotency-token",
        "00000000-1111-2222-3333-444444444444",
    )];
    // Byte-identical replay with another idempotency token: the layer's replay guard answers
    // with the stored response; the handler does not run.
    let replay = s.post(&params, &sig, &changed).await;
    assert_eq!(replay.status(), 200);
    assert_eq!(replay.text().await.unwrap(), first);
    // Same MessageSid, different (validly signed) content: still one vote, the first reply.
    let (status, reply) = s.sms("SMreplay", "+14155550001", "1").await;
    assert_eq!(status, 200);
    assert_eq!(crate::server::message_text(&first), reply);
    let r = s.results("ONCE").await;
    assert_eq!(r["count"], 1);
    assert_eq!(r["average"], 5.0);
    s.stop().await;
}
both_backends!(e2e_replay, replays_have_no_second_effect);

async fn oversized_body(db: TestDb) {
    let s = TestServer::start(&db.location).await;
    add(&s, "BIG", Some(NUMBER)).await;
    let huge = "5 ".to_owned() + &"x".repeat(sms_ratings::server::BODY_LIMIT);
    let params = sms_params("SMbig", "+14155550001", NUMBER, &huge);
    let params: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.as_str())).collect();
    // Its own connection: the server answers 413 before reading the body and closes it.
    let response = crate::support::http_client()
        .post(format!("{}/sms", s.base))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("x-twilio-signature", s.sign(&params))
        .body(form(&params))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(s.count("BIG").await, 0);
    s.stop().await;
}
both_backends!(e2e_oversized, oversized_body);

async fn organiser_api(db: TestDb) {
    let s = TestServer::start(&db.location).await;
    add(&s, "API", Some(NUMBER)).await;
    s.sms("SM1", "+14155551234", "4 =cmd|' /C calc'!A0, \"quoted\"")
        .await;
    // No or wrong credentials: 401 with a challenge.
    let anon = s.get("/api/events").await;
    assert_eq!(anon.status(), 401);
    // The challenge names the configured realm (the library's BasicAuth answers it).
    let challenge = anon.headers()["www-authenticate"].to_str().unwrap();
    assert!(
        challenge.starts_with("Basic") && challenge.contains("sms-ratings organisers"),
        "{challenge}"
    );
    let wrong = s
        .client
        .get(format!("{}/api/events", s.base))
        .basic_auth("organiser", Some("guess"))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);
    let events: serde_json::Value =
        serde_json::from_str(&s.get_admin("/api/events").await.text().await.unwrap()).unwrap();
    assert_eq!(events[0]["code"], "API");
    assert_eq!(events[0]["open"], true);
    let csv = s.get_admin("/api/events/api/ratings.csv").await;
    assert_eq!(csv.status(), 200);
    assert!(
        csv.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let csv = csv.text().await.unwrap();
    assert!(
        csv.contains("\"1•••••1234\",4,\"'=cmd|' /C calc'!A0, \"\"quoted\"\"\""),
        "{csv}"
    );
    assert!(!csv.contains("4155551234"));
    let json = s
        .get_admin("/api/events/API/ratings")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        json.contains("+1•••••1234") && !json.contains("4155551234"),
        "{json}"
    );
    assert_eq!(s.get_admin("/api/events/NOPE/results").await.status(), 404);
    assert_eq!(
        s.get_admin("/api/events/%2F%2E/results").await.status(),
        404
    );
    let health = s.get("/healthz").await;
    assert_eq!(health.status(), 200);
    let metrics = s.get("/metrics").await;
    assert!(
        metrics
            .text()
            .await
            .unwrap()
            .contains("sms_ratings_webhooks_total")
    );
    s.stop().await;
}
both_backends!(e2e_api, organiser_api);

/// A live page subscribes to new ratings.
async fn notifications(db: TestDb) {
    let s = TestServer::start(&db.location).await;
    add(&s, "LIVE", Some(NUMBER)).await;
    let mut live = s.ratings.subscribe();
    s.sms("SM1", "+14155550001", "3").await;
    let notice = tokio::time::timeout(Duration::from_secs(5), live.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(notice.event.code, "LIVE");
    assert_eq!(notice.rating.get(), 3);
    s.stop().await;
}
both_backends!(e2e_notify, notifications);

/// Shutdown while votes are in flight: every vote that got a 2xx is committed.
async fn shutdown_keeps_acknowledged_votes(db: TestDb) {
    let s = std::sync::Arc::new(TestServer::start(&db.location).await);
    add(&s, "STOP", Some(NUMBER)).await;
    let first_ack = std::sync::Arc::new(tokio::sync::Notify::new());
    let mut tasks = Vec::new();
    for i in 0..300 {
        let s = std::sync::Arc::clone(&s);
        let first_ack = std::sync::Arc::clone(&first_ack);
        tasks.push(tokio::spawn(async move {
            let params = sms_params(
                &format!("SMstop{i}"),
                &format!("+1415555{i:04}"),
                NUMBER,
                "STOP 4",
            );
            let params: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let response = s
                .client
                .post(format!("{}/sms", s.base))
                .header("content-type", "application/x-www-form-urlencoded")
                .header("x-twilio-signature", s.sign(&params))
                .body(form(&params))
                .send()
                .await;
            let ok = response.is_ok_and(|r| r.status() == 200);
            if ok {
                first_ack.notify_one();
            }
            ok
        }));
    }
    first_ack.notified().await;
    s.signal_stop(); // with most votes still in flight
    let mut acked = 0u64;
    for t in tasks {
        acked += u64::from(t.await.unwrap());
    }
    std::sync::Arc::into_inner(s).unwrap().stop().await;
    let again = TestServer::start(&db.location).await;
    assert_eq!(again.count("STOP").await, acked, "{}", db.backend);
    assert!(acked > 0);
    again.stop().await;
}
both_backends!(e2e_shutdown, shutdown_keeps_acknowledged_votes);

/// Over HTTP: `five - loved it` keeps the comment without its dash, and a name too
/// long for one segment gives way to the code instead of being cut mid-word.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn worded_rating_dash_and_a_long_name() {
    let db = TestDb::sqlite();
    let s = TestServer::start(&db.location).await;
    let name = "Journées européennes du logiciel libre — keynote du matin";
    s.store
        .add_event(NewEvent {
            code: "JELL".parse().unwrap(),
            name: name.into(),
            number: Some(NUMBER.into()),
            opens: None,
            closes: None,
            time_zone: None,
        })
        .await
        .unwrap();
    let (status, reply) = s.sms("SM1", "+14155550001", "five - loved it").await;
    assert_eq!(status, 200);
    assert!(
        reply.contains("Thanks! Your 5/5 for JELL is recorded."),
        "{reply}"
    );
    assert!(!reply.contains("Journ"), "no name cut mid-word: {reply}");
    let ratings = s.get_admin("/api/events/JELL/ratings").await;
    let ratings: serde_json::Value = serde_json::from_str(&ratings.text().await.unwrap()).unwrap();
    assert_eq!(ratings[0]["comment"], "loved it", "{ratings}");
    s.stop().await;
}
