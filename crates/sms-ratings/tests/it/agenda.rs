//! Agenda import from real exports: every format, the errors that name a line or element.

use std::collections::HashSet;
use std::path::Path;

use jiff::tz::TimeZone;
use sms_ratings::agenda::{self, AgendaError, Format, Talk};

fn fixture(name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/agenda")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn zone() -> TimeZone {
    TimeZone::get("Europe/Amsterdam").unwrap()
}

fn find<'a>(talks: &'a [Talk], title: &str) -> &'a Talk {
    talks
        .iter()
        .find(|t| t.title == title)
        .unwrap_or_else(|| panic!("no talk {title:?}"))
}

fn codes_are_unique(talks: &[Talk]) {
    let codes: HashSet<&str> = talks.iter().map(|t| t.code.as_str()).collect();
    assert_eq!(codes.len(), talks.len());
}

#[test]
fn pretalx_schedule_json() {
    let agenda = agenda::parse(&fixture("pretalx-democon.json"), &zone()).unwrap();
    assert_eq!(agenda.format, Format::ScheduleJson);
    assert_eq!(agenda.talks.len(), 12);
    assert_eq!(agenda.about.zone_name.as_deref(), Some("UTC"));
    assert_eq!(agenda.about.acronym.as_deref(), Some("democon"));
    let t = find(&agenda.talks, "Focused 5thgeneration hardware");
    assert_eq!(t.source_id, "8079583e-8321-506c-95af-fd2903a5f075");
    assert_eq!(t.room, "Gray Room");
    assert_eq!(t.speakers, ["Brian Robinson"]);
    assert_eq!(t.start.rfc3339(), "2020-12-14T08:00:00Z");
    assert_eq!(t.end.rfc3339(), "2020-12-14T08:30:00Z");
    codes_are_unique(&agenda.talks);
}

#[test]
fn frab_schedule_json() {
    let agenda = agenda::parse(&fixture("frab-camp2019.json"), &zone()).unwrap();
    assert_eq!(agenda.talks.len(), 6);
    assert_eq!(agenda.about.zone_name.as_deref(), Some("Europe/Berlin"));
    let t = find(&agenda.talks, "Opening Ceremony");
    assert_eq!(t.source_id, "a0a0fcfe-b7fb-46e3-84b6-97a5406016b4");
    assert_eq!(t.room, "Curie");
    assert_eq!(t.start.rfc3339(), "2019-08-21T09:00:00Z");
    assert_eq!(t.end.rfc3339(), "2019-08-21T09:30:00Z");
    assert!(!t.speakers.is_empty());
}

#[test]
fn frab_schedule_xml() {
    let agenda = agenda::parse(&fixture("frab-31c3.xml"), &zone()).unwrap();
    assert_eq!(agenda.format, Format::ScheduleXml);
    assert_eq!(agenda.talks.len(), 6);
    assert_eq!(agenda.about.acronym.as_deref(), Some("31c3"));
    let t = find(&agenda.talks, "31C3 Opening Event");
    assert_eq!(t.source_id, "29aecfd7-2e44-4f49-ab86-29b5e0877325");
    assert_eq!(t.room, "Saal 1");
    assert_eq!(t.speakers, ["erdgeist", "Geraldine de Bastion"]);
    assert_eq!(t.start.rfc3339(), "2014-12-27T10:00:00Z");
    assert_eq!(t.end.rfc3339(), "2014-12-27T10:30:00Z");
    let rooms: HashSet<&str> = agenda.talks.iter().map(|t| t.room.as_str()).collect();
    assert_eq!(rooms.len(), 2);
    codes_are_unique(&agenda.talks);
}

#[test]
fn google_calendar_ics() {
    let agenda = agenda::parse(&fixture("google-calendar.ics"), &zone()).unwrap();
    assert_eq!(agenda.format, Format::ICalendar);
    let [t] = agenda.talks.as_slice() else {
        panic!("{:?}", agenda.talks)
    };
    assert_eq!(t.source_id, "BFE33ADD-5553-48B5-B5A5-F9DA5CA4C393");
    assert_eq!(t.title, "Daily Sync");
    assert_eq!(t.room, "Roadstar 16\n12764 Happyville\nDenmark");
    // DTSTART;TZID=Europe/Zurich:20161028T140000 is 12:00 UTC (summer time until 30 October).
    assert_eq!(t.start.rfc3339(), "2016-10-28T12:00:00Z");
    assert_eq!(t.end.rfc3339(), "2016-10-28T12:30:00Z");
}

#[test]
fn csv_in_the_conference_zone() {
    let agenda = agenda::parse(&fixture("agenda.csv"), &zone()).unwrap();
    assert_eq!(agenda.format, Format::Csv);
    let t = find(&agenda.talks, "Traits, explained");
    assert_eq!(t.code.as_str(), "TRAIT");
    assert_eq!(t.source_id, "TRAIT");
    assert_eq!(t.start.rfc3339(), "2026-05-04T09:00:00Z");
    assert_eq!(t.number.as_deref(), Some("+31 20 794 0000"));
    let u = find(&agenda.talks, "Unsafe without fear");
    assert_eq!(u.number, None);
    assert_eq!(u.start.rfc3339(), "2026-05-04T08:00:00Z");
    assert_eq!(
        find(&agenda.talks, "Async in practice").speakers,
        ["Ann Lee", "Bo Chen"]
    );
}

#[test]
fn the_same_file_gives_the_same_codes() {
    for name in [
        "pretalx-democon.json",
        "frab-31c3.xml",
        "google-calendar.ics",
    ] {
        let a = agenda::parse(&fixture(name), &zone()).unwrap();
        let b = agenda::parse(&fixture(name), &zone()).unwrap();
        assert_eq!(a, b, "{name}");
    }
}

/// The fixture with `from` replaced by `to` (once, and it must be there).
fn broken(name: &str, from: &str, to: &str) -> Vec<u8> {
    let text = String::from_utf8(fixture(name)).unwrap();
    assert!(text.contains(from), "{from:?} not in {name}");
    text.replacen(from, to, 1).into_bytes()
}

#[test]
fn malformed_files_name_the_line_or_element() {
    let z = zone();
    let err = |bytes: Vec<u8>| agenda::parse(&bytes, &z).unwrap_err();

    let e = err(broken(
        "pretalx-democon.json",
        "\"title\": \"Secured mobile concept\",",
        "\"title\": ,",
    ));
    assert!(
        matches!(
            e,
            AgendaError::Syntax {
                format: Format::ScheduleJson,
                line: 108,
                ..
            }
        ),
        "{e}"
    );

    let e = err(broken(
        "frab-camp2019.json",
        "\"duration\": \"00:30\"",
        "\"duration\": \"half an hour\"",
    ));
    assert_eq!(
        e.to_string(),
        "schedule JSON event a0a0fcfe-b7fb-46e3-84b6-97a5406016b4: duration: \"half an hour\" is not a duration (HH:MM)"
    );

    let e = err(broken("frab-31c3.xml", "</title>", "</titel>"));
    assert!(
        matches!(
            e,
            AgendaError::Syntax {
                format: Format::ScheduleXml,
                line: 6,
                ..
            }
        ),
        "{e}"
    );

    let e = err(broken(
        "frab-31c3.xml",
        "<date>2014-12-27T11:30:00+01:00</date>",
        "<date>27.12.2014 11:30</date>",
    ));
    assert!(
        e.to_string()
            .contains("<event guid=\"8c4e647f-813e-41ef-b05b-65469dd841c3\">"),
        "{e}"
    );

    let e = err(broken(
        "google-calendar.ics",
        "DTEND;TZID=Europe/Zurich:20161028T143000",
        "DTEND;TZID=Europe/Zurich:tomorrow",
    ));
    assert!(
        e.to_string()
            .contains("VEVENT UID=BFE33ADD-5553-48B5-B5A5-F9DA5CA4C393"),
        "{e}"
    );

    let e = err(broken("agenda.csv", "2026-05-04T11:45", "noon"));
    assert_eq!(
        e.to_string(),
        "CSV line 3: end: \"noon\" is not an ISO 8601 date and time (e.g. 2026-05-04T10:00 or 2026-05-04T10:00+02:00)"
    );

    let e = err(broken("agenda.csv", "Cy Diaz,", ""));
    assert_eq!(e.to_string(), "CSV line 3: 6 fields where the header has 7");

    let e = err(broken("agenda.csv", "UNSAFE,", "ASYNC,"));
    assert!(
        matches!(e, AgendaError::Duplicate { what: "id", .. }),
        "{e}"
    );
    assert!(e.to_string().contains("line 4"), "{e}");

    let e = err(broken("agenda.csv", "2026-05-04T10:45", "2026-05-04T09:45"));
    assert_eq!(e.to_string(), "CSV line 2: the talk ends before it starts");

    assert_eq!(err(b"hello".to_vec()), AgendaError::UnknownFormat);
    assert_eq!(
        err(b"code,title,speakers,room,start,end\n".to_vec()),
        AgendaError::Empty(Format::Csv)
    );
}
