//! The writer thread: batches of votes, each in one transaction (see the module above), and
//! the statements a vote runs in it.

use std::collections::HashSet;
use std::sync::Arc;
use std::thread::JoinHandle;

use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

use super::map_err;
use super::queries::{event_by_code, events, is_opted_out};
use crate::flag::{Detector, Reasons};
use crate::model::{Event, EventCode, Submission};
use crate::store::queue::{BatchResult, Batches, Commit};
use crate::store::rows::EVENTS_BY_NUMBER_SQL;
use crate::store::vote::{Cached, EventCache, UPSERT_RATING, VoteTx, apply};
use crate::store::{COUNTS_UNVERIFIED_SQL, HOLD_VOTE_SQL, StoreError};

/// Starts the writer thread on `conn`; when the queue is closed and drained it drops
/// `stop_checkpoints` and folds the WAL into the database file.
pub(super) fn spawn(
    mut conn: Connection,
    batches: Batches,
    max_batch: usize,
    detector: Option<Arc<Detector>>,
    stop_checkpoints: std::sync::mpsc::Sender<()>,
) -> Result<JoinHandle<()>, StoreError> {
    std::thread::Builder::new()
        .name("sqlite-writer".into())
        .spawn(move || {
            writer(&mut conn, batches, max_batch, detector);
            drop(stop_checkpoints);
            // Leave a small WAL behind: fold it into the database file.
            let _ = conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE)");
        })
        .map_err(|e| StoreError::Unavailable(format!("cannot start writer: {e}")))
}

/// The writer thread: commits batches until the queue is closed and empty.
fn writer(
    conn: &mut Connection,
    batches: Batches,
    max_batch: usize,
    detector: Option<Arc<Detector>>,
) {
    // The queue and the shared vote logic are async; here they run on this thread only, so
    // a trivial current-thread runtime drives them (nothing inside waits on I/O or timers).
    let Ok(rt) = tokio::runtime::Builder::new_current_thread().build() else {
        tracing::error!("sqlite writer: cannot build its runtime");
        return;
    };
    let writer = Writer {
        conn,
        cache: WriterCache::default(),
        detector,
    };
    rt.block_on(batches.run(max_batch, writer));
}

/// The writer's connection and event cache: SQLite's transaction code for the queue.
struct Writer<'c> {
    conn: &'c mut Connection,
    cache: WriterCache,
    detector: Option<Arc<Detector>>,
}

impl Commit for Writer<'_> {
    const BACKEND: &'static str = "sqlite";

    async fn commit(&mut self, batch: &[&Submission]) -> BatchResult {
        commit(self.conn, &mut self.cache, self.detector.as_deref(), batch).await
    }
}

/// The writer's event cache, valid while no other connection committed (`PRAGMA
/// data_version` unchanged): events change through other connections only.
#[derive(Default)]
struct WriterCache {
    version: Option<i64>,
    events: EventCache,
}

impl WriterCache {
    fn refresh(&mut self, conn: &Connection) -> Result<(), StoreError> {
        let version: i64 = conn
            .query_row("PRAGMA data_version", [], |r| r.get(0))
            .map_err(map_err)?;
        if self.version != Some(version) {
            *self = Self {
                version: Some(version),
                events: EventCache::default(),
            };
        }
        Ok(())
    }
}

/// Commits a batch: first all votes in one transaction; if any vote fails, that attempt is
/// rolled back and the batch is redone with a savepoint per vote, so only the failing vote
/// fails (savepoints cost time, so only the rare path pays for them).
async fn commit(
    conn: &mut Connection,
    cache: &mut WriterCache,
    detector: Option<&Detector>,
    batch: &[&Submission],
) -> BatchResult {
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(map_err)?;
    cache.refresh(&tx)?;
    let mut results = Vec::with_capacity(batch.len());
    {
        let mut vtx = Cached {
            tx: SqliteTx(&tx),
            cache: &mut cache.events,
            detector,
        };
        for submission in batch {
            match apply(&mut vtx, submission).await {
                Ok(receipt) => results.push(Ok(receipt)),
                Err(_) => break,
            }
        }
    }
    if results.len() < batch.len() {
        drop(tx); // rolls back
        return commit_isolated(conn, cache, detector, batch).await;
    }
    sync(tx)?;
    Ok(results.into_iter().collect())
}

async fn commit_isolated(
    conn: &mut Connection,
    cache: &mut WriterCache,
    detector: Option<&Detector>,
    batch: &[&Submission],
) -> BatchResult {
    let mut tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(map_err)?;
    let mut results = Vec::with_capacity(batch.len());
    for submission in batch {
        let sp = tx.savepoint().map_err(map_err)?;
        let mut vtx = Cached {
            tx: SqliteTx(&sp),
            cache: &mut cache.events,
            detector,
        };
        let result = apply(&mut vtx, submission).await;
        if result.is_ok() {
            sp.commit().map_err(map_err)?;
        }
        results.push(result);
    }
    sync(tx)?;
    Ok(results)
}

/// `COMMIT`: with `synchronous=FULL` this is where the WAL is fsynced.
fn sync(tx: rusqlite::Transaction<'_>) -> Result<(), StoreError> {
    let syncing = std::time::Instant::now();
    tx.commit().map_err(map_err)?;
    crate::metrics::synced("sqlite", syncing.elapsed());
    Ok(())
}

/// A vote's statements on the writer's open transaction.
struct SqliteTx<'a>(&'a Connection);

impl VoteTx for SqliteTx<'_> {
    async fn claim(&mut self, sub: &Submission) -> Result<Option<String>, StoreError> {
        // The writer is the only one writing votes, so reading first cannot race.
        let mut stmt = self
            .0
            .prepare_cached("SELECT reply FROM processed_messages WHERE message_sid = ?1")
            .map_err(map_err)?;
        stmt.query_row([&sub.idempotency_key], |r| r.get(0))
            .optional()
            .map_err(map_err)
    }

    async fn event_by_code(&mut self, code: &EventCode) -> Result<Option<Event>, StoreError> {
        event_by_code(self.0, code)
    }

    async fn events_by_number(&mut self, number: &str) -> Result<Vec<Event>, StoreError> {
        events(self.0, EVENTS_BY_NUMBER_SQL, [number])
    }

    async fn upsert_rating(
        &mut self,
        event: &Event,
        sub: &Submission,
        flags: Reasons,
    ) -> Result<bool, StoreError> {
        let votes: i64 = self
            .0
            .prepare_cached(UPSERT_RATING)
            .map_err(map_err)?
            .query_row(
                params![
                    event.id,
                    sub.phone,
                    sub.vote.rating.get(),
                    sub.vote.comment,
                    sub.idempotency_key,
                    sub.at.millis(),
                    sub.channel.as_str(),
                    flags.bits()
                ],
                |r| r.get(0),
            )
            .map_err(map_err)?;
        Ok(votes > 1)
    }

    async fn add_flags(
        &mut self,
        event: &Event,
        phone: &str,
        reasons: Reasons,
    ) -> Result<(), StoreError> {
        super::flags::add_flags(self.0, event.id, phone, reasons).map(drop)
    }

    async fn save_reply(&mut self, sub: &Submission, reply: &str) -> Result<(), StoreError> {
        self.0
            .prepare_cached(
                "INSERT INTO processed_messages (message_sid, reply, created_at) VALUES (?1, ?2, ?3)",
            )
            .map_err(map_err)?
            .execute(params![sub.idempotency_key, reply, sub.at.millis()])
            .map_err(map_err)?;
        Ok(())
    }

    async fn opted_out(&mut self, phones: &[&str]) -> Result<HashSet<String>, StoreError> {
        let mut found = HashSet::new();
        for phone in phones {
            if is_opted_out(self.0, phone)? {
                found.insert((*phone).to_owned());
            }
        }
        Ok(found)
    }

    async fn counts_unverified_calls(&mut self, event: &Event) -> Result<bool, StoreError> {
        self.0
            .prepare_cached(COUNTS_UNVERIFIED_SQL)
            .map_err(map_err)?
            .query_row([event.id], |r| r.get(0))
            .map_err(map_err)
    }

    async fn hold(
        &mut self,
        event: &Event,
        sub: &Submission,
        verdict: &str,
    ) -> Result<(), StoreError> {
        self.0
            .prepare_cached(HOLD_VOTE_SQL)
            .map_err(map_err)?
            .execute(params![
                sub.idempotency_key,
                event.id,
                sub.phone,
                sub.vote.rating.get(),
                verdict,
                sub.at.millis()
            ])
            .map_err(map_err)?;
        Ok(())
    }
}
