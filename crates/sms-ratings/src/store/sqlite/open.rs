//! Opening the SQLite file: the connections' shared settings, migrations, the checkpoint
//! thread, the pool of reading connections, and shutting down.

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rusqlite::{Connection, TransactionBehavior, params};

use super::{SqliteStore, map_err, writer};
use crate::model::Timestamp;
use crate::store::queue;
use crate::store::{
    APPLIED_VERSIONS, CREATE_MIGRATIONS_TABLE, Dialect, Options, StoreError, pending,
};

impl SqliteStore {
    /// Opens (creating if needed) the database file, applies migrations, starts the writer.
    pub async fn open(path: &Path, options: Options) -> Result<Self, StoreError> {
        let path = path.to_path_buf();
        let (conn, path, options) = tokio::task::spawn_blocking(move || {
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
        let detector = options.detector.clone();
        let thread = writer::spawn(conn, batches, options.max_batch, detector, stop_checkpoints)?;
        Ok(Self {
            path,
            options,
            queue,
            thread: Mutex::new(Some(thread)),
            idle: Arc::new(Mutex::new(Vec::new())),
        })
    }

    /// Runs `f` on a pooled connection on the blocking pool.
    pub(super) async fn with_conn<T: Send + 'static>(
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

    pub(super) async fn health_of(&self) -> Result<(), StoreError> {
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
    }

    pub(super) async fn close_of(&self) {
        self.queue.close().await;
        // The writer thread ends with a last checkpoint after the queue drained.
        let thread = self.thread.lock().ok().and_then(|mut t| t.take());
        if let Some(thread) = thread {
            let _ = tokio::task::spawn_blocking(move || thread.join()).await;
        }
        if let Ok(mut idle) = self.idle.lock() {
            idle.clear();
        }
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
        .prepare(APPLIED_VERSIONS)
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
