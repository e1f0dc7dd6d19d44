//! SQLite backend: WAL, `synchronous=FULL`, one writer thread committing whole batches.
//!
//! Votes queue on a channel; the writer takes everything queued (up to `max_batch`), runs each
//! vote in its own savepoint inside one `BEGIN IMMEDIATE` transaction, commits once (one fsync
//! for the batch: group commit) and only then answers each vote. While it commits, new votes
//! queue up and form the next batch, so the batch size follows the load. Reads and event
//! changes use other connections (WAL lets readers run beside the writer).

mod number_backup;

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use rusqlite::{Connection, ErrorCode, OptionalExtension, Row, TransactionBehavior, params};

use super::queue::{self, BatchResult, Batches, Commit, Queue};
use super::vote::{Cached, EventCache, UPSERT_RATING, VoteTx, apply};
use super::{
    Arg, CREATE_MIGRATIONS_TABLE, Dialect, EventChange, EventSettings, Options, Store, StoreError,
    StoreFuture, TimeBucket, pending,
};
use crate::model::{
    Event, EventCode, NewEvent, RatingRow, Receipt, Results, Submission, Timestamp,
};

/// The SQLite store. Open with [`SqliteStore::open`] or [`super::open`].
pub struct SqliteStore {
    path: PathBuf,
    options: Options,
    queue: Queue,
    thread: Mutex<Option<JoinHandle<()>>>,
    idle: Arc<Mutex<Vec<Connection>>>,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl SqliteStore {
    /// Opens (creating if needed) the database file, applies migrations, starts the writer.
    pub async fn open(path: &Path, options: Options) -> Result<Self, StoreError> {
        let path = path.to_path_buf();
        let (mut conn, path, options) = tokio::task::spawn_blocking(move || {
            let mut conn = connect(&path, &options)?;
            migrate(&mut conn)?;
            Ok::<_, StoreError>((conn, path, options))
        })
        .await
        .map_err(|e| StoreError::Unavailable(e.to_string()))??;
        // Checkpoints run on their own thread and connection, so a commit never waits for
        // one (an automatic checkpoint would run inside the COMMIT of the vote that
        // crossed the threshold, adding fsyncs of the database file to its latency).
        // A larger page cache for the writer: index pages of busy tables stay in memory.
        conn.execute_batch("PRAGMA wal_autocheckpoint = 0; PRAGMA cache_size = -8192")
            .map_err(map_err)?;
        let checkpointer = connect(&path, &options)?;
        let (stop_checkpoints, stopped) = std::sync::mpsc::channel::<()>();
        std::thread::Builder::new()
            .name("sqlite-checkpoint".into())
            .spawn(move || checkpoints(&checkpointer, &stopped))
            .map_err(|e| StoreError::Unavailable(format!("cannot start checkpointer: {e}")))?;
        let (queue, batches) = queue::channel();
        let max_batch = options.max_batch;
        let thread = std::thread::Builder::new()
            .name("sqlite-writer".into())
            .spawn(move || {
                writer(&mut conn, batches, max_batch);
                drop(stop_checkpoints);
                // Leave a small WAL behind: fold it into the database file.
                let _ = conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE)");
            })
            .map_err(|e| StoreError::Unavailable(format!("cannot start writer: {e}")))?;
        Ok(Self {
            path,
            options,
            queue,
            thread: Mutex::new(Some(thread)),
            idle: Arc::new(Mutex::new(Vec::new())),
        })
    }

    /// Runs `f` on a pooled connection on the blocking pool.
    async fn with_conn<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Connection) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let idle = Arc::clone(&self.idle);
        let path = self.path.clone();
        let options = self.options.clone();
        tokio::task::spawn_blocking(move || {
            let pooled = idle.lock().ok().and_then(|mut v| v.pop());
            let mut conn = match pooled {
                Some(c) => c,
                None => connect(&path, &options)?,
            };
            let out = f(&mut conn);
            if let Ok(mut v) = idle.lock() {
                v.push(conn);
            }
            out
        })
        .await
        .map_err(|e| StoreError::Unavailable(e.to_string()))?
    }
}

/// Opens a connection with the durability settings every connection must share.
fn connect(path: &Path, options: &Options) -> Result<Connection, StoreError> {
    let conn = Connection::open(path).map_err(map_err)?;
    conn.busy_timeout(options.busy_timeout).map_err(map_err)?;
    let mode: String = conn
        .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
        .map_err(map_err)?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(StoreError::Config(format!(
            "{} cannot use WAL (journal mode {mode})",
            path.display()
        )));
    }
    conn.execute_batch("PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;")
        .map_err(map_err)?;
    Ok(conn)
}

fn migrate(conn: &mut Connection) -> Result<(), StoreError> {
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(map_err)?;
    tx.execute_batch(CREATE_MIGRATIONS_TABLE).map_err(map_err)?;
    let applied = tx
        .prepare(super::APPLIED_VERSIONS)
        .and_then(|mut stmt| {
            stmt.query_map([], |r| r.get(0))?
                .collect::<Result<Vec<i64>, _>>()
        })
        .map_err(map_err)?;
    for m in pending(&applied)? {
        tx.execute_batch(&Dialect::Sqlite.render(m.sql))
            .map_err(map_err)?;
        tx.execute(
            "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?1, ?2, ?3)",
            params![m.version, m.name, Timestamp::now().millis()],
        )
        .map_err(map_err)?;
    }
    tx.commit().map_err(map_err)
}

/// Busy, locked, I/O, full or read-only: the database cannot take writes now (503, retry).
fn map_err(e: rusqlite::Error) -> StoreError {
    match e.sqlite_error_code() {
        Some(
            ErrorCode::DatabaseBusy
            | ErrorCode::DatabaseLocked
            | ErrorCode::SystemIoFailure
            | ErrorCode::DiskFull
            | ErrorCode::CannotOpen
            | ErrorCode::ReadOnly
            | ErrorCode::OutOfMemory
            | ErrorCode::NotADatabase,
        ) => StoreError::Unavailable(e.to_string()),
        _ => StoreError::Corrupt(e.to_string()),
    }
}

/// Every half second, copies committed WAL frames into the database file without waiting
/// for readers or the writer (PASSIVE); ends when the writer is done.
fn checkpoints(conn: &Connection, stop: &std::sync::mpsc::Receiver<()>) {
    use std::sync::mpsc::RecvTimeoutError;
    while let Err(RecvTimeoutError::Timeout) = stop.recv_timeout(Duration::from_millis(500)) {
        if let Err(e) = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(())) {
            tracing::warn!(error = %e, "checkpoint failed");
        }
    }
}

/// The writer thread: commits batches until the queue is closed and empty.
fn writer(conn: &mut Connection, batches: Batches, max_batch: usize) {
    // The queue and the shared vote logic are async; here they run on this thread only, so
    // a trivial current-thread runtime drives them (nothing inside waits on I/O or timers).
    let Ok(rt) = tokio::runtime::Builder::new_current_thread().build() else {
        tracing::error!("sqlite writer: cannot build its runtime");
        return;
    };
    let writer = Writer {
        conn,
        cache: WriterCache::default(),
    };
    rt.block_on(batches.run(max_batch, writer));
}

/// The writer's connection and event cache: SQLite's transaction code for the queue.
struct Writer<'c> {
    conn: &'c mut Connection,
    cache: WriterCache,
}

impl Commit for Writer<'_> {
    const BACKEND: &'static str = "sqlite";

    async fn commit(&mut self, batch: &[&Submission]) -> BatchResult {
        commit(self.conn, &mut self.cache, batch).await
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
        return commit_isolated(conn, cache, batch).await;
    }
    sync(tx)?;
    Ok(results.into_iter().collect())
}

async fn commit_isolated(
    conn: &mut Connection,
    cache: &mut WriterCache,
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

struct SqliteTx<'a>(&'a Connection);

const EVENT_COLUMNS: &str = "id, code, name, number, opens, closes, closed";

fn event_row(row: &Row<'_>) -> rusqlite::Result<Result<Event, StoreError>> {
    let code: String = row.get(1)?;
    Ok(Ok(Event {
        id: row.get(0)?,
        code: match code.parse() {
            Ok(c) => c,
            Err(e) => return Ok(Err(StoreError::Corrupt(e.to_string()))),
        },
        name: row.get(2)?,
        number: row.get(3)?,
        opens: row.get::<_, Option<i64>>(4)?.map(Timestamp::from_millis),
        closes: row.get::<_, Option<i64>>(5)?.map(Timestamp::from_millis),
        closed: row.get(6)?,
    }))
}

fn query_events(
    conn: &Connection,
    filter: &str,
    args: &[&dyn rusqlite::ToSql],
) -> Result<Vec<Event>, StoreError> {
    let sql = format!("SELECT {EVENT_COLUMNS} FROM events {filter} ORDER BY code");
    let mut stmt = conn.prepare_cached(&sql).map_err(map_err)?;
    let rows = stmt.query_map(args, event_row).map_err(map_err)?;
    rows.map(|r| r.map_err(map_err)?).collect()
}

fn event_by_code(conn: &Connection, code: &EventCode) -> Result<Option<Event>, StoreError> {
    Ok(query_events(conn, "WHERE code = ?1", &[&code.as_str()])?
        .into_iter()
        .next())
}

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
        query_events(self.0, "WHERE number = ?1", &[&number])
    }

    async fn upsert_rating(&mut self, event: &Event, sub: &Submission) -> Result<bool, StoreError> {
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
                    sub.channel.as_str()
                ],
                |r| r.get(0),
            )
            .map_err(map_err)?;
        Ok(votes > 1)
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
}

fn is_opted_out(conn: &Connection, phone: &str) -> Result<bool, StoreError> {
    let mut stmt = conn
        .prepare_cached(super::IS_OPTED_OUT_SQL)
        .map_err(map_err)?;
    let n: i64 = stmt.query_row([phone], |r| r.get(0)).map_err(map_err)?;
    Ok(n > 0)
}

fn results(conn: &Connection, event: &Event) -> Result<Results, StoreError> {
    let mut stmt = conn.prepare_cached(super::RESULTS_SQL).map_err(map_err)?;
    let rows = stmt
        .query_map([event.id], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
        })
        .map_err(map_err)?;
    super::tally(event, rows.map(|r| r.map_err(map_err)))
}

fn ratings(conn: &Connection, event: &Event) -> Result<Vec<RatingRow>, StoreError> {
    rating_rows(conn, super::RATINGS_SQL, params![event.id])
}

/// Rating rows from `sql` (the columns of [`super::RATINGS_SQL`]) over `args`.
fn rating_rows(
    conn: &Connection,
    sql: &str,
    args: impl rusqlite::Params,
) -> Result<Vec<RatingRow>, StoreError> {
    let mut stmt = conn.prepare_cached(sql).map_err(map_err)?;
    let rows = stmt
        .query_map(args, |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, i64>(3)?,
                r.get::<_, i64>(4)?,
                r.get::<_, String>(5)?,
                r.get::<_, String>(6)?,
                r.get::<_, bool>(7)?,
            ))
        })
        .map_err(map_err)?;
    rows.map(|row| {
        let (phone, rating, comment, created, updated, channel, message_sid, hidden) =
            row.map_err(map_err)?;
        Ok(RatingRow {
            phone,
            rating: super::rating_from_db(rating)?,
            comment,
            channel: super::channel_from_db(&channel)?,
            created_at: Timestamp::from_millis(created),
            updated_at: Timestamp::from_millis(updated),
            message_sid,
            hidden,
        })
    })
    .collect()
}

fn timeline(conn: &Connection, event: &Event, width: i64) -> Result<Vec<TimeBucket>, StoreError> {
    let mut stmt = conn.prepare_cached(super::TIMELINE_SQL).map_err(map_err)?;
    let rows = stmt
        // By name: SQLite numbers `$N` parameters in order of first appearance, not by N.
        .query_map(rusqlite::named_params! {"$1": event.id, "$2": width}, |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })
        .map_err(map_err)?;
    rows.map(|row| {
        let (start, n, sum) = row.map_err(map_err)?;
        TimeBucket::from_db(start, n, sum)
    })
    .collect()
}

impl Store for SqliteStore {
    fn add_event(&self, event: NewEvent) -> StoreFuture<'_, Event> {
        Box::pin(self.with_conn(move |conn| {
            let inserted = conn.execute(
                "INSERT INTO events (code, name, number, opens, closes, closed, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, FALSE, ?6) ON CONFLICT (code) DO NOTHING",
                params![
                    event.code.as_str(),
                    event.name,
                    event.number,
                    event.opens.map(Timestamp::millis),
                    event.closes.map(Timestamp::millis),
                    Timestamp::now().millis()
                ],
            );
            if inserted.map_err(map_err)? == 0 {
                return Err(StoreError::DuplicateEvent(event.code.to_string()));
            }
            event_by_code(conn, &event.code)?
                .ok_or_else(|| StoreError::UnknownEvent(event.code.to_string()))
        }))
    }

    fn events(&self) -> StoreFuture<'_, Vec<Event>> {
        Box::pin(self.with_conn(|conn| query_events(conn, "", &[])))
    }

    fn event(&self, code: EventCode) -> StoreFuture<'_, Option<Event>> {
        Box::pin(self.with_conn(move |conn| event_by_code(conn, &code)))
    }

    fn close_event(&self, code: EventCode) -> StoreFuture<'_, Event> {
        Box::pin(self.with_conn(move |conn| {
            let n = conn
                .execute(
                    "UPDATE events SET closed = TRUE WHERE code = ?1",
                    [code.as_str()],
                )
                .map_err(map_err)?;
            match (n, event_by_code(conn, &code)?) {
                (1, Some(event)) => Ok(event),
                _ => Err(StoreError::UnknownEvent(code.to_string())),
            }
        }))
    }

    fn submit(&self, submission: Submission) -> StoreFuture<'_, Receipt> {
        Box::pin(self.queue.submit(submission))
    }

    fn set_opted_out(&self, phone: String, opted_out: bool, at: Timestamp) -> StoreFuture<'_, ()> {
        Box::pin(self.with_conn(move |conn| {
            if opted_out {
                conn.execute(super::OPT_OUT_SQL, params![phone, at.millis()])
            } else {
                conn.execute(super::OPT_IN_SQL, params![phone])
            }
            .map(drop)
            .map_err(map_err)
        }))
    }

    fn is_opted_out(&self, phone: String) -> StoreFuture<'_, bool> {
        Box::pin(self.with_conn(move |conn| is_opted_out(conn, &phone)))
    }

    fn results(&self, code: EventCode) -> StoreFuture<'_, Option<Results>> {
        Box::pin(self.with_conn(move |conn| {
            event_by_code(conn, &code)?
                .map(|event| results(conn, &event))
                .transpose()
        }))
    }

    fn ratings(&self, code: EventCode) -> StoreFuture<'_, Option<Vec<RatingRow>>> {
        Box::pin(self.with_conn(move |conn| {
            event_by_code(conn, &code)?
                .map(|event| ratings(conn, &event))
                .transpose()
        }))
    }

    fn timeline(
        &self,
        code: EventCode,
        bucket: std::time::Duration,
    ) -> StoreFuture<'_, Option<Vec<TimeBucket>>> {
        let width = super::timeline::width_millis(bucket);
        Box::pin(self.with_conn(move |conn| {
            event_by_code(conn, &code)?
                .map(|event| timeline(conn, &event, width))
                .transpose()
        }))
    }

    fn latest_comments(
        &self,
        code: EventCode,
        limit: u32,
    ) -> StoreFuture<'_, Option<Vec<RatingRow>>> {
        Box::pin(self.with_conn(move |conn| {
            event_by_code(conn, &code)?
                .map(|event| {
                    rating_rows(
                        conn,
                        super::LATEST_COMMENTS_SQL,
                        rusqlite::named_params! {"$1": event.id, "$2": limit},
                    )
                })
                .transpose()
        }))
    }

    // ---- Organiser management (schema version 2) ----

    fn edit_event(&self, event: NewEvent) -> StoreFuture<'_, Event> {
        Box::pin(self.with_conn(move |conn| {
            // By name: SQLite numbers `$N` parameters in order of first appearance, not by N.
            conn.execute(
                super::EDIT_EVENT_SQL,
                rusqlite::named_params! {
                    "$1": event.code.as_str(),
                    "$2": event.name,
                    "$3": event.number,
                    "$4": event.opens.map(Timestamp::millis),
                    "$5": event.closes.map(Timestamp::millis),
                },
            )
            .map_err(map_err)?;
            event_by_code(conn, &event.code)?
                .ok_or_else(|| StoreError::UnknownEvent(event.code.to_string()))
        }))
    }

    fn change_event(&self, code: EventCode, change: EventChange) -> StoreFuture<'_, Event> {
        Box::pin(self.with_conn(move |conn| {
            let code_arg = code.as_str();
            let changed = match change.arg() {
                Arg::None => conn.execute(change.sql(), [code_arg]),
                Arg::Millis(ms) => conn.execute(
                    change.sql(),
                    rusqlite::named_params! {"$1": code_arg, "$2": ms},
                ),
                Arg::Flag(flag) => conn.execute(
                    change.sql(),
                    rusqlite::named_params! {"$1": code_arg, "$2": flag},
                ),
                Arg::Text(text) => conn.execute(
                    change.sql(),
                    rusqlite::named_params! {"$1": code_arg, "$2": text},
                ),
            };
            match (changed.map_err(map_err)?, event_by_code(conn, &code)?) {
                (1, Some(event)) => Ok(event),
                _ => Err(StoreError::UnknownEvent(code.to_string())),
            }
        }))
    }

    fn event_settings(&self, code: EventCode) -> StoreFuture<'_, Option<EventSettings>> {
        Box::pin(self.with_conn(move |conn| {
            conn.prepare_cached(super::SETTINGS_SQL)
                .map_err(map_err)?
                .query_row([code.as_str()], |r| {
                    Ok(EventSettings {
                        archived: r.get(0)?,
                        results_hidden: r.get(1)?,
                        share_token: r.get(2)?,
                    })
                })
                .optional()
                .map_err(map_err)
        }))
    }

    fn event_by_share_token(&self, token: String) -> StoreFuture<'_, Option<Event>> {
        Box::pin(self.with_conn(move |conn| {
            Ok(query_events(conn, "WHERE share_token = ?1", &[&token])?
                .into_iter()
                .next())
        }))
    }

    fn hide_comment(
        &self,
        code: EventCode,
        message_sid: String,
        hidden: bool,
    ) -> StoreFuture<'_, bool> {
        Box::pin(self.with_conn(move |conn| {
            let n = conn
                .execute(
                    super::HIDE_COMMENT_SQL,
                    rusqlite::named_params! {"$1": code.as_str(), "$2": message_sid, "$3": hidden},
                )
                .map_err(map_err)?;
            Ok(n == 1)
        }))
    }

    fn reset_votes(&self, code: EventCode) -> StoreFuture<'_, u64> {
        Box::pin(self.with_conn(move |conn| {
            let event = event_by_code(conn, &code)?
                .ok_or_else(|| StoreError::UnknownEvent(code.to_string()))?;
            let n = conn
                .execute(super::RESET_VOTES_SQL, [event.id])
                .map_err(map_err)?;
            Ok(u64::try_from(n).unwrap_or(u64::MAX))
        }))
    }

    // ---- end of organiser management ----

    fn keep_number_backup(&self, backup: super::NumberBackup) -> StoreFuture<'_, bool> {
        Box::pin(self.keep_backup(backup))
    }

    fn number_backup(
        &self,
        number_sid: String,
        forget: bool,
    ) -> StoreFuture<'_, Option<super::NumberBackup>> {
        Box::pin(self.backup(number_sid, forget))
    }

    fn health(&self) -> StoreFuture<'_, ()> {
        Box::pin(async move {
            if !self.queue.is_open() {
                return Err(StoreError::Unavailable("shutting down".into()));
            }
            self.with_conn(|conn| {
                conn.query_row("SELECT COUNT(*) FROM schema_migrations", [], |r| {
                    r.get::<_, i64>(0)
                })
                .map(drop)
                .map_err(map_err)
            })
            .await
        })
    }

    fn close(&self) -> Pin<Box<dyn std::future::Future<Output = ()> + Send + '_>> {
        Box::pin(async move {
            self.queue.close().await;
            // The writer thread ends with a last checkpoint after the queue drained.
            let thread = self.thread.lock().ok().and_then(|mut t| t.take());
            if let Some(thread) = thread {
                let _ = tokio::task::spawn_blocking(move || thread.join()).await;
            }
            if let Ok(mut idle) = self.idle.lock() {
                idle.clear();
            }
        })
    }
}
