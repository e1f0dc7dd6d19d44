//! Storage: one async trait, two backends (SQLite, PostgreSQL) with the same migrations.
//!
//! Both backends batch votes (group commit) and answer a vote only after the transaction
//! holding it committed, so a 2xx always means durable. A `MessageSid` is processed once:
//! a repeat gets the stored reply and changes nothing.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use sms_ratings::model::{CallerId, Channel, NewEvent, Submission, Timestamp, Vote, Rating};
//! use sms_ratings::store;
//!
//! let dir = tempfile::tempdir()?;
//! let db = store::open(dir.path().join("ratings.db").to_str().unwrap()).await?;
//! db.add_event(NewEvent { code: "RUST25".parse()?, name: "RustConf".into(), number: None, opens: None, closes: None, time_zone: None }).await?;
//! let vote = Vote { code: Some("rust25".parse()?), rating: Rating::new(5).unwrap(), comment: String::new() };
//! let sub = Submission { idempotency_key: "SM1".into(), phone: "+15550001111".into(), to: "+15559990000".into(), vote, at: Timestamp::now(), channel: Channel::Sms, caller: CallerId::Trusted, quiet: false };
//! let first = db.submit(sub.clone()).await?;
//! let again = db.submit(sub).await?;
//! assert!(!first.is_duplicate() && again.is_duplicate());
//! assert_eq!(first.reply, again.reply);
//! assert_eq!(db.results("RUST25".parse()?).await?.unwrap().count, 1);
//! db.close().await;
//! # Ok(()) }
//! ```

mod conference;
mod decide;
mod flags;
mod manage;
mod migrations;
mod number_backup;
pub mod postgres;
mod queue;
mod rows;
pub mod sqlite;
mod timeline;
mod vote;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use crate::conference::{Conference, ConferenceCode, Room, StoredTalk};
use crate::flag::{Detector, Reasons};
use crate::model::{
    Event, EventCode, NewEvent, RatingRow, Receipt, Results, Submission, Timestamp,
};

pub use conference::{AgendaWrite, TalkWrite};
pub(crate) use decide::{Decision, decide_by_code, decide_by_number};
pub use flags::{Audit, AuditEntry, FlagReview};
pub(crate) use manage::{ADD_EVENT_SQL, Arg, EDIT_EVENT_SQL, HIDE_COMMENT_SQL, RESET_VOTES_SQL};
pub use manage::{EventChange, EventSettings};
pub(crate) use migrations::{APPLIED_VERSIONS, CREATE_MIGRATIONS_TABLE, Dialect, pending};
pub use number_backup::NumberBackup;
pub use timeline::TimeBucket;

/// A change to an event's votes or settings, as announced to live pages.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Change {
    /// This event (by code) changed.
    Event(String),
    /// Anything may have changed: announcements were missed (a listener reconnected).
    Unknown,
}

/// A boxed future returned by [`Store`] methods (boxed so the trait is object-safe).
pub type StoreFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, StoreError>> + Send + 'a>>;

/// Everything that can go wrong in storage.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The database cannot be reached, is locked or busy, or is shutting down: retry later.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// Concurrent transactions deadlocked or failed to serialise; the batch was retried and
    /// still conflicted.
    #[error("database conflict: {0}")]
    Conflict(String),
    /// An event with this code already exists.
    #[error("an event with code {0} already exists")]
    DuplicateEvent(String),
    /// No event has this code.
    #[error("no event with code {0}")]
    UnknownEvent(String),
    /// The database holds something this build does not understand (newer schema, bad row).
    #[error("database content not understood: {0}")]
    Corrupt(String),
    /// The database location or options are invalid.
    #[error("invalid database configuration: {0}")]
    Config(String),
}

/// Storage for events, ratings and processed messages.
pub trait Store: Send + Sync + 'static {
    /// Creates an event; [`StoreError::DuplicateEvent`] when the code is taken.
    fn add_event(&self, event: NewEvent) -> StoreFuture<'_, Event>;
    /// All events, by code.
    fn events(&self) -> StoreFuture<'_, Vec<Event>>;
    /// One event by code.
    fn event(&self, code: EventCode) -> StoreFuture<'_, Option<Event>>;
    /// Closes an event by hand; [`StoreError::UnknownEvent`] when there is none.
    fn close_event(&self, code: EventCode) -> StoreFuture<'_, Event>;
    /// Records a vote (once per `MessageSid`); resolves when committed.
    fn submit(&self, submission: Submission) -> StoreFuture<'_, Receipt>;
    /// Records that `phone` opted out of texts (`true`: `STOP`) or back in (`false`: `START`),
    /// once per `message_sid`: false (and no change) when that message was processed before,
    /// so a replayed `STOP` cannot undo a later `START`.
    fn set_opted_out(
        &self,
        message_sid: String,
        phone: String,
        opted_out: bool,
        at: Timestamp,
    ) -> StoreFuture<'_, bool>;
    /// True when `phone` opted out of texts.
    fn is_opted_out(&self, phone: String) -> StoreFuture<'_, bool>;
    /// An event's results; `None` for an unknown code.
    fn results(&self, code: EventCode) -> StoreFuture<'_, Option<Results>>;
    /// An event's ratings, oldest first; `None` for an unknown code.
    fn ratings(&self, code: EventCode) -> StoreFuture<'_, Option<Vec<RatingRow>>>;
    /// An event's votes per time bucket of width `bucket` (each phone once, at its latest
    /// vote), oldest first, empty buckets left out; `None` for an unknown code.
    fn timeline(
        &self,
        code: EventCode,
        bucket: std::time::Duration,
    ) -> StoreFuture<'_, Option<Vec<TimeBucket>>>;
    /// An event's `limit` latest non-empty comments, newest first; `None` for an unknown code.
    fn latest_comments(
        &self,
        code: EventCode,
        limit: u32,
    ) -> StoreFuture<'_, Option<Vec<RatingRow>>>;

    // ---- Organiser management (schema version 2; see `manage`) ----

    /// Changes an event's name, number and times (found by its code); its state stays.
    fn edit_event(&self, event: NewEvent) -> StoreFuture<'_, Event>;
    /// Opens, closes, archives, hides or reveals results, sets or revokes the share link;
    /// [`StoreError::UnknownEvent`] when there is no such event.
    fn change_event(&self, code: EventCode, change: EventChange) -> StoreFuture<'_, Event>;
    /// An event's settings; `None` for an unknown code.
    fn event_settings(&self, code: EventCode) -> StoreFuture<'_, Option<EventSettings>>;
    /// The event whose share link holds `token`, if any.
    fn event_by_share_token(&self, token: String) -> StoreFuture<'_, Option<Event>>;
    /// Hides (or shows again) the comment of the vote `message_sid`; false when the event
    /// has no such vote (its sender may have voted again meanwhile).
    fn hide_comment(
        &self,
        code: EventCode,
        message_sid: String,
        hidden: bool,
    ) -> StoreFuture<'_, bool>;
    /// Removes every vote of an event; how many were removed.
    fn reset_votes(&self, code: EventCode) -> StoreFuture<'_, u64>;

    // ---- end of organiser management ----

    // ---- Flags (schema version 9; see `flags`) ----

    /// Adds `reasons` to the event's vote from `phone` (found late, as by Lookup); false when
    /// the event has no vote from it.
    fn add_flags(&self, code: EventCode, phone: String, reasons: Reasons) -> StoreFuture<'_, bool>;
    /// An event's flagged votes and the organiser's choices; `None` for an unknown code.
    fn flag_review(&self, code: EventCode) -> StoreFuture<'_, Option<FlagReview>>;
    /// Sets what the public sees (cleaned figures or raw) and which reasons the cleaned
    /// figures set aside, recording the change with `audit`.
    fn set_public_figures(
        &self,
        code: EventCode,
        cleaned: bool,
        excluded: Reasons,
        audit: Audit,
    ) -> StoreFuture<'_, ()>;
    /// Counts (`Some(true)`) or sets aside (`Some(false)`) the vote `key` by hand, or gives it
    /// back to its flags (`None`), recording the change; false when the event has no such vote.
    fn move_vote(
        &self,
        code: EventCode,
        key: String,
        hand: Option<bool>,
        audit: Audit,
    ) -> StoreFuture<'_, bool>;
    /// The line type Lookup gave for `phone`, if it was looked up.
    fn line_type(&self, phone: String) -> StoreFuture<'_, Option<String>>;
    /// Keeps the line type Lookup gave for `phone`.
    fn keep_line_type(
        &self,
        phone: String,
        line_type: String,
        at: Timestamp,
    ) -> StoreFuture<'_, ()>;
    /// The detector that judges each vote as it is recorded (see [`Options::detector`]).
    fn detector(&self) -> Option<Arc<Detector>> {
        None
    }

    // ---- end of flags ----
    // ---- Conferences (schema version 10; see `conference`) ----

    /// Every conference's code.
    fn conferences(&self) -> StoreFuture<'_, Vec<ConferenceCode>>;
    /// A conference's settings; `None` when there is no such conference.
    fn conference(&self, code: ConferenceCode) -> StoreFuture<'_, Option<Conference>>;
    /// A conference's talks, cancelled ones too, with their vote counts.
    fn talks(&self, code: ConferenceCode) -> StoreFuture<'_, Vec<StoredTalk>>;
    /// Writes an agenda import, whole or nothing (one transaction).
    fn import_agenda(&self, write: AgendaWrite) -> StoreFuture<'_, ()>;
    /// Sets (or clears) a room's number and copies it to the room's talks.
    fn set_room_number(
        &self,
        conference: ConferenceCode,
        room: String,
        number: Option<String>,
    ) -> StoreFuture<'_, ()>;
    /// A conference's rooms, by name.
    fn rooms(&self, conference: ConferenceCode) -> StoreFuture<'_, Vec<Room>>;

    /// Keeps a number's webhooks from before `twilio connect`, unless some are kept for it
    /// already (those are the originals); whether these were kept.
    fn keep_number_backup(&self, backup: NumberBackup) -> StoreFuture<'_, bool>;
    /// The webhooks kept for number `number_sid` (`PN…`); `forget` drops them once restored.
    fn number_backup(
        &self,
        number_sid: String,
        forget: bool,
    ) -> StoreFuture<'_, Option<NumberBackup>>;

    /// Succeeds when the database answers.
    fn health(&self) -> StoreFuture<'_, ()>;
    /// Stops taking votes and waits until every accepted vote is committed or answered.
    fn close(&self) -> Pin<Box<dyn Future<Output = ()> + Send + '_>>;
    /// Changes committed by any process on this database, where the database announces them
    /// (PostgreSQL: `LISTEN/NOTIFY`); `None` where it cannot (SQLite: live pages re-read).
    fn changes(&self) -> Option<tokio::sync::broadcast::Receiver<Change>> {
        None
    }
}

/// Whether an event counts unverified calls (`$1` = event id).
pub(crate) const COUNTS_UNVERIFIED_SQL: &str =
    "SELECT count_unverified_calls FROM events WHERE id = $1";

/// Keeps a held call vote (`$1` = idempotency key, `$2` = event id, `$3` = phone,
/// `$4` = rating, `$5` = `StirVerstat`, `$6` = when); the claim made the key unique here.
pub(crate) const HOLD_VOTE_SQL: &str = "INSERT INTO held_votes
    (message_sid, event_id, phone, rating, verstat, created_at) VALUES ($1, $2, $3, $4, $5, $6)";

/// Claims a `MessageSid` (`$1`, `$2` = when), a vote's or a keyword's, so a replayed message
/// changes nothing; one row when fresh.
pub(crate) const CLAIM_SQL: &str = "INSERT INTO processed_messages
    (message_sid, reply, created_at) VALUES ($1, '', $2) ON CONFLICT (message_sid) DO NOTHING";

/// Opts a phone out of texts (`$1` = phone, `$2` = when); the same text for both dialects.
pub(crate) const OPT_OUT_SQL: &str = "INSERT INTO opt_outs (phone, opted_out_at) VALUES ($1, $2)
    ON CONFLICT (phone) DO UPDATE SET opted_out_at = excluded.opted_out_at";

/// Opts a phone back in (`$1` = phone).
pub(crate) const OPT_IN_SQL: &str = "DELETE FROM opt_outs WHERE phone = $1";

/// Tuning shared by both backends.
#[derive(Debug, Clone)]
pub struct Options {
    /// Most votes committed in one transaction.
    pub max_batch: usize,
    /// How long to wait for a lock or a connection before answering "unavailable".
    pub busy_timeout: std::time::Duration,
    /// Judges each vote as it is recorded, its reasons stored with it (`None`: no flags).
    pub detector: Option<Arc<Detector>>,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            max_batch: 512,
            busy_timeout: std::time::Duration::from_secs(5),
            detector: Some(Arc::default()),
        }
    }
}

/// True when `location` names a PostgreSQL database rather than a SQLite file.
pub fn is_postgres(location: &str) -> bool {
    location.starts_with("postgres://") || location.starts_with("postgresql://")
}

/// Opens the database at `location` (a `postgres://` URL or a SQLite file path) with default
/// options, applying pending migrations.
pub async fn open(location: &str) -> Result<Arc<dyn Store>, StoreError> {
    open_with(location, Options::default()).await
}

/// [`open`] with explicit options.
pub async fn open_with(location: &str, options: Options) -> Result<Arc<dyn Store>, StoreError> {
    if is_postgres(location) {
        Ok(Arc::new(postgres::PgStore::open(location, options).await?))
    } else {
        Ok(Arc::new(
            sqlite::SqliteStore::open(location.as_ref(), options).await?,
        ))
    }
}
