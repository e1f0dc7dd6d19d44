//! Conferences, rooms and talks in PostgreSQL (the texts and row readers are shared:
//! `store/conference.rs`).

use super::queries::{all, one};
use super::{PgStore, connection, map_err};
use crate::conference::{Conference, ConferenceCode, Room, StoredTalk};
use crate::model::Timestamp;
use crate::store::conference::{
    ADD_TALK_SQL, AgendaWrite, CANCEL_TALK_SQL, CONFERENCE_SQL, CONFERENCES_SQL, ENSURE_ROOM_SQL,
    ROOM_NUMBERS_TO_TALKS_SQL, ROOMS_SQL, SET_ROOM_NUMBER_SQL, TALKS_SQL, UPDATE_TALK_SQL,
    UPSERT_CONFERENCE_SQL, conference, conference_code, ms, room, speakers_to_db, talk,
};
use crate::store::{StoreError, TalkWrite};

impl PgStore {
    pub(super) async fn conference_codes(&self) -> Result<Vec<ConferenceCode>, StoreError> {
        let client = connection(&self.pool).await?;
        all(&client, CONFERENCES_SQL, &[], conference_code).await
    }

    pub(super) async fn conference_settings(
        &self,
        code: ConferenceCode,
    ) -> Result<Option<Conference>, StoreError> {
        let client = connection(&self.pool).await?;
        one(&client, CONFERENCE_SQL, &[&code.as_str()], |r| {
            conference(r)
        })
        .await
    }

    pub(super) async fn conference_talks(
        &self,
        code: ConferenceCode,
    ) -> Result<Vec<StoredTalk>, StoreError> {
        let client = connection(&self.pool).await?;
        all(&client, TALKS_SQL, &[&code.as_str()], talk).await
    }

    pub(super) async fn write_agenda(&self, write: AgendaWrite) -> Result<(), StoreError> {
        let mut client = connection(&self.pool).await?;
        let tx = client.transaction().await.map_err(map_err)?;
        let c = &write.conference;
        let code = c.code.as_str();
        tx.execute(
            UPSERT_CONFERENCE_SQL,
            &[
                &code,
                &c.time_zone,
                &ms(c.windows.opens_before_end),
                &ms(c.windows.closes_after_end),
            ],
        )
        .await
        .map_err(map_err)?;
        let now = Timestamp::now().millis();
        for TalkWrite {
            new,
            talk: t,
            times,
        } in &write.talks
        {
            let speakers = speakers_to_db(&t.speakers);
            let (start, end) = (t.start.millis(), t.end.millis());
            let (opens, window, closes) = (
                times.opens.millis(),
                times.window_opens.millis(),
                times.closes.millis(),
            );
            if *new {
                tx.execute(
                    ADD_TALK_SQL,
                    &[
                        &t.code.as_str(),
                        &t.title,
                        &opens,
                        &closes,
                        &now,
                        &code,
                        &t.room,
                        &speakers,
                        &start,
                        &end,
                        &t.source_id,
                        &window,
                    ],
                )
                .await
                .map_err(map_err)?;
            } else {
                tx.execute(
                    UPDATE_TALK_SQL,
                    &[
                        &t.title,
                        &t.room,
                        &speakers,
                        &start,
                        &end,
                        &opens,
                        &window,
                        &closes,
                        &code,
                        &t.source_id,
                    ],
                )
                .await
                .map_err(map_err)?;
            }
        }
        for source_id in &write.cancel {
            tx.execute(CANCEL_TALK_SQL, &[&code, source_id])
                .await
                .map_err(map_err)?;
        }
        for room in &write.rooms {
            match &room.number {
                Some(n) => {
                    tx.execute(SET_ROOM_NUMBER_SQL, &[&code, &room.name, n])
                        .await
                }
                None => tx.execute(ENSURE_ROOM_SQL, &[&code, &room.name]).await,
            }
            .map_err(map_err)?;
        }
        tx.execute(ROOM_NUMBERS_TO_TALKS_SQL, &[&code])
            .await
            .map_err(map_err)?;
        tx.commit().await.map_err(map_err)
    }

    pub(super) async fn write_room_number(
        &self,
        conference: ConferenceCode,
        room: String,
        number: Option<String>,
    ) -> Result<(), StoreError> {
        let mut client = connection(&self.pool).await?;
        let tx = client.transaction().await.map_err(map_err)?;
        let code = conference.as_str();
        tx.execute(SET_ROOM_NUMBER_SQL, &[&code, &room, &number])
            .await
            .map_err(map_err)?;
        tx.execute(ROOM_NUMBERS_TO_TALKS_SQL, &[&code])
            .await
            .map_err(map_err)?;
        tx.commit().await.map_err(map_err)
    }

    pub(super) async fn conference_rooms(
        &self,
        conference: ConferenceCode,
    ) -> Result<Vec<Room>, StoreError> {
        let client = connection(&self.pool).await?;
        all(&client, ROOMS_SQL, &[&conference.as_str()], room).await
    }
}
