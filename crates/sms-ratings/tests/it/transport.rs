//! TLS (rustls, ring provider) and the optional basic-auth challenge on the webhook.

use std::sync::Arc;

use rustls_pki_types::ServerName;
use sms_ratings::server::{App, Config};
use sms_ratings::service::Ratings;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use twilio_webhook::BasicAuth;

use crate::e2e::add;
use crate::server::{NUMBER, TOKEN, TestServer, form, message_text, sms_params};
use crate::support::TestDb;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serves_https_with_the_configured_certificate() {
    let dir = tempfile::tempdir().unwrap();
    let certified = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    std::fs::write(&cert, certified.cert.pem()).unwrap();
    std::fs::write(&key, certified.signing_key.serialize_pem()).unwrap();
    let tls = Arc::new(twilio_guard_serve::tls::load(&cert, &key).unwrap());

    let db = TestDb::sqlite();
    let store = sms_ratings::store::open(&db.location).await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let config = Config::new(TOKEN, &format!("https://localhost:{}", addr.port())).unwrap();
    let app = App::new(Ratings::new(store), config);
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(sms_ratings::server::run_tls(listener, tls, app, async {
        let _ = stopped.await;
    }));

    let mut roots = rustls::RootCertStore::empty();
    roots.add(certified.cert.der().clone()).unwrap();
    let client = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    let connector = tokio_rustls::TlsConnector::from(Arc::new(client));
    let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let mut tls = connector
        .connect(ServerName::try_from("localhost").unwrap(), tcp)
        .await
        .unwrap();
    tls.write_all(b"GET /livez HTTP/1.1\r\nhost: localhost\r\nconnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut response = String::new();
    tls.read_to_string(&mut response).await.unwrap();
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert!(response.ends_with("ok"));

    // A plain-HTTP client gets no answer from the TLS port.
    let mut plain = tokio::net::TcpStream::connect(addr).await.unwrap();
    plain
        .write_all(b"GET /livez HTTP/1.1\r\nhost: x\r\n\r\n")
        .await
        .unwrap();
    let mut buf = Vec::new();
    let _ = plain.read_to_end(&mut buf).await;
    assert!(!String::from_utf8_lossy(&buf).contains("200"));

    stop.send(()).unwrap();
    server.await.unwrap().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhook_basic_auth_challenge() {
    let db = TestDb::sqlite();
    let s = TestServer::start_configured(&db.location, |c| {
        c.webhook_auth(BasicAuth::new("twilio", "hook-secret").unwrap())
    })
    .await;
    add(&s, "AUTH", Some(NUMBER)).await;
    let params = sms_params("SMauth", "+14155550001", NUMBER, "5");
    let params: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let signature = s.sign(&params);
    // Twilio first calls without credentials and expects a challenge.
    let challenged = s.post(&params, &signature, &[]).await;
    assert_eq!(challenged.status(), 401);
    assert!(challenged.headers().contains_key("www-authenticate"));
    assert_eq!(s.count("AUTH").await, 0);
    let answered = s
        .client
        .post(format!("{}/sms", s.base))
        .basic_auth("twilio", Some("hook-secret"))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("x-twilio-signature", signature)
        .body(form(&params))
        .send()
        .await
        .unwrap();
    assert_eq!(answered.status(), 200);
    assert!(message_text(&answered.text().await.unwrap()).contains("5/5"));
    assert_eq!(s.count("AUTH").await, 1);
    s.stop().await;
}

/// The server's slow-client limits ([`twilio_guard_serve`]), through the real routes: a stalled
/// head and a stalled webhook body are closed within the (short) limits while a normal client
/// is served; an idle kept-alive connection is closed too.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_clients_are_closed_while_others_are_served() {
    use std::time::Duration;

    let slack = Duration::from_secs(10);
    let mut limits = twilio_guard_serve::Limits::default();
    limits.head_timeout = Duration::from_secs(1);
    limits.body_timeout = Duration::from_secs(1);
    limits.idle_timeout = Duration::from_secs(1);
    let db = TestDb::sqlite();
    let s = TestServer::start_configured(&db.location, |c| c.limits(limits)).await;
    let addr = s.base.trim_start_matches("http://").to_owned();

    let mut half_heads = Vec::new();
    for _ in 0..50 {
        let mut c = tokio::net::TcpStream::connect(&addr).await.unwrap();
        c.write_all(b"POST /sms HTTP/1.1\r\nHost: x\r\nContent-Ty")
            .await
            .unwrap();
        half_heads.push(c);
    }
    let mut stalled_body = tokio::net::TcpStream::connect(&addr).await.unwrap();
    stalled_body
        .write_all(
            b"POST /sms HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n\
              X-Twilio-Signature: AAAA\r\nContent-Length: 100\r\n\r\nFr",
        )
        .await
        .unwrap();

    // A normal client meanwhile.
    let live = tokio::time::timeout(slack, s.get("/livez")).await.unwrap();
    assert_eq!(live.status(), 200);

    let closed = |mut c: tokio::net::TcpStream| async move {
        let mut sink = Vec::new();
        tokio::time::timeout(Duration::from_secs(1) + slack, c.read_to_end(&mut sink))
            .await
            .is_ok()
    };
    assert!(
        closed(stalled_body).await,
        "a stalled webhook body stayed open"
    );
    for c in half_heads {
        assert!(closed(c).await, "a half-sent head stayed open");
    }
    let mut idle = tokio::net::TcpStream::connect(&addr).await.unwrap();
    idle.write_all(b"GET /livez HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let mut first = [0u8; 12];
    idle.read_exact(&mut first).await.unwrap();
    assert_eq!(&first, b"HTTP/1.1 200");
    assert!(
        closed(idle).await,
        "an idle kept-alive connection stayed open"
    );
    s.stop().await;
}
