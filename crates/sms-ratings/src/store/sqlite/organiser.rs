//! The organiser's half of the store: creating, editing and changing events, moderation,
//! share links, resets.

use rusqlite::params;

use super::queries::{event_by_code, events, one};
use super::{SqliteStore, map_err};
use crate::model::{Event, EventCode, NewEvent, Timestamp};
use crate::store::rows::{self, EVENT_BY_SHARE_TOKEN_SQL, SETTINGS_SQL};
use crate::store::{
    ADD_EVENT_SQL, Arg, EDIT_EVENT_SQL, EventChange, EventSettings, HIDE_COMMENT_SQL,
    RESET_VOTES_SQL, StoreError,
};

impl SqliteStore {
    pub(super) async fn add_event_of(&self, event: NewEvent) -> Result<Event, StoreError> {
        self.with_conn(move |conn| {
            let inserted = conn.execute(
                ADD_EVENT_SQL,
                params![
                    event.code.as_str(),
                    event.name,
                    event.number,
                    event.opens.map(Timestamp::millis),
                    event.closes.map(Timestamp::millis),
                    Timestamp::now().millis(),
                    event.zone_name(),
                ],
            );
            if inserted.map_err(map_err)? == 0 {
                return Err(StoreError::DuplicateEvent(event.code.to_string()));
            }
            event_by_code(conn, &event.code)?
                .ok_or_else(|| StoreError::UnknownEvent(event.code.to_string()))
        })
        .await
    }

    pub(super) async fn close_event_of(&self, code: EventCode) -> Result<Event, StoreError> {
        self.with_conn(move |conn| {
            let n = conn
                .execute(EventChange::Close.sql(), [code.as_str()])
                .map_err(map_err)?;
            match (n, event_by_code(conn, &code)?) {
                (1, Some(event)) => Ok(event),
                _ => Err(StoreError::UnknownEvent(code.to_string())),
            }
        })
        .await
    }

    pub(super) async fn edit_event_of(&self, event: NewEvent) -> Result<Event, StoreError> {
        self.with_conn(move |conn| {
            // By name: SQLite numbers `$N` parameters in order of first appearance, not by N.
            conn.execute(
                EDIT_EVENT_SQL,
                rusqlite::named_params! {
                    "$1": event.code.as_str(),
                    "$2": event.name,
                    "$3": event.number,
                    "$4": event.opens.map(Timestamp::millis),
                    "$5": event.closes.map(Timestamp::millis),
                    "$6": event.zone_name(),
                },
            )
            .map_err(map_err)?;
            event_by_code(conn, &event.code)?
                .ok_or_else(|| StoreError::UnknownEvent(event.code.to_string()))
        })
        .await
    }

    pub(super) async fn change_event_of(
        &self,
        code: EventCode,
        change: EventChange,
    ) -> Result<Event, StoreError> {
        self.with_conn(move |conn| {
            let code_arg = code.as_str();
            let changed = match change.arg() {
                Arg::None => conn.execute(change.sql(), [code_arg]),
                Arg::Millis(ms) => conn.execute(
                    change.sql(),
                    rusqlite::named_params! {"$1": code_arg, "$2": ms},
                ),
                Arg::Flag(flag) => conn.execute(
                    change.sql(),
                    rusqlite::named_params! {"$1": code_arg, "$2": flag},
                ),
                Arg::Text(text) => conn.execute(
                    change.sql(),
                    rusqlite::named_params! {"$1": code_arg, "$2": text},
                ),
            };
            match (changed.map_err(map_err)?, event_by_code(conn, &code)?) {
                (1, Some(event)) => Ok(event),
                _ => Err(StoreError::UnknownEvent(code.to_string())),
            }
        })
        .await
    }

    pub(super) async fn settings_of(
        &self,
        code: EventCode,
    ) -> Result<Option<EventSettings>, StoreError> {
        self.with_conn(move |conn| {
            one(conn, SETTINGS_SQL, [code.as_str()], |row| {
                rows::settings(row)
            })
        })
        .await
    }

    pub(super) async fn by_share_token(&self, token: String) -> Result<Option<Event>, StoreError> {
        self.with_conn(move |conn| {
            Ok(events(conn, EVENT_BY_SHARE_TOKEN_SQL, [&token])?
                .into_iter()
                .next())
        })
        .await
    }

    pub(super) async fn hide_comment_of(
        &self,
        code: EventCode,
        message_sid: String,
        hidden: bool,
    ) -> Result<bool, StoreError> {
        self.with_conn(move |conn| {
            let n = conn
                .execute(
                    HIDE_COMMENT_SQL,
                    rusqlite::named_params! {"$1": code.as_str(), "$2": message_sid, "$3": hidden},
                )
                .map_err(map_err)?;
            Ok(n == 1)
        })
        .await
    }

    pub(super) async fn reset_votes_of(&self, code: EventCode) -> Result<u64, StoreError> {
        self.with_conn(move |conn| {
            let event = event_by_code(conn, &code)?
                .ok_or_else(|| StoreError::UnknownEvent(code.to_string()))?;
            let n = conn.execute(RESET_VOTES_SQL, [event.id]).map_err(map_err)?;
            Ok(u64::try_from(n).unwrap_or(u64::MAX))
        })
        .await
    }
}
