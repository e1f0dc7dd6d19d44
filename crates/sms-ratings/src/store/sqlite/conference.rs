//! Conferences, rooms and talks in SQLite (the texts and row readers are shared:
//! `store/conference.rs`).

use rusqlite::{TransactionBehavior, params};

use super::SqliteStore;
use super::map_err;
use super::queries::{all, one};
use crate::conference::{Conference, ConferenceCode, Room, StoredTalk};
use crate::model::Timestamp;
use crate::store::conference::{
    ADD_TALK_SQL, AgendaWrite, CANCEL_TALK_SQL, CONFERENCE_SQL, CONFERENCES_SQL, ENSURE_ROOM_SQL,
    ROOM_NUMBERS_TO_TALKS_SQL, ROOMS_SQL, SET_ROOM_NUMBER_SQL, TALKS_SQL, UPDATE_TALK_SQL,
    UPSERT_CONFERENCE_SQL, conference, conference_code, ms, room, speakers_to_db, talk,
};
use crate::store::{StoreError, TalkWrite};

impl SqliteStore {
    pub(super) async fn conference_codes(&self) -> Result<Vec<ConferenceCode>, StoreError> {
        self.with_conn(|conn| all(conn, CONFERENCES_SQL, [], |r| conference_code(r)))
            .await
    }

    pub(super) async fn conference_settings(
        &self,
        code: ConferenceCode,
    ) -> Result<Option<Conference>, StoreError> {
        self.with_conn(move |conn| one(conn, CONFERENCE_SQL, [code.as_str()], |r| conference(r)))
            .await
    }

    pub(super) async fn conference_talks(
        &self,
        code: ConferenceCode,
    ) -> Result<Vec<StoredTalk>, StoreError> {
        self.with_conn(move |conn| all(conn, TALKS_SQL, [code.as_str()], |r| talk(r)))
            .await
    }

    pub(super) async fn write_agenda(&self, write: AgendaWrite) -> Result<(), StoreError> {
        self.with_conn(move |conn| {
            let tx = conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(map_err)?;
            let c = &write.conference;
            let code = c.code.as_str();
            tx.execute(
                UPSERT_CONFERENCE_SQL,
                params![
                    code,
                    c.time_zone,
                    ms(c.windows.opens_before_end),
                    ms(c.windows.closes_after_end)
                ],
            )
            .map_err(map_err)?;
            let now = Timestamp::now().millis();
            for TalkWrite {
                new,
                talk: t,
                times,
            } in &write.talks
            {
                let speakers = speakers_to_db(&t.speakers);
                if *new {
                    tx.execute(
                        ADD_TALK_SQL,
                        params![
                            t.code.as_str(),
                            t.title,
                            times.opens.millis(),
                            times.closes.millis(),
                            now,
                            code,
                            t.room,
                            speakers,
                            t.start.millis(),
                            t.end.millis(),
                            t.source_id,
                            times.window_opens.millis()
                        ],
                    )
                    .map_err(map_err)?;
                } else {
                    tx.execute(
                        UPDATE_TALK_SQL,
                        params![
                            t.title,
                            t.room,
                            speakers,
                            t.start.millis(),
                            t.end.millis(),
                            times.opens.millis(),
                            times.window_opens.millis(),
                            times.closes.millis(),
                            code,
                            t.source_id
                        ],
                    )
                    .map_err(map_err)?;
                }
            }
            for source_id in &write.cancel {
                tx.execute(CANCEL_TALK_SQL, params![code, source_id])
                    .map_err(map_err)?;
            }
            for room in &write.rooms {
                match &room.number {
                    Some(n) => tx.execute(SET_ROOM_NUMBER_SQL, params![code, room.name, n]),
                    None => tx.execute(ENSURE_ROOM_SQL, params![code, room.name]),
                }
                .map_err(map_err)?;
            }
            tx.execute(ROOM_NUMBERS_TO_TALKS_SQL, [code])
                .map_err(map_err)?;
            tx.commit().map_err(map_err)
        })
        .await
    }

    pub(super) async fn write_room_number(
        &self,
        conference: ConferenceCode,
        room: String,
        number: Option<String>,
    ) -> Result<(), StoreError> {
        self.with_conn(move |conn| {
            let tx = conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(map_err)?;
            tx.execute(
                SET_ROOM_NUMBER_SQL,
                params![conference.as_str(), room, number],
            )
            .map_err(map_err)?;
            tx.execute(ROOM_NUMBERS_TO_TALKS_SQL, [conference.as_str()])
                .map_err(map_err)?;
            tx.commit().map_err(map_err)
        })
        .await
    }

    pub(super) async fn conference_rooms(
        &self,
        conference: ConferenceCode,
    ) -> Result<Vec<Room>, StoreError> {
        self.with_conn(move |conn| all(conn, ROOMS_SQL, [conference.as_str()], |r| room(r)))
            .await
    }
}
