//! Opening the PostgreSQL database: the pool (with TLS), the listener, migrations, the batch
//! workers, and shutting down.

use std::str::FromStr;

use deadpool_postgres::{Manager, ManagerConfig, Object, Pool, RecyclingMethod, Runtime};

use super::{PgStore, connection, listen, map_err, tls, writer};
use crate::model::Timestamp;
use crate::store::queue;
use crate::store::{
    APPLIED_VERSIONS, CREATE_MIGRATIONS_TABLE, Dialect, Options, StoreError, pending,
};

/// Serialises migrations of instances starting together (any constant, shared by all).
const MIGRATION_LOCK: i64 = 0x736d_735f_7261_7465;

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
            .max_size(writer::WORKERS * 2 + 4)
            .runtime(Runtime::Tokio1)
            .wait_timeout(Some(options.busy_timeout))
            .create_timeout(Some(options.busy_timeout))
            .recycle_timeout(Some(options.busy_timeout))
            .build()
            .map_err(|e| StoreError::Config(e.to_string()))?;
        migrate(&mut connection(&pool).await?).await?;
        let (queue, batches) = queue::channel();
        writer::spawn(&pool, batches, &options);
        Ok(Self {
            pool,
            queue,
            listener,
            detector: options.detector,
        })
    }

    pub(super) async fn health_of(&self) -> Result<(), StoreError> {
        let client = connection(&self.pool).await?;
        client.simple_query("SELECT 1").await.map_err(map_err)?;
        Ok(())
    }

    pub(super) async fn close_of(&self) {
        self.queue.close().await;
        self.pool.close();
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
        .query(APPLIED_VERSIONS, &[])
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
