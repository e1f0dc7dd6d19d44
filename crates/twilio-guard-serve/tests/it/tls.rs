//! The same limits over TLS: the handshake counts as the head; the peer address is there.

use std::sync::Arc;
use std::time::Duration;

use rustls_pki_types::ServerName;
use tokio::io::AsyncWriteExt as _;
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;

use crate::support::{HALF_HEAD, SLACK, Server, app, closed_within, get_kept_alive, short};

struct Tls {
    server: Server,
    client: Arc<rustls::ClientConfig>,
    connector: tokio_rustls::TlsConnector,
    _dir: tempfile::TempDir,
}

impl Tls {
    async fn start(limits: twilio_guard_serve::Limits) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let certified = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
        let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
        std::fs::write(&cert, certified.cert.pem()).unwrap();
        std::fs::write(&key, certified.signing_key.serialize_pem()).unwrap();
        assert!(twilio_guard_serve::tls::load(&key, &key).is_err());
        let config = twilio_guard_serve::tls::load(&cert, &key).unwrap();
        let server = Server::start_with(limits, Some(Arc::new(config)), app()).await;

        let mut roots = rustls::RootCertStore::empty();
        roots.add(certified.cert.der().clone()).unwrap();
        let client = rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
        let client = Arc::new(client);
        let connector = tokio_rustls::TlsConnector::from(Arc::clone(&client));
        Self {
            server,
            client,
            connector,
            _dir: dir,
        }
    }

    async fn connect(&self) -> TlsStream<TcpStream> {
        let tcp = self.server.connect().await;
        let name = ServerName::try_from("localhost").unwrap();
        self.connector.connect(name, tcp).await.unwrap()
    }

    /// A connection that offers only HTTP/2 by ALPN.
    async fn connect_h2(&self) -> TlsStream<TcpStream> {
        let mut config = (*self.client).clone();
        config.alpn_protocols = vec![b"h2".to_vec()];
        let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
        let tcp = self.server.connect().await;
        let name = ServerName::try_from("localhost").unwrap();
        connector.connect(name, tcp).await.unwrap()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_tls_the_peer_is_known_and_half_a_head_is_closed() {
    let tls = Tls::start(short()).await;
    let mut client = tls.connect().await;
    let local = client.get_ref().0.local_addr().unwrap();
    let answer = get_kept_alive(&mut client, "/peer").await;
    assert!(answer.ends_with(&local.to_string()), "{answer}");

    let mut client = tls.connect().await;
    client.write_all(HALF_HEAD).await.unwrap();
    client.flush().await.unwrap();
    let received = closed_within(&mut client, Duration::from_secs(1) + SLACK)
        .await
        .unwrap();
    assert_eq!(received, "");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_handshake_neither_lasts_nor_blocks_others() {
    let mut limits = short();
    limits.idle_timeout = Duration::from_secs(3600);
    let tls = Tls::start(limits).await;
    // 200 clients that connect and never say hello ...
    let mut silent = Vec::new();
    for _ in 0..200 {
        silent.push(tls.server.connect().await);
    }
    // ... do not keep a normal client from its answer ...
    let mut client = tokio::time::timeout(SLACK, tls.connect()).await.unwrap();
    let answer = get_kept_alive(&mut client, "/").await;
    assert!(answer.ends_with("ok"), "{answer}");
    // ... and are closed at the head timeout.
    closed_within(&mut silent[0], Duration::from_secs(1) + SLACK)
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http2_by_alpn_is_served_and_closed_when_idle() {
    use http_body_util::{BodyExt as _, Empty};
    use hyper_util::rt::{TokioExecutor, TokioIo};

    let tls = Tls::start(short()).await;
    let stream = tls.connect_h2().await;
    assert_eq!(stream.get_ref().1.alpn_protocol(), Some(&b"h2"[..]));
    let local = stream.get_ref().0.local_addr().unwrap();
    let (mut sender, connection) =
        hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(stream))
            .await
            .unwrap();
    let connection = tokio::spawn(connection);
    let request = http::Request::get("https://localhost/peer")
        .body(Empty::<bytes::Bytes>::new())
        .unwrap();
    let response = sender.send_request(request).await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.version(), http::Version::HTTP_2);
    let body = response.into_body().collect().await.unwrap().to_bytes();
    assert_eq!(body, local.to_string().as_bytes());
    // No request in flight and nothing sent: the server ends the connection at the idle
    // timeout (HTTP/2 has no head timer in hyper; the crate's clock covers it).
    tokio::time::timeout(Duration::from_secs(1) + SLACK, connection)
        .await
        .expect("idle HTTP/2 connection still open")
        .unwrap()
        .ok();
}
