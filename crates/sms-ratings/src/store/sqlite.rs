//! SQLite backend: WAL, `synchronous=FULL`, one writer thread committing whole batches.
//!
//! Votes queue on a channel; the writer thread takes everything queued (up to `max_batch`),
//! records it in one `BEGIN IMMEDIATE` transaction and commits once (one fsync of the WAL for
//! the whole batch: group commit), and only then answers each vote. While it commits, new
//! votes queue up and form the next batch, so the batch size follows the load. Savepoints
//! cost time, so the common path has none: only when a vote of the batch fails is that
//! attempt rolled back and the batch redone with a savepoint per vote, so that vote alone
//! fails. Checkpoints run on a thread and connection of their own, so no commit waits for
//! one. Reads, keywords and organiser changes use pooled connections beside the writer (WAL
//! lets readers run while it writes).
//!
//! Layout: `open` (the file, its connections, migrations, checkpoints), `writer` (the batch
//! writer and the vote statements), `queries` (reads and the opt-out keywords), `organiser`
//! (event management), `number_backup` (webhooks kept by `twilio connect`); the row readers
//! are shared with PostgreSQL (`store/rows.rs`).

mod conference;
mod flags;
mod number_backup;
mod open;
mod organiser;
mod queries;
mod writer;

use std::path::PathBuf;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use rusqlite::{Connection, ErrorCode};

use super::AgendaWrite;
use super::queue::Queue;
use super::{Audit, FlagReview};
use super::{EventChange, EventSettings, NumberBackup, Options, Store, StoreError, StoreFuture};
use super::{TimeBucket, timeline};
use crate::conference::{Conference, ConferenceCode, Room, StoredTalk};
use crate::flag::{Detector, Reasons};
use crate::model::{
    Event, EventCode, NewEvent, RatingRow, Receipt, Results, Submission, Timestamp,
};

/// The SQLite store. Open with [`SqliteStore::open`] or [`super::open`].
pub struct SqliteStore {
    path: PathBuf,
    options: Options,
    queue: Queue,
    thread: Mutex<Option<JoinHandle<()>>>,
    idle: Arc<Mutex<Vec<Connection>>>,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

/// Busy, locked, I/O, full or read-only: the database cannot take writes now (503, retry).
fn map_err(e: rusqlite::Error) -> StoreError {
    match e.sqlite_error_code() {
        Some(
            ErrorCode::DatabaseBusy
            | ErrorCode::DatabaseLocked
            | ErrorCode::SystemIoFailure
            | ErrorCode::DiskFull
            | ErrorCode::CannotOpen
            | ErrorCode::ReadOnly
            | ErrorCode::OutOfMemory
            | ErrorCode::NotADatabase,
        ) => StoreError::Unavailable(e.to_string()),
        _ => StoreError::Corrupt(e.to_string()),
    }
}

impl Store for SqliteStore {
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
        bucket: std::time::Duration,
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

    fn detector(&self) -> Option<Arc<Detector>> {
        self.options.detector.clone()
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
}
