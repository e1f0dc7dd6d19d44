//! Votes: a text (or a keyword), a key pressed on a call, and what the caller hears first.

use twilio_webhook::payload::{self, IncomingMessage};

use super::{RatingNotice, Ratings};
use crate::keyword::{Keyword, classify};
use crate::model::{CallerId, Channel, EventRef, Outcome, Rating, Submission, Vote};
use crate::parse::{Text, parse};
use crate::reply::{self, HELP};
use crate::store::{Decision, StoreError, decide_by_number};

/// What handling a text or a key pressed did; [`Handled::label`] names it for logs and
/// metrics only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Handled {
    /// A first vote of this phone for the event.
    Recorded,
    /// A vote that replaced the phone's earlier one.
    Replaced,
    /// The idempotency key was seen before: nothing changed, the stored reply goes out again.
    Duplicate,
    /// A call vote held apart: its caller ID was not attested.
    Held,
    /// The event is closed.
    Closed,
    /// The event is not open yet.
    NotOpen,
    /// No event has the code given.
    UnknownEvent,
    /// No code, and the number does not serve exactly one open event.
    NeedCode,
    /// No code, to a room's number between two talks' vote windows.
    BetweenTalks,
    /// Not a vote: the help text.
    Help,
    /// Not a vote, from a number that opted out: nothing is sent.
    HelpOptedOut,
    /// An opt-out, opt-in or help keyword (never a vote; Twilio answers it).
    Keyword(Keyword),
}

impl Handled {
    /// A short label for logs and metrics.
    pub fn label(self) -> &'static str {
        match self {
            Self::Recorded => "recorded",
            Self::Replaced => "replaced",
            Self::Duplicate => "duplicate",
            Self::Held => "held",
            Self::Closed => "closed",
            Self::NotOpen => "not_open",
            Self::UnknownEvent => "unknown_event",
            Self::NeedCode => "need_code",
            Self::BetweenTalks => "between_talks",
            Self::Help => "help",
            Self::HelpOptedOut => "help_opted_out",
            Self::Keyword(keyword) => keyword.label(),
        }
    }

    /// What a stored vote's outcome was; `None` (already processed) is a duplicate.
    fn of(outcome: Option<&Outcome>) -> Self {
        match outcome {
            None => Self::Duplicate,
            Some(Outcome::Recorded { replaced: true, .. }) => Self::Replaced,
            Some(Outcome::Recorded { .. }) => Self::Recorded,
            Some(Outcome::Held { .. }) => Self::Held,
            Some(Outcome::Closed(_)) => Self::Closed,
            Some(Outcome::NotYetOpen(..)) => Self::NotOpen,
            Some(Outcome::UnknownEvent(_)) => Self::UnknownEvent,
            Some(Outcome::NeedCode(_)) => Self::NeedCode,
            Some(Outcome::BetweenTalks { .. }) => Self::BetweenTalks,
        }
    }
}

/// The reply to a text or a key pressed, and what happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// Text for the TwiML `<Message>` (or `<Say>` on a call); `None`: send nothing.
    pub text: Option<String>,
    /// What happened.
    pub outcome: Handled,
}

impl Reply {
    /// No reply at all (an empty `<Response/>`).
    fn silent(outcome: Handled) -> Self {
        Self {
            text: None,
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

impl Ratings {
    /// Handles one verified incoming message (the library's payload already requires
    /// `MessageSid`, `From` and `To`); resolves after the vote (if any) is committed.
    ///
    /// Opt-out, opt-in and help keywords (and `OptOutType`) are never votes and get no
    /// reply; after an opt-out the number gets no replies until it opts back in, while its
    /// votes still count.
    pub async fn handle(&self, sms: IncomingMessage) -> Result<Reply, StoreError> {
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
                // Once per MessageSid, durably: a replay long after (the request replay guard
                // forgot it) must not undo a later START or STOP.
                self.store
                    .set_opted_out(sms.message_sid, phone, opted_out, self.clock.now())
                    .await?;
            }
            return Ok(Reply::silent(Handled::Keyword(keyword)));
        }
        let Text::Vote(vote) = parse(&sms.body) else {
            if self.store.is_opted_out(phone.clone()).await? {
                return Ok(Reply::silent(Handled::HelpOptedOut));
            }
            if !self.reply_allowed(&phone) {
                return Ok(Reply::silent(Handled::Help));
            }
            return Ok(Reply {
                text: Some(HELP.to_owned()),
                outcome: Handled::Help,
            });
        };
        let submission = Submission {
            idempotency_key: sms.message_sid,
            phone: phone.clone(),
            to: number_of(&sms.to).to_owned(),
            vote,
            at: self.clock.now(),
            channel,
            caller: CallerId::Trusted,
            quiet: !self.reply_allowed(&phone),
        };
        let reply = self.record(submission).await?;
        // A retry of a message answered before the number opted out keeps its stored reply;
        // it must not go out now (rare: one lookup, only for repeats).
        let repeat = reply.outcome == Handled::Duplicate && reply.text.is_some();
        if repeat && self.store.is_opted_out(phone.clone()).await? {
            return Ok(Reply::silent(Handled::Duplicate));
        }
        Ok(reply)
    }

    /// Whether a reply to `phone` fits the reply budget now (spending it if so). Asked
    /// before the vote is stored, so the stored reply of a vote past the budget is empty and
    /// a retry of it, on any instance, is answered with nothing too.
    fn reply_allowed(&self, phone: &str) -> bool {
        let allowed = self.budget.allow(phone, self.clock.now());
        if !allowed {
            crate::metrics::reply_withheld();
        }
        allowed
    }

    /// What a call to `to` is told first: the event to rate, or why there is none.
    pub async fn greet_call(&self, to: &str) -> Result<Greeting, StoreError> {
        let serving: Vec<_> = self
            .store
            .events()
            .await?
            .into_iter()
            .filter(|e| e.number.as_deref() == Some(to))
            .collect();
        Ok(match decide_by_number(serving, self.clock.now()) {
            Decision::Count(event) => Greeting::Rate(EventRef::from(&event)),
            Decision::Answer(outcome) => Greeting::Say(reply::speak(&outcome)),
        })
    }

    /// Records the key a caller pressed as their vote, with the same rules as a text (one per
    /// phone per event, a new vote replaces) when `caller` is trusted or the event counts
    /// unverified calls; otherwise the vote is held apart ([`Outcome::Held`]). The idempotency
    /// key is `CallSid:digit`, so a repeated Gather action changes nothing and hears the same
    /// words.
    pub async fn vote_by_call(
        &self,
        call_sid: &str,
        from: &str,
        to: &str,
        rating: Rating,
        caller: CallerId,
    ) -> Result<Reply, StoreError> {
        let submission = Submission {
            idempotency_key: format!("{call_sid}:{rating}"),
            phone: from.to_owned(),
            to: to.to_owned(),
            vote: Vote {
                code: None,
                rating,
                comment: String::new(),
            },
            at: self.clock.now(),
            channel: Channel::Voice,
            caller,
            quiet: false,
        };
        self.record(submission).await
    }

    /// Stores a vote, tells subscribers about a new rating.
    async fn record(&self, submission: Submission) -> Result<Reply, StoreError> {
        let phone = submission.phone.clone();
        let receipt = self.store.submit(submission).await?;
        if let Some(Outcome::Recorded {
            event,
            rating,
            replaced,
        }) = &receipt.outcome
        {
            self.changed(&event.code);
            self.look_up_later(&event.code, &phone);
            // Nobody listening is fine: the send only fails without subscribers.
            let _ = self.notify.send(RatingNotice {
                event: event.clone(),
                rating: *rating,
                replaced: *replaced,
            });
        }
        Ok(Reply {
            outcome: Handled::of(receipt.outcome.as_ref()),
            text: Some(receipt.reply).filter(|text| !text.is_empty()),
        })
    }
}
