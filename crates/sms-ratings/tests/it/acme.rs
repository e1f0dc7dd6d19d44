//! Automatic HTTPS of `sms-ratings serve` against a real ACME server (Pebble, 5% of nonces
//! rejected): a certificate by TLS-ALPN-01 and by HTTP-01 on `--http-listen`, trusted by a
//! client holding Pebble's root, a signed webhook accepted over it; renewal under a stream of
//! requests; a restart served from the cache with Pebble gone.

use std::path::Path;
use std::process::{Command, Stdio};

use crate::server::{NUMBER, sms_params};
use crate::support::KillOnDrop;

#[path = "../../../twilio-guard-serve/tests/support/pebble.rs"]
mod pebble;

use pebble::{DOMAIN, Pebble, exchange, free_port, wait_serving};

const TOKEN: &str = "acme-test-token-4c2e9b";

/// `sms-ratings serve` on 127.0.0.1:`port` with a certificate from `pebble`; the database
/// (and so, by default, the ACME cache) in `dir`.
fn serve(dir: &Path, port: u16, pebble: &Pebble, extra: &[&str]) -> KillOnDrop {
    serve_from(dir, port, (&pebble.directory, &pebble.ca_file), extra)
}

/// [`serve`] with the ACME directory URL and the root its HTTPS is trusted by.
fn serve_from(dir: &Path, port: u16, acme: (&str, &Path), extra: &[&str]) -> KillOnDrop {
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.join("server.log"))
        .unwrap();
    KillOnDrop(
        Command::new(env!("CARGO_BIN_EXE_sms-ratings"))
            .env_remove("DATABASE_URL")
            .env_remove("PUBLIC_URL")
            .env_remove("ACME_DOMAINS")
            .env_remove("ACME_CACHE")
            .env_remove("HTTP_LISTEN")
            .env("TWILIO_AUTH_TOKEN", TOKEN)
            .env("RUST_LOG", "info")
            .args(["--database", dir.join("r.db").to_str().unwrap()])
            .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
            .args(["--acme-domain", DOMAIN, "--acme-directory", acme.0])
            .arg("--acme-root-ca")
            .arg(acme.1)
            .args(["--acme-contact", "mailto:ops@ratings.test"])
            .args(extra)
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap(),
    )
}

fn server_log(dir: &Path) -> String {
    std::fs::read_to_string(dir.join("server.log")).unwrap_or_default()
}

/// A webhook signed with `token` for `https://ratings.test/sms`, sent over TLS; its status.
async fn signed_sms(pebble: &Pebble, port: u16, token: &str, sid: &str) -> u16 {
    let params = sms_params(sid, "+14155550123", NUMBER, "4");
    let params: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.as_str())).collect();
    pebble::signed_post(&pebble.client(), port, "/sms", token, &params).await
}

/// TLS-ALPN-01 on the TLS port: no answer before the certificate, then a trusted handshake,
/// a signed webhook accepted (a wrongly signed one refused), days left in `/healthz`; a
/// restart with Pebble gone serves the cached certificate without a new order.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_alpn_certificate_serves_webhooks_and_survives_restart() {
    let port = free_port();
    let Some(pebble) = Pebble::start(port, free_port(), None).await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let server = serve(dir.path(), port, &pebble, &[]);
    let client = pebble.client();
    let (took, leaf) = wait_serving(&client, port)
        .await
        .unwrap_or_else(|e| panic!("{e}\n{}\n{}", server_log(dir.path()), pebble.log()));
    eprintln!("serving with a new certificate {took:?} after start");
    assert_eq!(signed_sms(&pebble, port, TOKEN, "SMacme1").await, 200);
    assert_eq!(
        signed_sms(&pebble, port, "wrong-token-000", "SMacme2").await,
        403
    );
    let (status, body, _) = pebble::healthz(&client, port).await.unwrap();
    assert_eq!(status, 200);
    assert!(body.contains("days left"), "{body}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let cache = dir.path().join("acme");
        let mode = std::fs::metadata(&cache).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o700, "cache directory");
        for file in std::fs::read_dir(&cache).unwrap() {
            let mode = file.unwrap().metadata().unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600, "cache file");
        }
    }

    drop(server);
    let (directory, ca_file) = (pebble.directory.clone(), pebble.ca_file.clone());
    drop(pebble); // no ACME server any more: only the cache can serve
    let _server = serve_from(dir.path(), port, (&directory, &ca_file), &[]);
    let (_, again) = wait_serving(&client, port)
        .await
        .unwrap_or_else(|e| panic!("{e}\n{}", server_log(dir.path())));
    assert_eq!(again, leaf, "the cached certificate, not a new one");
    let log = server_log(dir.path());
    assert_eq!(log.matches("certificate issued").count(), 1, "{log}");
    assert!(log.contains("using the cached certificate"), "{log}");
}

/// HTTP-01 on `--http-listen`: the certificate is validated there; that listener sends a
/// browser to https on the TLS port and refuses a webhook with 403.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http01_through_http_listen() {
    let (port, http_port) = (free_port(), free_port());
    let Some(pebble) = Pebble::start(port, http_port, None).await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let http_listen = format!("127.0.0.1:{http_port}");
    let _server = serve(dir.path(), port, &pebble, &["--http-listen", &http_listen]);
    wait_serving(&pebble.client(), port)
        .await
        .unwrap_or_else(|e| panic!("{e}\n{}\n{}", server_log(dir.path()), pebble.log()));
    let log = pebble.log();
    assert!(
        log.contains("validate w/ HTTP:"),
        "validated by HTTP-01: {log}"
    );
    assert_eq!(signed_sms(&pebble, port, TOKEN, "SMhttp1").await, 200);

    let mut plain = tokio::net::TcpStream::connect(("127.0.0.1", http_port))
        .await
        .unwrap();
    let get = format!("GET /events/X?a=1 HTTP/1.1\r\nHost: {DOMAIN}\r\n\r\n");
    let (status, body) = exchange(&mut plain, &get).await.unwrap();
    assert_eq!(status, 308, "{body}");
    assert!(
        body.contains(&format!("https://{DOMAIN}:{port}/events/X?a=1")),
        "{body}"
    );
    let post = format!("POST /sms HTTP/1.1\r\nHost: {DOMAIN}\r\nContent-Length: 0\r\n\r\n");
    let (status, body) = exchange(&mut plain, &post).await.unwrap();
    assert_eq!(status, 403);
    assert!(body.contains("only accepted over HTTPS"), "{body}");
}

/// Certificates valid for 12 s renew at two thirds (8 s): requests on new connections and
/// on one kept-alive connection go on through two renewals and not one fails.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn renewal_swaps_without_a_failed_request() {
    let port = free_port();
    let Some(pebble) = Pebble::start(port, free_port(), Some(12)).await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let _server = serve(dir.path(), port, &pebble, &[]);
    let client = pebble.client();
    let (_, first) = wait_serving(&client, port)
        .await
        .unwrap_or_else(|e| panic!("{e}\n{}\n{}", server_log(dir.path()), pebble.log()));
    let log = || server_log(dir.path());
    let (requests, certificates) = pebble::through_renewals(&client, port, first, log).await;
    eprintln!("{requests} requests, {certificates} certificates");
    let log = server_log(dir.path());
    assert!(certificates >= 3, "renewed twice: {certificates}\n{log}");
    assert!(log.contains("certificate renewed"), "{log}");
    assert!(!log.contains("RENEWAL FAILED"), "{log}");
}
