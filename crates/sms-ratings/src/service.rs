//! The rating service: validates what a webhook carries, stores the vote, tells subscribers.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use sms_ratings::model::NewEvent;
//! use sms_ratings::service::Ratings;
//! use twilio_webhook::payload::IncomingMessage;
//!
//! let dir = tempfile::tempdir()?;
//! let store = sms_ratings::store::open(dir.path().join("r.db").to_str().unwrap()).await?;
//! store.add_event(NewEvent { code: "RUST25".parse()?, name: "RustConf".into(),
//!     number: Some("+15005550006".into()), opens: None, closes: None }).await?;
//! let ratings = Ratings::new(store);
//! let mut live = ratings.subscribe();
//! let sms = IncomingMessage::from_pairs(&[("MessageSid", "SM1"), ("AccountSid", "AC1"),
//!     ("From", "+15551234567"), ("To", "+15005550006"), ("Body", "5 loved it")])?;
//! let reply = ratings.handle(sms).await?;
//! assert!(reply.text.contains("5/5"));
//! assert_eq!(live.try_recv()?.event.code, "RUST25");
//! ratings.close().await;
//! # Ok(()) }
//! ```

use std::sync::Arc;

use serde::Serialize;
use tokio::sync::broadcast;
use twilio_webhook::payload::IncomingMessage;

use crate::model::{EventRef, Outcome, Rating, Submission, Timestamp};
use crate::parse::{Text, parse};
use crate::reply::HELP;
use crate::store::{Store, StoreError};

/// How many notifications a slow subscriber may fall behind before it misses some.
const NOTIFY_BACKLOG: usize = 1024;

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
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The service: a store plus the live notification channel.
#[derive(Clone)]
pub struct Ratings {
    store: Arc<dyn Store>,
    notify: broadcast::Sender<RatingNotice>,
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

    /// Handles one verified incoming message (the library's payload already requires
    /// `MessageSid`, `From` and `To`); resolves after the vote (if any) is committed.
    pub async fn handle(&self, sms: IncomingMessage) -> Result<Reply, SmsError> {
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
