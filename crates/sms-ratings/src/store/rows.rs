//! What both backends read, written once: the read statements, their column lists and the
//! readers that turn a row into a model value. A column added to a table is read here, for
//! SQLite and PostgreSQL alike; each backend only says how one column of its rows is fetched
//! ([`Columns`]). The statements use `$N` parameters, which both dialects accept.

use super::{EventSettings, StoreError, TimeBucket};
use crate::model::{Channel, Event, Rating, RatingRow, Reach, Results, Timestamp, Zone};

/// A column type both drivers read.
pub(crate) trait Value:
    rusqlite::types::FromSql + for<'a> tokio_postgres::types::FromSql<'a>
{
}

impl<T> Value for T where T: rusqlite::types::FromSql + for<'a> tokio_postgres::types::FromSql<'a> {}

/// One result row of a backend, read by column position.
pub(crate) trait Columns {
    /// Column `index` (from 0), as a `T`; a driver error is mapped as the backend maps it.
    fn column<T: Value>(&self, index: usize) -> Result<T, StoreError>;
}

/// An event's columns, in the order [`event`] reads them.
macro_rules! event_columns {
    () => {
        "id, code, name, number, opens, closes, closed, time_zone, window_opens"
    };
}

/// A rating's columns, in the order [`rating`] reads them.
macro_rules! rating_columns {
    () => {
        "phone, CAST(rating AS BIGINT), comment, created_at, updated_at, channel, message_sid,
        hidden"
    };
}

/// The columns [`event`] reads, for a statement's `RETURNING` clause.
pub(crate) const EVENT_COLUMNS: &str = event_columns!();

/// Every event, by code.
pub(crate) const EVENTS_SQL: &str =
    concat!("SELECT ", event_columns!(), " FROM events ORDER BY code");

/// The event with a code (`$1`).
pub(crate) const EVENT_BY_CODE_SQL: &str =
    concat!("SELECT ", event_columns!(), " FROM events WHERE code = $1");

/// The events a number (`$1`) serves, by code.
pub(crate) const EVENTS_BY_NUMBER_SQL: &str = concat!(
    "SELECT ",
    event_columns!(),
    " FROM events WHERE number = $1 ORDER BY code"
);

/// The event whose share link holds a token (`$1`).
pub(crate) const EVENT_BY_SHARE_TOKEN_SQL: &str = concat!(
    "SELECT ",
    event_columns!(),
    " FROM events WHERE share_token = $1 ORDER BY code"
);

/// An event's ratings, oldest first (`$1` = event id).
pub(crate) const RATINGS_SQL: &str = concat!(
    "SELECT ",
    rating_columns!(),
    " FROM ratings WHERE event_id = $1 ORDER BY created_at, phone"
);

/// The latest non-empty comments not hidden by the organiser (`$1` = event id, `$2` = how
/// many), newest first.
pub(crate) const LATEST_COMMENTS_SQL: &str = concat!(
    "SELECT ",
    rating_columns!(),
    " FROM ratings WHERE event_id = $1 AND comment <> '' AND NOT hidden
    ORDER BY updated_at DESC, phone LIMIT $2"
);

/// An event's settings (`$1` = code), in the order [`settings`] reads them.
pub(crate) const SETTINGS_SQL: &str =
    "SELECT archived, results_hidden, share_token, count_unverified_calls, frame_ancestors
    FROM events WHERE code = $1";

/// Per rating and channel of one event (`$1` = event id): rating, channel, count, latest
/// `updated_at`, how many of those phones opted out of texts ([`results_row`]).
pub(crate) const RESULTS_SQL: &str = "SELECT CAST(r.rating AS BIGINT), r.channel, COUNT(*),
    MAX(r.updated_at), COUNT(o.phone)
    FROM ratings r LEFT JOIN opt_outs o ON o.phone = r.phone
    WHERE r.event_id = $1 GROUP BY r.rating, r.channel";

/// How many call votes of an event are held apart (`$1` = event id).
pub(crate) const HELD_CALLS_SQL: &str = "SELECT COUNT(*) FROM held_votes WHERE event_id = $1";

/// Votes per time bucket (`$1` = event id, `$2` = bucket width in ms): bucket start, count,
/// sum of ratings, oldest first ([`bucket`]).
pub(crate) const TIMELINE_SQL: &str = "SELECT (updated_at / $2) * $2, COUNT(*),
    CAST(SUM(rating) AS BIGINT) FROM ratings WHERE event_id = $1 GROUP BY 1 ORDER BY 1";

/// 1 when a phone opted out, else 0 (`$1` = phone).
pub(crate) const IS_OPTED_OUT_SQL: &str = "SELECT COUNT(*) FROM opt_outs WHERE phone = $1";

/// An event from the columns of [`EVENT_COLUMNS`].
pub(crate) fn event(row: &impl Columns) -> Result<Event, StoreError> {
    let code: String = row.column(1)?;
    Ok(Event {
        id: row.column(0)?,
        code: code
            .parse()
            .map_err(|e: crate::model::InvalidCode| StoreError::Corrupt(e.to_string()))?,
        name: row.column(2)?,
        number: row.column(3)?,
        opens: row.column::<Option<i64>>(4)?.map(Timestamp::from_millis),
        closes: row.column::<Option<i64>>(5)?.map(Timestamp::from_millis),
        closed: row.column(6)?,
        time_zone: zone(row.column(7)?),
        window_opens: row.column::<Option<i64>>(8)?.map(Timestamp::from_millis),
    })
}

/// An event's `time_zone` column: a zone this build's database no longer knows (a name
/// retired from the tz database) is read as none, the deployment's, rather than making the
/// event unreadable; the organiser sees the zone named on every page and can set it again.
fn zone(value: Option<String>) -> Option<Zone> {
    let name = value?;
    match name.parse() {
        Ok(zone) => Some(zone),
        Err(_) => {
            tracing::warn!(zone = %name, "stored time zone unknown: using the default");
            None
        }
    }
}

/// A rating from the columns of [`RATINGS_SQL`].
pub(crate) fn rating(row: &impl Columns) -> Result<RatingRow, StoreError> {
    Ok(RatingRow {
        phone: row.column(0)?,
        rating: rating_from_db(row.column(1)?)?,
        comment: row.column(2)?,
        created_at: Timestamp::from_millis(row.column(3)?),
        updated_at: Timestamp::from_millis(row.column(4)?),
        channel: channel_from_db(&row.column::<String>(5)?)?,
        message_sid: row.column(6)?,
        hidden: row.column(7)?,
    })
}

/// An event's settings from the columns of [`SETTINGS_SQL`].
pub(crate) fn settings(row: &impl Columns) -> Result<EventSettings, StoreError> {
    Ok(EventSettings {
        archived: row.column(0)?,
        results_hidden: row.column(1)?,
        share_token: row.column(2)?,
        count_unverified_calls: row.column(3)?,
        frame_ancestors: row.column(4)?,
    })
}

/// A time bucket from the columns of [`TIMELINE_SQL`].
pub(crate) fn bucket(row: &impl Columns) -> Result<TimeBucket, StoreError> {
    TimeBucket::from_db(row.column(0)?, row.column(1)?, row.column(2)?)
}

/// One [`RESULTS_SQL`] row: rating, channel, count, latest update, opted out.
pub(crate) type ResultsRow = (i64, String, i64, i64, i64);

/// A [`RESULTS_SQL`] row.
pub(crate) fn results_row(row: &impl Columns) -> Result<ResultsRow, StoreError> {
    Ok((
        row.column(0)?,
        row.column(1)?,
        row.column(2)?,
        row.column(3)?,
        row.column(4)?,
    ))
}

/// Folds [`RESULTS_SQL`] rows and the [`HELD_CALLS_SQL`] count into an event's results.
pub(crate) fn tally(
    event: &Event,
    rows: impl IntoIterator<Item = ResultsRow>,
    held_calls: i64,
) -> Result<Results, StoreError> {
    let mut counts = [0u64; 5];
    let mut latest = None;
    let mut reach = Reach::default();
    for row in rows {
        let (rating, channel, n, updated, opted_out) = row;
        let n = count(n)?;
        *counts
            .get_mut(usize::from(rating_from_db(rating)?.get() - 1))
            .ok_or_else(|| StoreError::Corrupt(format!("rating {rating}")))? += n;
        reach.add(channel_from_db(&channel)?, n);
        reach.opted_out += count(opted_out)?;
        latest = latest.max(Some(Timestamp::from_millis(updated)));
    }
    reach.held_calls = count(held_calls)?;
    let mut results = Results::from_counts(event, counts, latest);
    results.reach = reach;
    Ok(results)
}

/// A count column value, checked.
pub(crate) fn count(n: i64) -> Result<u64, StoreError> {
    u64::try_from(n).map_err(|_| StoreError::Corrupt(format!("count {n}")))
}

/// A channel column value, checked.
fn channel_from_db(value: &str) -> Result<Channel, StoreError> {
    Channel::from_name(value)
        .ok_or_else(|| StoreError::Corrupt(format!("channel {value:?} unknown")))
}

/// A rating column value, checked.
pub(crate) fn rating_from_db(value: i64) -> Result<Rating, StoreError> {
    u8::try_from(value)
        .ok()
        .and_then(Rating::new)
        .ok_or_else(|| StoreError::Corrupt(format!("rating {value} out of range")))
}
