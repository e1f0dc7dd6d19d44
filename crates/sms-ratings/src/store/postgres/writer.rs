//! The batch workers: each commits one batch at a time in one transaction on its own
//! connection, retrying conflicts (see the module above), and the statements a vote runs in
//! it.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use deadpool_postgres::Pool;

use super::queries::{event_by_code, events};
use super::{connection, listen, map_err};
use crate::flag::{Detector, Reasons};
use crate::model::{Event, EventCode, Receipt, Submission};
use crate::store::queue::{BatchResult, Batches, Commit};
use crate::store::rows::EVENTS_BY_NUMBER_SQL;
use crate::store::vote::{Cached, EventCache, UPSERT_RATING, VoteTx, apply_in_lock_order};
use crate::store::{CLAIM_SQL, COUNTS_UNVERIFIED_SQL, HOLD_VOTE_SQL, Options, StoreError};

/// Worker tasks, each committing one batch at a time on its own connection.
pub(super) const WORKERS: usize = 4;
/// Attempts for a batch that hit a deadlock or serialization failure.
const ATTEMPTS: usize = 5;

/// Starts the [`WORKERS`] batch workers on `pool`.
pub(super) fn spawn(pool: &Pool, batches: Batches, options: &Options) {
    for _ in 0..WORKERS {
        let worker = Worker {
            pool: pool.clone(),
            deadline: options.busy_timeout * 2,
            detector: options.detector.clone(),
        };
        tokio::spawn(batches.clone().run(options.max_batch, worker));
    }
}

/// A batch worker's transaction code: one pooled connection per batch, conflicts retried,
/// the whole batch bounded by `deadline`.
struct Worker {
    pool: Pool,
    deadline: Duration,
    detector: Option<Arc<Detector>>,
}

impl Commit for Worker {
    const BACKEND: &'static str = "postgres";

    async fn commit(&mut self, batch: &[&Submission]) -> BatchResult {
        let detector = self.detector.as_deref();
        match tokio::time::timeout(self.deadline, commit_retrying(&self.pool, detector, batch))
            .await
        {
            Ok(receipts) => Ok(receipts?.into_iter().map(Ok).collect()),
            Err(_) => Err(StoreError::Unavailable("commit timed out".into())),
        }
    }
}

async fn commit_retrying(
    pool: &Pool,
    detector: Option<&Detector>,
    batch: &[&Submission],
) -> Result<Vec<Receipt>, StoreError> {
    let mut attempt = 1;
    loop {
        match commit(pool, detector, batch).await {
            Err(StoreError::Conflict(why)) if attempt < ATTEMPTS => {
                tracing::debug!(attempt, %why, "batch conflicted, retrying");
                attempt += 1;
            }
            other => return other,
        }
    }
}

/// One transaction for the whole batch: every vote in it commits, or none does.
async fn commit(
    pool: &Pool,
    detector: Option<&Detector>,
    batch: &[&Submission],
) -> Result<Vec<Receipt>, StoreError> {
    let mut client = connection(pool).await?;
    let tx = client.transaction().await.map_err(map_err)?;
    // Events may change meanwhile (another process closing one); a batch reads each once,
    // and a retried batch reads them afresh.
    let mut cache = EventCache::default();
    let mut vtx = Cached {
        tx: PgTx(&tx),
        cache: &mut cache,
        detector,
    };
    let receipts = apply_in_lock_order(&mut vtx, batch).await?;
    announce_votes(&tx, &receipts).await?;
    let syncing = std::time::Instant::now();
    tx.commit().await.map_err(map_err)?;
    crate::metrics::synced("postgres", syncing.elapsed());
    Ok(receipts)
}

/// Tells every instance's live pages (at commit) which events got votes in this batch.
async fn announce_votes(
    tx: &deadpool_postgres::Transaction<'_>,
    receipts: &[Receipt],
) -> Result<(), StoreError> {
    let mut codes: Vec<&str> = receipts
        .iter()
        .filter_map(|r| match &r.outcome {
            Some(crate::model::Outcome::Recorded { event, .. }) => Some(event.code.as_str()),
            _ => None,
        })
        .collect();
    codes.sort_unstable();
    codes.dedup();
    for code in codes {
        listen::announce(tx, code).await.map_err(map_err)?;
    }
    Ok(())
}

/// A vote's statements on a worker's open transaction.
struct PgTx<'a>(&'a deadpool_postgres::Transaction<'a>);

impl VoteTx for PgTx<'_> {
    async fn claim(&mut self, sub: &Submission) -> Result<Option<String>, StoreError> {
        let stmt = self.0.prepare_cached(CLAIM_SQL).await.map_err(map_err)?;
        let claimed = self
            .0
            .execute(&stmt, &[&sub.idempotency_key, &sub.at.millis()])
            .await
            .map_err(map_err)?;
        if claimed == 1 {
            return Ok(None);
        }
        let stmt = self
            .0
            .prepare_cached("SELECT reply FROM processed_messages WHERE message_sid = $1")
            .await
            .map_err(map_err)?;
        let row = self
            .0
            .query_one(&stmt, &[&sub.idempotency_key])
            .await
            .map_err(map_err)?;
        Ok(Some(row.try_get(0).map_err(map_err)?))
    }

    async fn event_by_code(&mut self, code: &EventCode) -> Result<Option<Event>, StoreError> {
        event_by_code(self.0, code).await
    }

    async fn events_by_number(&mut self, number: &str) -> Result<Vec<Event>, StoreError> {
        events(self.0, EVENTS_BY_NUMBER_SQL, &[&number]).await
    }

    async fn upsert_rating(
        &mut self,
        event: &Event,
        sub: &Submission,
        flags: Reasons,
    ) -> Result<bool, StoreError> {
        let stmt = self
            .0
            .prepare_cached(UPSERT_RATING)
            .await
            .map_err(map_err)?;
        let rating = i16::from(sub.vote.rating.get());
        let row = self
            .0
            .query_one(
                &stmt,
                &[
                    &event.id,
                    &sub.phone,
                    &rating,
                    &sub.vote.comment,
                    &sub.idempotency_key,
                    &sub.at.millis(),
                    &sub.channel.as_str(),
                    &flags.bits(),
                ],
            )
            .await
            .map_err(map_err)?;
        let votes: i32 = row.try_get(0).map_err(map_err)?;
        Ok(votes > 1)
    }

    async fn add_flags(
        &mut self,
        event: &Event,
        phone: &str,
        reasons: Reasons,
    ) -> Result<(), StoreError> {
        super::flags::add_flags(self.0, event.id, phone, reasons)
            .await
            .map(drop)
    }

    async fn save_reply(&mut self, sub: &Submission, reply: &str) -> Result<(), StoreError> {
        let stmt = self
            .0
            .prepare_cached("UPDATE processed_messages SET reply = $2 WHERE message_sid = $1")
            .await
            .map_err(map_err)?;
        self.0
            .execute(&stmt, &[&sub.idempotency_key, &reply])
            .await
            .map_err(map_err)?;
        Ok(())
    }

    async fn opted_out(&mut self, phones: &[&str]) -> Result<HashSet<String>, StoreError> {
        // One round trip for the whole batch.
        let stmt = self
            .0
            .prepare_cached("SELECT phone FROM opt_outs WHERE phone = ANY($1)")
            .await
            .map_err(map_err)?;
        let rows = self.0.query(&stmt, &[&phones]).await.map_err(map_err)?;
        rows.iter()
            .map(|row| row.try_get(0).map_err(map_err))
            .collect()
    }

    async fn counts_unverified_calls(&mut self, event: &Event) -> Result<bool, StoreError> {
        let stmt = self
            .0
            .prepare_cached(COUNTS_UNVERIFIED_SQL)
            .await
            .map_err(map_err)?;
        let row = self
            .0
            .query_one(&stmt, &[&event.id])
            .await
            .map_err(map_err)?;
        row.try_get(0).map_err(map_err)
    }

    async fn hold(
        &mut self,
        event: &Event,
        sub: &Submission,
        verdict: &str,
    ) -> Result<(), StoreError> {
        let stmt = self
            .0
            .prepare_cached(HOLD_VOTE_SQL)
            .await
            .map_err(map_err)?;
        let rating = i16::from(sub.vote.rating.get());
        self.0
            .execute(
                &stmt,
                &[
                    &sub.idempotency_key,
                    &event.id,
                    &sub.phone,
                    &rating,
                    &verdict,
                    &sub.at.millis(),
                ],
            )
            .await
            .map_err(map_err)?;
        Ok(())
    }
}
