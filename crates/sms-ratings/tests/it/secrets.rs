//! Secrets and transport: database URL passwords never reach the log; PostgreSQL over TLS.

use crate::load::serve_logging_to;
use crate::support::{TestDb, free_port};

/// A password in the URL's query (`?password=…`) is redacted like one before the `@`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn database_url_passwords_are_redacted_from_the_log() {
    let Some(db) = TestDb::postgres("database_url_passwords_are_redacted").await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("stderr.log");
    let secret = "hunter2-in-the-query";
    let sep = if db.location.contains('?') { '&' } else { '?' };
    let url = format!("{}{sep}password={secret}&user=postgres", db.location);
    let server = serve_logging_to(
        &url,
        free_port(),
        std::fs::File::create(&log).unwrap().into(),
    )
    .await;
    drop(server);
    let logs = std::fs::read_to_string(&log).unwrap();
    assert!(logs.contains("listening"), "{logs}");
    assert!(!logs.contains(secret), "{logs}");
    assert!(logs.contains("password=…"), "{logs}");
}

/// `sslmode=require` connects over TLS (rustls), where the local server offers it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_over_tls_with_sslmode_require() {
    let Ok(url) = std::env::var("DATABASE_URL") else {
        eprintln!("skipping postgres_over_tls_with_sslmode_require: DATABASE_URL is not set");
        return;
    };
    let (client, conn) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(conn);
    let ssl: String = client.query_one("SHOW ssl", &[]).await.unwrap().get(0);
    if ssl != "on" {
        eprintln!("skipping postgres_over_tls_with_sslmode_require: the server has ssl = {ssl}");
        return;
    }
    let db = TestDb::postgres("postgres_over_tls").await.unwrap();
    let app = format!("tls_test_{}", std::process::id());
    let location = format!("{}&sslmode=require&application_name={app}", db.location);
    let store = sms_ratings::store::open(&location).await.unwrap();
    store
        .add_event(crate::store::new_event("TLS", None))
        .await
        .unwrap();
    assert_eq!(store.events().await.unwrap().len(), 1);
    let row = client
        .query_one(
            "SELECT COUNT(*), COUNT(*) FILTER (WHERE s.ssl) FROM pg_stat_activity a
             JOIN pg_stat_ssl s USING (pid) WHERE a.application_name = $1",
            &[&app],
        )
        .await
        .unwrap();
    let (all, encrypted): (i64, i64) = (row.get(0), row.get(1));
    assert!(all >= 1, "the store's connections are there");
    assert_eq!(all, encrypted, "every connection of the store is encrypted");
    store.close().await;
}
