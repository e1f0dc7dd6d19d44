//! Conference routing over real HTTP with signed webhooks and a clock the test moves: two
//! rooms, three talks each; texts and calls to a room's number count for the talk whose vote
//! window is open, codes work across rooms, between windows the reply says what is next.

use std::sync::atomic::Ordering;

use sms_ratings::clock::Clock;
use sms_ratings::conference::ConferenceCode;
use sms_ratings::model::Timestamp;
use sms_ratings::service::conference::AgendaImport;
use sms_ratings::store::EventChange;

use crate::both_backends;
use crate::server::TestServer;
use crate::support::TestDb;
use crate::texting::signed;

const HALL_A: &str = "+31207940000";
const HALL_B: &str = "+31207940001";

/// Two rooms, three talks each (Europe/Amsterdam, so 10:00 is 08:00 UTC). Default windows:
/// from 10 minutes before a talk's end to 20 minutes after.
const AGENDA: &str = "code,title,speakers,room,start,end,number
ASYNC,Async in practice,Ann Lee,Hall A,2026-05-04T10:00,2026-05-04T10:30,+31 20 794 0000
TRAIT,Traits explained,Bo Chen,Hall A,2026-05-04T10:40,2026-05-04T11:10,+31 20 794 0000
MACRO,Macros by example,Cy Diaz,Hall A,2026-05-04T11:20,2026-05-04T11:50,+31 20 794 0000
EMBED,Embedded Rust,Di Egan,Hall B,2026-05-04T10:00,2026-05-04T10:45,+31 20 794 0001
WASM,Rust and WebAssembly,Ed Fox,Hall B,2026-05-04T10:50,2026-05-04T11:35,+31 20 794 0001
TOKIO,Tokio internals,Flo Gray,Hall B,2026-05-04T11:45,2026-05-04T12:30,+31 20 794 0001
";

/// 2026-05-04 at `hh:mm` in Amsterdam (UTC+2).
fn at(hh_mm: &str) -> Timestamp {
    let t: jiff::Timestamp = format!("2026-05-04T{hh_mm}:00+02:00").parse().unwrap();
    Timestamp::from_millis(t.as_millisecond())
}

async fn text(s: &TestServer, sid: &str, from: &str, to: &str, body: &str) -> String {
    let (status, reply) = s.sms_to(sid, from, to, body).await;
    assert_eq!(status, 200, "{reply}");
    reply
}

/// A signed call webhook to `to` (`/voice` or, with a key, `/voice/rate`); the TwiML.
async fn call(s: &TestServer, sid: &str, from: &str, to: &str, digits: Option<&str>) -> String {
    let mut params = vec![
        ("AccountSid", "AC00000000000000000000000000000000"),
        ("ApiVersion", "2010-04-01"),
        ("CallSid", sid),
        ("CallStatus", "in-progress"),
        ("Direction", "inbound"),
        ("From", from),
        ("To", to),
        ("StirVerstat", "TN-Validation-Passed-A"),
    ];
    let path = match digits {
        Some(d) => {
            params.push(("Digits", d));
            "/voice/rate"
        }
        None => "/voice",
    };
    let (status, twiml) = signed(s, path, &params).await;
    assert_eq!(status, 200, "{twiml}");
    twiml
}

async fn two_rooms_three_talks(db: TestDb) {
    let clock = Clock::manual(at("09:00"));
    let s = TestServer::start_clocked(&db.location, clock.clone()).await;
    let report = s
        .ratings
        .import_agenda(AgendaImport {
            conference: Some("RUSTDAY".parse().unwrap()),
            file: AGENDA.as_bytes().to_vec(),
            time_zone: Some("Europe/Amsterdam".into()),
            ..AgendaImport::default()
        })
        .await
        .unwrap();
    assert_eq!(report.plan.added.len(), 6);
    let (ann, bo, cy) = ("+14155550101", "+14155550102", "+14155550103");

    // 10:25: Async's window is open in Hall A; Hall B's first window opens at 10:35.
    clock.set(at("10:25"));
    let r = text(&s, "SMr1", ann, HALL_A, "4").await;
    assert!(r.contains("4/5") && r.contains("Async in practice"), "{r}");
    let r = text(&s, "SMr2", ann, HALL_B, "4").await;
    assert!(
        r.contains("Next: Embedded Rust (EMBED) opens 2026-05-04 08:35 UTC"),
        "{r}"
    );
    assert_eq!(s.count("EMBED").await, 0);

    // 10:45: Traits has started in Hall A, but the open window is still Async's.
    clock.set(at("10:45"));
    let r = text(&s, "SMr3", bo, HALL_A, "5 great").await;
    assert!(r.contains("Async in practice"), "{r}");
    let r = text(&s, "SMr4", bo, HALL_B, "3").await;
    assert!(r.contains("Embedded Rust"), "{r}");

    // 10:55: Hall A between windows (Async closed 10:50, Traits opens 11:00).
    clock.set(at("10:55"));
    let r = text(&s, "SMr5", cy, HALL_A, "5").await;
    assert!(
        r.contains("Next: Traits explained (TRAIT) opens 2026-05-04 09:00 UTC")
            && r.contains("Async in practice (ASYNC) closed 2026-05-04 08:50 UTC"),
        "{r}"
    );
    // Codes work from the talk's start, whatever number: TRAIT texted to Hall B's number.
    let r = text(&s, "SMr6", cy, HALL_B, "trait 5").await;
    assert!(r.contains("5/5") && r.contains("Traits explained"), "{r}");
    // ... but not before the talk starts, nor after its window closed.
    let r = text(&s, "SMr7", cy, HALL_A, "MACRO 4").await;
    assert!(r.contains("opens"), "{r}");
    let r = text(&s, "SMr8", cy, HALL_A, "ASYNC 4").await;
    assert!(r.contains("closed"), "{r}");

    // 11:02: a call to Hall B's number is for Embedded Rust (window until 11:05); its title
    // is spoken, and so is the thanks.
    clock.set(at("11:02"));
    let greeting = call(&s, "CAr1", ann, HALL_B, None).await;
    assert!(greeting.contains("To rate Embedded Rust"), "{greeting}");
    let thanks = call(&s, "CAr1", ann, HALL_B, Some("2")).await;
    assert!(thanks.contains("rating of 2 for Embedded Rust"), "{thanks}");
    // A text to Hall A now lands in Traits; Bo re-votes: one vote per phone per talk.
    let r = text(&s, "SMr9", bo, HALL_A, "4").await;
    assert!(r.contains("Traits explained"), "{r}");
    let r = text(&s, "SMr10", bo, HALL_A, "2 changed my mind").await;
    assert!(r.contains("replaces"), "{r}");

    // 11:10: a call between Hall B's windows hears what is next.
    clock.set(at("11:10"));
    let between = call(&s, "CAr2", bo, HALL_B, None).await;
    assert!(between.contains("Rust and WebAssembly"), "{between}");
    assert!(!between.contains("<Gather"), "{between}");

    let count = |code| s.count(code);
    assert_eq!(count("ASYNC").await, 2);
    assert_eq!(count("EMBED").await, 2);
    assert_eq!(count("TRAIT").await, 2, "Cy by code, Bo re-voted once");
    assert_eq!(s.results("TRAIT").await["average"], 3.5);
    for code in ["MACRO", "WASM", "TOKIO"] {
        assert_eq!(count(code).await, 0, "{code}");
    }
    s.stop().await;
}
both_backends!(rooms_route_by_time, two_rooms_three_talks);

async fn speaker_links_show_their_talk_only(db: TestDb) {
    let clock = Clock::manual(at("10:25"));
    let s = TestServer::start_clocked(&db.location, clock.clone()).await;
    let conference: ConferenceCode = "RUSTDAY".parse().unwrap();
    s.ratings
        .import_agenda(AgendaImport {
            conference: Some(conference.clone()),
            file: AGENDA.as_bytes().to_vec(),
            time_zone: Some("Europe/Amsterdam".into()),
            ..AgendaImport::default()
        })
        .await
        .unwrap();
    text(&s, "SMs1", "+14155550101", HALL_A, "5 loved the examples").await;
    clock.set(at("10:40"));
    text(&s, "SMs2", "+14155550102", HALL_B, "2 too fast for me").await;
    let n = std::sync::atomic::AtomicU32::new(0);
    let token = || Some(format!("{:0>43}", n.fetch_add(1, Ordering::Relaxed)));
    let links = s
        .ratings
        .speaker_links(conference.clone(), token)
        .await
        .unwrap();
    assert_eq!(links.len(), 6);
    let async_link = links
        .iter()
        .find(|l| l.talk.code.as_str() == "ASYNC")
        .unwrap();
    assert_eq!(async_link.talk.speakers, ["Ann Lee"]);
    let page = s.get(&format!("/p/{}", async_link.token)).await;
    assert_eq!(page.status(), 200);
    let page = page.text().await.unwrap();
    assert!(
        page.contains("Async in practice") && page.contains("loved the examples"),
        "{page}"
    );
    assert!(
        !page.contains("too fast") && !page.contains("Embedded Rust"),
        "{page}"
    );
    assert!(
        !page.contains("4155550101") && !page.contains("+1415"),
        "{page}"
    );
    // Asking again keeps the links; revoking one ends it.
    let again = s.ratings.speaker_links(conference, || None).await.unwrap();
    assert_eq!(
        again.iter().map(|l| &l.token).collect::<Vec<_>>(),
        links.iter().map(|l| &l.token).collect::<Vec<_>>()
    );
    s.ratings
        .change_event("ASYNC".parse().unwrap(), EventChange::Share(None))
        .await
        .unwrap();
    assert_eq!(
        s.get(&format!("/p/{}", async_link.token)).await.status(),
        404
    );
    s.stop().await;
}
both_backends!(rooms_speaker_links, speaker_links_show_their_talk_only);
