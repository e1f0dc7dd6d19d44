//! A conference's agenda, read from what conference tools export: one list of [`Talk`]s.
//!
//! The format is told by the content, not the file name: pretalx/frab `schedule.json`, frab or
//! pretalx `schedule.xml`, an iCalendar file, or a CSV with the header
//! `code,title,speakers,room,start,end[,number]`. A file that does not read gives one
//! [`AgendaError`] naming the line or the element, and no talks at all: an import is whole or
//! nothing.
//!
//! ```
//! use sms_ratings::agenda::{self, Format};
//!
//! let csv = "code,title,speakers,room,start,end\n\
//!            ASYNC,Async in practice,Ann Lee; Bo Chen,Hall A,2026-05-04T10:00,2026-05-04T10:45\n";
//! let zone = jiff::tz::TimeZone::get("Europe/Amsterdam").unwrap();
//! let agenda = agenda::parse(csv.as_bytes(), &zone).unwrap();
//! assert_eq!(agenda.format, Format::Csv);
//! assert_eq!(agenda.talks[0].code.as_str(), "ASYNC");
//! assert_eq!(agenda.talks[0].speakers, ["Ann Lee", "Bo Chen"]);
//! assert_eq!(agenda.talks[0].start.rfc3339(), "2026-05-04T08:00:00Z");
//! ```
//!
//! Layout: `schedule_json.rs`, `schedule_xml.rs`, `ical.rs` and `csv.rs` read one format each
//! into `Draft`s; `when.rs` reads their times; `code.rs` gives each talk without a code one
//! that is short and easy to type.

mod code;
mod csv;
mod ical;
mod schedule_json;
mod schedule_xml;
mod when;

use std::collections::HashSet;
use std::fmt;

use jiff::tz::TimeZone;

use crate::model::{EventCode, Timestamp};

pub use code::generate as generate_code;

/// One talk of the agenda: what becomes a rated event with a schedule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Talk {
    /// The source's stable id (frab/pretalx `guid`, iCalendar `UID`, the CSV `code`), by which
    /// a re-import finds the talk again.
    pub source_id: String,
    /// The code people text: the CSV's, or one generated from the stable id.
    pub code: EventCode,
    /// The title.
    pub title: String,
    /// The speakers' names, in the source's order.
    pub speakers: Vec<String>,
    /// The room's name, as the source spells it.
    pub room: String,
    /// Scheduled start.
    pub start: Timestamp,
    /// Scheduled end.
    pub end: Timestamp,
    /// The room's Twilio number, when the source names one (CSV `number`), as written.
    pub number: Option<String>,
}

/// A talk as a format reads it, before it has a code.
#[derive(Debug, Clone)]
pub(crate) struct Draft {
    /// The stable id.
    pub(crate) source_id: String,
    /// The source's own code, if it has one.
    pub(crate) code: Option<EventCode>,
    /// Title.
    pub(crate) title: String,
    /// Speakers.
    pub(crate) speakers: Vec<String>,
    /// Room.
    pub(crate) room: String,
    /// Start.
    pub(crate) start: Timestamp,
    /// End.
    pub(crate) end: Timestamp,
    /// The room's number as written.
    pub(crate) number: Option<String>,
    /// Where it was read, for errors found after parsing (`line 4`, `event 8079…`).
    pub(crate) at: String,
}

impl Draft {
    /// A talk of a frab-shaped schedule (JSON or XML), `length` milliseconds from `start`,
    /// checked: the source's stable id, where it was read, title, speakers, room.
    pub(crate) fn scheduled(
        format: Format,
        source_id: String,
        at: String,
        (title, speakers, room): (&str, Vec<String>, &str),
        start: Timestamp,
        length: i64,
    ) -> Result<Self, AgendaError> {
        let draft = Self {
            source_id,
            code: None,
            title: title.trim().to_owned(),
            speakers,
            room: room.trim().to_owned(),
            start,
            end: Timestamp::from_millis(start.millis().saturating_add(length)),
            number: None,
            at,
        };
        check(format, &draft)?;
        Ok(draft)
    }
}

/// The format an agenda was read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Format {
    /// pretalx or frab `schedule.json`.
    ScheduleJson,
    /// frab or pretalx `schedule.xml`.
    ScheduleXml,
    /// iCalendar (`.ics`).
    ICalendar,
    /// CSV with the header `code,title,speakers,room,start,end[,number]`.
    Csv,
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::ScheduleJson => "schedule JSON",
            Self::ScheduleXml => "schedule XML",
            Self::ICalendar => "iCalendar",
            Self::Csv => "CSV",
        })
    }
}

/// An agenda as read: its talks in the file's order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Agenda {
    /// The format it was read from.
    pub format: Format,
    /// The talks.
    pub talks: Vec<Talk>,
    /// The conference as the file names it (schedule JSON/XML), if it does.
    pub about: About,
}

/// What a schedule file says of its conference.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct About {
    /// Its short name (frab/pretalx `acronym`).
    pub acronym: Option<String>,
    /// Its time zone (IANA name).
    pub zone_name: Option<String>,
}

/// Why an agenda file cannot be imported. Nothing of such a file is imported.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AgendaError {
    /// The content is none of the formats.
    #[error(
        "not an agenda: expected schedule JSON, schedule XML, iCalendar or CSV with the header \
         code,title,speakers,room,start,end[,number]"
    )]
    UnknownFormat,
    /// The file is not UTF-8.
    #[error("line {line}: the file is not UTF-8 text")]
    NotUtf8 {
        /// The line of the first byte that is not.
        line: usize,
    },
    /// The file does not read as its format (syntax or shape).
    #[error("{format} line {line}: {message}")]
    Syntax {
        /// The format it was read as.
        format: Format,
        /// The line (1-based).
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// An element of the file reads, but not as a talk (a missing title, a bad time).
    #[error("{format} {at}: {message}")]
    Talk {
        /// The format it was read as.
        format: Format,
        /// The element: `line 4`, `event 8079583e-…`, `VEVENT BFE33ADD-…`.
        at: String,
        /// What is wrong.
        message: String,
    },
    /// Two talks share a stable id or a code.
    #[error("{format} {at}: {what} {id:?} is used twice")]
    Duplicate {
        /// The format it was read as.
        format: Format,
        /// The second element using it.
        at: String,
        /// `id` or `code`.
        what: &'static str,
        /// The id or code.
        id: String,
    },
    /// The file holds no talk.
    #[error("{0}: the file holds no talk")]
    Empty(Format),
}

/// Reads an agenda file, its format told by its content. Times without an offset are in
/// `zone`, the conference's time zone.
pub fn parse(bytes: &[u8], zone: &TimeZone) -> Result<Agenda, AgendaError> {
    let text = as_text(bytes)?;
    let format = detect(text).ok_or(AgendaError::UnknownFormat)?;
    let (drafts, about) = match format {
        Format::ScheduleJson => schedule_json::read(text, zone)?,
        Format::ScheduleXml => schedule_xml::read(text, zone)?,
        Format::ICalendar => (ical::read(text, zone)?, About::default()),
        Format::Csv => (csv::read(text, zone)?, About::default()),
    };
    let talks = finish(format, drafts)?;
    Ok(Agenda {
        format,
        talks,
        about,
    })
}

/// The text of the file (a byte-order mark dropped), or the line where it stops being UTF-8.
fn as_text(bytes: &[u8]) -> Result<&str, AgendaError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    std::str::from_utf8(bytes).map_err(|e| AgendaError::NotUtf8 {
        line: line_of(bytes, e.valid_up_to()),
    })
}

/// The 1-based line holding byte `offset`.
pub(crate) fn line_of(bytes: &[u8], offset: usize) -> usize {
    bytes.iter().take(offset).filter(|&&b| b == b'\n').count() + 1
}

/// The format the content has, by its first characters.
fn detect(text: &str) -> Option<Format> {
    let head = text.trim_start();
    if head.starts_with('{') {
        Some(Format::ScheduleJson)
    } else if head.starts_with('<') {
        Some(Format::ScheduleXml)
    } else if head
        .get(..15)
        .is_some_and(|h| h.eq_ignore_ascii_case("BEGIN:VCALENDAR"))
    {
        Some(Format::ICalendar)
    } else if csv::has_header(head) {
        Some(Format::Csv)
    } else {
        None
    }
}

/// Checks the drafts as a whole (ids and codes unique, at least one) and gives each a code.
fn finish(format: Format, drafts: Vec<Draft>) -> Result<Vec<Talk>, AgendaError> {
    if drafts.is_empty() {
        return Err(AgendaError::Empty(format));
    }
    let mut ids = HashSet::new();
    let mut codes = HashSet::new();
    for d in &drafts {
        let duplicate = |what, id: &str| AgendaError::Duplicate {
            format,
            at: d.at.clone(),
            what,
            id: id.to_owned(),
        };
        if !ids.insert(d.source_id.as_str()) {
            return Err(duplicate("id", &d.source_id));
        }
        if let Some(code) = &d.code
            && !codes.insert(code.as_str().to_owned())
        {
            return Err(duplicate("code", code.as_str()));
        }
    }
    Ok(drafts
        .into_iter()
        .map(|d| {
            let code = d
                .code
                .unwrap_or_else(|| code::generate(&d.source_id, &mut codes));
            Talk {
                source_id: d.source_id,
                code,
                title: d.title,
                speakers: d.speakers,
                room: d.room,
                start: d.start,
                end: d.end,
                number: d.number,
            }
        })
        .collect())
}

/// A talk-level error of `format` at `at`.
pub(crate) fn talk_error(format: Format, at: &str, message: impl Into<String>) -> AgendaError {
    AgendaError::Talk {
        format,
        at: at.to_owned(),
        message: message.into(),
    }
}

/// Checks what every format needs of a talk: a title, a room, an end after its start.
pub(crate) fn check(format: Format, d: &Draft) -> Result<(), AgendaError> {
    if d.title.trim().is_empty() {
        return Err(talk_error(format, &d.at, "the talk has no title"));
    }
    if d.room.trim().is_empty() {
        return Err(talk_error(format, &d.at, "the talk has no room"));
    }
    if d.end <= d.start {
        return Err(talk_error(format, &d.at, "the talk ends before it starts"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_are_told_by_content() {
        assert_eq!(detect("  {\"schedule\":{}}"), Some(Format::ScheduleJson));
        assert_eq!(detect("<?xml version='1.0'?>"), Some(Format::ScheduleXml));
        assert_eq!(detect("begin:vcalendar\r\n"), Some(Format::ICalendar));
        assert_eq!(
            detect("code,title,speakers,room,start,end\n"),
            Some(Format::Csv)
        );
        assert_eq!(detect("hello"), None);
        assert_eq!(detect(""), None);
    }

    #[test]
    fn bytes_that_are_not_utf8_name_their_line() {
        let zone = TimeZone::UTC;
        assert_eq!(
            parse(b"code,title\n\xFF", &zone),
            Err(AgendaError::NotUtf8 { line: 2 })
        );
    }
}
