//! Shared test plumbing: databases to test against.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use sms_ratings::store::{self, Options, Store};

/// A database for one test; holds what must live as long as the test (the temp dir).
pub struct TestDb {
    pub location: String,
    pub backend: &'static str,
    _dir: Option<tempfile::TempDir>,
}

impl TestDb {
    pub fn sqlite() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let location = dir.path().join("ratings.db").to_str().unwrap().to_owned();
        Self {
            location,
            backend: "sqlite",
            _dir: Some(dir),
        }
    }

    /// A fresh schema in the `DATABASE_URL` database; `None` (with a message) when unset.
    pub async fn postgres(test: &str) -> Option<Self> {
        let Ok(url) = std::env::var("DATABASE_URL") else {
            eprintln!("skipping PostgreSQL part of {test}: DATABASE_URL is not set");
            return None;
        };
        let schema = unique_schema();
        let (client, conn) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
            .await
            .expect("DATABASE_URL is set but PostgreSQL is unreachable");
        tokio::spawn(conn);
        client
            .batch_execute(&format!("CREATE SCHEMA {schema}"))
            .await
            .unwrap();
        Some(Self {
            location: with_search_path(&url, &schema),
            backend: "postgres",
            _dir: None,
        })
    }

    pub async fn open(&self) -> Arc<dyn Store> {
        self.open_with(Options::default()).await
    }

    pub async fn open_with(&self, options: Options) -> Arc<dyn Store> {
        store::open_with(&self.location, options).await.unwrap()
    }
}

/// Unique per process and call, so runs never see each other's rows.
fn unique_schema() -> String {
    static N: AtomicUsize = AtomicUsize::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!(
        "t_{}_{}_{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed),
        nanos
    )
}

/// Adds `options=-csearch_path=<schema>` to a PostgreSQL URL.
pub fn with_search_path(url: &str, schema: &str) -> String {
    let sep = if url.contains('?') { '&' } else { '?' };
    format!("{url}{sep}options=-csearch_path%3D{schema}")
}

/// Runs an async test body against SQLite and, when configured, PostgreSQL.
#[macro_export]
macro_rules! both_backends {
    ($name:ident, $body:path) => {
        mod $name {
            use super::*;
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                $body($crate::support::TestDb::sqlite()).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if let Some(db) = $crate::support::TestDb::postgres(stringify!($name)).await {
                    $body(db).await;
                }
            }
        }
    };
}

/// A reqwest client for the tests.
///
/// Installs ring as the process's rustls provider first: when the whole workspace is built
/// together (`cargo test --workspace`), feature unification gives reqwest the CLI's
/// `rustls-no-provider`, and then no client can be built without a provider installed.
pub fn http_client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::new()
}

/// A child process (server binary, chromedriver) killed and reaped however the test ends.
pub struct KillOnDrop(pub std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A port free on loopback right now, for a child process to bind.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Waits (up to 20 s) until a server on `port` answers `GET /healthz` with 200.
pub async fn wait_healthy(port: u16) {
    let started = std::time::Instant::now();
    let url = format!("http://127.0.0.1:{port}/healthz");
    while http_client()
        .get(&url)
        .send()
        .await
        .map(|r| r.status() != 200)
        .unwrap_or(true)
    {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(20),
            "server did not start"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}
