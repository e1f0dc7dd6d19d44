//! PostgreSQL backend: a connection pool, votes committed in batches by a few worker tasks.
//!
//! Several `serve` instances may share one database. Exact totals come from constraints, not
//! from reading first: a vote first *claims* its `MessageSid` with `INSERT … ON CONFLICT DO
//! NOTHING` (a concurrent claim of the same id waits for the first transaction and then sees
//! it), and the rating is an `INSERT … ON CONFLICT (event_id, phone) DO UPDATE` whose vote
//! count is raised under the row lock. A batch takes its row locks in one global order (see
//! `vote::apply_in_lock_order`), so batches of different instances cannot deadlock; a
//! serialization failure or deadlock that happens anyway is retried.

mod listen;
mod number_backup;
mod tls;

use std::collections::HashSet;
use std::pin::Pin;
use std::str::FromStr;
use std::time::Duration;

use deadpool_postgres::{Manager, ManagerConfig, Object, Pool, RecyclingMethod, Runtime};
use tokio_postgres::Row;
use tokio_postgres::error::SqlState;

use super::queue::{self, BatchResult, Commit, Queue};
use super::vote::{Cached, EventCache, UPSERT_RATING, VoteTx, apply_in_lock_order};
use super::{
    Arg, CREATE_MIGRATIONS_TABLE, Dialect, EventChange, EventSettings, Options, Store, StoreError,
    StoreFuture, TimeBucket, pending,
};
use crate::model::{
    Event, EventCode, NewEvent, RatingRow, Receipt, Results, Submission, Timestamp,
};

/// Worker tasks, each committing one batch at a time on its own connection.
const WORKERS: usize = 4;
/// Attempts for a batch that hit a deadlock or serialization failure.
const ATTEMPTS: usize = 5;
/// Serialises migrations of instances starting together (any constant, shared by all).
const MIGRATION_LOCK: i64 = 0x736d_735f_7261_7465;

/// The PostgreSQL store. Open with [`PgStore::open`] or [`super::open`].
pub struct PgStore {
    pool: Pool,
    queue: Queue,
    listener: listen::Listener,
}

impl std::fmt::Debug for PgStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgStore").finish_non_exhaustive()
    }
}

impl PgStore {
    /// Connects, applies migrations and starts the batch workers.
    pub async fn open(url: &str, options: Options) -> Result<Self, StoreError> {
        let mut config = tokio_postgres::Config::from_str(url)
            .map_err(|e| StoreError::Config(format!("bad PostgreSQL URL: {e}")))?;
        config.connect_timeout(options.busy_timeout);
        if config.get_application_name().is_none() {
            config.application_name("sms-ratings");
        }
        let tls = tls::connector(&mut config)?;
        let listener = listen::Listener::start(config.clone(), tls.clone());
        let manager = Manager::from_config(
            config,
            tls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(WORKERS * 2 + 4)
            .runtime(Runtime::Tokio1)
            .wait_timeout(Some(options.busy_timeout))
            .create_timeout(Some(options.busy_timeout))
            .recycle_timeout(Some(options.busy_timeout))
            .build()
            .map_err(|e| StoreError::Config(e.to_string()))?;
        migrate(&mut connection(&pool).await?).await?;
        let (queue, batches) = queue::channel();
        for _ in 0..WORKERS {
            let worker = Worker {
                pool: pool.clone(),
                deadline: options.busy_timeout * 2,
            };
            tokio::spawn(batches.clone().run(options.max_batch, worker));
        }
        Ok(Self {
            pool,
            queue,
            listener,
        })
    }
}

async fn connection(pool: &Pool) -> Result<Object, StoreError> {
    pool.get()
        .await
        .map_err(|e| StoreError::Unavailable(format!("no PostgreSQL connection: {e}")))
}

/// Connection loss, shutdown, resource limits: unavailable (503). Deadlock or serialization
/// failure: conflict (retried). Anything else: the data or schema is not what we expect.
fn map_err(e: tokio_postgres::Error) -> StoreError {
    let Some(state) = e.code() else {
        return StoreError::Unavailable(e.to_string());
    };
    let class = state.code().get(..2).unwrap_or("");
    if *state == SqlState::T_R_DEADLOCK_DETECTED || *state == SqlState::T_R_SERIALIZATION_FAILURE {
        StoreError::Conflict(e.to_string())
    } else if matches!(class, "08" | "53" | "57" | "58") || e.is_closed() {
        StoreError::Unavailable(e.to_string())
    } else {
        StoreError::Corrupt(e.to_string())
    }
}

async fn migrate(client: &mut Object) -> Result<(), StoreError> {
    let tx = client.transaction().await.map_err(map_err)?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
        .await
        .map_err(map_err)?;
    tx.batch_execute(CREATE_MIGRATIONS_TABLE)
        .await
        .map_err(map_err)?;
    let applied = tx
        .query(super::APPLIED_VERSIONS, &[])
        .await
        .map_err(map_err)?
        .iter()
        .map(|row| row.try_get::<_, i64>(0).map_err(map_err))
        .collect::<Result<Vec<_>, _>>()?;
    for m in pending(&applied)? {
        tx.batch_execute(&Dialect::Postgres.render(m.sql))
            .await
            .map_err(map_err)?;
        tx.execute(
            "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)",
            &[&m.version, &m.name, &Timestamp::now().millis()],
        )
        .await
        .map_err(map_err)?;
    }
    tx.commit().await.map_err(map_err)
}

/// A batch worker's transaction code: one pooled connection per batch, conflicts retried,
/// the whole batch bounded by `deadline`.
struct Worker {
    pool: Pool,
    deadline: Duration,
}

impl Commit for Worker {
    const BACKEND: &'static str = "postgres";

    async fn commit(&mut self, batch: &[&Submission]) -> BatchResult {
        match tokio::time::timeout(self.deadline, commit_retrying(&self.pool, batch)).await {
            Ok(receipts) => Ok(receipts?.into_iter().map(Ok).collect()),
            Err(_) => Err(StoreError::Unavailable("commit timed out".into())),
        }
    }
}

async fn commit_retrying(pool: &Pool, batch: &[&Submission]) -> Result<Vec<Receipt>, StoreError> {
    let mut attempt = 1;
    loop {
        match commit(pool, batch).await {
            Err(StoreError::Conflict(why)) if attempt < ATTEMPTS => {
                tracing::debug!(attempt, %why, "batch conflicted, retrying");
                attempt += 1;
            }
            other => return other,
        }
    }
}

/// One transaction for the whole batch: every vote in it commits, or none does.
async fn commit(pool: &Pool, batch: &[&Submission]) -> Result<Vec<Receipt>, StoreError> {
    let mut client = connection(pool).await?;
    let tx = client.transaction().await.map_err(map_err)?;
    // Events may change meanwhile (another process closing one); a batch reads each once,
    // and a retried batch reads them afresh.
    let mut cache = EventCache::default();
    let mut vtx = Cached {
        tx: PgTx(&tx),
        cache: &mut cache,
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

struct PgTx<'a>(&'a deadpool_postgres::Transaction<'a>);

const EVENT_COLUMNS: &str = "id, code, name, number, opens, closes, closed";

fn event_row(row: &Row) -> Result<Event, StoreError> {
    let code: String = row.try_get(1).map_err(map_err)?;
    Ok(Event {
        id: row.try_get(0).map_err(map_err)?,
        code: code
            .parse()
            .map_err(|e: crate::model::InvalidCode| StoreError::Corrupt(e.to_string()))?,
        name: row.try_get(2).map_err(map_err)?,
        number: row.try_get(3).map_err(map_err)?,
        opens: row
            .try_get::<_, Option<i64>>(4)
            .map_err(map_err)?
            .map(Timestamp::from_millis),
        closes: row
            .try_get::<_, Option<i64>>(5)
            .map_err(map_err)?
            .map(Timestamp::from_millis),
        closed: row.try_get(6).map_err(map_err)?,
    })
}

async fn query_events(
    client: &impl deadpool_postgres::GenericClient,
    filter: &str,
    args: &[&(dyn tokio_postgres::types::ToSql + Sync)],
) -> Result<Vec<Event>, StoreError> {
    let sql = format!("SELECT {EVENT_COLUMNS} FROM events {filter} ORDER BY code");
    let stmt = client.prepare_cached(&sql).await.map_err(map_err)?;
    let rows = client.query(&stmt, args).await.map_err(map_err)?;
    rows.iter().map(event_row).collect()
}

async fn event_by_code(
    client: &impl deadpool_postgres::GenericClient,
    code: &EventCode,
) -> Result<Option<Event>, StoreError> {
    Ok(query_events(client, "WHERE code = $1", &[&code.as_str()])
        .await?
        .into_iter()
        .next())
}

impl VoteTx for PgTx<'_> {
    async fn claim(&mut self, sub: &Submission) -> Result<Option<String>, StoreError> {
        let stmt = self
            .0
            .prepare_cached(
                "INSERT INTO processed_messages (message_sid, reply, created_at) VALUES ($1, '', $2)
                 ON CONFLICT (message_sid) DO NOTHING",
            )
            .await
            .map_err(map_err)?;
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
        query_events(self.0, "WHERE number = $1", &[&number]).await
    }

    async fn upsert_rating(&mut self, event: &Event, sub: &Submission) -> Result<bool, StoreError> {
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
                ],
            )
            .await
            .map_err(map_err)?;
        let votes: i32 = row.try_get(0).map_err(map_err)?;
        Ok(votes > 1)
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
}

impl PgStore {
    async fn set_opted_out_of(
        &self,
        phone: String,
        opted_out: bool,
        at: Timestamp,
    ) -> Result<(), StoreError> {
        let client = connection(&self.pool).await?;
        let done = if opted_out {
            client
                .execute(super::OPT_OUT_SQL, &[&phone, &at.millis()])
                .await
        } else {
            client.execute(super::OPT_IN_SQL, &[&phone]).await
        };
        done.map(drop).map_err(map_err)
    }

    async fn is_opted_out_of(&self, phone: String) -> Result<bool, StoreError> {
        let client = connection(&self.pool).await?;
        let row = client
            .query_one(super::IS_OPTED_OUT_SQL, &[&phone])
            .await
            .map_err(map_err)?;
        Ok(row.try_get::<_, i64>(0).map_err(map_err)? > 0)
    }

    async fn results_of(&self, code: EventCode) -> Result<Option<Results>, StoreError> {
        let client = connection(&self.pool).await?;
        let Some(event) = event_by_code(&client, &code).await? else {
            return Ok(None);
        };
        let rows = client
            .query(super::RESULTS_SQL, &[&event.id])
            .await
            .map_err(map_err)?;
        let rows = rows.iter().map(|row| {
            let get = |i| row.try_get::<_, i64>(i).map_err(map_err);
            let channel = row.try_get(1).map_err(map_err)?;
            Ok((get(0)?, channel, get(2)?, get(3)?, get(4)?))
        });
        super::tally(&event, rows).map(Some)
    }

    /// A pooled connection and the event with `code`; `None` for an unknown code.
    async fn with_event(&self, code: &EventCode) -> Result<Option<(Object, Event)>, StoreError> {
        let client = connection(&self.pool).await?;
        let event = event_by_code(&client, code).await?;
        Ok(event.map(|e| (client, e)))
    }

    async fn ratings_of(&self, code: EventCode) -> Result<Option<Vec<RatingRow>>, StoreError> {
        let Some((client, event)) = self.with_event(&code).await? else {
            return Ok(None);
        };
        rating_rows(&client, super::RATINGS_SQL, &[&event.id])
            .await
            .map(Some)
    }

    async fn timeline_of(
        &self,
        code: EventCode,
        width: i64,
    ) -> Result<Option<Vec<TimeBucket>>, StoreError> {
        let Some((client, event)) = self.with_event(&code).await? else {
            return Ok(None);
        };
        let rows = client
            .query(super::TIMELINE_SQL, &[&event.id, &width])
            .await
            .map_err(map_err)?;
        rows.iter()
            .map(|row| {
                let get = |i| row.try_get::<_, i64>(i).map_err(map_err);
                TimeBucket::from_db(get(0)?, get(1)?, get(2)?)
            })
            .collect::<Result<Vec<_>, StoreError>>()
            .map(Some)
    }

    async fn latest_comments_of(
        &self,
        code: EventCode,
        limit: u32,
    ) -> Result<Option<Vec<RatingRow>>, StoreError> {
        let Some((client, event)) = self.with_event(&code).await? else {
            return Ok(None);
        };
        let limit = i64::from(limit);
        rating_rows(&client, super::LATEST_COMMENTS_SQL, &[&event.id, &limit])
            .await
            .map(Some)
    }
}

// ---- Organiser management (schema version 2) ----

impl PgStore {
    async fn edit_event_of(&self, event: NewEvent) -> Result<Event, StoreError> {
        let client = connection(&self.pool).await?;
        client
            .execute(
                super::EDIT_EVENT_SQL,
                &[
                    &event.code.as_str(),
                    &event.name,
                    &event.number,
                    &event.opens.map(Timestamp::millis),
                    &event.closes.map(Timestamp::millis),
                ],
            )
            .await
            .map_err(map_err)?;
        // Other instances' live pages show organiser changes at once too.
        listen::announce(&client, event.code.as_str())
            .await
            .map_err(map_err)?;
        event_by_code(&client, &event.code)
            .await?
            .ok_or_else(|| StoreError::UnknownEvent(event.code.to_string()))
    }

    async fn change_event_of(
        &self,
        code: EventCode,
        change: EventChange,
    ) -> Result<Event, StoreError> {
        let client = connection(&self.pool).await?;
        let sql = format!("{} RETURNING {EVENT_COLUMNS}", change.sql());
        let code_arg = code.as_str();
        let row = match change.arg() {
            Arg::None => client.query_opt(&sql, &[&code_arg]).await,
            Arg::Millis(ms) => client.query_opt(&sql, &[&code_arg, &ms]).await,
            Arg::Flag(flag) => client.query_opt(&sql, &[&code_arg, &flag]).await,
            Arg::Text(text) => client.query_opt(&sql, &[&code_arg, &text]).await,
        };
        let event = row.map_err(map_err)?.map_or_else(
            || Err(StoreError::UnknownEvent(code.to_string())),
            |r| event_row(&r),
        )?;
        listen::announce(&client, code_arg).await.map_err(map_err)?;
        Ok(event)
    }

    async fn settings_of(&self, code: EventCode) -> Result<Option<EventSettings>, StoreError> {
        let client = connection(&self.pool).await?;
        let row = client
            .query_opt(super::SETTINGS_SQL, &[&code.as_str()])
            .await
            .map_err(map_err)?;
        row.map(|r| {
            Ok(EventSettings {
                archived: r.try_get(0).map_err(map_err)?,
                results_hidden: r.try_get(1).map_err(map_err)?,
                share_token: r.try_get(2).map_err(map_err)?,
            })
        })
        .transpose()
    }

    async fn by_share_token(&self, token: String) -> Result<Option<Event>, StoreError> {
        let client = connection(&self.pool).await?;
        Ok(query_events(&client, "WHERE share_token = $1", &[&token])
            .await?
            .into_iter()
            .next())
    }

    async fn hide_comment_of(
        &self,
        code: EventCode,
        message_sid: String,
        hidden: bool,
    ) -> Result<bool, StoreError> {
        let client = connection(&self.pool).await?;
        let n = client
            .execute(
                super::HIDE_COMMENT_SQL,
                &[&code.as_str(), &message_sid, &hidden],
            )
            .await
            .map_err(map_err)?;
        listen::announce(&client, code.as_str())
            .await
            .map_err(map_err)?;
        Ok(n == 1)
    }

    async fn reset_votes_of(&self, code: EventCode) -> Result<u64, StoreError> {
        let Some((client, event)) = self.with_event(&code).await? else {
            return Err(StoreError::UnknownEvent(code.to_string()));
        };
        let removed = client
            .execute(super::RESET_VOTES_SQL, &[&event.id])
            .await
            .map_err(map_err)?;
        listen::announce(&client, code.as_str())
            .await
            .map_err(map_err)?;
        Ok(removed)
    }
}

// ---- end of organiser management ----

/// Rating rows from `sql` (the columns of [`super::RATINGS_SQL`]) over `args`.
async fn rating_rows(
    client: &impl deadpool_postgres::GenericClient,
    sql: &str,
    args: &[&(dyn tokio_postgres::types::ToSql + Sync)],
) -> Result<Vec<RatingRow>, StoreError> {
    let rows = client.query(sql, args).await.map_err(map_err)?;
    rows.iter()
        .map(|row| {
            Ok(RatingRow {
                phone: row.try_get(0).map_err(map_err)?,
                rating: super::rating_from_db(row.try_get(1).map_err(map_err)?)?,
                comment: row.try_get(2).map_err(map_err)?,
                created_at: Timestamp::from_millis(row.try_get(3).map_err(map_err)?),
                updated_at: Timestamp::from_millis(row.try_get(4).map_err(map_err)?),
                channel: super::channel_from_db(row.try_get(5).map_err(map_err)?)?,
                message_sid: row.try_get(6).map_err(map_err)?,
                hidden: row.try_get(7).map_err(map_err)?,
            })
        })
        .collect()
}

impl Store for PgStore {
    fn add_event(&self, event: NewEvent) -> StoreFuture<'_, Event> {
        Box::pin(async move {
            let client = connection(&self.pool).await?;
            let inserted = client
                .execute(
                    "INSERT INTO events (code, name, number, opens, closes, closed, created_at)
                     VALUES ($1, $2, $3, $4, $5, FALSE, $6) ON CONFLICT (code) DO NOTHING",
                    &[
                        &event.code.as_str(),
                        &event.name,
                        &event.number,
                        &event.opens.map(Timestamp::millis),
                        &event.closes.map(Timestamp::millis),
                        &Timestamp::now().millis(),
                    ],
                )
                .await
                .map_err(map_err)?;
            if inserted == 0 {
                return Err(StoreError::DuplicateEvent(event.code.to_string()));
            }
            event_by_code(&client, &event.code)
                .await?
                .ok_or_else(|| StoreError::UnknownEvent(event.code.to_string()))
        })
    }

    fn events(&self) -> StoreFuture<'_, Vec<Event>> {
        Box::pin(async move { query_events(&connection(&self.pool).await?, "", &[]).await })
    }

    fn event(&self, code: EventCode) -> StoreFuture<'_, Option<Event>> {
        Box::pin(async move { event_by_code(&connection(&self.pool).await?, &code).await })
    }

    fn close_event(&self, code: EventCode) -> StoreFuture<'_, Event> {
        Box::pin(async move {
            let client = connection(&self.pool).await?;
            let sql = format!(
                "UPDATE events SET closed = TRUE WHERE code = $1 RETURNING {EVENT_COLUMNS}"
            );
            let row = client
                .query_opt(&sql, &[&code.as_str()])
                .await
                .map_err(map_err)?;
            row.map_or_else(
                || Err(StoreError::UnknownEvent(code.to_string())),
                |r| event_row(&r),
            )
        })
    }

    fn submit(&self, submission: Submission) -> StoreFuture<'_, Receipt> {
        Box::pin(self.queue.submit(submission))
    }

    fn set_opted_out(&self, phone: String, opted_out: bool, at: Timestamp) -> StoreFuture<'_, ()> {
        Box::pin(self.set_opted_out_of(phone, opted_out, at))
    }

    fn is_opted_out(&self, phone: String) -> StoreFuture<'_, bool> {
        Box::pin(self.is_opted_out_of(phone))
    }

    fn results(&self, code: EventCode) -> StoreFuture<'_, Option<Results>> {
        Box::pin(self.results_of(code))
    }

    fn ratings(&self, code: EventCode) -> StoreFuture<'_, Option<Vec<RatingRow>>> {
        Box::pin(self.ratings_of(code))
    }

    fn timeline(
        &self,
        code: EventCode,
        bucket: Duration,
    ) -> StoreFuture<'_, Option<Vec<TimeBucket>>> {
        Box::pin(self.timeline_of(code, super::timeline::width_millis(bucket)))
    }

    fn latest_comments(
        &self,
        code: EventCode,
        limit: u32,
    ) -> StoreFuture<'_, Option<Vec<RatingRow>>> {
        Box::pin(self.latest_comments_of(code, limit))
    }

    // ---- Organiser management (schema version 2) ----

    fn edit_event(&self, event: NewEvent) -> StoreFuture<'_, Event> {
        Box::pin(self.edit_event_of(event))
    }

    fn change_event(&self, code: EventCode, change: EventChange) -> StoreFuture<'_, Event> {
        Box::pin(self.change_event_of(code, change))
    }

    fn event_settings(&self, code: EventCode) -> StoreFuture<'_, Option<EventSettings>> {
        Box::pin(self.settings_of(code))
    }

    fn event_by_share_token(&self, token: String) -> StoreFuture<'_, Option<Event>> {
        Box::pin(self.by_share_token(token))
    }

    fn hide_comment(
        &self,
        code: EventCode,
        message_sid: String,
        hidden: bool,
    ) -> StoreFuture<'_, bool> {
        Box::pin(self.hide_comment_of(code, message_sid, hidden))
    }

    fn reset_votes(&self, code: EventCode) -> StoreFuture<'_, u64> {
        Box::pin(self.reset_votes_of(code))
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

    fn changes(&self) -> Option<tokio::sync::broadcast::Receiver<super::Change>> {
        Some(self.listener.subscribe())
    }

    fn health(&self) -> StoreFuture<'_, ()> {
        Box::pin(async move {
            let client = connection(&self.pool).await?;
            client.simple_query("SELECT 1").await.map_err(map_err)?;
            Ok(())
        })
    }

    fn close(&self) -> Pin<Box<dyn std::future::Future<Output = ()> + Send + '_>> {
        Box::pin(async move {
            self.queue.close().await;
            self.pool.close();
        })
    }
}
