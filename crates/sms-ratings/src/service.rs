//! The rating service: validates what a webhook carries, stores the vote, tells subscribers.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use sms_ratings::model::NewEvent;
//! use sms_ratings::service::Ratings;
//! use twilio_webhook::payload::{self, IncomingMessage};
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
use twilio_webhook::payload::{self, IncomingMessage};

use crate::keyword::{Keyword, classify};
use crate::model::{Channel, EventRef, Outcome, Rating, Submission, Timestamp, Vote};
use crate::parse::{Text, parse};
use crate::reply::{self, HELP};
use crate::store::{Change, Decision, Store, StoreError, decide_by_number};

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

/// The reply to a text or a key pressed, and what happened (for logs and metrics).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// Text for the TwiML `<Message>` (or `<Say>` on a call); empty: send nothing.
    pub text: String,
    /// Short outcome label: `recorded`, `replaced`, `duplicate`, `help`, `closed`,
    /// `opt_out`, ...
    pub outcome: &'static str,
}

impl Reply {
    /// No reply at all (an empty `<Response/>`).
    fn silent(outcome: &'static str) -> Self {
        Self {
            text: String::new(),
            outcome,
        }
    }
}

/// What a caller hears first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Greeting {
    /// Ask for a key from 1 to 5 for this event.
    Rate(EventRef),
    /// Say this and hang up (closed, not yet open, no single event on the number).
    Say(String),
}

/// The number in a channel address: `whatsapp:+1…` → `+1…`, so one phone has one vote per
/// event whatever the channel; other addresses stay as they are.
pub fn number_of(address: &str) -> &str {
    address.strip_prefix("whatsapp:").unwrap_or(address)
}

/// Why an SMS could not be handled.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SmsError {
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

    /// Handles one verified incoming message (the library's payload already requires
    /// `MessageSid`, `From` and `To`); resolves after the vote (if any) is committed.
    ///
    /// Opt-out, opt-in and help keywords (and `OptOutType`) are never votes and get an empty
    /// reply; after an opt-out the number gets empty replies until it opts back in, while
    /// its votes still count.
    pub async fn handle(&self, sms: IncomingMessage) -> Result<Reply, SmsError> {
        let channel = match sms.channel() {
            payload::Channel::WhatsApp => Channel::WhatsApp,
            _ => Channel::Sms,
        };
        let phone = number_of(&sms.from).to_owned();
        if let Some(keyword) = classify(&sms.body, sms.extra.get("OptOutType")) {
            let opted_out = match keyword {
                Keyword::OptOut => Some(true),
                Keyword::OptIn => Some(false),
                Keyword::Help => None,
            };
            if let Some(opted_out) = opted_out {
                self.store
                    .set_opted_out(phone, opted_out, Timestamp::now())
                    .await?;
            }
            return Ok(Reply::silent(keyword.label()));
        }
        let Text::Vote(vote) = parse(&sms.body) else {
            if self.store.is_opted_out(phone).await? {
                return Ok(Reply::silent("help_opted_out"));
            }
            return Ok(Reply {
                text: HELP.to_owned(),
                outcome: "help",
            });
        };
        let submission = Submission {
            message_sid: sms.message_sid,
            phone: phone.clone(),
            to: number_of(&sms.to).to_owned(),
            vote,
            at: Timestamp::now(),
            channel,
        };
        let reply = self.record(submission).await?;
        // A retry of a message answered before the number opted out keeps its stored reply;
        // it must not go out now (rare: one lookup, only for repeats).
        let repeat = reply.outcome == "duplicate" && !reply.text.is_empty();
        if repeat && self.store.is_opted_out(phone).await? {
            return Ok(Reply::silent("duplicate"));
        }
        Ok(reply)
    }

    /// What a call to `to` is told first: the event to rate, or why there is none.
    pub async fn greet_call(&self, to: &str) -> Result<Greeting, SmsError> {
        let serving: Vec<_> = self
            .store
            .events()
            .await?
            .into_iter()
            .filter(|e| e.number.as_deref() == Some(to))
            .collect();
        Ok(match decide_by_number(serving, Timestamp::now()) {
            Decision::Count(event) => Greeting::Rate(EventRef::from(&event)),
            Decision::Answer(outcome) => Greeting::Say(reply::speak(&outcome)),
        })
    }

    /// Records the key a caller pressed as their vote, with the same rules as a text (one per
    /// phone per event, a new vote replaces). The idempotency key is `CallSid:digit`, so a
    /// repeated Gather action changes nothing and hears the same words.
    pub async fn vote_by_call(
        &self,
        call_sid: &str,
        from: &str,
        to: &str,
        rating: Rating,
    ) -> Result<Reply, SmsError> {
        let submission = Submission {
            message_sid: format!("{call_sid}:{rating}"),
            phone: from.to_owned(),
            to: to.to_owned(),
            vote: Vote {
                code: None,
                rating,
                comment: String::new(),
            },
            at: Timestamp::now(),
            channel: Channel::Voice,
        };
        self.record(submission).await
    }

    /// Stores a vote, tells subscribers about a new rating, labels the outcome.
    async fn record(&self, submission: Submission) -> Result<Reply, SmsError> {
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
