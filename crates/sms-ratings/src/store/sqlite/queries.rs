//! Reads, and the opt-out keywords' own small transactions, on pooled connections.

use rusqlite::{Connection, OptionalExtension, Params, Row, params};

use super::{SqliteStore, map_err};
use crate::model::{Event, EventCode, RatingRow, Results, Timestamp};
use crate::store::rows::{self, Columns, Value};
use crate::store::{CLAIM_SQL, OPT_IN_SQL, OPT_OUT_SQL, StoreError, TimeBucket};

impl Columns for Row<'_> {
    fn column<T: Value>(&self, index: usize) -> Result<T, StoreError> {
        Row::get(self, index).map_err(map_err)
    }
}

/// Every row of `sql` over `args`, each read by `read`.
pub(super) fn all<T>(
    conn: &Connection,
    sql: &str,
    args: impl Params,
    read: impl Fn(&Row<'_>) -> Result<T, StoreError>,
) -> Result<Vec<T>, StoreError> {
    let mut stmt = conn.prepare_cached(sql).map_err(map_err)?;
    let rows = stmt.query_map(args, |row| Ok(read(row))).map_err(map_err)?;
    rows.map(|row| row.map_err(map_err)?).collect()
}

/// The row of `sql` over `args`, if any, read by `read`.
pub(super) fn one<T>(
    conn: &Connection,
    sql: &str,
    args: impl Params,
    read: impl Fn(&Row<'_>) -> Result<T, StoreError>,
) -> Result<Option<T>, StoreError> {
    let mut stmt = conn.prepare_cached(sql).map_err(map_err)?;
    let row = stmt.query_row(args, |row| Ok(read(row))).optional();
    row.map_err(map_err)?.transpose()
}

/// The events of `sql` (one of the event statements of `store/rows.rs`) over `args`.
pub(super) fn events(
    conn: &Connection,
    sql: &str,
    args: impl Params,
) -> Result<Vec<Event>, StoreError> {
    all(conn, sql, args, |row| rows::event(row))
}

pub(super) fn event_by_code(
    conn: &Connection,
    code: &EventCode,
) -> Result<Option<Event>, StoreError> {
    one(conn, rows::EVENT_BY_CODE_SQL, [code.as_str()], |row| {
        rows::event(row)
    })
}

pub(super) fn is_opted_out(conn: &Connection, phone: &str) -> Result<bool, StoreError> {
    let n: i64 = conn
        .prepare_cached(rows::IS_OPTED_OUT_SQL)
        .map_err(map_err)?
        .query_row([phone], |r| r.get(0))
        .map_err(map_err)?;
    Ok(n > 0)
}

fn count(conn: &Connection, sql: &str, args: impl Params) -> Result<i64, StoreError> {
    conn.prepare_cached(sql)
        .map_err(map_err)?
        .query_row(args, |r| r.get(0))
        .map_err(map_err)
}

fn results(conn: &Connection, event: &Event) -> Result<Results, StoreError> {
    let held = count(conn, rows::HELD_CALLS_SQL, [event.id])?;
    let counts = all(conn, rows::RESULTS_SQL, [event.id], |row| {
        rows::results_row(row)
    })?;
    rows::tally(event, counts, held)
}

impl SqliteStore {
    /// Runs `f` with the event `code` on a pooled connection; `None` for an unknown code.
    async fn with_event<T: Send + 'static>(
        &self,
        code: EventCode,
        f: impl FnOnce(&Connection, &Event) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<Option<T>, StoreError> {
        self.with_conn(move |conn| {
            event_by_code(conn, &code)?
                .map(|event| f(conn, &event))
                .transpose()
        })
        .await
    }

    pub(super) async fn events_of(&self) -> Result<Vec<Event>, StoreError> {
        self.with_conn(|conn| events(conn, rows::EVENTS_SQL, []))
            .await
    }

    pub(super) async fn event_of(&self, code: EventCode) -> Result<Option<Event>, StoreError> {
        self.with_conn(move |conn| event_by_code(conn, &code)).await
    }

    pub(super) async fn set_opted_out_of(
        &self,
        message_sid: String,
        phone: String,
        opted_out: bool,
        at: Timestamp,
    ) -> Result<bool, StoreError> {
        self.with_conn(move |conn| {
            let tx = conn.transaction().map_err(map_err)?;
            let claimed = tx
                .execute(CLAIM_SQL, params![message_sid, at.millis()])
                .map_err(map_err)?;
            if claimed == 0 {
                return Ok(false);
            }
            if opted_out {
                tx.execute(OPT_OUT_SQL, params![phone, at.millis()])
            } else {
                tx.execute(OPT_IN_SQL, params![phone])
            }
            .map_err(map_err)?;
            tx.commit().map_err(map_err)?;
            Ok(true)
        })
        .await
    }

    pub(super) async fn is_opted_out_of(&self, phone: String) -> Result<bool, StoreError> {
        self.with_conn(move |conn| is_opted_out(conn, &phone)).await
    }

    pub(super) async fn results_of(&self, code: EventCode) -> Result<Option<Results>, StoreError> {
        self.with_event(code, results).await
    }

    pub(super) async fn ratings_of(
        &self,
        code: EventCode,
    ) -> Result<Option<Vec<RatingRow>>, StoreError> {
        self.with_event(code, |conn, event| {
            all(conn, rows::RATINGS_SQL, [event.id], |row| rows::rating(row))
        })
        .await
    }

    pub(super) async fn timeline_of(
        &self,
        code: EventCode,
        width: i64,
    ) -> Result<Option<Vec<TimeBucket>>, StoreError> {
        self.with_event(code, move |conn, event| {
            // By name: SQLite numbers `$N` parameters in order of first appearance, not by N.
            let args = rusqlite::named_params! {"$1": event.id, "$2": width};
            all(conn, rows::TIMELINE_SQL, args, |row| rows::bucket(row))
        })
        .await
    }

    pub(super) async fn latest_comments_of(
        &self,
        code: EventCode,
        limit: u32,
    ) -> Result<Option<Vec<RatingRow>>, StoreError> {
        self.with_event(code, move |conn, event| {
            let args = rusqlite::named_params! {"$1": event.id, "$2": limit};
            all(conn, rows::LATEST_COMMENTS_SQL, args, |row| {
                rows::rating(row)
            })
        })
        .await
    }
}
