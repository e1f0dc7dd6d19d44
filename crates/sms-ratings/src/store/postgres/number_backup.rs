//! [`NumberBackup`] rows in PostgreSQL (the texts are shared: `store/number_backup.rs`).

use super::{PgStore, connection, map_err};
use crate::model::Timestamp;
use crate::store::StoreError;
use crate::store::number_backup::{KEEP_SQL, NumberBackup, read_sql};

impl PgStore {
    pub(super) async fn keep_backup(&self, b: NumberBackup) -> Result<bool, StoreError> {
        let client = connection(&self.pool).await?;
        let n = client
            .execute(
                KEEP_SQL,
                &[
                    &b.number_sid,
                    &b.phone_number,
                    &b.sms_url,
                    &b.sms_method,
                    &b.voice_url,
                    &b.voice_method,
                    &Timestamp::now().millis(),
                ],
            )
            .await
            .map_err(map_err)?;
        Ok(n == 1)
    }

    pub(super) async fn backup(
        &self,
        sid: String,
        forget: bool,
    ) -> Result<Option<NumberBackup>, StoreError> {
        let client = connection(&self.pool).await?;
        let row = client
            .query_opt(read_sql(forget), &[&sid])
            .await
            .map_err(map_err)?;
        Ok(row.map(|r| NumberBackup {
            number_sid: sid,
            phone_number: r.get(0),
            sms_url: r.get(1),
            sms_method: r.get(2),
            voice_url: r.get(3),
            voice_method: r.get(4),
        }))
    }
}
