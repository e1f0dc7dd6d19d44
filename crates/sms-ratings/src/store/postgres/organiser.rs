//! The organiser's half of the store: creating, editing and changing events, moderation,
//! share links, resets. Each change is announced to every instance's live pages.

use super::queries::{event_by_code, events, one};
use super::{PgStore, connection, listen, map_err};
use crate::model::{Event, EventCode, NewEvent, Timestamp};
use crate::store::rows::{self, EVENT_BY_SHARE_TOKEN_SQL, EVENT_COLUMNS, SETTINGS_SQL};
use crate::store::{
    ADD_EVENT_SQL, Arg, EDIT_EVENT_SQL, EventChange, EventSettings, HIDE_COMMENT_SQL,
    RESET_VOTES_SQL, StoreError,
};

impl PgStore {
    pub(super) async fn add_event_of(&self, event: NewEvent) -> Result<Event, StoreError> {
        let client = connection(&self.pool).await?;
        let inserted = client
            .execute(
                ADD_EVENT_SQL,
                &[
                    &event.code.as_str(),
                    &event.name,
                    &event.number,
                    &event.opens.map(Timestamp::millis),
                    &event.closes.map(Timestamp::millis),
                    &Timestamp::now().millis(),
                    &event.zone_name(),
                ],
            )
            .await
            .map_err(map_err)?;
        if inserted == 0 {
            return Err(StoreError::DuplicateEvent(event.code.to_string()));
        }
        event_by_code(&client, &event.code)
            .await?
            .ok_or_else(|| StoreError::UnknownEvent(event.code.to_string()))
    }

    pub(super) async fn close_event_of(&self, code: EventCode) -> Result<Event, StoreError> {
        let client = connection(&self.pool).await?;
        let sql = format!("{} RETURNING {EVENT_COLUMNS}", EventChange::Close.sql());
        one(&client, &sql, &[&code.as_str()], rows::event)
            .await?
            .ok_or_else(|| StoreError::UnknownEvent(code.to_string()))
    }

    pub(super) async fn edit_event_of(&self, event: NewEvent) -> Result<Event, StoreError> {
        let client = connection(&self.pool).await?;
        client
            .execute(
                EDIT_EVENT_SQL,
                &[
                    &event.code.as_str(),
                    &event.name,
                    &event.number,
                    &event.opens.map(Timestamp::millis),
                    &event.closes.map(Timestamp::millis),
                    &event.zone_name(),
                ],
            )
            .await
            .map_err(map_err)?;
        // Other instances' live pages show organiser changes at once too.
        listen::announce(&client, event.code.as_str())
            .await
            .map_err(map_err)?;
        event_by_code(&client, &event.code)
            .await?
            .ok_or_else(|| StoreError::UnknownEvent(event.code.to_string()))
    }

    pub(super) async fn change_event_of(
        &self,
        code: EventCode,
        change: EventChange,
    ) -> Result<Event, StoreError> {
        let client = connection(&self.pool).await?;
        let sql = format!("{} RETURNING {EVENT_COLUMNS}", change.sql());
        let code_arg = code.as_str();
        let event = match change.arg() {
            Arg::None => one(&client, &sql, &[&code_arg], rows::event).await,
            Arg::Millis(ms) => one(&client, &sql, &[&code_arg, &ms], rows::event).await,
            Arg::Flag(flag) => one(&client, &sql, &[&code_arg, &flag], rows::event).await,
            Arg::Text(text) => one(&client, &sql, &[&code_arg, &text], rows::event).await,
        }?
        .ok_or_else(|| StoreError::UnknownEvent(code.to_string()))?;
        listen::announce(&client, code_arg).await.map_err(map_err)?;
        Ok(event)
    }

    pub(super) async fn settings_of(
        &self,
        code: EventCode,
    ) -> Result<Option<EventSettings>, StoreError> {
        let client = connection(&self.pool).await?;
        one(&client, SETTINGS_SQL, &[&code.as_str()], rows::settings).await
    }

    pub(super) async fn by_share_token(&self, token: String) -> Result<Option<Event>, StoreError> {
        let client = connection(&self.pool).await?;
        Ok(events(&client, EVENT_BY_SHARE_TOKEN_SQL, &[&token])
            .await?
            .into_iter()
            .next())
    }

    pub(super) async fn hide_comment_of(
        &self,
        code: EventCode,
        message_sid: String,
        hidden: bool,
    ) -> Result<bool, StoreError> {
        let client = connection(&self.pool).await?;
        let n = client
            .execute(HIDE_COMMENT_SQL, &[&code.as_str(), &message_sid, &hidden])
            .await
            .map_err(map_err)?;
        listen::announce(&client, code.as_str())
            .await
            .map_err(map_err)?;
        Ok(n == 1)
    }

    pub(super) async fn reset_votes_of(&self, code: EventCode) -> Result<u64, StoreError> {
        let Some((client, event)) = self.with_event(&code).await? else {
            return Err(StoreError::UnknownEvent(code.to_string()));
        };
        let removed = client
            .execute(RESET_VOTES_SQL, &[&event.id])
            .await
            .map_err(map_err)?;
        listen::announce(&client, code.as_str())
            .await
            .map_err(map_err)?;
        Ok(removed)
    }
}
