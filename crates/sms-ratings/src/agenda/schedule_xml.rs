//! frab/pretalx `schedule.xml`: `<day date>` → `<room name>` → `<event guid>` with `<date>`
//! (with its offset; older files have only the day's date and `<start>`), `<duration>`,
//! `<title>`, `<persons><person>`.

use jiff::civil::{Date, Time};
use jiff::tz::TimeZone;
use quick_xml::events::Event as XmlEvent;
use serde::Deserialize;

use super::{About, Draft, Format, when};
use crate::agenda::{AgendaError, line_of, talk_error};
use crate::model::Timestamp;

#[derive(Deserialize)]
struct Schedule {
    #[serde(default)]
    conference: Option<Conference>,
    #[serde(default, rename = "day")]
    days: Vec<Day>,
}

#[derive(Deserialize)]
struct Conference {
    #[serde(default)]
    acronym: Option<String>,
    #[serde(default)]
    time_zone_name: Option<String>,
}

#[derive(Deserialize)]
struct Day {
    #[serde(rename = "@date")]
    date: String,
    #[serde(default, rename = "room")]
    rooms: Vec<Room>,
}

#[derive(Deserialize)]
struct Room {
    #[serde(rename = "@name")]
    name: String,
    #[serde(default, rename = "event")]
    events: Vec<Event>,
}

#[derive(Deserialize)]
struct Event {
    #[serde(default, rename = "@guid")]
    guid: Option<String>,
    #[serde(default, rename = "@id")]
    id: Option<String>,
    #[serde(default)]
    date: Option<String>,
    #[serde(default)]
    start: Option<String>,
    duration: String,
    #[serde(default)]
    room: Option<String>,
    title: String,
    #[serde(default)]
    persons: Persons,
}

#[derive(Deserialize, Default)]
struct Persons {
    #[serde(default, rename = "person")]
    list: Vec<Person>,
}

#[derive(Deserialize)]
struct Person {
    #[serde(default, rename = "$text")]
    name: String,
}

/// Reads the talks of a schedule XML, and the conference's zone name.
pub(crate) fn read(text: &str, zone: &TimeZone) -> Result<(Vec<Draft>, About), AgendaError> {
    well_formed(text)?;
    let schedule: Schedule = quick_xml::de::from_str(text)
        .map_err(|e| talk_error(Format::ScheduleXml, "<schedule>", e.to_string()))?;
    let about = schedule.conference.map_or_else(About::default, |c| About {
        acronym: c.acronym,
        zone_name: c.time_zone_name,
    });
    let named = about
        .zone_name
        .as_deref()
        .and_then(|n| TimeZone::get(n).ok());
    let zone = named.as_ref().unwrap_or(zone);
    let mut drafts = Vec::new();
    for day in schedule.days {
        for room in day.rooms {
            for event in room.events {
                drafts.push(talk(event, &day.date, &room.name, zone)?);
            }
        }
    }
    Ok((drafts, about))
}

/// Reads the whole document once for its syntax, so an error names its line (the serde
/// reader does not know lines).
fn well_formed(text: &str) -> Result<(), AgendaError> {
    let mut reader = quick_xml::Reader::from_str(text);
    loop {
        match reader.read_event() {
            Ok(XmlEvent::Eof) => return Ok(()),
            Ok(_) => {}
            Err(e) => {
                let at = usize::try_from(reader.error_position()).unwrap_or(usize::MAX);
                return Err(AgendaError::Syntax {
                    format: Format::ScheduleXml,
                    line: line_of(text.as_bytes(), at),
                    message: e.to_string(),
                });
            }
        }
    }
}

/// One event as a talk.
fn talk(event: Event, day: &str, room: &str, zone: &TimeZone) -> Result<Draft, AgendaError> {
    let id = [event.guid.as_deref(), event.id.as_deref()]
        .into_iter()
        .flatten()
        .map(str::trim)
        .find(|s| !s.is_empty())
        .map(str::to_owned)
        .ok_or_else(|| {
            let at = format!("<event> {:?}", event.title);
            talk_error(Format::ScheduleXml, &at, "the event has no guid or id")
        })?;
    let at = format!("<event guid={id:?}>");
    let error = |e: String| talk_error(Format::ScheduleXml, &at, e);
    let start = match (&event.date, &event.start) {
        (Some(date), _) if !date.trim().is_empty() => when::instant(date, zone),
        (_, Some(start)) => on_day(day, start, zone),
        _ => Err("no <date> or <start>".to_owned()),
    }
    .map_err(|e| error(format!("start: {e}")))?;
    let length = when::duration(&event.duration).map_err(|e| error(format!("<duration>: {e}")))?;
    let speakers = event
        .persons
        .list
        .into_iter()
        .map(|p| p.name.trim().to_owned())
        .filter(|n| !n.is_empty())
        .collect();
    let room = event.room.as_deref().unwrap_or(room);
    Draft::scheduled(
        Format::ScheduleXml,
        id,
        at,
        (&event.title, speakers, room),
        start,
        length,
    )
}

/// A `<start>` (`HH:MM`) on the day's date, in the conference's zone.
fn on_day(day: &str, start: &str, zone: &TimeZone) -> Result<Timestamp, String> {
    let date: Date = day
        .trim()
        .parse()
        .map_err(|_| format!("day date {day:?} is not YYYY-MM-DD"))?;
    let time: Time = start
        .trim()
        .parse()
        .map_err(|_| format!("<start> {start:?} is not HH:MM"))?;
    when::in_zone(date.to_datetime(time), zone)
}
