//! Flags in PostgreSQL (the texts and row readers are shared: `store/flags.rs`).

use deadpool_postgres::GenericClient;

use super::queries::{all, event_by_code, one};
use super::{PgStore, connection, map_err};
use crate::flag::Reasons;
use crate::model::{EventCode, Timestamp};
use crate::store::StoreError;
use crate::store::flags::{
    ADD_FLAGS_SQL, AUDIT_LIST_SQL, AUDIT_SQL, Audit, FLAGGED_SQL, FlagReview, KEEP_LINE_TYPE_SQL,
    LINE_TYPE_SQL, MOVE_SQL, PUBLIC_SQL, SET_PUBLIC_SQL, audit_entry, describe_move,
    describe_public, flagged_vote, public_choice,
};
use crate::store::rows::Columns;

/// Adds `reasons` to the event's vote from `phone`; false when there is none.
pub(super) async fn add_flags(
    client: &impl GenericClient,
    event: i64,
    phone: &str,
    reasons: Reasons,
) -> Result<bool, StoreError> {
    let stmt = client
        .prepare_cached(ADD_FLAGS_SQL)
        .await
        .map_err(map_err)?;
    let n = client
        .execute(&stmt, &[&event, &phone, &reasons.bits()])
        .await
        .map_err(map_err)?;
    Ok(n == 1)
}

async fn event_id(client: &impl GenericClient, code: &EventCode) -> Result<i64, StoreError> {
    event_by_code(client, code)
        .await?
        .map(|e| e.id)
        .ok_or_else(|| StoreError::UnknownEvent(code.to_string()))
}

async fn audit(
    client: &impl GenericClient,
    event: i64,
    by: &Audit,
    what: &str,
) -> Result<(), StoreError> {
    client
        .execute(AUDIT_SQL, &[&event, &by.at.millis(), &by.who, &what])
        .await
        .map_err(map_err)?;
    Ok(())
}

async fn review(client: &impl GenericClient, event: i64) -> Result<FlagReview, StoreError> {
    let (cleaned, excluded) = one(client, PUBLIC_SQL, &[&event], public_choice)
        .await?
        .ok_or_else(|| StoreError::Corrupt(format!("event {event} vanished")))?;
    let votes = all(client, FLAGGED_SQL, &[&event], flagged_vote).await?;
    let mut review = FlagReview::new(cleaned, excluded, votes);
    review.audit = all(client, AUDIT_LIST_SQL, &[&event], audit_entry).await?;
    Ok(review)
}

impl PgStore {
    pub(super) async fn flag_vote(
        &self,
        code: EventCode,
        phone: String,
        reasons: Reasons,
    ) -> Result<bool, StoreError> {
        let client = connection(&self.pool).await?;
        let event = event_id(&client, &code).await?;
        add_flags(&client, event, &phone, reasons).await
    }

    pub(super) async fn review(&self, code: EventCode) -> Result<Option<FlagReview>, StoreError> {
        let client = connection(&self.pool).await?;
        match event_by_code(&client, &code).await? {
            Some(e) => Ok(Some(review(&client, e.id).await?)),
            None => Ok(None),
        }
    }

    pub(super) async fn set_public(
        &self,
        code: EventCode,
        cleaned: bool,
        excluded: Reasons,
        by: Audit,
    ) -> Result<(), StoreError> {
        let mut client = connection(&self.pool).await?;
        let tx = client.transaction().await.map_err(map_err)?;
        let event = event_id(&tx, &code).await?;
        tx.execute(SET_PUBLIC_SQL, &[&event, &cleaned, &excluded.bits()])
            .await
            .map_err(map_err)?;
        audit(&tx, event, &by, &describe_public(cleaned, excluded)).await?;
        tx.commit().await.map_err(map_err)
    }

    pub(super) async fn move_by_hand(
        &self,
        code: EventCode,
        key: String,
        hand: Option<bool>,
        by: Audit,
    ) -> Result<bool, StoreError> {
        let mut client = connection(&self.pool).await?;
        let tx = client.transaction().await.map_err(map_err)?;
        let event = event_id(&tx, &code).await?;
        let n = tx
            .execute(MOVE_SQL, &[&event, &key, &hand])
            .await
            .map_err(map_err)?;
        if n == 1 {
            audit(&tx, event, &by, &describe_move(&key, hand)).await?;
        }
        tx.commit().await.map_err(map_err)?;
        Ok(n == 1)
    }

    pub(super) async fn known_line_type(
        &self,
        phone: String,
    ) -> Result<Option<String>, StoreError> {
        let client = connection(&self.pool).await?;
        one(&client, LINE_TYPE_SQL, &[&phone], |r| r.column(0)).await
    }

    pub(super) async fn keep_line(
        &self,
        phone: String,
        line_type: String,
        at: Timestamp,
    ) -> Result<(), StoreError> {
        let client = connection(&self.pool).await?;
        client
            .execute(KEEP_LINE_TYPE_SQL, &[&phone, &line_type, &at.millis()])
            .await
            .map_err(map_err)?;
        Ok(())
    }
}
