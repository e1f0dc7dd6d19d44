//! Reads, and the opt-out keywords' own small transactions, on pooled connections.

use deadpool_postgres::{GenericClient, Object};
use tokio_postgres::Row;
use tokio_postgres::types::ToSql;

use super::{PgStore, connection, map_err};
use crate::model::{Event, EventCode, RatingRow, Results, Timestamp};
use crate::store::rows::{self, Columns, Value};
use crate::store::{CLAIM_SQL, OPT_IN_SQL, OPT_OUT_SQL, StoreError, TimeBucket};

/// Statement arguments, as the driver takes them.
pub(super) type Args<'a> = &'a [&'a (dyn ToSql + Sync)];

impl Columns for Row {
    fn column<T: Value>(&self, index: usize) -> Result<T, StoreError> {
        self.try_get(index).map_err(map_err)
    }
}

/// Every row of `sql` over `args`, each read by `read`.
pub(super) async fn all<T>(
    client: &impl GenericClient,
    sql: &str,
    args: Args<'_>,
    read: impl Fn(&Row) -> Result<T, StoreError>,
) -> Result<Vec<T>, StoreError> {
    let stmt = client.prepare_cached(sql).await.map_err(map_err)?;
    let rows = client.query(&stmt, args).await.map_err(map_err)?;
    rows.iter().map(read).collect()
}

/// The row of `sql` over `args`, if any, read by `read`.
pub(super) async fn one<T>(
    client: &impl GenericClient,
    sql: &str,
    args: Args<'_>,
    read: impl Fn(&Row) -> Result<T, StoreError>,
) -> Result<Option<T>, StoreError> {
    let stmt = client.prepare_cached(sql).await.map_err(map_err)?;
    let row = client.query_opt(&stmt, args).await.map_err(map_err)?;
    row.as_ref().map(read).transpose()
}

/// The events of `sql` (one of the event statements of `store/rows.rs`) over `args`.
pub(super) async fn events(
    client: &impl GenericClient,
    sql: &str,
    args: Args<'_>,
) -> Result<Vec<Event>, StoreError> {
    all(client, sql, args, rows::event).await
}

pub(super) async fn event_by_code(
    client: &impl GenericClient,
    code: &EventCode,
) -> Result<Option<Event>, StoreError> {
    one(
        client,
        rows::EVENT_BY_CODE_SQL,
        &[&code.as_str()],
        rows::event,
    )
    .await
}

async fn count(client: &impl GenericClient, sql: &str, args: Args<'_>) -> Result<i64, StoreError> {
    let row = client.query_one(sql, args).await.map_err(map_err)?;
    row.column(0)
}

impl PgStore {
    /// A pooled connection and the event with `code`; `None` for an unknown code.
    pub(super) async fn with_event(
        &self,
        code: &EventCode,
    ) -> Result<Option<(Object, Event)>, StoreError> {
        let client = connection(&self.pool).await?;
        let event = event_by_code(&client, code).await?;
        Ok(event.map(|e| (client, e)))
    }

    pub(super) async fn events_of(&self) -> Result<Vec<Event>, StoreError> {
        events(&connection(&self.pool).await?, rows::EVENTS_SQL, &[]).await
    }

    pub(super) async fn event_of(&self, code: EventCode) -> Result<Option<Event>, StoreError> {
        event_by_code(&connection(&self.pool).await?, &code).await
    }

    pub(super) async fn set_opted_out_of(
        &self,
        message_sid: String,
        phone: String,
        opted_out: bool,
        at: Timestamp,
    ) -> Result<bool, StoreError> {
        let mut client = connection(&self.pool).await?;
        let tx = client.transaction().await.map_err(map_err)?;
        let claimed = tx
            .execute(CLAIM_SQL, &[&message_sid, &at.millis()])
            .await
            .map_err(map_err)?;
        if claimed == 0 {
            return Ok(false);
        }
        if opted_out {
            tx.execute(OPT_OUT_SQL, &[&phone, &at.millis()]).await
        } else {
            tx.execute(OPT_IN_SQL, &[&phone]).await
        }
        .map_err(map_err)?;
        tx.commit().await.map_err(map_err)?;
        Ok(true)
    }

    pub(super) async fn is_opted_out_of(&self, phone: String) -> Result<bool, StoreError> {
        let client = connection(&self.pool).await?;
        Ok(count(&client, rows::IS_OPTED_OUT_SQL, &[&phone]).await? > 0)
    }

    pub(super) async fn results_of(&self, code: EventCode) -> Result<Option<Results>, StoreError> {
        let Some((client, event)) = self.with_event(&code).await? else {
            return Ok(None);
        };
        let counts = all(&client, rows::RESULTS_SQL, &[&event.id], rows::results_row).await?;
        let held = count(&client, rows::HELD_CALLS_SQL, &[&event.id]).await?;
        rows::tally(&event, counts, held).map(Some)
    }

    pub(super) async fn ratings_of(
        &self,
        code: EventCode,
    ) -> Result<Option<Vec<RatingRow>>, StoreError> {
        let Some((client, event)) = self.with_event(&code).await? else {
            return Ok(None);
        };
        all(&client, rows::RATINGS_SQL, &[&event.id], rows::rating)
            .await
            .map(Some)
    }

    pub(super) async fn timeline_of(
        &self,
        code: EventCode,
        width: i64,
    ) -> Result<Option<Vec<TimeBucket>>, StoreError> {
        let Some((client, event)) = self.with_event(&code).await? else {
            return Ok(None);
        };
        all(
            &client,
            rows::TIMELINE_SQL,
            &[&event.id, &width],
            rows::bucket,
        )
        .await
        .map(Some)
    }

    pub(super) async fn latest_comments_of(
        &self,
        code: EventCode,
        limit: u32,
    ) -> Result<Option<Vec<RatingRow>>, StoreError> {
        let Some((client, event)) = self.with_event(&code).await? else {
            return Ok(None);
        };
        let limit = i64::from(limit);
        all(
            &client,
            rows::LATEST_COMMENTS_SQL,
            &[&event.id, &limit],
            rows::rating,
        )
        .await
        .map(Some)
    }
}
