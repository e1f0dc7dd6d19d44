//! Recording one vote inside a backend's transaction: the same steps for every backend.

use std::collections::{HashMap, HashSet};

use super::{Decision, StoreError, decide_by_code, decide_by_number};
use crate::flag::{Detector, Observation, Reasons, Verdict};
use crate::model::{CallerId, Event, EventCode, EventRef, Outcome, Receipt, Submission};
use crate::reply;

/// Inserts a vote or replaces the phone's earlier one, returning how many votes the phone has
/// cast for the event (above 1: it replaced one). One statement for both dialects: the count
/// is raised under the row lock, so concurrent writers cannot lose an update.
/// The vote's flags (`$8`, see [`crate::flag`]) replace the earlier vote's; the organiser's
/// hand on the phone's vote stays.
pub(crate) const UPSERT_RATING: &str = "INSERT INTO ratings
    (event_id, phone, rating, comment, message_sid, created_at, updated_at, channel, flags)
    VALUES ($1, $2, $3, $4, $5, $6, $6, $7, $8)
    ON CONFLICT (event_id, phone) DO UPDATE SET rating = excluded.rating,
        comment = excluded.comment, message_sid = excluded.message_sid,
        updated_at = excluded.updated_at, channel = excluded.channel,
        flags = excluded.flags, votes = ratings.votes + 1
    RETURNING votes";

/// The statements a vote needs, run inside one open transaction.
pub(crate) trait VoteTx {
    /// Claims `message_sid` for this transaction; `Some(reply)` when it was processed before.
    async fn claim(&mut self, sub: &Submission) -> Result<Option<String>, StoreError>;
    /// The event with this code.
    async fn event_by_code(&mut self, code: &EventCode) -> Result<Option<Event>, StoreError>;
    /// The events served by this number.
    async fn events_by_number(&mut self, number: &str) -> Result<Vec<Event>, StoreError>;
    /// Inserts or replaces the phone's vote with its flags; true when it replaced one.
    async fn upsert_rating(
        &mut self,
        event: &Event,
        sub: &Submission,
        flags: Reasons,
    ) -> Result<bool, StoreError>;
    /// Adds `reasons` to the event's vote from `phone`.
    async fn add_flags(
        &mut self,
        event: &Event,
        phone: &str,
        reasons: Reasons,
    ) -> Result<(), StoreError>;
    /// The detector judging the votes, if any.
    fn detector(&self) -> Option<&Detector> {
        None
    }
    /// Stores the reply for the claimed `message_sid`.
    async fn save_reply(&mut self, sub: &Submission, reply: &str) -> Result<(), StoreError>;
    /// Which of `phones` opted out of texts.
    async fn opted_out(&mut self, phones: &[&str]) -> Result<HashSet<String>, StoreError>;
    /// Whether `event` counts call votes whose caller ID was not attested.
    async fn counts_unverified_calls(&mut self, event: &Event) -> Result<bool, StoreError>;
    /// Keeps a call vote apart, uncounted, with Twilio's verdict on its caller ID.
    async fn hold(
        &mut self,
        event: &Event,
        sub: &Submission,
        verdict: &str,
    ) -> Result<(), StoreError>;
}

/// Processes one submission: a repeated `MessageSid` gets its stored reply and no effect.
pub(crate) async fn apply(tx: &mut impl VoteTx, sub: &Submission) -> Result<Receipt, StoreError> {
    if let Some(reply) = tx.claim(sub).await? {
        return Ok(repeated(reply));
    }
    let outcome = match decide(tx, sub).await? {
        Decision::Count(event) => count(tx, &event, sub).await?,
        Decision::Answer(outcome) => outcome,
    };
    let silenced = silenced(tx, &[sub]).await?;
    answer(tx, sub, outcome, &silenced).await
}

/// Processes a batch in one transaction with [`apply`]'s semantics (in batch order: the first
/// delivery of a `MessageSid` counts, a phone's later vote replaces its earlier one), but
/// taking row locks in one global order: every `MessageSid` claim in ascending order, then
/// every rating row in `(event, phone)` order. A transaction then only ever waits for a lock
/// above all it holds, so batches of instances sharing one database cannot deadlock (with
/// [`apply`] per vote they did, each costing PostgreSQL's `deadlock_timeout` and a retry).
pub(crate) async fn apply_in_lock_order(
    tx: &mut impl VoteTx,
    subs: &[&Submission],
) -> Result<Vec<Receipt>, StoreError> {
    let mut by_sid: Vec<usize> = (0..subs.len()).collect();
    by_sid.sort_by(|&a, &b| subs[a].idempotency_key.cmp(&subs[b].idempotency_key)); // stable
    let seen = claim_all(tx, subs, &by_sid).await?;
    let mut outcomes: Vec<Option<Outcome>> = vec![None; subs.len()];
    let mut counted = Vec::new();
    for (i, sub) in subs.iter().enumerate() {
        if seen[i].is_none() {
            match decide(tx, sub).await? {
                Decision::Count(event) => counted.push((i, event)),
                Decision::Answer(outcome) => outcomes[i] = Some(outcome),
            }
        }
    }
    // Stable: one phone's votes keep their arrival order.
    counted.sort_by(|(a, x), (b, y)| (x.id, &subs[*a].phone).cmp(&(y.id, &subs[*b].phone)));
    for (i, event) in counted {
        outcomes[i] = Some(count(tx, &event, subs[i]).await?);
    }
    let fresh: Vec<&Submission> = (0..subs.len())
        .filter(|&i| seen[i].is_none())
        .map(|i| subs[i])
        .collect();
    let silenced = silenced(tx, &fresh).await?;
    // Replies in claim order; a repeat within the batch comes after its first delivery there
    // (the sort is stable) and answers what it answered.
    let mut receipts: Vec<Option<Receipt>> = vec![None; subs.len()];
    for &i in &by_sid {
        receipts[i] = match (outcomes[i].take(), &seen[i]) {
            (Some(outcome), _) => Some(answer(tx, subs[i], outcome, &silenced).await?),
            (None, Some(Seen::Before(reply))) => Some(repeated(reply.clone())),
            (None, Some(Seen::InBatch(first))) => {
                receipts[*first].as_ref().map(|r| repeated(r.reply.clone()))
            }
            (None, None) => None,
        };
    }
    receipts
        .into_iter()
        .collect::<Option<Vec<_>>>()
        .ok_or_else(|| StoreError::Corrupt("a vote of the batch got no answer".into()))
}

/// How a `MessageSid` had been seen when the batch claimed it.
enum Seen {
    /// Processed by an earlier transaction, with this reply.
    Before(String),
    /// Earlier in this batch, at this index.
    InBatch(usize),
}

/// Claims every `MessageSid` of the batch in `order` (ascending), once per distinct id.
async fn claim_all(
    tx: &mut impl VoteTx,
    subs: &[&Submission],
    order: &[usize],
) -> Result<Vec<Option<Seen>>, StoreError> {
    let mut seen: Vec<Option<Seen>> = (0..subs.len()).map(|_| None).collect();
    let mut first: Option<usize> = None;
    for &i in order {
        match first {
            Some(f) if subs[f].idempotency_key == subs[i].idempotency_key => {
                seen[i] = Some(Seen::InBatch(f));
            }
            _ => {
                first = Some(i);
                seen[i] = tx.claim(subs[i]).await?.map(Seen::Before);
            }
        }
    }
    Ok(seen)
}

/// The receipt of a `MessageSid` processed before: its reply, no effect.
fn repeated(reply: String) -> Receipt {
    Receipt {
        reply,
        outcome: None,
    }
}

/// Whether and where a fresh submission counts.
async fn decide(tx: &mut impl VoteTx, sub: &Submission) -> Result<Decision, StoreError> {
    Ok(match &sub.vote.code {
        Some(code) => decide_by_code(code, tx.event_by_code(code).await?, sub.at),
        None => decide_by_number(tx.events_by_number(&sub.to).await?, sub.at),
    })
}

/// Records the vote for `event`, or holds it apart: a call whose caller ID was not attested
/// counts (and may replace the phone's vote) only where the event counts unverified calls.
async fn count(
    tx: &mut impl VoteTx,
    event: &Event,
    sub: &Submission,
) -> Result<Outcome, StoreError> {
    if let CallerId::Unverified(verdict) = &sub.caller
        && !tx.counts_unverified_calls(event).await?
    {
        tx.hold(event, sub, verdict).await?;
        return Ok(Outcome::Held {
            event: EventRef::from(event),
            rating: sub.vote.rating,
        });
    }
    let verdict = judge(tx, event, sub);
    let replaced = tx.upsert_rating(event, sub, verdict.reasons).await?;
    for (phone, reasons) in &verdict.earlier {
        tx.add_flags(event, phone, *reasons).await?;
    }
    Ok(Outcome::Recorded {
        replaced,
        event: EventRef::from(event),
        rating: sub.vote.rating,
    })
}

/// The detector's verdict on a vote about to be recorded (none without a detector).
fn judge(tx: &impl VoteTx, event: &Event, sub: &Submission) -> Verdict {
    let Some(detector) = tx.detector() else {
        return Verdict::default();
    };
    let verdict = detector.observe(
        event.id,
        &Observation {
            key: &sub.idempotency_key,
            phone: &sub.phone,
            rating: sub.vote.rating.get(),
            at: sub.at,
            unattested: matches!(sub.caller, CallerId::Unverified(_)),
        },
    );
    crate::metrics::flagged(verdict.reasons, verdict.alert);
    verdict
}

/// The phones among `subs` that must get no text reply: they came by a messaging channel
/// and opted out (one lookup for the lot; none at all when every vote came by call).
async fn silenced(
    tx: &mut impl VoteTx,
    subs: &[&Submission],
) -> Result<HashSet<String>, StoreError> {
    let texted: Vec<&str> = subs
        .iter()
        .filter(|s| s.channel.is_messaging())
        .map(|s| s.phone.as_str())
        .collect();
    if texted.is_empty() {
        return Ok(HashSet::new());
    }
    tx.opted_out(&texted).await
}

/// Renders and stores the reply for a claimed submission: empty for a phone that opted out
/// of texts or a quiet submission (its vote counts all the same), spoken words for a call.
async fn answer(
    tx: &mut impl VoteTx,
    sub: &Submission,
    outcome: Outcome,
    silenced: &HashSet<String>,
) -> Result<Receipt, StoreError> {
    let reply = if sub.quiet || (sub.channel.is_messaging() && silenced.contains(&sub.phone)) {
        String::new()
    } else {
        reply::for_channel(&outcome, sub.channel)
    };
    tx.save_reply(sub, &reply).await?;
    Ok(Receipt {
        reply,
        outcome: Some(outcome),
    })
}

/// Event lookups remembered across the votes of a batch (most votes of a batch name the same
/// few events). Each backend decides how long it stays valid.
#[derive(Default)]
pub(crate) struct EventCache {
    by_code: HashMap<EventCode, Option<Event>>,
    by_number: HashMap<String, Vec<Event>>,
}

/// A [`VoteTx`] whose event lookups go through an [`EventCache`], judged by a detector.
pub(crate) struct Cached<'c, T> {
    /// The transaction.
    pub(crate) tx: T,
    /// The cache.
    pub(crate) cache: &'c mut EventCache,
    /// The detector, if any.
    pub(crate) detector: Option<&'c Detector>,
}

impl<T: VoteTx> VoteTx for Cached<'_, T> {
    async fn claim(&mut self, sub: &Submission) -> Result<Option<String>, StoreError> {
        self.tx.claim(sub).await
    }

    async fn event_by_code(&mut self, code: &EventCode) -> Result<Option<Event>, StoreError> {
        if let Some(found) = self.cache.by_code.get(code) {
            return Ok(found.clone());
        }
        let found = self.tx.event_by_code(code).await?;
        self.cache.by_code.insert(code.clone(), found.clone());
        Ok(found)
    }

    async fn events_by_number(&mut self, number: &str) -> Result<Vec<Event>, StoreError> {
        if let Some(found) = self.cache.by_number.get(number) {
            return Ok(found.clone());
        }
        let found = self.tx.events_by_number(number).await?;
        self.cache
            .by_number
            .insert(number.to_owned(), found.clone());
        Ok(found)
    }

    async fn upsert_rating(
        &mut self,
        event: &Event,
        sub: &Submission,
        flags: Reasons,
    ) -> Result<bool, StoreError> {
        self.tx.upsert_rating(event, sub, flags).await
    }

    async fn add_flags(
        &mut self,
        event: &Event,
        phone: &str,
        reasons: Reasons,
    ) -> Result<(), StoreError> {
        self.tx.add_flags(event, phone, reasons).await
    }

    fn detector(&self) -> Option<&Detector> {
        self.detector
    }

    async fn save_reply(&mut self, sub: &Submission, reply: &str) -> Result<(), StoreError> {
        self.tx.save_reply(sub, reply).await
    }

    async fn opted_out(&mut self, phones: &[&str]) -> Result<HashSet<String>, StoreError> {
        self.tx.opted_out(phones).await
    }

    async fn counts_unverified_calls(&mut self, event: &Event) -> Result<bool, StoreError> {
        // Not cached: the organiser may change it between two votes of a batch's lifetime.
        self.tx.counts_unverified_calls(event).await
    }

    async fn hold(
        &mut self,
        event: &Event,
        sub: &Submission,
        verdict: &str,
    ) -> Result<(), StoreError> {
        self.tx.hold(event, sub, verdict).await
    }
}
