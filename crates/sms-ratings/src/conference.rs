//! Conference mode: talks are events with a schedule. This module holds the rules that need
//! no database: a talk's vote times from its schedule and the conference's windows, and what a
//! re-import of the agenda changes (matched by the source's stable id; a talk that left the
//! agenda is cancelled, never deleted).
//!
//! ```
//! use std::time::Duration;
//! use sms_ratings::conference::Windows;
//! use sms_ratings::model::Timestamp;
//!
//! let w = Windows::default();
//! let start: Timestamp = "2026-05-04T10:00:00Z".parse().unwrap();
//! let end: Timestamp = "2026-05-04T10:45:00Z".parse().unwrap();
//! let t = w.times(start, end);
//! assert_eq!(t.opens, start);
//! assert_eq!(t.window_opens.rfc3339(), "2026-05-04T10:35:00Z");
//! assert_eq!(t.closes.rfc3339(), "2026-05-04T11:05:00Z");
//! ```

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use crate::agenda::{self, Talk};
use crate::model::{EventCode, Timestamp};

/// When a talk's vote window opens and closes, relative to its scheduled end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Windows {
    /// Opens this long before the scheduled end (default 10 minutes).
    pub opens_before_end: Duration,
    /// Closes this long after the scheduled end (default 20 minutes).
    pub closes_after_end: Duration,
}

impl Default for Windows {
    fn default() -> Self {
        Self {
            opens_before_end: Duration::from_secs(10 * 60),
            closes_after_end: Duration::from_secs(20 * 60),
        }
    }
}

/// A talk's vote times.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TalkTimes {
    /// Its code works from here (the scheduled start).
    pub opens: Timestamp,
    /// Texts without a code to its room's number count from here.
    pub window_opens: Timestamp,
    /// Voting closes here.
    pub closes: Timestamp,
}

impl Windows {
    /// The vote times of a talk scheduled from `start` to `end`. The window never opens
    /// before the talk starts.
    pub fn times(&self, start: Timestamp, end: Timestamp) -> TalkTimes {
        let ms = |d: Duration| i64::try_from(d.as_millis()).unwrap_or(i64::MAX);
        let window_opens = end.millis().saturating_sub(ms(self.opens_before_end));
        TalkTimes {
            opens: start,
            window_opens: Timestamp::from_millis(window_opens.max(start.millis())),
            closes: Timestamp::from_millis(end.millis().saturating_add(ms(self.closes_after_end))),
        }
    }

    /// These windows with a talk's own overrides applied.
    pub fn with(self, overrides: &Overrides) -> Self {
        Self {
            opens_before_end: overrides.opens_before_end.unwrap_or(self.opens_before_end),
            closes_after_end: overrides.closes_after_end.unwrap_or(self.closes_after_end),
        }
    }
}

/// A talk's own window, where it differs from its conference's.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Overrides {
    /// Its own `opens_before_end`.
    pub opens_before_end: Option<Duration>,
    /// Its own `closes_after_end`.
    pub closes_after_end: Option<Duration>,
}

/// A conference's code: 1–32 letters, digits, `-` or `_`, kept upper-case.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ConferenceCode(String);

/// Why a text is not a conference code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a conference code is 1-32 letters, digits, '-' or '_' (got {0:?})")]
pub struct InvalidConferenceCode(pub String);

impl FromStr for ConferenceCode {
    type Err = InvalidConferenceCode;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let ok = (1..=32).contains(&s.len())
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if ok {
            Ok(Self(s.to_ascii_uppercase()))
        } else {
            Err(InvalidConferenceCode(s.to_owned()))
        }
    }
}

impl ConferenceCode {
    /// The code, upper-case.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ConferenceCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A conference's settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conference {
    /// Its code.
    pub code: ConferenceCode,
    /// Its time zone (IANA name): CSV times without an offset are read in it.
    pub time_zone: String,
    /// Its talks' vote windows.
    pub windows: Windows,
}

/// A talk as stored: its event's code and what the agenda said of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredTalk {
    /// The event's code.
    pub code: EventCode,
    /// The source's stable id.
    pub source_id: String,
    /// Title (the event's name).
    pub title: String,
    /// Speakers.
    pub speakers: Vec<String>,
    /// Room.
    pub room: String,
    /// Scheduled start.
    pub start: Timestamp,
    /// Scheduled end.
    pub end: Timestamp,
    /// Left the agenda.
    pub cancelled: bool,
    /// Its own window.
    pub overrides: Overrides,
    /// Votes counted for it.
    pub votes: u64,
}

/// A room of a conference and its Twilio number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Room {
    /// The room's name.
    pub name: String,
    /// Its number (E.164), once set.
    pub number: Option<String>,
}

/// What a re-import does, talk by talk; each list in the agenda's order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportPlan {
    /// New talks (with their codes).
    pub added: Vec<Talk>,
    /// Talks whose title, speakers, room or times changed, or that came back after a
    /// cancellation (with their stored codes).
    pub changed: Vec<Talk>,
    /// Talks as they were (with their stored codes).
    pub unchanged: Vec<Talk>,
    /// Stored talks no longer in the agenda: marked cancelled (their votes stay).
    pub cancelled: Vec<StoredTalk>,
    /// Room numbers the agenda names (CSV `number`), in E.164.
    pub numbers: Vec<Room>,
}

/// Why an agenda cannot be imported into a conference.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ImportError {
    /// The file does not read.
    #[error(transparent)]
    Agenda(#[from] agenda::AgendaError),
    /// A talk's code belongs to another event already.
    #[error("code {0} is taken by another event: choose another in the file")]
    CodeTaken(String),
    /// A room's number is not a phone number.
    #[error("room {room:?}: {number:?} is not a valid phone number (E.164, e.g. +442079460000)")]
    Number {
        /// The room.
        room: String,
        /// As written.
        number: String,
    },
    /// One room is given two numbers.
    #[error("room {0:?} is given two different numbers")]
    TwoNumbers(String),
}

/// What importing `talks` into a conference holding `stored` changes. `taken` are the codes
/// of every event already stored (any conference): new talks' generated codes avoid them, a
/// code the file gives must not be one of them.
pub fn plan(
    stored: &[StoredTalk],
    talks: Vec<Talk>,
    taken: &HashSet<String>,
    region: Option<crate::phone::Region>,
) -> Result<ImportPlan, ImportError> {
    let by_id: HashMap<&str, &StoredTalk> =
        stored.iter().map(|s| (s.source_id.as_str(), s)).collect();
    let mut plan = ImportPlan {
        numbers: numbers(&talks, region)?,
        ..ImportPlan::default()
    };
    let mut codes = taken.clone();
    let mut seen = HashSet::new();
    let (known, new): (Vec<Talk>, Vec<Talk>) = talks
        .into_iter()
        .partition(|t| by_id.contains_key(t.source_id.as_str()));
    for mut talk in known {
        let old = by_id[talk.source_id.as_str()];
        seen.insert(old.source_id.as_str());
        talk.code = old.code.clone();
        if same(old, &talk) {
            plan.unchanged.push(talk);
        } else {
            plan.changed.push(talk);
        }
    }
    for mut talk in new {
        if !codes.insert(talk.code.as_str().to_owned()) {
            if talk.source_id.eq_ignore_ascii_case(talk.code.as_str()) {
                // The file chose this code (CSV): it must be free.
                return Err(ImportError::CodeTaken(talk.code.to_string()));
            }
            talk.code = agenda::generate_code(&talk.source_id, &mut codes);
        }
        plan.added.push(talk);
    }
    plan.cancelled = stored
        .iter()
        .filter(|s| !s.cancelled && !seen.contains(s.source_id.as_str()))
        .cloned()
        .collect();
    Ok(plan)
}

/// True when the agenda says of a stored talk what is stored (and it was not cancelled).
fn same(old: &StoredTalk, new: &Talk) -> bool {
    !old.cancelled
        && old.title == new.title
        && old.speakers == new.speakers
        && old.room == new.room
        && old.start == new.start
        && old.end == new.end
}

/// The room numbers the talks name, in E.164; one number per room.
fn numbers(talks: &[Talk], region: Option<crate::phone::Region>) -> Result<Vec<Room>, ImportError> {
    let mut rooms: Vec<Room> = Vec::new();
    for talk in talks {
        let Some(written) = &talk.number else {
            continue;
        };
        let number = crate::phone::to_e164(written, region).map_err(|_| ImportError::Number {
            room: talk.room.clone(),
            number: written.clone(),
        })?;
        match rooms.iter().find(|r| r.name == talk.room) {
            Some(r) if r.number.as_deref() != Some(number.as_str()) => {
                return Err(ImportError::TwoNumbers(talk.room.clone()));
            }
            Some(_) => {}
            None => rooms.push(Room {
                name: talk.room.clone(),
                number: Some(number),
            }),
        }
    }
    Ok(rooms)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn talk(id: &str, title: &str, start: i64) -> Talk {
        Talk {
            source_id: id.into(),
            code: agenda::generate_code(id, &mut HashSet::new()),
            title: title.into(),
            speakers: vec!["Ann".into()],
            room: "Hall A".into(),
            start: Timestamp::from_millis(start),
            end: Timestamp::from_millis(start + 1000),
            number: None,
        }
    }

    fn stored(t: &Talk, code: &str) -> StoredTalk {
        StoredTalk {
            code: code.parse().unwrap(),
            source_id: t.source_id.clone(),
            title: t.title.clone(),
            speakers: t.speakers.clone(),
            room: t.room.clone(),
            start: t.start,
            end: t.end,
            cancelled: false,
            overrides: Overrides::default(),
            votes: 3,
        }
    }

    #[test]
    fn reimport_sorts_talks_and_keeps_codes() {
        let a = talk("a", "A", 0);
        let b = talk("b", "B", 5000);
        let gone = talk("gone", "Gone", 9000);
        let stored = [
            stored(&a, "KEEPA"),
            stored(&b, "KEEPB"),
            stored(&gone, "GONE"),
        ];
        let moved = Talk {
            start: Timestamp::from_millis(6000),
            end: Timestamp::from_millis(7000),
            ..b.clone()
        };
        let new = talk("c", "C", 0);
        let taken = ["KEEPA", "KEEPB", "GONE"].map(String::from).into();
        let p = plan(&stored, vec![a, moved, new.clone()], &taken, None).unwrap();
        assert_eq!(p.unchanged.len(), 1);
        assert_eq!(p.unchanged[0].code.as_str(), "KEEPA");
        assert_eq!(p.changed.len(), 1);
        assert_eq!(p.changed[0].code.as_str(), "KEEPB");
        assert_eq!(p.added, [new]);
        assert_eq!(p.cancelled.len(), 1);
        assert_eq!(p.cancelled[0].code.as_str(), "GONE");
    }

    #[test]
    fn codes_of_other_events_are_avoided_or_refused() {
        let t = talk("x", "X", 0);
        let taken: HashSet<String> = [t.code.to_string()].into();
        let p = plan(&[], vec![t.clone()], &taken, None).unwrap();
        assert_ne!(p.added[0].code, t.code);
        let chosen = Talk {
            source_id: "TAKEN".into(),
            code: "TAKEN".parse().unwrap(),
            ..t
        };
        let taken: HashSet<String> = ["TAKEN".to_owned()].into();
        assert_eq!(
            plan(&[], vec![chosen], &taken, None),
            Err(ImportError::CodeTaken("TAKEN".into()))
        );
    }

    #[test]
    fn room_numbers_are_e164_and_one_per_room() {
        let mut t = talk("x", "X", 0);
        t.number = Some("+31 20 794 0000".into());
        let p = plan(&[], vec![t.clone()], &HashSet::new(), None).unwrap();
        assert_eq!(p.numbers[0].number.as_deref(), Some("+31207940000"));
        let mut other = talk("y", "Y", 0);
        other.number = Some("+31 20 794 0001".into());
        assert_eq!(
            plan(&[], vec![t.clone(), other], &HashSet::new(), None),
            Err(ImportError::TwoNumbers("Hall A".into()))
        );
        t.number = Some("call me".into());
        assert!(matches!(
            plan(&[], vec![t], &HashSet::new(), None),
            Err(ImportError::Number { .. })
        ));
    }

    #[test]
    fn windows_never_open_before_the_start() {
        let w = Windows::default();
        let short = w.times(
            Timestamp::from_millis(0),
            Timestamp::from_millis(5 * 60_000),
        );
        assert_eq!(short.window_opens, Timestamp::from_millis(0));
        let own = w.with(&Overrides {
            opens_before_end: Some(Duration::from_secs(60)),
            closes_after_end: None,
        });
        assert_eq!(own.opens_before_end, Duration::from_secs(60));
        assert_eq!(own.closes_after_end, w.closes_after_end);
        assert!("31c3".parse::<ConferenceCode>().is_ok());
        assert!("a b".parse::<ConferenceCode>().is_err());
    }
}
