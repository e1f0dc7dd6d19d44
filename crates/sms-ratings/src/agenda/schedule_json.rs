//! pretalx/frab `schedule.json` (the c3voc schedule schema): `schedule.conference.days[]`,
//! each with `rooms: {name: [event]}`; an event's `date` carries its offset, `duration` is
//! `HH:MM`, `guid` is its stable id.

use std::collections::BTreeMap;

use jiff::tz::TimeZone;
use serde::Deserialize;

use super::{About, Draft, Format, when};
use crate::agenda::{AgendaError, talk_error};

#[derive(Deserialize)]
struct Root {
    schedule: Schedule,
}

#[derive(Deserialize)]
struct Schedule {
    conference: Conference,
}

#[derive(Deserialize)]
struct Conference {
    #[serde(default)]
    acronym: Option<String>,
    #[serde(default)]
    time_zone_name: Option<String>,
    days: Vec<Day>,
}

#[derive(Deserialize)]
struct Day {
    #[serde(default)]
    rooms: BTreeMap<String, Vec<Event>>,
}

#[derive(Deserialize)]
struct Event {
    #[serde(default)]
    guid: Option<String>,
    #[serde(default)]
    id: Option<serde_json::Value>,
    date: String,
    duration: String,
    #[serde(default)]
    room: Option<String>,
    title: String,
    #[serde(default)]
    persons: Vec<Person>,
}

/// frab writes `public_name`, pretalx both `public_name` and `name`, some `full_public_name`.
#[derive(Deserialize)]
struct Person {
    #[serde(default)]
    public_name: Option<String>,
    #[serde(default)]
    full_public_name: Option<String>,
    #[serde(default)]
    name: Option<String>,
}

/// Reads the talks of a schedule JSON, and the conference's zone name.
pub(crate) fn read(text: &str, zone: &TimeZone) -> Result<(Vec<Draft>, About), AgendaError> {
    let root: Root = serde_json::from_str(text).map_err(|e| AgendaError::Syntax {
        format: Format::ScheduleJson,
        line: e.line(),
        message: e.to_string(),
    })?;
    let conference = root.schedule.conference;
    let mut drafts = Vec::new();
    for day in conference.days {
        for (room, events) in day.rooms {
            for event in events {
                drafts.push(talk(event, &room, zone)?);
            }
        }
    }
    let about = About {
        acronym: conference.acronym,
        zone_name: conference.time_zone_name,
    };
    Ok((drafts, about))
}

/// One event as a talk.
fn talk(event: Event, room: &str, zone: &TimeZone) -> Result<Draft, AgendaError> {
    let id = match (&event.guid, &event.id) {
        (Some(guid), _) if !guid.trim().is_empty() => guid.trim().to_owned(),
        (_, Some(id)) if !id.is_null() => format!("id:{}", id.to_string().trim_matches('"')),
        _ => {
            let at = format!("event {:?}", event.title);
            return Err(talk_error(
                Format::ScheduleJson,
                &at,
                "the event has no guid or id",
            ));
        }
    };
    let at = format!("event {id}");
    let error = |e: String| talk_error(Format::ScheduleJson, &at, e);
    let start = when::instant(&event.date, zone).map_err(|e| error(format!("date: {e}")))?;
    let length = when::duration(&event.duration).map_err(|e| error(format!("duration: {e}")))?;
    let speakers = event
        .persons
        .into_iter()
        .filter_map(Person::into_name)
        .collect();
    let room = event.room.unwrap_or_else(|| room.to_owned());
    Draft::scheduled(
        Format::ScheduleJson,
        id,
        at,
        (&event.title, speakers, &room),
        start,
        length,
    )
}

impl Person {
    /// The name to show, if any.
    fn into_name(self) -> Option<String> {
        [self.public_name, self.full_public_name, self.name]
            .into_iter()
            .flatten()
            .map(|n| n.trim().to_owned())
            .find(|n| !n.is_empty())
    }
}
