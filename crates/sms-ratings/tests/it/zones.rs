//! Each event's time zone: typed in the form and on the command line, stored by both
//! backends (migration 8), and every page showing the event's times in it, named.

use reqwest::StatusCode;
use sms_ratings::model::{Event, Timestamp, Zone};

use crate::both_backends;
use crate::manage::Organiser;
use crate::server::{NUMBER, TestServer};
use crate::store::new_event;
use crate::support::TestDb;

fn amsterdam() -> Zone {
    "Europe/Amsterdam".parse().unwrap()
}

async fn stored(s: &TestServer, code: &str) -> Option<Event> {
    s.store.event(code.parse().unwrap()).await.unwrap()
}

/// The form reads its times in the zone typed (or the deployment's when none is), refuses
/// a time the clocks skip and a zone that is not an IANA name, each next to its field, and
/// the manage page shows the times back in that zone, named.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_form_reads_times_in_the_events_zone() {
    let db = TestDb::sqlite();
    let new_york: Zone = "America/New_York".parse().unwrap();
    let s = TestServer::start_configured(&db.location, |c| c.default_zone(new_york)).await;
    let o = Organiser::sign_in(&s).await;
    let new_form = o.get("/events/new").await;
    assert!(
        new_form.contains("placeholder=\"America/New_York\"")
            && new_form.contains("<option value=\"Europe/Amsterdam\">"),
        "the zone field names the default and suggests IANA names"
    );

    // 29 March 2026, 02:00 CET: the clocks go to 03:00 CEST, so 02:30 never happens.
    let gap = [
        ("code", "GAP"),
        ("name", "Gap"),
        ("time_zone", "Europe/Amsterdam"),
        ("opens", "2026-03-29T02:30"),
    ];
    let r = o.post("/events", &gap).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    let error = field_error(&html, "opens");
    assert!(
        error.contains("2026-03-29T02:30") && error.contains("Europe/Amsterdam"),
        "{error}"
    );
    assert!(stored(&s, "GAP").await.is_none());

    let bad_zone = [("code", "BAD"), ("name", "Bad"), ("time_zone", "Amsterdam")];
    let r = o.post("/events", &bad_zone).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let error = field_error(&r.text().await.unwrap(), "time_zone");
    assert!(error.contains("Europe/Amsterdam"), "{error}");
    assert!(stored(&s, "BAD").await.is_none());

    let ams = [
        ("code", "AMS"),
        ("name", "Amsterdam"),
        ("time_zone", "europe/amsterdam"),
        ("opens", "2027-11-29T19:30"),
        ("closes", "2027-11-29T21:00"),
    ];
    assert_eq!(
        o.post("/events", &ams).await.status(),
        StatusCode::SEE_OTHER
    );
    let event = stored(&s, "AMS").await.unwrap();
    assert_eq!(event.time_zone, Some(amsterdam()));
    assert_eq!(event.opens.unwrap().rfc3339(), "2027-11-29T18:30:00Z");
    assert_eq!(event.closes.unwrap().rfc3339(), "2027-11-29T20:00:00Z");
    let manage = o.get("/events/AMS/manage").await;
    assert!(
        manage.contains("Opens 2027-11-29 19:30 CET (Europe/Amsterdam)")
            && manage.contains("value=\"2027-11-29T19:30\"")
            && manage.contains("value=\"Europe/Amsterdam\""),
        "{manage}"
    );
    let index = o.get("/").await;
    assert!(
        index.contains("opens 2027-11-29 19:30 CET (Europe/Amsterdam)"),
        "{index}"
    );

    // No zone typed: the deployment's, kept as none.
    let local = [
        ("code", "NYC"),
        ("name", "New York"),
        ("opens", "2027-11-29T19:30"),
    ];
    assert_eq!(
        o.post("/events", &local).await.status(),
        StatusCode::SEE_OTHER
    );
    let event = stored(&s, "NYC").await.unwrap();
    assert_eq!(event.time_zone, None);
    assert_eq!(event.opens.unwrap().rfc3339(), "2027-11-30T00:30:00Z");
    let manage = o.get("/events/NYC/manage").await;
    assert!(
        manage.contains("Opens 2027-11-29 19:30 EST (America/New_York)"),
        "{manage}"
    );

    // Editing moves the event to another zone; its times are read in the new one.
    let edit = [
        ("name", "New York"),
        ("time_zone", "Asia/Tokyo"),
        ("opens", "2027-11-29T19:30"),
    ];
    let r = o.post("/events/NYC/edit", &edit).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let event = stored(&s, "NYC").await.unwrap();
    assert_eq!(event.time_zone.as_ref().map(Zone::name), Some("Asia/Tokyo"));
    assert_eq!(event.opens.unwrap().rfc3339(), "2027-11-29T10:30:00Z");
    s.stop().await;
}

/// The projector and the audience page name the zone, carry it for the page script
/// (`data-tz`), and write comment times on its clock.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_wall_shows_times_in_the_events_zone() {
    let db = TestDb::sqlite();
    let s = TestServer::start(&db.location).await;
    let mut event = new_event("WALL", Some(NUMBER));
    event.time_zone = Some("Asia/Kolkata".parse().unwrap());
    s.store.add_event(event).await.unwrap();
    let (status, _) = s.sms("SM1", "+15551230001", "WALL 5 lovely").await;
    assert_eq!(status, 200);
    let html = s.get_admin("/events/WALL").await.text().await.unwrap();
    assert!(
        html.contains("data-tz=\"Asia/Kolkata\"") && html.contains("times in Asia/Kolkata"),
        "{html}"
    );
    let voted = stored_comment_time(&s).await;
    let shown = "Asia/Kolkata".parse::<Zone>().unwrap().clock(voted);
    assert!(
        html.contains(&format!(">{shown}</time>")),
        "{shown}: {html}"
    );
    s.stop().await;
}

async fn stored_comment_time(s: &TestServer) -> Timestamp {
    let rows = s.store.ratings("WALL".parse().unwrap()).await.unwrap();
    rows.unwrap()[0].updated_at
}

/// `events add` reads `--opens`/`--closes` in `--timezone` (or `TZ`) and keeps the zone;
/// a skipped time or an unknown zone is refused with the form's words; `serve` with an
/// unknown zone refuses to start, naming the expected form.
#[test]
fn the_cli_reads_times_in_its_zone_and_refuses_unknown_zones() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("cli.db").to_str().unwrap().to_owned();
    let run = |args: &[&str], tz: Option<&str>| {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_sms-ratings"));
        command.env_remove("TZ").args(["--database", &db]);
        if let Some(tz) = tz {
            command.env("TZ", tz);
        }
        command.args(args).output().unwrap()
    };
    let add =
        |code: &'static str, opens: &'static str| ["events", "add", code, "Conf", "--opens", opens];
    let by_flag = run(
        &[
            &add("AMS", "2027-11-29T19:30")[..],
            &["--timezone", "Europe/Amsterdam"],
        ]
        .concat(),
        None,
    );
    assert!(by_flag.status.success(), "{by_flag:?}");
    let by_env = run(&add("TYO", "2027-11-29T19:30"), Some("Asia/Tokyo"));
    assert!(by_env.status.success(), "{by_env:?}");
    let utc = run(&add("UTC1", "2027-11-29T19:30"), None);
    assert!(utc.status.success(), "{utc:?}");

    let skipped = run(&add("GAP", "2026-03-29T02:30"), Some("Europe/Amsterdam"));
    assert!(!skipped.status.success());
    let error = String::from_utf8_lossy(&skipped.stderr);
    assert!(
        error.contains("does not happen in Europe/Amsterdam"),
        "{error}"
    );
    let unknown = run(&add("MARS", "2027-11-29T19:30"), Some("Mars/Olympus"));
    assert!(!unknown.status.success());
    let error = String::from_utf8_lossy(&unknown.stderr);
    assert!(
        error.contains("Europe/Amsterdam") && error.contains("Mars/Olympus"),
        "{error}"
    );

    let serve = run(&["serve", "--timezone", "Mars/Olympus"], None);
    assert!(!serve.status.success());
    let error = String::from_utf8_lossy(&serve.stderr);
    assert!(
        error.contains("is not a time zone") && error.contains("Europe/Amsterdam"),
        "{error}"
    );

    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let store = sms_ratings::store::open(&db).await.unwrap();
        let event = |code: &str| {
            let code = code.parse().unwrap();
            let store = &store;
            async move { store.event(code).await.unwrap().unwrap() }
        };
        let ams = event("AMS").await;
        assert_eq!(ams.time_zone, Some(amsterdam()));
        assert_eq!(ams.opens.unwrap().rfc3339(), "2027-11-29T18:30:00Z");
        let tyo = event("TYO").await;
        assert_eq!(tyo.opens.unwrap().rfc3339(), "2027-11-29T10:30:00Z");
        let utc = event("UTC1").await;
        assert_eq!(
            (utc.time_zone, utc.opens.unwrap().rfc3339()),
            (None, "2027-11-29T19:30:00Z".to_owned())
        );
        assert!(store.event("GAP".parse().unwrap()).await.unwrap().is_none());
        store.close().await;
    });
}

/// Both backends keep an event's zone, and an edit can set or clear it.
async fn zones_are_stored(db: TestDb) {
    let store = db.open().await;
    let mut event = new_event("TZ1", None);
    event.time_zone = Some(amsterdam());
    let added = store.add_event(event.clone()).await.unwrap();
    assert_eq!(added.time_zone, Some(amsterdam()), "{}", db.backend);
    event.time_zone = None;
    let edited = store.edit_event(event.clone()).await.unwrap();
    assert_eq!(edited.time_zone, None, "{}", db.backend);
    event.time_zone = Some("Asia/Tokyo".parse().unwrap());
    store.edit_event(event).await.unwrap();
    let listed = store.events().await.unwrap();
    assert_eq!(
        listed[0].time_zone.as_ref().map(Zone::name),
        Some("Asia/Tokyo"),
        "{}",
        db.backend
    );
    store.close().await;
}
both_backends!(zones_stored, zones_are_stored);

/// Migration 8 on a database of version 7: the column appears, the events made before it
/// have none (the deployment's zone, as they always showed), and a zone stored since that
/// this build does not know reads as none instead of making the event unreadable.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migration_8_adds_the_zone_and_old_events_take_the_default() {
    let db = TestDb::sqlite();
    {
        let store = db.open().await;
        store.close().await;
        let conn = rusqlite::Connection::open(&db.location).unwrap();
        conn.execute_batch(
            "ALTER TABLE events DROP COLUMN time_zone;
             DELETE FROM schema_migrations WHERE version = 8;
             INSERT INTO events (code, name, opens, created_at)
                 VALUES ('OLD', 'Old', 1827513000000, 0);",
        )
        .unwrap();
    }
    let paris: Zone = "Europe/Paris".parse().unwrap();
    let s = TestServer::start_configured(&db.location, |c| c.default_zone(paris)).await;
    let old = stored(&s, "OLD").await.unwrap();
    assert_eq!(old.time_zone, None);
    let o = Organiser::sign_in(&s).await;
    let manage = o.get("/events/OLD/manage").await;
    assert!(
        manage.contains("Opens 2027-11-29 19:30 CET (Europe/Paris)"),
        "{manage}"
    );
    s.stop().await;

    let conn = rusqlite::Connection::open(&db.location).unwrap();
    conn.execute("UPDATE events SET time_zone = 'Atlantis/Capital'", [])
        .unwrap();
    drop(conn);
    let store = db.open().await;
    let old = store.event("OLD".parse().unwrap()).await.unwrap().unwrap();
    assert_eq!(old.time_zone, None);
    store.close().await;
}

/// The text of the field error next to `field`.
fn field_error(html: &str, field: &str) -> String {
    let marker = format!("data-error=\"{field}\">");
    let start = html.find(&marker).map(|i| i + marker.len());
    let start = start.unwrap_or_else(|| panic!("no error for {field}: {html}"));
    let end = html[start..].find('<').map_or(html.len(), |i| start + i);
    html[start..end]
        .replace("&quot;", "\"")
        .replace("&#x22;", "\"")
        .replace("&#34;", "\"")
}
