//! A real ACME server for the automatic-HTTPS tests of both binaries: Debian's `pebble`
//! with its default 5% nonce rejection, validating for real against the server under test
//! (`httpPort`/`tlsPort` pointed at its ports; `pebble-challtestsrv` answers DNS so the
//! test domain resolves to 127.0.0.1). Included by `#[path]` from each crate's tests.
#![allow(unreachable_pub)]

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;
use tokio_rustls::rustls::pki_types::pem::PemObject as _;
use tokio_rustls::rustls::pki_types::{CertificateDer, ServerName};
use tokio_rustls::rustls::{ClientConfig, RootCertStore};

/// The domain the server under test gets a certificate for.
pub const DOMAIN: &str = "ratings.test";

/// A running Pebble and its DNS, killed on drop.
pub struct Pebble {
    /// The ACME directory URL.
    pub directory: String,
    /// The root Pebble's own HTTPS (the directory) is signed by: `--acme-root-ca`.
    pub ca_file: PathBuf,
    /// Pebble's issuing root: what a client trusts to reach the server under test.
    pub root: CertificateDer<'static>,
    /// Pebble's stdout and stderr.
    pub log: PathBuf,
    children: Vec<Child>,
    _dir: tempfile::TempDir,
}

impl Drop for Pebble {
    fn drop(&mut self) {
        for child in &mut self.children {
            let _ = child.kill();
            let _ = child.wait();
        }
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

fn installed(program: &str) -> bool {
    Command::new(program)
        .arg("-h")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok()
}

impl Pebble {
    /// Starts Pebble validating HTTP-01 on `http_port` and TLS-ALPN-01 on `tls_port` of
    /// 127.0.0.1, issuing certificates valid for `validity` seconds (Pebble's default when
    /// `None`). `None` (with the reason printed) when pebble is not installed.
    pub async fn start(tls_port: u16, http_port: u16, validity: Option<u64>) -> Option<Pebble> {
        if !installed("pebble") || !installed("pebble-challtestsrv") {
            eprintln!("SKIPPED: pebble is not installed (apt-get install pebble; .ci/run does)");
            return None;
        }
        let dir = tempfile::tempdir().unwrap();
        let (ca_file, cert_file, key_file) = pebble_https(&dir);
        let (acme, management, dns, dns_management) =
            (free_port(), free_port(), free_port(), free_port());
        let validity = validity.map_or(String::new(), |s| {
            format!(r#","certificateValidityPeriod": {s}"#)
        });
        let config = dir.path().join("pebble.json");
        std::fs::write(
            &config,
            format!(
                r#"{{"pebble": {{"listenAddress": "127.0.0.1:{acme}",
                "managementListenAddress": "127.0.0.1:{management}",
                "certificate": "{}", "privateKey": "{}",
                "httpPort": {http_port}, "tlsPort": {tls_port},
                "ocspResponderURL": "", "externalAccountBindingRequired": false{validity}}}}}"#,
                cert_file.display(),
                key_file.display()
            ),
        )
        .unwrap();
        let log = dir.path().join("pebble.log");
        let out = || {
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&log)
                .unwrap()
        };
        let dns_server = Command::new("pebble-challtestsrv")
            .args(["-defaultIPv4", "127.0.0.1", "-defaultIPv6", ""])
            .args(["-dns01", &format!("127.0.0.1:{dns}")])
            .args(["-http01", "", "-https01", "", "-tlsalpn01", ""])
            .args(["-management", &format!("127.0.0.1:{dns_management}")])
            .stdout(out())
            .stderr(out())
            .spawn()
            .unwrap();
        let pebble = Command::new("pebble")
            .arg("-config")
            .arg(&config)
            .args(["-dnsserver", &format!("127.0.0.1:{dns}")])
            // Validation without Pebble's random 0–15 s pauses; nonce rejection stays at 5%.
            .env("PEBBLE_VA_NOSLEEP", "1")
            .env_remove("PEBBLE_WFE_NONCEREJECT")
            .env_remove("PEBBLE_VA_ALWAYS_VALID")
            .stdout(out())
            .stderr(out())
            .spawn()
            .unwrap();
        let children = vec![dns_server, pebble];
        let ca = CertificateDer::from_pem_file(&ca_file).unwrap();
        let mut pebble = Pebble {
            directory: format!("https://127.0.0.1:{acme}/dir"),
            ca_file,
            root: ca.clone(),
            log,
            children,
            _dir: dir,
        };
        let trusting_ca = client_config(&ca);
        let started = Instant::now();
        pebble.root = loop {
            if let Ok(pem) = fetch(&trusting_ca, management, "/roots/0").await {
                break CertificateDer::from_pem_slice(pem.as_bytes()).unwrap();
            }
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "pebble did not start"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        };
        Some(pebble)
    }

    /// A client configuration trusting Pebble's issuing root.
    pub fn client(&self) -> Arc<ClientConfig> {
        client_config(&self.root)
    }

    /// Pebble's log so far (for failure messages).
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

/// A CA and a certificate for 127.0.0.1 signed by it, for Pebble's own HTTPS.
fn pebble_https(dir: &tempfile::TempDir) -> (PathBuf, PathBuf, PathBuf) {
    let ca_key = rcgen::KeyPair::generate().unwrap();
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let ca = ca_params.self_signed(&ca_key).unwrap();
    let issuer = rcgen::Issuer::new(ca_params, ca_key);
    let key = rcgen::KeyPair::generate().unwrap();
    let params =
        rcgen::CertificateParams::new(vec!["127.0.0.1".to_owned(), "localhost".to_owned()])
            .unwrap();
    let cert = params.signed_by(&key, &issuer).unwrap();
    let path = |name: &str| dir.path().join(name);
    std::fs::write(path("ca.pem"), ca.pem()).unwrap();
    std::fs::write(path("cert.pem"), cert.pem()).unwrap();
    std::fs::write(path("key.pem"), key.serialize_pem()).unwrap();
    (path("ca.pem"), path("cert.pem"), path("key.pem"))
}

/// A ring client trusting `root`, speaking HTTP/1.1.
pub fn client_config(root: &CertificateDer<'static>) -> Arc<ClientConfig> {
    let mut roots = RootCertStore::empty();
    roots.add(root.clone()).unwrap();
    let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
    let mut config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    // Every handshake a full one: a resumed session shows (and checks) no certificate.
    config.resumption = tokio_rustls::rustls::client::Resumption::disabled();
    Arc::new(config)
}

/// A TLS connection to `name` at 127.0.0.1:`port`, and the leaf certificate it presented.
pub async fn connect(
    config: &Arc<ClientConfig>,
    name: &str,
    port: u16,
) -> std::io::Result<(TlsStream<TcpStream>, Vec<u8>)> {
    let tcp = TcpStream::connect(("127.0.0.1", port)).await?;
    let name = ServerName::try_from(name.to_owned()).map_err(std::io::Error::other)?;
    let tls = TlsConnector::from(Arc::clone(config))
        .connect(name, tcp)
        .await?;
    let leaf = tls
        .get_ref()
        .1
        .peer_certificates()
        .and_then(|chain| chain.first())
        .map(|c| c.as_ref().to_vec())
        .unwrap_or_default();
    Ok((tls, leaf))
}

/// One request on a kept-alive connection: its status and body (read by Content-Length).
pub async fn exchange<S>(stream: &mut S, request: &str) -> std::io::Result<(u16, String)>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    stream.write_all(request.as_bytes()).await?;
    let mut head = Vec::new();
    while !head.ends_with(b"\r\n\r\n") {
        let mut byte = [0u8; 1];
        if stream.read(&mut byte).await? == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        head.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&head).to_string();
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| std::io::Error::other(format!("no status in {head:?}")))?;
    let length: usize = head
        .lines()
        .find_map(|l| {
            let (name, value) = l.split_once(':')?;
            name.eq_ignore_ascii_case("content-length")
                .then(|| value.trim().parse().ok())?
        })
        .unwrap_or(0);
    let mut body = vec![0u8; length];
    stream.read_exact(&mut body).await?;
    Ok((status, String::from_utf8_lossy(&body).into_owned()))
}

/// `GET path` on 127.0.0.1:`port` over TLS with `config` (Host `localhost`); the body.
async fn fetch(config: &Arc<ClientConfig>, port: u16, path: &str) -> std::io::Result<String> {
    let (mut tls, _) = connect(config, "localhost", port).await?;
    let (status, body) = exchange(
        &mut tls,
        &format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"),
    )
    .await?;
    match status {
        200 => Ok(body),
        other => Err(std::io::Error::other(format!("status {other}"))),
    }
}

/// `GET /healthz` for `DOMAIN` over TLS: the status, body and leaf certificate.
pub async fn healthz(
    config: &Arc<ClientConfig>,
    port: u16,
) -> std::io::Result<(u16, String, Vec<u8>)> {
    let (mut tls, leaf) = connect(config, DOMAIN, port).await?;
    let request = format!("GET /healthz HTTP/1.1\r\nHost: {DOMAIN}\r\nConnection: close\r\n\r\n");
    let (status, body) = exchange(&mut tls, &request).await?;
    Ok((status, body, leaf))
}

/// Waits (up to 60 s) until the server on `port` completes a handshake trusted by Pebble's
/// root and answers `/healthz`; how long that took, and the leaf it presented. The error is
/// the last failure.
pub async fn wait_serving(
    config: &Arc<ClientConfig>,
    port: u16,
) -> Result<(Duration, Vec<u8>), String> {
    let started = Instant::now();
    loop {
        let last = match healthz(config, port).await {
            Ok((200, _, leaf)) => return Ok((started.elapsed(), leaf)),
            Ok((status, body, _)) => format!("{status} {body}"),
            Err(e) => e.to_string(),
        };
        if started.elapsed() > Duration::from_secs(60) {
            return Err(format!("no certificate within 60 s: {last}"));
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// A form POST of `pairs` to `path` for `DOMAIN` over TLS, signed with `token` for
/// `https://ratings.test{path}` (the default public URL); its status.
pub async fn signed_post(
    config: &Arc<ClientConfig>,
    port: u16,
    path: &str,
    token: &str,
    pairs: &[(&str, &str)],
) -> u16 {
    let signature = twilio_webhook::Key::auth_token("t", token)
        .unwrap()
        .sign(&format!("https://{DOMAIN}{path}"), pairs.iter().copied());
    let body = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish();
    let request = format!(
        "POST {path} HTTP/1.1\r\nHost: {DOMAIN}\r\nConnection: close\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nX-Twilio-Signature: {signature}\r\n\
         Content-Length: {}\r\n\r\n{body}",
        body.len()
    );
    let (mut tls, _) = connect(config, DOMAIN, port).await.unwrap();
    exchange(&mut tls, &request).await.unwrap().0
}

/// For 20 s, `GET /healthz` on a new connection (a full handshake) and on one kept-alive
/// connection, every 20 ms; panics with `log()` on the first failure. The number of
/// requests, and of distinct certificates seen (`first` included).
pub async fn through_renewals(
    config: &Arc<ClientConfig>,
    port: u16,
    first: Vec<u8>,
    log: impl Fn() -> String,
) -> (usize, usize) {
    let (mut kept, _) = connect(config, DOMAIN, port).await.unwrap();
    let keep_alive = format!("GET /healthz HTTP/1.1\r\nHost: {DOMAIN}\r\n\r\n");
    let mut seen = std::collections::HashSet::from([first]);
    let (mut requests, started) = (0, Instant::now());
    while started.elapsed() < Duration::from_secs(20) {
        let (status, body, leaf) = healthz(config, port)
            .await
            .unwrap_or_else(|e| panic!("request {requests}: {e}\n{}", log()));
        assert_eq!(status, 200, "{body}");
        let (status, _) = exchange(&mut kept, &keep_alive).await.unwrap();
        assert_eq!(status, 200, "the kept-alive connection");
        seen.insert(leaf);
        requests += 2;
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    (requests, seen.len())
}
