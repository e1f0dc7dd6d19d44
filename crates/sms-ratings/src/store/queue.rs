//! The vote queue both backends share: `submit` puts a vote on a bounded channel and waits for
//! its answer; consumers take what is queued as one batch, hand it to the backend's
//! [`Commit`] (its transaction code), and answer every vote of the batch only after the
//! commit; `close` stops taking votes and waits until every queued vote is answered.
//!
//! A backend chooses how many consumers run (SQLite: one writer thread; PostgreSQL: a few
//! tasks) and where they run; everything else lives here once.

use std::sync::{Arc, Mutex, RwLock};

use tokio::sync::{mpsc, oneshot};

use super::StoreError;
use crate::model::{Receipt, Submission};

/// Votes waiting for a consumer before `submit` waits for room (backpressure).
const CAPACITY: usize = 8192;

/// One queued vote and where its answer goes.
struct Job {
    submission: Submission,
    answer: oneshot::Sender<Result<Receipt, StoreError>>,
}

/// The per-vote results of a batch, in batch order; `Err` when the whole batch failed.
pub(crate) type BatchResult = Result<Vec<Result<Receipt, StoreError>>, StoreError>;

/// A backend's transaction code: commits one batch.
pub(crate) trait Commit {
    /// The backend's name in metrics.
    const BACKEND: &'static str;

    /// Commits `batch` (in queue order) and returns one result per vote; the answers go out
    /// only after this returns, so an `Ok` receipt must mean committed.
    async fn commit(&mut self, batch: &[&Submission]) -> BatchResult;
}

/// The submitting side, held by the store.
pub(crate) struct Queue {
    sender: RwLock<Option<mpsc::Sender<Job>>>,
    /// Ends (yields `None`) once every consumer has finished.
    finished: Mutex<Option<mpsc::Receiver<()>>>,
}

/// The consuming side; clone it for each consumer.
#[derive(Clone)]
pub(crate) struct Batches {
    jobs: Arc<tokio::sync::Mutex<mpsc::Receiver<Job>>>,
    /// Dropped when the consumer holding this clone ends; `close` waits for all of them.
    _alive: mpsc::Sender<()>,
}

/// A new queue and its consuming side.
pub(crate) fn channel() -> (Queue, Batches) {
    let (sender, jobs) = mpsc::channel(CAPACITY);
    let (alive, finished) = mpsc::channel(1);
    let queue = Queue {
        sender: RwLock::new(Some(sender)),
        finished: Mutex::new(Some(finished)),
    };
    let batches = Batches {
        jobs: Arc::new(tokio::sync::Mutex::new(jobs)),
        _alive: alive,
    };
    (queue, batches)
}

impl Queue {
    /// Queues a vote and resolves with its answer, once its batch committed (or failed).
    pub(crate) async fn submit(&self, submission: Submission) -> Result<Receipt, StoreError> {
        let sender = self.sender.read().ok().and_then(|s| s.clone());
        let sender = sender.ok_or_else(|| StoreError::Unavailable("shutting down".into()))?;
        let (answer, receipt) = oneshot::channel();
        let gone = || StoreError::Unavailable("the vote writers stopped".into());
        sender
            .send(Job { submission, answer })
            .await
            .map_err(|_| gone())?;
        receipt.await.map_err(|_| gone())?
    }

    /// False once [`Queue::close`] was called.
    pub(crate) fn is_open(&self) -> bool {
        self.sender.read().is_ok_and(|s| s.is_some())
    }

    /// Stops taking votes and waits until the consumers answered everything queued and ended.
    pub(crate) async fn close(&self) {
        // Dropping the last sender lets the consumers drain the queue, commit and return.
        if let Ok(mut sender) = self.sender.write() {
            sender.take();
        }
        let finished = self.finished.lock().ok().and_then(|mut f| f.take());
        if let Some(mut finished) = finished {
            while finished.recv().await.is_some() {}
        }
    }
}

impl Batches {
    /// Takes batches of up to `max_batch` votes (whatever is queued once one arrived), commits
    /// each with `backend` and answers its votes; returns when the queue is closed and empty.
    pub(crate) async fn run<C: Commit>(self, max_batch: usize, mut backend: C) {
        let max_batch = max_batch.max(1);
        let mut batch = Vec::with_capacity(max_batch);
        loop {
            // Other consumers wait here while one fills its batch, so batches stay whole.
            if self
                .jobs
                .lock()
                .await
                .recv_many(&mut batch, max_batch)
                .await
                == 0
            {
                return; // every sender dropped and the queue drained
            }
            let started = std::time::Instant::now();
            let submissions: Vec<&Submission> = batch.iter().map(|job| &job.submission).collect();
            let results = backend.commit(&submissions).await;
            crate::metrics::batch_committed(
                C::BACKEND,
                batch.len(),
                started.elapsed(),
                results.is_ok(),
            );
            answer(batch.drain(..), results);
        }
    }
}

/// Sends each job its result; when the batch failed, every job gets that error.
fn answer(jobs: impl Iterator<Item = Job>, results: BatchResult) {
    match results {
        Ok(results) => {
            for (job, result) in jobs.zip(results) {
                let _ = job.answer.send(result);
            }
        }
        Err(e) => {
            for job in jobs {
                let _ = job.answer.send(Err(e.clone()));
            }
        }
    }
}
