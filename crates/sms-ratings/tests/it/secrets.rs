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

/// A man in the middle that declines TLS for the server (answers PostgreSQL's `SSLRequest`
/// with `N`) and relays the plaintext session to it; its address.
async fn tls_stripping_relay(upstream: String) -> std::net::SocketAddr {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut client, _)) = listener.accept().await {
            let upstream = upstream.clone();
            tokio::spawn(async move {
                let mut first = [0; 8];
                client.read_exact(&mut first).await?;
                let mut server = tokio::net::TcpStream::connect(&upstream).await?;
                if first == [0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f] {
                    client.write_all(b"N").await?;
                } else {
                    server.write_all(&first).await?;
                }
                tokio::io::copy_bidirectional(&mut client, &mut server).await?;
                Ok::<_, std::io::Error>(())
            });
        }
    });
    addr
}

/// "Also by reading" of issue 22: with `PGSSLROOTCERT` set and the default `sslmode=prefer`, a
/// server (or anyone in between) declining TLS must not get a plaintext session; and
/// `sslmode=disable` beside a root certificate is refused as a contradiction.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_root_certificate_means_tls_is_required() {
    let Some(db) = TestDb::postgres("a_root_certificate_means_tls_is_required").await else {
        return;
    };
    let config: tokio_postgres::Config = db.location.parse().unwrap();
    let host = match &config.get_hosts()[0] {
        tokio_postgres::config::Host::Tcp(host) => host.clone(),
        #[allow(unreachable_patterns)]
        _ => return eprintln!("skipping: DATABASE_URL is not a TCP address"),
    };
    let upstream = format!(
        "{host}:{}",
        config.get_ports().first().copied().unwrap_or(5432)
    );
    let relay = tls_stripping_relay(upstream.clone()).await;
    let dir = tempfile::tempdir().unwrap();
    let ca = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let ca_file = dir.path().join("root.pem");
    std::fs::write(&ca_file, ca.cert.pem()).unwrap();
    let run = |url: String| {
        let ca_file = ca_file.clone();
        tokio::task::spawn_blocking(move || {
            crate::load::sms_ratings(&url)
                .args(["events", "list"])
                .env("PGSSLROOTCERT", &ca_file)
                .output()
                .unwrap()
        })
    };
    let stripped = db.location.replacen(&upstream, &relay.to_string(), 1);
    assert_ne!(stripped, db.location, "the relay is in the URL");
    let out = run(stripped).await.unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success(),
        "PGSSLROOTCERT set, TLS declined by a man in the middle, and the store connected in \
         plaintext: {stderr}"
    );
    let sep = if db.location.contains('?') { '&' } else { '?' };
    let out = run(format!("{}{sep}sslmode=disable", db.location))
        .await
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(
        stderr.contains("PGSSLROOTCERT") && stderr.contains("sslmode=disable"),
        "{stderr}"
    );
}
