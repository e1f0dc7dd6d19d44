//! The rating service: the one door to every write. Votes (texts, keys pressed on a call,
//! opt-out keywords) come in through [`votes`], the organiser's commands through
//! [`organiser`]; each command announces its own change to the live pages after it
//! committed, so no caller has to remember to. Pages and the API read through the store.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use sms_ratings::model::NewEvent;
//! use sms_ratings::service::Ratings;
//! use twilio_webhook::payload::{self, IncomingMessage};
//!
//! let dir = tempfile::tempdir()?;
//! let store = sms_ratings::store::open(dir.path().join("r.db").to_str().unwrap()).await?;
//! let ratings = Ratings::new(store);
//! let mut changes = ratings.changes();
//! ratings.create_event(NewEvent { code: "RUST25".parse()?, name: "RustConf".into(),
//!     number: Some("+15005550006".into()), opens: None, closes: None, time_zone: None }).await?;
//! let mut live = ratings.subscribe();
//! let sms = IncomingMessage::from_pairs(&[("MessageSid", "SM1"), ("AccountSid", "AC1"),
//!     ("From", "+15551234567"), ("To", "+15005550006"), ("Body", "5 loved it")])?;
//! let reply = ratings.handle(sms).await?;
//! assert!(reply.text.unwrap().contains("5/5"));
//! assert_eq!(live.try_recv()?.event.code, "RUST25");
//! assert!(changes.try_recv().is_ok());
//! ratings.close().await;
//! # Ok(()) }
//! ```

mod budget;
pub mod conference;
mod flags;
mod lookup;
pub mod organiser;
pub mod votes;

use std::sync::Arc;

use serde::Serialize;
use tokio::sync::broadcast;

use crate::clock::Clock;
use crate::model::{EventRef, Rating};
use crate::store::{Change, Store};

pub use budget::BudgetLimits;
pub use votes::{Greeting, Handled, Reply, number_of};

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

/// The service: a store plus the live notification channels.
#[derive(Clone)]
pub struct Ratings {
    store: Arc<dyn Store>,
    notify: broadcast::Sender<RatingNotice>,
    changes: broadcast::Sender<Change>,
    clock: Clock,
    budget: Arc<budget::ReplyBudget>,
    lookups: Option<Arc<lookup::Lookups>>,
}

impl std::fmt::Debug for Ratings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ratings").finish_non_exhaustive()
    }
}

impl Ratings {
    /// A service over `store`, on the system clock, with the default reply budget and
    /// without Lookup.
    pub fn new(store: Arc<dyn Store>) -> Self {
        Self {
            store,
            notify: broadcast::channel(NOTIFY_BACKLOG).0,
            changes: broadcast::channel(NOTIFY_BACKLOG).0,
            clock: Clock::system(),
            budget: Arc::new(budget::ReplyBudget::new(BudgetLimits::default())),
            lookups: None,
        }
    }

    /// The same service on `clock` (votes are timed by it, and so judged; vote windows open
    /// and close by it).
    #[must_use]
    pub fn with_clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    /// The service's clock (pages show what is open by it).
    pub fn clock(&self) -> &Clock {
        &self.clock
    }

    /// The same service with this reply budget.
    #[must_use]
    pub fn with_reply_budget(mut self, limits: BudgetLimits) -> Self {
        self.budget = Arc::new(budget::ReplyBudget::new(limits));
        self
    }

    /// The same service looking up each new voter's line type through `client` (Twilio
    /// Lookup v2; costs money per number), flagging virtual and premium numbers.
    #[must_use]
    pub fn with_lookup(mut self, client: twilio_api::Client) -> Self {
        self.lookups = Some(Arc::new(lookup::Lookups::new(client)));
        self
    }

    /// The store, for reads (pages, the API, health). Writes go through the service's
    /// commands, which announce their changes.
    pub(crate) fn store(&self) -> &Arc<dyn Store> {
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
    /// live pages of this process show it now. Only the service's commands call it.
    fn changed(&self, code: &str) {
        // Nobody listening is fine: the send only fails without subscribers.
        let _ = self.changes.send(Change::Event(code.to_owned()));
    }

    /// Stops taking votes; resolves when every accepted vote is committed.
    pub async fn close(&self) {
        self.store.close().await;
    }
}
