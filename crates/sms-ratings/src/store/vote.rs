//! Recording one vote inside a backend's transaction: the same steps for every backend.

use super::{Decision, StoreError, decide_by_code, decide_by_number};
use crate::model::{Event, EventCode, EventRef, Outcome, Receipt, Submission};
use crate::reply;

/// Inserts a vote or replaces the phone's earlier one, returning how many votes the phone has
/// cast for the event (above 1: it replaced one). One statement for both dialects: the count
/// is raised under the row lock, so concurrent writers cannot lose an update.
pub(crate) const UPSERT_RATING: &str = "INSERT INTO ratings
    (event_id, phone, rating, comment, message_sid, created_at, updated_at)
    VALUES ($1, $2, $3, $4, $5, $6, $6)
    ON CONFLICT (event_id, phone) DO UPDATE SET rating = excluded.rating,
        comment = excluded.comment, message_sid = excluded.message_sid,
        updated_at = excluded.updated_at, votes = ratings.votes + 1
    RETURNING votes";

/// The statements a vote needs, run inside one open transaction.
pub(crate) trait VoteTx {
    /// Claims `message_sid` for this transaction; `Some(reply)` when it was processed before.
    async fn claim(&mut self, sub: &Submission) -> Result<Option<String>, StoreError>;
    /// The event with this code.
    async fn event_by_code(&mut self, code: &EventCode) -> Result<Option<Event>, StoreError>;
    /// The events served by this number.
    async fn events_by_number(&mut self, number: &str) -> Result<Vec<Event>, StoreError>;
    /// Inserts or replaces the phone's vote; true when it replaced one.
    async fn upsert_rating(&mut self, event: &Event, sub: &Submission) -> Result<bool, StoreError>;
    /// Stores the reply for the claimed `message_sid`.
    async fn save_reply(&mut self, sub: &Submission, reply: &str) -> Result<(), StoreError>;
}

/// Processes one submission: a repeated `MessageSid` gets its stored reply and no effect.
pub(crate) async fn apply(tx: &mut impl VoteTx, sub: &Submission) -> Result<Receipt, StoreError> {
    if let Some(reply) = tx.claim(sub).await? {
        return Ok(Receipt {
            reply,
            outcome: None,
        });
    }
    let decision = match &sub.vote.code {
        Some(code) => decide_by_code(code, tx.event_by_code(code).await?, sub.at),
        None => decide_by_number(tx.events_by_number(&sub.to).await?, sub.at),
    };
    let outcome = match decision {
        Decision::Count(event) => Outcome::Recorded {
            replaced: tx.upsert_rating(&event, sub).await?,
            event: EventRef::from(&event),
            rating: sub.vote.rating,
        },
        Decision::Answer(outcome) => outcome,
    };
    let reply = reply::render(&outcome);
    tx.save_reply(sub, &reply).await?;
    Ok(Receipt {
        reply,
        outcome: Some(outcome),
    })
}
