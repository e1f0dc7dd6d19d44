//! Conferences, rooms and talks (schema version 10): the statements both backends run, the
//! same text for both dialects (`$N` parameters), and what an agenda import writes.
//!
//! An import is one transaction: the conference's settings, every talk of the agenda added
//! or updated (times included, so changed windows reach unchanged talks), the talks that
//! left it cancelled, the rooms and their numbers, then each talk's `number` copied from its
//! room, so a vote finds a talk by number as it finds any event.

use std::time::Duration;

use super::StoreError;
use super::rows::Columns;
use crate::agenda::Talk;
use crate::conference::{
    Conference, ConferenceCode, Overrides, Room, StoredTalk, TalkTimes, Windows,
};
use crate::model::Timestamp;

/// One talk to write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TalkWrite {
    /// True: a new event; false: update the stored talk with its source id.
    pub new: bool,
    /// The talk as the agenda gives it (with its code).
    pub talk: Talk,
    /// Its vote times.
    pub times: TalkTimes,
}

/// Everything one agenda import writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgendaWrite {
    /// The conference (created or its settings replaced).
    pub conference: Conference,
    /// Every talk of the agenda.
    pub talks: Vec<TalkWrite>,
    /// Source ids of the talks to mark cancelled.
    pub cancel: Vec<String>,
    /// Every room of the agenda; those with a number get it, the others keep theirs.
    pub rooms: Vec<Room>,
}

/// Creates a conference or replaces its settings (`$1` code, `$2` zone, `$3`/`$4` windows).
pub(crate) const UPSERT_CONFERENCE_SQL: &str = "INSERT INTO conferences
    (code, time_zone, opens_before_end_ms, closes_after_end_ms) VALUES ($1, $2, $3, $4)
    ON CONFLICT (code) DO UPDATE SET time_zone = excluded.time_zone,
        opens_before_end_ms = excluded.opens_before_end_ms,
        closes_after_end_ms = excluded.closes_after_end_ms";

/// A conference's settings (`$1` = code), in the order the readers take them.
pub(crate) const CONFERENCE_SQL: &str = "SELECT code, time_zone, opens_before_end_ms,
    closes_after_end_ms FROM conferences WHERE code = $1";

/// Every conference's code, in order.
pub(crate) const CONFERENCES_SQL: &str = "SELECT code FROM conferences ORDER BY code";

/// A conference's talks with their vote counts (`$1` = conference), by start and room.
pub(crate) const TALKS_SQL: &str = "SELECT e.code, e.source_id, e.name, e.speakers, e.room,
    e.scheduled_start, e.scheduled_end, e.cancelled, e.opens_before_end_ms,
    e.closes_after_end_ms, (SELECT COUNT(*) FROM ratings r WHERE r.event_id = e.id)
    FROM events e WHERE e.conference = $1 ORDER BY e.scheduled_start, e.room, e.code";

/// Adds a talk (`$1` code, `$2` title, `$3` opens, `$4` closes, `$5` created, `$6`
/// conference, `$7` room, `$8` speakers, `$9`/`$10` scheduled start/end, `$11` source id,
/// `$12` window opens).
pub(crate) const ADD_TALK_SQL: &str = "INSERT INTO events (code, name, opens, closes, closed,
    created_at, conference, room, speakers, scheduled_start, scheduled_end, source_id,
    window_opens) VALUES ($1, $2, $3, $4, FALSE, $5, $6, $7, $8, $9, $10, $11, $12)";

/// Updates a talk: title `$1`, room `$2`, speakers `$3`, scheduled `$4`/`$5`, vote times
/// `$6` opens, `$7` window, `$8` closes; found by conference `$9` and source id `$10`
/// (numbered in order of appearance: SQLite numbers `$N` parameters as they appear). A talk
/// back in the agenda is no longer cancelled (and its cancellation's closing undone).
pub(crate) const UPDATE_TALK_SQL: &str = "UPDATE events SET name = $1, room = $2, speakers = $3,
    scheduled_start = $4, scheduled_end = $5, opens = $6, window_opens = $7, closes = $8,
    closed = CASE WHEN cancelled THEN FALSE ELSE closed END, cancelled = FALSE
    WHERE conference = $9 AND source_id = $10";

/// Cancels a talk (`$1` conference, `$2` source id): it stays with its votes, closed.
pub(crate) const CANCEL_TALK_SQL: &str = "UPDATE events SET cancelled = TRUE, closed = TRUE
    WHERE conference = $1 AND source_id = $2";

/// Makes sure a room exists (`$1` conference, `$2` name), its number kept.
pub(crate) const ENSURE_ROOM_SQL: &str = "INSERT INTO rooms (conference, name, number)
    VALUES ($1, $2, NULL) ON CONFLICT (conference, name) DO NOTHING";

/// Sets a room's number (`$1` conference, `$2` name, `$3` number or NULL).
pub(crate) const SET_ROOM_NUMBER_SQL: &str = "INSERT INTO rooms (conference, name, number)
    VALUES ($1, $2, $3) ON CONFLICT (conference, name) DO UPDATE SET number = excluded.number";

/// Copies each room's number to its talks (`$1` conference).
pub(crate) const ROOM_NUMBERS_TO_TALKS_SQL: &str = "UPDATE events SET number = (SELECT r.number
    FROM rooms r WHERE r.conference = events.conference AND r.name = events.room)
    WHERE conference = $1";

/// A conference's rooms (`$1`), by name: name, number.
pub(crate) const ROOMS_SQL: &str =
    "SELECT name, number FROM rooms WHERE conference = $1 ORDER BY name";

/// The separator of speakers' names in the `speakers` column (names hold no line break).
pub(crate) const SPEAKER_SEPARATOR: char = '\n';

/// The `speakers` column value for a list of names.
pub(crate) fn speakers_to_db(speakers: &[String]) -> String {
    speakers
        .iter()
        .map(|s| s.replace(['\r', '\n'], " "))
        .collect::<Vec<_>>()
        .join(&SPEAKER_SEPARATOR.to_string())
}

/// The names in a `speakers` column value.
pub(crate) fn speakers_from_db(value: Option<String>) -> Vec<String> {
    value
        .unwrap_or_default()
        .split(SPEAKER_SEPARATOR)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// A talk from the columns of [`TALKS_SQL`].
pub(crate) fn talk(row: &impl Columns) -> Result<StoredTalk, StoreError> {
    let code: String = row.column(0)?;
    Ok(StoredTalk {
        code: code
            .parse()
            .map_err(|e: crate::model::InvalidCode| StoreError::Corrupt(e.to_string()))?,
        source_id: row.column(1)?,
        title: row.column(2)?,
        speakers: speakers_from_db(row.column(3)?),
        room: row.column(4)?,
        start: Timestamp::from_millis(row.column(5)?),
        end: Timestamp::from_millis(row.column(6)?),
        cancelled: row.column(7)?,
        overrides: Overrides {
            opens_before_end: row
                .column::<Option<i64>>(8)?
                .map(duration_from_db)
                .transpose()?,
            closes_after_end: row
                .column::<Option<i64>>(9)?
                .map(duration_from_db)
                .transpose()?,
        },
        votes: super::rows::count(row.column(10)?)?,
    })
}

/// A conference's settings from the columns of [`CONFERENCE_SQL`].
pub(crate) fn conference(row: &impl Columns) -> Result<Conference, StoreError> {
    Ok(Conference {
        code: conference_code(row)?,
        time_zone: row.column(1)?,
        windows: Windows {
            opens_before_end: duration_from_db(row.column(2)?)?,
            closes_after_end: duration_from_db(row.column(3)?)?,
        },
    })
}

/// A conference code from the first column of a row.
pub(crate) fn conference_code(row: &impl Columns) -> Result<ConferenceCode, StoreError> {
    let code: String = row.column(0)?;
    code.parse()
        .map_err(|e: crate::conference::InvalidConferenceCode| StoreError::Corrupt(e.to_string()))
}

/// A room from the columns of [`ROOMS_SQL`].
pub(crate) fn room(row: &impl Columns) -> Result<Room, StoreError> {
    Ok(Room {
        name: row.column(0)?,
        number: row.column(1)?,
    })
}

/// A window length as stored (milliseconds).
pub(crate) fn ms(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

/// A stored window length, checked.
fn duration_from_db(ms: i64) -> Result<Duration, StoreError> {
    u64::try_from(ms)
        .map(Duration::from_millis)
        .map_err(|_| StoreError::Corrupt(format!("window of {ms} ms")))
}
