//! Database down: the webhook answers 503 (Twilio retries), stores nothing half-way, and the
//! retry after recovery counts once.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use sms_ratings::store::Options;
use tokio::net::{TcpListener, TcpStream};
use tokio::task::AbortHandle;

use crate::e2e::add;
use crate::server::{NUMBER, TestServer};
use crate::support::{TestDb, with_search_path};

fn quick() -> Options {
    Options {
        busy_timeout: Duration::from_millis(300),
        ..Options::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_locked_by_another_writer_is_503() {
    let db = TestDb::sqlite();
    let s = TestServer::start_with(&db.location, quick()).await;
    add(&s, "LOCK", Some(NUMBER)).await;
    let blocker = rusqlite::Connection::open(&db.location).unwrap();
    blocker.execute_batch("BEGIN EXCLUSIVE").unwrap();
    let (status, _) = s.sms("SMlock", "+14155550001", "5").await;
    assert_eq!(status, 503);
    blocker.execute_batch("ROLLBACK").unwrap();
    drop(blocker);
    // Twilio's retry: same MessageSid, now stored once.
    let (status, reply) = s.sms("SMlock", "+14155550001", "5").await;
    assert_eq!(status, 200, "{reply}");
    assert_eq!(s.count("LOCK").await, 1);
    s.stop().await;
}

/// A TCP proxy in front of PostgreSQL that can be cut, like a database going away.
struct Proxy {
    port: u16,
    tasks: Arc<Mutex<Vec<AbortHandle>>>,
}

impl Proxy {
    async fn start(target: String) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let tasks: Arc<Mutex<Vec<AbortHandle>>> = Arc::default();
        let registry = Arc::clone(&tasks);
        let accept = tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                let target = target.clone();
                let conn = tokio::spawn(async move {
                    if let Ok(mut server) = TcpStream::connect(target).await {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                    }
                });
                registry.lock().unwrap().push(conn.abort_handle());
            }
        });
        tasks.lock().unwrap().push(accept.abort_handle());
        Self { port, tasks }
    }

    /// Closes the listener and every proxied connection.
    fn cut(&self) {
        for task in self.tasks.lock().unwrap().drain(..) {
            task.abort();
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_unreachable_is_503() {
    let Some(db) = TestDb::postgres("postgres_unreachable_is_503").await else {
        return;
    };
    let url = std::env::var("DATABASE_URL").unwrap();
    let config: tokio_postgres::Config = url.parse().unwrap();
    let host = match &config.get_hosts()[0] {
        tokio_postgres::config::Host::Tcp(h) => h.clone(),
        #[allow(unreachable_patterns)]
        _ => {
            eprintln!("skipping postgres_unreachable_is_503: DATABASE_URL is not a TCP host");
            return;
        }
    };
    let port = config.get_ports().first().copied().unwrap_or(5432);
    let proxy = Proxy::start(format!("{host}:{port}")).await;
    let user = config.get_user().unwrap_or("postgres");
    let password = config
        .get_password()
        .map(|p| format!(":{}", String::from_utf8_lossy(p)))
        .unwrap_or_default();
    let dbname = config.get_dbname().unwrap_or(user);
    let schema = db.location.rsplit("%3D").next().unwrap();
    let via_proxy = with_search_path(
        &format!(
            "postgres://{user}{password}@127.0.0.1:{}/{dbname}",
            proxy.port
        ),
        schema,
    );
    let s = TestServer::start_with(&via_proxy, quick()).await;
    add(&s, "DOWN", Some(NUMBER)).await;
    assert_eq!(s.sms("SMup", "+14155550001", "4").await.0, 200);
    proxy.cut();
    let (status, _) = s.sms("SMdown", "+14155550002", "5").await;
    assert_eq!(status, 503);
    let health = s.get("/healthz").await;
    assert_eq!(health.status(), 503);
    // Nothing half-stored: read the real database directly.
    let direct = TestServer::start(&db.location).await;
    assert_eq!(direct.count("DOWN").await, 1);
    // Twilio retries once the database is back: counted once.
    assert_eq!(direct.sms("SMdown", "+14155550002", "5").await.0, 200);
    assert_eq!(direct.sms("SMdown", "+14155550002", "5").await.0, 200);
    assert_eq!(direct.count("DOWN").await, 2);
    direct.stop().await;
    s.stop().await;
}
