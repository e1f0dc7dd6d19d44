//! [`NumberBackup`] rows in SQLite (the texts are shared: `store/number_backup.rs`).

use rusqlite::OptionalExtension;

use super::{SqliteStore, map_err};
use crate::model::Timestamp;
use crate::store::StoreError;
use crate::store::number_backup::{KEEP_SQL, NumberBackup, read_sql};

impl SqliteStore {
    pub(super) async fn keep_backup(&self, b: NumberBackup) -> Result<bool, StoreError> {
        self.with_conn(move |conn| {
            let n = conn
                .execute(
                    KEEP_SQL,
                    rusqlite::params![
                        b.number_sid,
                        b.phone_number,
                        b.sms_url,
                        b.sms_method,
                        b.voice_url,
                        b.voice_method,
                        Timestamp::now().millis()
                    ],
                )
                .map_err(map_err)?;
            Ok(n == 1)
        })
        .await
    }

    pub(super) async fn backup(
        &self,
        sid: String,
        forget: bool,
    ) -> Result<Option<NumberBackup>, StoreError> {
        self.with_conn(move |conn| {
            conn.query_row(read_sql(forget), [&sid], |r| {
                Ok(NumberBackup {
                    number_sid: sid.clone(),
                    phone_number: r.get(0)?,
                    sms_url: r.get(1)?,
                    sms_method: r.get(2)?,
                    voice_url: r.get(3)?,
                    voice_method: r.get(4)?,
                })
            })
            .optional()
            .map_err(map_err)
        })
        .await
    }
}
