//! PostgreSQL backend: a connection pool, votes committed in batches by a few worker tasks.
//!
//! Several `serve` instances may share one database. Exact totals come from constraints, not
//! from reading first: a vote first *claims* its `MessageSid` with `INSERT … ON CONFLICT DO
//! NOTHING` (a concurrent claim of the same id waits for the first transaction and then sees
//! it), and the rating is an `INSERT … ON CONFLICT (event_id, phone) DO UPDATE` whose vote
//! count is raised under the row lock. A batch takes its row locks in one global order (see
//! `vote::apply_in_lock_order`), so batches of different instances cannot deadlock; a
//! serialization failure or deadlock that happens anyway is retried. Every commit that
//! changes an event announces it (`LISTEN/NOTIFY`), so every instance's live pages follow.
//!
//! Layout: `open` (the pool, TLS, migrations, shutting down), `writer` (the batch workers and
//! the vote statements), `queries` (reads and the opt-out keywords), `organiser` (event
//! management), `listen` (announcements), `tls`, `number_backup` (webhooks kept by `twilio
//! connect`); the row readers are shared with SQLite (`store/rows.rs`).

mod conference;
mod flags;
mod listen;
mod number_backup;
mod open;
mod organiser;
mod queries;
mod tls;
mod writer;

use std::pin::Pin;
use std::time::Duration;

use deadpool_postgres::{Object, Pool};
use tokio_postgres::error::SqlState;

use super::AgendaWrite;
use super::queue::Queue;
use super::{Audit, FlagReview};
use super::{Change, EventChange, EventSettings, NumberBackup, Store, StoreError, StoreFuture};
use super::{TimeBucket, timeline};
use crate::conference::{Conference, ConferenceCode, Room, StoredTalk};
use crate::flag::{Detector, Reasons};
use crate::model::{
    Event, EventCode, NewEvent, RatingRow, Receipt, Results, Submission, Timestamp,
};

/// The PostgreSQL store. Open with [`PgStore::open`] or [`super::open`].
pub struct PgStore {
    pool: Pool,
    queue: Queue,
    listener: listen::Listener,
    detector: Option<std::sync::Arc<Detector>>,
}

impl std::fmt::Debug for PgStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgStore").finish_non_exhaustive()
    }
}

/// A pooled connection, or [`StoreError::Unavailable`] when none comes in time.
async fn connection(pool: &Pool) -> Result<Object, StoreError> {
    pool.get()
        .await
        .map_err(|e| StoreError::Unavailable(format!("no PostgreSQL connection: {e}")))
}

/// Connection loss, shutdown, resource limits: unavailable (503). Deadlock or serialization
/// failure: conflict (retried). Anything else: the data or schema is not what we expect.
fn map_err(e: tokio_postgres::Error) -> StoreError {
    let Some(state) = e.code() else {
        return StoreError::Unavailable(e.to_string());
    };
    let class = state.code().get(..2).unwrap_or("");
    if *state == SqlState::T_R_DEADLOCK_DETECTED || *state == SqlState::T_R_SERIALIZATION_FAILURE {
        StoreError::Conflict(e.to_string())
    } else if matches!(class, "08" | "53" | "57" | "58") || e.is_closed() {
        StoreError::Unavailable(e.to_string())
    } else {
        StoreError::Corrupt(e.to_string())
    }
}

impl Store for PgStore {
    fn add_event(&self, event: NewEvent) -> StoreFuture<'_, Event> {
        Box::pin(self.add_event_of(event))
    }

    fn events(&self) -> StoreFuture<'_, Vec<Event>> {
        Box::pin(self.events_of())
    }

    fn event(&self, code: EventCode) -> StoreFuture<'_, Option<Event>> {
        Box::pin(self.event_of(code))
    }

    fn close_event(&self, code: EventCode) -> StoreFuture<'_, Event> {
        Box::pin(self.close_event_of(code))
    }

    fn submit(&self, submission: Submission) -> StoreFuture<'_, Receipt> {
        Box::pin(self.queue.submit(submission))
    }

    fn set_opted_out(
        &self,
        message_sid: String,
        phone: String,
        opted_out: bool,
        at: Timestamp,
    ) -> StoreFuture<'_, bool> {
        Box::pin(self.set_opted_out_of(message_sid, phone, opted_out, at))
    }

    fn is_opted_out(&self, phone: String) -> StoreFuture<'_, bool> {
        Box::pin(self.is_opted_out_of(phone))
    }

    fn results(&self, code: EventCode) -> StoreFuture<'_, Option<Results>> {
        Box::pin(self.results_of(code))
    }

    fn ratings(&self, code: EventCode) -> StoreFuture<'_, Option<Vec<RatingRow>>> {
        Box::pin(self.ratings_of(code))
    }

    fn timeline(
        &self,
        code: EventCode,
        bucket: Duration,
    ) -> StoreFuture<'_, Option<Vec<TimeBucket>>> {
        Box::pin(self.timeline_of(code, timeline::width_millis(bucket)))
    }

    fn latest_comments(
        &self,
        code: EventCode,
        limit: u32,
    ) -> StoreFuture<'_, Option<Vec<RatingRow>>> {
        Box::pin(self.latest_comments_of(code, limit))
    }

    fn edit_event(&self, event: NewEvent) -> StoreFuture<'_, Event> {
        Box::pin(self.edit_event_of(event))
    }

    fn change_event(&self, code: EventCode, change: EventChange) -> StoreFuture<'_, Event> {
        Box::pin(self.change_event_of(code, change))
    }

    fn event_settings(&self, code: EventCode) -> StoreFuture<'_, Option<EventSettings>> {
        Box::pin(self.settings_of(code))
    }

    fn event_by_share_token(&self, token: String) -> StoreFuture<'_, Option<Event>> {
        Box::pin(self.by_share_token(token))
    }

    fn hide_comment(
        &self,
        code: EventCode,
        message_sid: String,
        hidden: bool,
    ) -> StoreFuture<'_, bool> {
        Box::pin(self.hide_comment_of(code, message_sid, hidden))
    }

    fn reset_votes(&self, code: EventCode) -> StoreFuture<'_, u64> {
        Box::pin(self.reset_votes_of(code))
    }

    fn add_flags(&self, code: EventCode, phone: String, reasons: Reasons) -> StoreFuture<'_, bool> {
        Box::pin(self.flag_vote(code, phone, reasons))
    }

    fn flag_review(&self, code: EventCode) -> StoreFuture<'_, Option<FlagReview>> {
        Box::pin(self.review(code))
    }

    fn set_public_figures(
        &self,
        code: EventCode,
        cleaned: bool,
        excluded: Reasons,
        audit: Audit,
    ) -> StoreFuture<'_, ()> {
        Box::pin(self.set_public(code, cleaned, excluded, audit))
    }

    fn move_vote(
        &self,
        code: EventCode,
        key: String,
        hand: Option<bool>,
        audit: Audit,
    ) -> StoreFuture<'_, bool> {
        Box::pin(self.move_by_hand(code, key, hand, audit))
    }

    fn line_type(&self, phone: String) -> StoreFuture<'_, Option<String>> {
        Box::pin(self.known_line_type(phone))
    }

    fn keep_line_type(
        &self,
        phone: String,
        line_type: String,
        at: Timestamp,
    ) -> StoreFuture<'_, ()> {
        Box::pin(self.keep_line(phone, line_type, at))
    }

    fn detector(&self) -> Option<std::sync::Arc<Detector>> {
        self.detector.clone()
    }

    // ---- Conferences (schema version 10; see `store::conference`) ----

    fn conferences(&self) -> StoreFuture<'_, Vec<ConferenceCode>> {
        Box::pin(self.conference_codes())
    }

    fn conference(&self, code: ConferenceCode) -> StoreFuture<'_, Option<Conference>> {
        Box::pin(self.conference_settings(code))
    }

    fn talks(&self, code: ConferenceCode) -> StoreFuture<'_, Vec<StoredTalk>> {
        Box::pin(self.conference_talks(code))
    }

    fn import_agenda(&self, write: AgendaWrite) -> StoreFuture<'_, ()> {
        Box::pin(self.write_agenda(write))
    }

    fn set_room_number(
        &self,
        conference: ConferenceCode,
        room: String,
        number: Option<String>,
    ) -> StoreFuture<'_, ()> {
        Box::pin(self.write_room_number(conference, room, number))
    }

    fn rooms(&self, conference: ConferenceCode) -> StoreFuture<'_, Vec<Room>> {
        Box::pin(self.conference_rooms(conference))
    }

    fn keep_number_backup(&self, backup: NumberBackup) -> StoreFuture<'_, bool> {
        Box::pin(self.keep_backup(backup))
    }

    fn number_backup(
        &self,
        number_sid: String,
        forget: bool,
    ) -> StoreFuture<'_, Option<NumberBackup>> {
        Box::pin(self.backup(number_sid, forget))
    }

    fn health(&self) -> StoreFuture<'_, ()> {
        Box::pin(self.health_of())
    }

    fn close(&self) -> Pin<Box<dyn std::future::Future<Output = ()> + Send + '_>> {
        Box::pin(self.close_of())
    }

    fn changes(&self) -> Option<tokio::sync::broadcast::Receiver<Change>> {
        Some(self.listener.subscribe())
    }
}
