//! The rating service: validates what a webhook carries, stores the vote, tells subscribers.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use sms_ratings::model::NewEvent;
//! use sms_ratings::service::{Ratings, Sms};
//!
//! let dir = tempfile::tempdir()?;
//! let store = sms_ratings::store::open(dir.path().join("r.db").to_str().unwrap()).await?;
//! store.add_event(NewEvent { code: "RUST25".parse()?, name: "RustConf".into(),
//!     number: Some("+15005550006".into()), opens: None, closes: None }).await?;
//! let ratings = Ratings::new(store);
//! let mut live = ratings.subscribe();
//! let sms = Sms { message_sid: "SM1".into(), from: "+15551234567".into(), to: "+15005550006".into(), body: "5 loved it".into() };
//! let reply = ratings.handle(sms).await?;
//! assert!(reply.text.contains("5/5"));
//! assert_eq!(live.try_recv()?.event.code, "RUST25");
//! ratings.close().await;
//! # Ok(()) }
//! ```

use std::sync::Arc;

use serde::Serialize;
use tokio::sync::broadcast;

use crate::model::{EventRef, Outcome, Rating, Submission, Timestamp};
use crate::parse::{Text, parse};
use crate::reply::HELP;
use crate::store::{Change, Store, StoreError};

/// How many notifications a slow subscriber may fall behind before it misses some.
const NOTIFY_BACKLOG: usize = 1024;

/// The fields of an incoming SMS the service needs (already verified as Twilio's).
#[derive(Debug, Clone)]
pub struct Sms {
    /// `MessageSid`.
    pub message_sid: String,
    /// `From`.
    pub from: String,
    /// `To`.
    pub to: String,
    /// `Body`.
    pub body: String,
}

/// A new or replaced rating, as live pages receive it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RatingNotice {
    /// The event.
    pub event: EventRef,
    /// The rating given.
    pub rating: Rating,
    /// True when it replaced the phone's earlier vote.
    pub replaced: bool,
}

/// The reply to an SMS, and what happened (for logs and metrics).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// Text for the TwiML `<Message>`.
    pub text: String,
    /// Short outcome label: `recorded`, `replaced`, `duplicate`, `help`, `closed`, ...
    pub outcome: &'static str,
}

/// Why an SMS could not be handled.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SmsError {
    /// A required field is missing or malformed (names the field).
    #[error("missing or malformed {0}")]
    BadField(&'static str),
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The service: a store plus the live notification channels.
#[derive(Clone)]
pub struct Ratings {
    store: Arc<dyn Store>,
    notify: broadcast::Sender<RatingNotice>,
    changes: broadcast::Sender<Change>,
}

impl std::fmt::Debug for Ratings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ratings").finish_non_exhaustive()
    }
}

impl Ratings {
    /// A service over `store`.
    pub fn new(store: Arc<dyn Store>) -> Self {
        Self {
            store,
            notify: broadcast::channel(NOTIFY_BACKLOG).0,
            changes: broadcast::channel(NOTIFY_BACKLOG).0,
        }
    }

    /// The store (for the organiser API).
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    /// Subscribes to new ratings committed by this process (live results pages).
    pub fn subscribe(&self) -> broadcast::Receiver<RatingNotice> {
        self.notify.subscribe()
    }

    /// Subscribes to the codes of events whose votes or settings this process changed (live
    /// pages rebuild their snapshot; other instances learn of them from the store's
    /// [`Store::changes`]).
    pub fn changes(&self) -> broadcast::Receiver<Change> {
        self.changes.subscribe()
    }

    /// Announces that `code`'s votes or settings changed (after the change committed), so
    /// live pages of this process show it now. Votes taken by [`Ratings::handle`] are
    /// announced already; organiser changes (close, moderation) call this.
    pub fn changed(&self, code: &str) {
        // Nobody listening is fine: the send only fails without subscribers.
        let _ = self.changes.send(Change::Event(code.to_owned()));
    }

    /// Handles one verified SMS; resolves after the vote (if any) is committed.
    pub async fn handle(&self, sms: Sms) -> Result<Reply, SmsError> {
        check_field("MessageSid", &sms.message_sid, |c| {
            c.is_ascii_alphanumeric()
        })?;
        check_field("From", &sms.from, |c| !c.is_control())?;
        check_field("To", &sms.to, |c| !c.is_control())?;
        let Text::Vote(vote) = parse(&sms.body) else {
            return Ok(Reply {
                text: HELP.to_owned(),
                outcome: "help",
            });
        };
        let submission = Submission {
            message_sid: sms.message_sid,
            phone: sms.from,
            to: sms.to,
            vote,
            at: Timestamp::now(),
        };
        let receipt = self.store.submit(submission).await?;
        let outcome = match &receipt.outcome {
            None => "duplicate",
            Some(Outcome::Recorded {
                event,
                rating,
                replaced,
            }) => {
                self.changed(&event.code);
                // Nobody listening is fine: the send only fails without subscribers.
                let _ = self.notify.send(RatingNotice {
                    event: event.clone(),
                    rating: *rating,
                    replaced: *replaced,
                });
                if *replaced { "replaced" } else { "recorded" }
            }
            Some(Outcome::Closed(_)) => "closed",
            Some(Outcome::NotYetOpen(..)) => "not_open",
            Some(Outcome::UnknownEvent(_)) => "unknown_event",
            Some(Outcome::NeedCode(_)) => "need_code",
        };
        Ok(Reply {
            text: receipt.reply,
            outcome,
        })
    }

    /// Stops taking votes; resolves when every accepted vote is committed.
    pub async fn close(&self) {
        self.store.close().await;
    }
}

/// 1–64 characters, each accepted by `ok`.
fn check_field(name: &'static str, value: &str, ok: impl Fn(char) -> bool) -> Result<(), SmsError> {
    if (1..=64).contains(&value.len()) && value.chars().all(ok) {
        Ok(())
    } else {
        Err(SmsError::BadField(name))
    }
}
