//! The organiser's commands: create and edit events, open / close / archive, hide and reveal
//! results, share links, comment moderation, resetting votes. Each announces its change to
//! this process's live pages once it committed (other processes learn of it from the store).
//!
//! The rules a form must follow ([`crate::rules`]) are checked by the caller, which shows the
//! errors next to the fields; the one that needs the stored events (one open event per
//! number) is [`Ratings::check_number_free`], asked by the browser form and `events add`
//! alike. The store refuses what would break its own constraints.

use super::Ratings;
use crate::model::{Event, EventCode, NewEvent, Timestamp};
use crate::rules::{self, EventRuleError};
use crate::store::{EventChange, StoreError};

impl Ratings {
    /// Whether `event` (about to be created or edited) keeps its number to one open event
    /// ([`rules::check_number_free`] against the events stored now); the inner error is the
    /// rule's, for the caller to show.
    pub async fn check_number_free(
        &self,
        event: &NewEvent,
    ) -> Result<Result<(), EventRuleError>, StoreError> {
        let all = self.store.events().await?;
        Ok(rules::check_number_free(event, &all, Timestamp::now()))
    }

    /// Creates an event; [`StoreError::DuplicateEvent`] when the
    /// code is taken.
    pub async fn create_event(&self, event: NewEvent) -> Result<Event, StoreError> {
        let event = self.store.add_event(event).await?;
        self.changed(event.code.as_str());
        Ok(event)
    }

    /// Changes an event's name, number and times (found by its code); its state stays.
    pub async fn edit_event(&self, event: NewEvent) -> Result<Event, StoreError> {
        let event = self.store.edit_event(event).await?;
        self.changed(event.code.as_str());
        Ok(event)
    }

    /// Closes an event by hand.
    pub async fn close_event(&self, code: EventCode) -> Result<Event, StoreError> {
        let event = self.store.close_event(code).await?;
        self.changed(event.code.as_str());
        Ok(event)
    }

    /// Opens, closes, archives, hides or reveals results, sets or revokes the share link
    /// (streams of a revoked link end at the announcement).
    pub async fn change_event(
        &self,
        code: EventCode,
        change: EventChange,
    ) -> Result<Event, StoreError> {
        let event = self.store.change_event(code, change).await?;
        self.changed(event.code.as_str());
        Ok(event)
    }

    /// Hides (or shows again) the comment of the vote with this idempotency key; false when
    /// the event has no such vote (its sender may have voted again meanwhile).
    pub async fn hide_comment(
        &self,
        code: EventCode,
        key: String,
        hidden: bool,
    ) -> Result<bool, StoreError> {
        let found = self.store.hide_comment(code.clone(), key, hidden).await?;
        self.changed(code.as_str());
        Ok(found)
    }

    /// Removes every vote of an event; how many were removed.
    pub async fn reset_votes(&self, code: EventCode) -> Result<u64, StoreError> {
        let removed = self.store.reset_votes(code.clone()).await?;
        self.changed(code.as_str());
        Ok(removed)
    }
}
