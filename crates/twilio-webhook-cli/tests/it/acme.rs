//! Automatic HTTPS of `twilio-webhook proxy` against a real ACME server (Pebble, 5% of
//! nonces rejected): a certificate by TLS-ALPN-01 and by HTTP-01 on `--http-listen`, a
//! signed webhook forwarded over it, renewal under a stream of requests, a restart served
//! from the cache with Pebble gone.

use std::path::Path;
use std::process::{Child, Command, Stdio};

use crate::upstream::{Behaviour, Upstream};

#[path = "../../../twilio-guard-serve/tests/support/pebble.rs"]
mod pebble;

use pebble::{DOMAIN, Pebble, exchange, free_port, wait_serving};

const TOKEN: &str = "acme-proxy-token-81d3";
const FORM: &str = "Body=5&From=%2B14155550100&To=%2B14155550199&MessageSid=SMacme&AccountSid=AC1";

/// The proxy process, killed however the test ends.
struct Proxy(Child);

impl Drop for Proxy {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `twilio-webhook proxy` on 127.0.0.1:`port` in front of `upstream`, with a certificate
/// from the ACME directory `acme.0` (HTTPS trusted by `acme.1`), cached in `dir/acme`.
fn proxy(dir: &Path, port: u16, upstream: &str, acme: (&str, &Path), extra: &[&str]) -> Proxy {
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.join("proxy.log"))
        .unwrap();
    Proxy(
        Command::new(env!("CARGO_BIN_EXE_twilio-webhook"))
            .env_remove("TWILIO_PROXY_PUBLIC_URL")
            .env_remove("ACME_DOMAINS")
            .env_remove("HTTP_LISTEN")
            .env("TWILIO_AUTH_TOKEN", TOKEN)
            .env("RUST_LOG", "info")
            .args(["proxy", "--listen", &format!("127.0.0.1:{port}")])
            .args(["--upstream", upstream])
            .args(["--acme-domain", DOMAIN, "--acme-directory", acme.0])
            .arg("--acme-root-ca")
            .arg(acme.1)
            .arg("--acme-cache")
            .arg(dir.join("acme"))
            .args(extra)
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap(),
    )
}

fn proxy_log(dir: &Path) -> String {
    std::fs::read_to_string(dir.join("proxy.log")).unwrap_or_default()
}

/// A form POST signed with `token` for `https://ratings.test/sms`, over TLS; its status.
async fn signed_sms(pebble: &Pebble, port: u16, token: &str) -> u16 {
    let pairs: Vec<(String, String)> = form_urlencoded::parse(FORM.as_bytes())
        .into_owned()
        .collect();
    let pairs: Vec<(&str, &str)> = pairs
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    pebble::signed_post(&pebble.client(), port, "/sms", token, &pairs).await
}

/// TLS-ALPN-01: a trusted handshake, a signed webhook forwarded (a wrongly signed one not),
/// days left in `/healthz` and `/metrics`; a restart with Pebble gone uses the cache.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_alpn_certificate_forwards_webhooks_and_survives_restart() {
    let port = free_port();
    let Some(pebble) = Pebble::start(port, free_port(), None).await else {
        return;
    };
    let up = Upstream::start(Behaviour::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let acme = (pebble.directory.clone(), pebble.ca_file.clone());
    let running = proxy(dir.path(), port, &up.url(""), (&acme.0, &acme.1), &[]);
    let client = pebble.client();
    let (took, leaf) = wait_serving(&client, port)
        .await
        .unwrap_or_else(|e| panic!("{e}\n{}\n{}", proxy_log(dir.path()), pebble.log()));
    eprintln!("proxy serving with a new certificate {took:?} after start");
    assert_eq!(signed_sms(&pebble, port, TOKEN).await, 200);
    assert_eq!(signed_sms(&pebble, port, "wrong-token").await, 403);
    assert_eq!(
        up.seen().len(),
        1,
        "only the signed one reached the upstream"
    );
    let (_, body, _) = pebble::healthz(&client, port).await.unwrap();
    assert!(body.contains("days left"), "{body}");
    let (mut tls, _) = pebble::connect(&client, DOMAIN, port).await.unwrap();
    let metrics = format!("GET /metrics HTTP/1.1\r\nHost: {DOMAIN}\r\nConnection: close\r\n\r\n");
    let (_, metrics) = exchange(&mut tls, &metrics).await.unwrap();
    assert!(
        metrics.contains("tls_certificate_expiry_days "),
        "{metrics}"
    );

    drop(running);
    drop(pebble);
    let _running = proxy(dir.path(), port, &up.url(""), (&acme.0, &acme.1), &[]);
    let (_, again) = wait_serving(&client, port)
        .await
        .unwrap_or_else(|e| panic!("{e}\n{}", proxy_log(dir.path())));
    assert_eq!(again, leaf, "the cached certificate");
    let log = proxy_log(dir.path());
    assert_eq!(log.matches("certificate issued").count(), 1, "{log}");
}

/// HTTP-01 on `--http-listen`; that listener refuses webhooks and redirects browsers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http01_through_http_listen() {
    let (port, http_port) = (free_port(), free_port());
    let Some(pebble) = Pebble::start(port, http_port, None).await else {
        return;
    };
    let up = Upstream::start(Behaviour::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let http_listen = format!("127.0.0.1:{http_port}");
    let acme = (pebble.directory.as_str(), pebble.ca_file.as_path());
    let _running = proxy(
        dir.path(),
        port,
        &up.url(""),
        acme,
        &["--http-listen", &http_listen],
    );
    wait_serving(&pebble.client(), port)
        .await
        .unwrap_or_else(|e| panic!("{e}\n{}\n{}", proxy_log(dir.path()), pebble.log()));
    let log = pebble.log();
    assert!(
        log.contains("validate w/ HTTP:"),
        "validated by HTTP-01: {log}"
    );
    assert_eq!(signed_sms(&pebble, port, TOKEN).await, 200);

    let mut plain = tokio::net::TcpStream::connect(("127.0.0.1", http_port))
        .await
        .unwrap();
    let post = format!(
        "POST /sms HTTP/1.1\r\nHost: {DOMAIN}\r\nContent-Type: application/x-www-form-urlencoded\r\n\
         Content-Length: {}\r\n\r\n{FORM}",
        FORM.len()
    );
    let (status, _) = exchange(&mut plain, &post).await.unwrap();
    assert_eq!(status, 403, "no webhook over plain HTTP");
    let (status, body) = exchange(
        &mut plain,
        &format!("GET / HTTP/1.1\r\nHost: {DOMAIN}\r\n\r\n"),
    )
    .await
    .unwrap();
    assert_eq!(status, 308, "{body}");
    assert_eq!(
        up.seen().len(),
        1,
        "the plain-HTTP webhook never reached the upstream"
    );
}

/// 12-second certificates renew twice while signed webhooks and health checks go on, on
/// new connections and on one kept-alive connection, without one failing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn renewal_swaps_without_a_failed_request() {
    let port = free_port();
    let Some(pebble) = Pebble::start(port, free_port(), Some(12)).await else {
        return;
    };
    let up = Upstream::start(Behaviour::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let acme = (pebble.directory.as_str(), pebble.ca_file.as_path());
    let _running = proxy(dir.path(), port, &up.url(""), acme, &[]);
    let client = pebble.client();
    let (_, first) = wait_serving(&client, port)
        .await
        .unwrap_or_else(|e| panic!("{e}\n{}\n{}", proxy_log(dir.path()), pebble.log()));
    let log = || proxy_log(dir.path());
    let (requests, certificates) = pebble::through_renewals(&client, port, first, log).await;
    eprintln!("{requests} requests, {certificates} certificates");
    let log = proxy_log(dir.path());
    assert!(certificates >= 3, "renewed twice: {certificates}\n{log}");
    assert!(!log.contains("RENEWAL FAILED"), "{log}");
}
