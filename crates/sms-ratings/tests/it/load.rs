//! Under load: two instances on one PostgreSQL, and kill -9 of the real binary on SQLite.

use std::collections::HashSet;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use tokio::sync::Semaphore;

use crate::e2e::add;
use crate::server::{NUMBER, TOKEN, TestServer, form, sms_params};
use crate::support::{KillOnDrop, TestDb, free_port};

/// Both instances receive every message (Twilio retrying against another instance), phones
/// vote twice (the second replaces the first); totals must be exact, and PostgreSQL must not
/// have had to break a single deadlock between the instances' batches.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_postgres_instances_give_exact_totals() {
    let Some(db) = TestDb::postgres("two_postgres_instances_give_exact_totals").await else {
        return;
    };
    let (client, conn) = tokio_postgres::connect(&db.location, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(conn);
    let deadlocks_before = deadlocks(&client).await;
    // Named, so the test can tell when the instances' connections are gone.
    let app = format!("duo_{}", std::process::id());
    let location = format!("{}&application_name={app}", db.location);
    let a = Arc::new(TestServer::start(&location).await);
    let b = Arc::new(TestServer::start(&location).await);
    add(&a, "DUO", Some(NUMBER)).await;
    let phones = 300u32;
    let limit = Arc::new(Semaphore::new(48));
    let mut tasks = Vec::new();
    for i in 0..phones * 2 {
        let phone = format!("+1415{:07}", i % phones);
        let body = format!("DUO {}", 1 + (i % phones) % 5);
        let sid = format!("SM{i:032}");
        for server in [Arc::clone(&a), Arc::clone(&b)] {
            let (phone, body, sid, limit) =
                (phone.clone(), body.clone(), sid.clone(), Arc::clone(&limit));
            tasks.push(tokio::spawn(async move {
                let _permit = limit.acquire().await.unwrap();
                let (status, reply) = server.sms(&sid, &phone, &body).await;
                assert_eq!(status, 200, "{reply}");
                (sid, reply)
            }));
        }
    }
    let mut replies = std::collections::HashMap::new();
    for t in tasks {
        let (sid, reply) = t.await.unwrap();
        // Both deliveries of one MessageSid get the same reply.
        let first = replies.entry(sid).or_insert_with(|| reply.clone());
        assert_eq!(*first, reply);
    }
    let r = a.results("DUO").await;
    assert_eq!(r["count"], u64::from(phones));
    for rating in 1..=5 {
        assert_eq!(
            r["histogram"][rating.to_string()],
            u64::from(phones / 5),
            "{r}"
        );
    }
    let row = client
        .query_one(
            "SELECT (SELECT SUM(votes) FROM ratings)::BIGINT, (SELECT COUNT(*) FROM processed_messages)",
            &[],
        )
        .await
        .unwrap();
    assert_eq!(
        row.get::<_, i64>(0),
        i64::from(phones * 2),
        "every vote counted once"
    );
    assert_eq!(row.get::<_, i64>(1), i64::from(phones * 2));
    for s in [a, b] {
        Arc::into_inner(s).unwrap().stop().await;
    }
    gone(&client, &app).await;
    assert_eq!(
        deadlocks(&client).await,
        deadlocks_before,
        "PostgreSQL broke deadlocks in this database during the test (batches must lock rows \
         in one global order)"
    );
}

/// Deadlocks PostgreSQL detected in this database so far, as far as exited or idle backends
/// have reported them.
async fn deadlocks(client: &tokio_postgres::Client) -> i64 {
    client
        .batch_execute("SELECT pg_stat_clear_snapshot()")
        .await
        .unwrap();
    client
        .query_one(
            "SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()",
            &[],
        )
        .await
        .unwrap()
        .get(0)
}

/// Waits until no connection named `app` is left: a backend reports its statistics (the
/// deadlocks it detected) before it leaves `pg_stat_activity`.
async fn gone(client: &tokio_postgres::Client, app: &str) {
    let started = Instant::now();
    loop {
        let left: i64 = client
            .query_one(
                "SELECT COUNT(*) FROM pg_stat_activity WHERE application_name = $1",
                &[&app],
            )
            .await
            .unwrap()
            .get(0);
        if left == 0 {
            return;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "{left} connections of the stopped instances are still open"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The server binary, killed however the test ends.
pub type Binary = KillOnDrop;

pub fn sms_ratings(db: &str) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_sms-ratings"));
    cmd.env_remove("DATABASE_URL")
        .env("NO_COLOR", "1")
        .args(["--database", db]);
    cmd
}

async fn serve(db: &str, port: u16) -> Binary {
    serve_logging(db, port, Stdio::null()).await
}

pub async fn serve_logging(db: &str, port: u16, stderr: Stdio) -> Binary {
    serve_command(sms_ratings(db), port, stderr).await
}

/// [`serve_logging`] with `db` given as `DATABASE_URL` (how a deployment passes a URL with a
/// password: not on the command line).
pub async fn serve_logging_to(db: &str, port: u16, stderr: Stdio) -> Binary {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_sms-ratings"));
    cmd.env("DATABASE_URL", db).env("NO_COLOR", "1");
    serve_command(cmd, port, stderr).await
}

async fn serve_command(mut cmd: Command, port: u16, stderr: Stdio) -> Binary {
    let child = cmd
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .env("TWILIO_AUTH_TOKEN", TOKEN)
        .env("PUBLIC_URL", format!("http://127.0.0.1:{port}"))
        .env("ADMIN_PASSWORD", "pw-not-in-logs")
        .env("RUST_LOG", "debug")
        .stdout(Stdio::null())
        .stderr(stderr)
        .spawn()
        .unwrap();
    crate::support::wait_healthy(port).await;
    KillOnDrop(child)
}

/// Sends signed votes from distinct phones until the server stops answering; returns the
/// MessageSids that got a 2xx, counting each in `acks` as it comes.
async fn load(base: String, worker: usize, acks: Arc<AtomicUsize>) -> Vec<String> {
    let client = crate::support::http_client();
    let key = twilio_webhook::Key::auth_token("crash", TOKEN).unwrap();
    let url = format!("{base}/sms");
    let mut acked = Vec::new();
    for n in 0.. {
        let sid = format!("SM{worker:04}{n:028}");
        let phone = format!("+1{worker:03}{n:07}");
        let params = sms_params(&sid, &phone, NUMBER, "CRASH 4");
        let params: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let sent = client
            .post(&url)
            .header("content-type", "application/x-www-form-urlencoded")
            .header("x-twilio-signature", key.sign(&url, params.iter().copied()))
            .body(form(&params))
            .timeout(Duration::from_secs(5))
            .send()
            .await;
        match sent {
            Ok(r) if r.status().is_success() => {
                acked.push(sid);
                acks.fetch_add(1, Ordering::Relaxed);
            }
            Ok(r) => panic!("unexpected status {}", r.status()),
            Err(_) => break, // killed
        }
    }
    acked
}

/// kill -9 during signed load; after restart every acknowledged vote is there, once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_loses_no_acknowledged_vote() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("crash.db").to_str().unwrap().to_owned();
    let added = sms_ratings(&db)
        .args(["events", "add", "CRASH", "Crash test"])
        .output()
        .unwrap();
    assert!(added.status.success(), "{added:?}");
    let port = free_port();
    let mut server = serve(&db, port).await;
    let acks = Arc::new(AtomicUsize::new(0));
    let workers: Vec<_> = (0..16)
        .map(|w| tokio::spawn(load(format!("http://127.0.0.1:{port}"), w, acks.clone())))
        .collect();
    // Kill once enough votes are acknowledged, not after a fixed time: on a busy machine a
    // fixed sleep acknowledges too few to mean anything.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while acks.load(Ordering::Relaxed) < 150 && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    server.0.kill().unwrap(); // SIGKILL: no shutdown, no flush
    server.0.wait().unwrap();
    let mut acked = Vec::new();
    for w in workers {
        acked.extend(w.await.unwrap());
    }
    assert!(acked.len() > 100, "load too small: {}", acked.len());

    let port = free_port();
    let _restarted = serve(&db, port).await;
    let store = sms_ratings::store::open(&db).await.unwrap();
    let rows = store
        .ratings("CRASH".parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    let phones: HashSet<&str> = rows.iter().map(|r| r.phone.as_str()).collect();
    assert_eq!(phones.len(), rows.len(), "no phone twice");
    for sid in &acked {
        let worker: usize = sid[2..6].parse().unwrap();
        let n: u64 = sid[6..].parse().unwrap();
        let phone = format!("+1{worker:03}{n:07}");
        assert!(
            phones.contains(phone.as_str()),
            "acknowledged vote {sid} lost"
        );
    }
    eprintln!(
        "crash test: {} acknowledged, {} stored (the rest were in flight)",
        acked.len(),
        rows.len()
    );
    store.close().await;
}

/// Debug logs of the real binary hold no token, signature, password, body or full phone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logs_hold_no_secrets_bodies_or_phones() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("logs.db").to_str().unwrap().to_owned();
    let log = dir.path().join("stderr.log");
    assert!(
        sms_ratings(&db)
            .args(["events", "add", "LOGS", "Logs"])
            .status()
            .unwrap()
            .success()
    );
    let port = free_port();
    let server = serve_logging(&db, port, std::fs::File::create(&log).unwrap().into()).await;
    let url = format!("http://127.0.0.1:{port}/sms");
    let key = twilio_webhook::Key::auth_token("logs", TOKEN).unwrap();
    let params = sms_params(
        "SMlogs",
        "+14155559876",
        NUMBER,
        "LOGS 4 secret-comment-xyz",
    );
    let params: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let signature = key.sign(&url, params.iter().copied());
    let client = crate::support::http_client();
    for sig in [signature.as_str(), "AAAAAAAAAAAAAAAAAAAAAAAAAAA="] {
        client
            .post(&url)
            .header("content-type", "application/x-www-form-urlencoded")
            .header("x-twilio-signature", sig)
            .body(form(&params))
            .send()
            .await
            .unwrap();
    }
    let results = client
        .get(format!(
            "http://127.0.0.1:{port}/api/events/LOGS/ratings.csv"
        ))
        .basic_auth("admin", Some("pw-not-in-logs"))
        .send()
        .await
        .unwrap();
    assert_eq!(results.status(), 200);
    drop(server);
    let logs = std::fs::read_to_string(&log).unwrap();
    assert!(logs.contains("sms handled"), "logs were captured: {logs}");
    for secret in [
        TOKEN,
        signature.as_str(),
        "pw-not-in-logs",
        "secret-comment-xyz",
        "4155559876",
    ] {
        assert!(!logs.contains(secret), "{secret} appears in the logs");
    }
}
