//! Conference mode through the service on both backends: agenda import and re-import, rooms
//! and their numbers, nothing written for a file that does not read.

use std::path::Path;
use std::sync::Arc;

use sms_ratings::clock::Clock;
use sms_ratings::conference::ConferenceCode;
use sms_ratings::service::Ratings;
use sms_ratings::service::conference::{AgendaImport, ConferenceError};
use twilio_webhook::payload::IncomingMessage;

use crate::both_backends;
use crate::support::TestDb;

pub fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/agenda")
            .join(name),
    )
    .unwrap()
}

pub fn import(file: Vec<u8>, conference: Option<&str>) -> AgendaImport {
    AgendaImport {
        conference: conference.map(|c| c.parse().unwrap()),
        file,
        ..AgendaImport::default()
    }
}

fn code(s: &str) -> ConferenceCode {
    s.parse().unwrap()
}

async fn text(ratings: &Ratings, sid: &str, to: &str, body: &str) -> String {
    let sms = IncomingMessage::from_pairs(&[
        ("MessageSid", sid),
        ("AccountSid", "AC1"),
        ("From", "+14155550100"),
        ("To", to),
        ("Body", body),
    ])
    .unwrap();
    ratings.handle(sms).await.unwrap().text.unwrap_or_default()
}

async fn reimport_is_idempotent_and_never_deletes(db: TestDb) {
    let start = "2020-12-14T08:10:00Z".parse().unwrap();
    let store = db.open().await;
    let ratings = Ratings::new(Arc::clone(&store)).with_clock(Clock::manual(start));
    let first = ratings
        .import_agenda(import(fixture("pretalx-democon.json"), None))
        .await
        .unwrap();
    assert_eq!(first.conference.code.as_str(), "DEMOCON");
    assert_eq!(first.conference.time_zone, "UTC");
    assert_eq!(first.plan.added.len(), 12);
    let again = ratings
        .import_agenda(import(fixture("pretalx-democon.json"), None))
        .await
        .unwrap();
    assert_eq!(
        (
            again.plan.added.len(),
            again.plan.changed.len(),
            again.plan.unchanged.len()
        ),
        (0, 0, 12)
    );
    assert!(again.plan.cancelled.is_empty());

    // A vote for the first talk (by its code, during the talk), then an agenda without it.
    let talk = first
        .plan
        .added
        .iter()
        .find(|t| t.title == "Focused 5thgeneration hardware")
        .unwrap()
        .clone();
    let reply = text(
        &ratings,
        "SMc1",
        "+15005550006",
        &format!("{} 4", talk.code),
    )
    .await;
    assert!(reply.contains("4/5"), "{reply}");
    let text_json = String::from_utf8(fixture("pretalx-democon.json")).unwrap();
    let without: serde_json::Value = {
        let mut v: serde_json::Value = serde_json::from_str(&text_json).unwrap();
        let gray = &mut v["schedule"]["conference"]["days"][0]["rooms"]["Gray Room"];
        gray.as_array_mut().unwrap().remove(0);
        v
    };
    let cut = ratings
        .import_agenda(import(serde_json::to_vec(&without).unwrap(), None))
        .await
        .unwrap();
    assert_eq!(cut.plan.cancelled.len(), 1);
    assert_eq!(cut.plan.cancelled[0].code, talk.code);
    assert_eq!(cut.plan.cancelled[0].votes, 1);
    let stored = store.talks(code("DEMOCON")).await.unwrap();
    let kept = stored.iter().find(|t| t.code == talk.code).unwrap();
    assert!(kept.cancelled && kept.votes == 1, "{kept:?}");
    let closed = text(
        &ratings,
        "SMc2",
        "+15005550006",
        &format!("{} 5", talk.code),
    )
    .await;
    assert!(closed.contains("closed"), "{closed}");

    // Back in the agenda: changed (no longer cancelled), same code, votes kept.
    let back = ratings
        .import_agenda(import(fixture("pretalx-democon.json"), None))
        .await
        .unwrap();
    assert_eq!(back.plan.changed.len(), 1);
    assert_eq!(back.plan.changed[0].code, talk.code);
    let stored = store.talks(code("DEMOCON")).await.unwrap();
    assert!(stored.iter().all(|t| !t.cancelled));
    ratings.close().await;
}
both_backends!(
    conference_reimport,
    reimport_is_idempotent_and_never_deletes
);

async fn rooms_and_numbers(db: TestDb) {
    let store = db.open().await;
    let ratings = Ratings::new(Arc::clone(&store));
    let mut request = import(fixture("agenda.csv"), Some("rustday"));
    request.time_zone = Some("Europe/Amsterdam".into());
    request.dry_run = true;
    let dry = ratings.import_agenda(request.clone()).await.unwrap();
    assert_eq!(dry.plan.added.len(), 3);
    assert!(
        ratings.rooms(code("RUSTDAY")).await.unwrap().is_empty(),
        "a dry run writes nothing"
    );
    request.dry_run = false;
    ratings.import_agenda(request).await.unwrap();
    let rooms = ratings.rooms(code("RUSTDAY")).await.unwrap();
    let names: Vec<(&str, Option<&str>)> = rooms
        .iter()
        .map(|r| (r.name.as_str(), r.number.as_deref()))
        .collect();
    assert_eq!(names, [("Hall A", Some("+31207940000")), ("Hall B", None)]);
    let served = ratings
        .set_room_number(code("RUSTDAY"), "Hall B", "+31 20 794 0001", None)
        .await
        .unwrap();
    assert_eq!(served, 1);
    let events = store.events().await.unwrap();
    let unsafe_talk = events.iter().find(|e| e.code.as_str() == "UNSAFE").unwrap();
    assert_eq!(unsafe_talk.number.as_deref(), Some("+31207940001"));
    let err = ratings
        .set_room_number(code("RUSTDAY"), "Hall C", "+31 20 794 0002", None)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("Hall A, Hall B"), "{err}");
    let err = ratings
        .set_room_number(code("RUSTDAY"), "Hall B", "+31 20 794 0000", None)
        .await
        .unwrap_err();
    assert!(matches!(err, ConferenceError::NumberInUse { .. }), "{err}");
    assert_eq!(
        ratings.conference_or_only(None).await.unwrap(),
        code("RUSTDAY")
    );
    ratings.close().await;
}
both_backends!(conference_rooms, rooms_and_numbers);

async fn a_bad_file_imports_nothing(db: TestDb) {
    let store = db.open().await;
    let ratings = Ratings::new(Arc::clone(&store));
    let csv = String::from_utf8(fixture("agenda.csv"))
        .unwrap()
        .replace("2026-05-04T11:45", "noon");
    let err = ratings
        .import_agenda(import(csv.into_bytes(), Some("RUSTDAY")))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("CSV line 3"), "{err}");
    assert!(store.events().await.unwrap().is_empty());
    assert!(
        ratings.conference_or_only(None).await.is_err(),
        "no conference was created"
    );
    ratings.close().await;
}
both_backends!(conference_bad_file, a_bad_file_imports_nothing);
