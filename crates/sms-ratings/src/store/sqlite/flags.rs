//! Flags in SQLite (the texts and row readers are shared: `store/flags.rs`).

use rusqlite::{Connection, named_params};

use super::queries::{all, event_by_code, one};
use super::{SqliteStore, map_err};
use crate::flag::Reasons;
use crate::model::{EventCode, Timestamp};
use crate::store::StoreError;
use crate::store::flags::{
    ADD_FLAGS_SQL, AUDIT_LIST_SQL, AUDIT_SQL, Audit, FLAGGED_SQL, FlagReview, KEEP_LINE_TYPE_SQL,
    LINE_TYPE_SQL, MOVE_SQL, PUBLIC_SQL, SET_PUBLIC_SQL, audit_entry, describe_move,
    describe_public, flagged_vote, public_choice,
};
use crate::store::rows::Columns;

/// Adds `reasons` to the event's vote from `phone`; false when there is none.
pub(super) fn add_flags(
    conn: &Connection,
    event: i64,
    phone: &str,
    reasons: Reasons,
) -> Result<bool, StoreError> {
    let n = conn
        .prepare_cached(ADD_FLAGS_SQL)
        .and_then(|mut s| s.execute(named_params! {"$1": event, "$2": phone, "$3": reasons.bits()}))
        .map_err(map_err)?;
    Ok(n == 1)
}

fn event_id(conn: &Connection, code: &EventCode) -> Result<i64, StoreError> {
    event_by_code(conn, code)?
        .map(|e| e.id)
        .ok_or_else(|| StoreError::UnknownEvent(code.to_string()))
}

fn audit(conn: &Connection, event: i64, by: &Audit, what: &str) -> Result<(), StoreError> {
    conn.execute(
        AUDIT_SQL,
        named_params! {"$1": event, "$2": by.at.millis(), "$3": by.who, "$4": what},
    )
    .map_err(map_err)?;
    Ok(())
}

fn review(conn: &Connection, event: i64) -> Result<FlagReview, StoreError> {
    let (cleaned, excluded) = one(conn, PUBLIC_SQL, [event], |r| public_choice(r))?
        .ok_or_else(|| StoreError::Corrupt(format!("event {event} vanished")))?;
    let votes = all(conn, FLAGGED_SQL, [event], |r| flagged_vote(r))?;
    let mut review = FlagReview::new(cleaned, excluded, votes);
    review.audit = all(conn, AUDIT_LIST_SQL, [event], |r| audit_entry(r))?;
    Ok(review)
}

impl SqliteStore {
    pub(super) async fn flag_vote(
        &self,
        code: EventCode,
        phone: String,
        reasons: Reasons,
    ) -> Result<bool, StoreError> {
        self.with_conn(move |conn| add_flags(conn, event_id(conn, &code)?, &phone, reasons))
            .await
    }

    pub(super) async fn review(&self, code: EventCode) -> Result<Option<FlagReview>, StoreError> {
        self.with_conn(move |conn| {
            event_by_code(conn, &code)?
                .map(|e| review(conn, e.id))
                .transpose()
        })
        .await
    }

    pub(super) async fn set_public(
        &self,
        code: EventCode,
        cleaned: bool,
        excluded: Reasons,
        by: Audit,
    ) -> Result<(), StoreError> {
        self.with_conn(move |conn| {
            let tx = conn.transaction().map_err(map_err)?;
            let event = event_id(&tx, &code)?;
            tx.execute(
                SET_PUBLIC_SQL,
                named_params! {"$1": event, "$2": cleaned, "$3": excluded.bits()},
            )
            .map_err(map_err)?;
            audit(&tx, event, &by, &describe_public(cleaned, excluded))?;
            tx.commit().map_err(map_err)
        })
        .await
    }

    pub(super) async fn move_by_hand(
        &self,
        code: EventCode,
        key: String,
        hand: Option<bool>,
        by: Audit,
    ) -> Result<bool, StoreError> {
        self.with_conn(move |conn| {
            let tx = conn.transaction().map_err(map_err)?;
            let event = event_id(&tx, &code)?;
            let n = tx
                .execute(MOVE_SQL, named_params! {"$1": event, "$2": key, "$3": hand})
                .map_err(map_err)?;
            if n == 1 {
                audit(&tx, event, &by, &describe_move(&key, hand))?;
            }
            tx.commit().map_err(map_err)?;
            Ok(n == 1)
        })
        .await
    }

    pub(super) async fn known_line_type(
        &self,
        phone: String,
    ) -> Result<Option<String>, StoreError> {
        self.with_conn(move |conn| one(conn, LINE_TYPE_SQL, [phone], |r| r.column(0)))
            .await
    }

    pub(super) async fn keep_line(
        &self,
        phone: String,
        line_type: String,
        at: Timestamp,
    ) -> Result<(), StoreError> {
        self.with_conn(move |conn| {
            conn.execute(
                KEEP_LINE_TYPE_SQL,
                named_params! {"$1": phone, "$2": line_type, "$3": at.millis()},
            )
            .map(drop)
            .map_err(map_err)
        })
        .await
    }
}
