//! `sms-ratings twilio connect|undo|check`: the real binary against the Twilio REST test
//! server (`twilio_api::test_server`) over real HTTP on loopback, through `TWILIO_API_BASE`.

use std::process::{Command, Output};

use sms_ratings::server::WebhookUrls;
use twilio_api::test_server::{NumberRecord, ServiceRecord, TestServer};

use crate::both_backends;
use crate::support::TestDb;

const AC: &str = "AC0123456789abcdef0123456789abcdef";
const TOKEN: &str = "right-auth-token-31415";
const PN: &str = "PN0123456789abcdef0123456789abcdef";
const NUMBER: &str = "+15005550006";
const MG: &str = "MG0123456789abcdef0123456789abcdef";
const PUBLIC: &str = "http://127.0.0.1:8181";

fn old_number() -> NumberRecord {
    let mut n =
        NumberRecord::new(PN, NUMBER).urls("https://old.example/sms", "https://old.example/voice");
    n.sms_method = "GET".into();
    n.friendly_name = "Box office".into();
    n
}

async fn twilio(number: NumberRecord) -> TestServer {
    TestServer::builder(AC, TOKEN)
        .api_key("SK0123456789abcdef0123456789abcdef", "api-key-secret-2718")
        .number(number)
        .start()
        .await
        .unwrap()
}

/// The binary on `db`, talking to `server` with `token` and PUBLIC_URL `public`.
async fn run(db: &str, server: &TestServer, token: &str, public: &str, args: &[&str]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_sms-ratings"));
    command
        .env_remove("DATABASE_URL")
        .env_remove("TWILIO_API_KEY")
        .env_remove("TWILIO_API_SECRET")
        .env_remove("ACME_DOMAINS")
        .env("TWILIO_API_BASE", server.base_url())
        .env("TWILIO_ACCOUNT_SID", AC)
        .env("TWILIO_AUTH_TOKEN", token)
        .env("PUBLIC_URL", public)
        .args(["--database", db])
        .args(args);
    tokio::task::spawn_blocking(move || command.output().unwrap())
        .await
        .unwrap()
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

async fn add_event(db: &str, server: &TestServer, number: &str) {
    let out = run(
        db,
        server,
        TOKEN,
        PUBLIC,
        &["events", "add", "RUST25", "Rust Meetup", "--number", number],
    )
    .await;
    assert!(out.status.success(), "{}", text(&out));
}

/// connect sets SmsUrl, SmsMethod, VoiceUrl, VoiceMethod to exactly the server's URLs (a
/// trailing slash of PUBLIC_URL dropped as the server drops it), a second connect keeps the
/// first old values, undo restores all four, and a second undo has nothing to do.
async fn connect_then_undo(db: TestDb) {
    let server = twilio(old_number()).await;
    add_event(&db.location, &server, NUMBER).await;
    let out = run(
        &db.location,
        &server,
        TOKEN,
        &format!("{PUBLIC}/"),
        &["twilio", "connect", "RUST25", "--yes"],
    )
    .await;
    let said = text(&out);
    assert!(out.status.success(), "{said}");
    assert!(!said.contains(TOKEN), "the token is never printed");
    let urls = WebhookUrls::new(PUBLIC);
    assert!(
        said.contains(&format!(
            "SmsUrl       https://old.example/sms -> {}",
            urls.sms
        )),
        "{said}"
    );
    assert!(said.contains("SmsMethod    GET -> POST"), "{said}");
    let n = server.number(NUMBER).unwrap();
    assert_eq!(
        (
            n.sms_url.as_str(),
            n.sms_method.as_str(),
            n.voice_url.as_str(),
            n.voice_method.as_str()
        ),
        (urls.sms.as_str(), "POST", urls.voice.as_str(), "POST")
    );
    assert_eq!(urls.sms, "http://127.0.0.1:8181/sms");

    // Connecting again, elsewhere: undo still goes back to the first values.
    let out = run(
        &db.location,
        &server,
        TOKEN,
        "http://127.0.0.1:8282",
        &["twilio", "connect", "RUST25", "--yes"],
    )
    .await;
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(
        server.number(NUMBER).unwrap().sms_url,
        "http://127.0.0.1:8282/sms"
    );

    let out = run(
        &db.location,
        &server,
        TOKEN,
        PUBLIC,
        &["twilio", "undo", "RUST25", "--yes"],
    )
    .await;
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(server.number(NUMBER).unwrap(), old_number());
    let out = run(
        &db.location,
        &server,
        TOKEN,
        PUBLIC,
        &["twilio", "undo", "RUST25", "--yes"],
    )
    .await;
    assert!(!out.status.success());
    assert!(text(&out).contains("nothing to undo"), "{}", text(&out));
}
both_backends!(
    connect_sets_four_fields_and_undo_restores_them,
    connect_then_undo
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dry_run_and_api_key() {
    let db = TestDb::sqlite();
    let server = twilio(old_number()).await;
    add_event(&db.location, &server, NUMBER).await;
    let out = run(
        &db.location,
        &server,
        TOKEN,
        PUBLIC,
        &["twilio", "connect", "RUST25", "--dry-run"],
    )
    .await;
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out)
            .contains("VoiceUrl     https://old.example/voice -> http://127.0.0.1:8181/voice")
    );
    assert!(text(&out).contains("dry run: nothing changed"));
    assert_eq!(server.writes(), 0);
    assert_eq!(server.number(NUMBER).unwrap(), old_number());
    // Without a terminal and without --yes, nothing is changed either.
    let out = run(
        &db.location,
        &server,
        TOKEN,
        PUBLIC,
        &["twilio", "connect", "RUST25"],
    )
    .await;
    assert!(
        !out.status.success() && text(&out).contains("add --yes"),
        "{}",
        text(&out)
    );
    assert_eq!(server.writes(), 0);
    // An API key instead of the Auth Token.
    let mut command = Command::new(env!("CARGO_BIN_EXE_sms-ratings"));
    command
        .env_remove("TWILIO_AUTH_TOKEN")
        .env("TWILIO_API_BASE", server.base_url())
        .env("TWILIO_ACCOUNT_SID", AC)
        .env("TWILIO_API_KEY", "SK0123456789abcdef0123456789abcdef")
        .env("TWILIO_API_SECRET", "api-key-secret-2718")
        .env("PUBLIC_URL", PUBLIC)
        .args([
            "--database",
            &db.location,
            "twilio",
            "connect",
            "RUST25",
            "--yes",
        ]);
    let out = tokio::task::spawn_blocking(move || command.output().unwrap())
        .await
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(
        server.number(NUMBER).unwrap().voice_url,
        "http://127.0.0.1:8181/voice"
    );
}

/// A wrong token: refused with Twilio's 20003, nothing changed, nothing kept for undo.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_token_is_refused_and_changes_nothing() {
    let db = TestDb::sqlite();
    let server = twilio(old_number()).await;
    add_event(&db.location, &server, NUMBER).await;
    let out = run(
        &db.location,
        &server,
        "wrong-token",
        PUBLIC,
        &["twilio", "connect", "RUST25", "--yes"],
    )
    .await;
    assert!(!out.status.success());
    assert!(
        text(&out).contains("Twilio refused the credentials (HTTP 401, Twilio error 20003)"),
        "{}",
        text(&out)
    );
    assert!(
        !text(&out).contains("wrong-token"),
        "the token is never printed"
    );
    assert_eq!(server.writes(), 0);
    assert_eq!(server.number(NUMBER).unwrap(), old_number());
    let out = run(
        &db.location,
        &server,
        TOKEN,
        PUBLIC,
        &["twilio", "undo", "RUST25", "--yes"],
    )
    .await;
    assert!(text(&out).contains("nothing to undo"), "{}", text(&out));
    // A number the account does not have: a clear message, nothing changed.
    let db2 = TestDb::sqlite();
    add_event(&db2.location, &server, "+15005550009").await;
    let out = run(
        &db2.location,
        &server,
        TOKEN,
        PUBLIC,
        &["twilio", "connect", "RUST25", "--yes"],
    )
    .await;
    assert!(!out.status.success());
    assert!(
        text(&out).contains("+15005550009 is not a number of Twilio account"),
        "{}",
        text(&out)
    );
    assert_eq!(server.writes(), 0);
}

/// A Messaging Service that overrides the number is named (SID, name, URL, what to do) and
/// left alone; with --use-number-webhook it is changed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn messaging_service_override_is_named() {
    let db = TestDb::sqlite();
    let server = TestServer::builder(AC, TOKEN)
        .number(old_number())
        .service(ServiceRecord {
            sid: MG.into(),
            friendly_name: "Spring campaign".into(),
            inbound_request_url: "https://dead.example/inbound".into(),
            use_inbound_webhook_on_number: false,
            numbers: vec![PN.into()],
        })
        .start()
        .await
        .unwrap();
    add_event(&db.location, &server, NUMBER).await;
    let out = run(
        &db.location,
        &server,
        TOKEN,
        PUBLIC,
        &["twilio", "connect", "RUST25", "--yes"],
    )
    .await;
    let said = text(&out);
    assert!(!out.status.success(), "{said}");
    assert!(
        said.contains(&format!("Messaging Service {MG} \"Spring campaign\"")),
        "{said}"
    );
    assert!(said.contains("https://dead.example/inbound"), "{said}");
    assert!(said.contains("--use-number-webhook"), "{said}");
    assert!(!server.service(MG).unwrap().use_inbound_webhook_on_number);
    // The number itself was pointed all the same.
    assert_eq!(
        server.number(NUMBER).unwrap().sms_url,
        "http://127.0.0.1:8181/sms"
    );

    let out = run(&db.location, &server, TOKEN, PUBLIC, &["twilio", "check"]).await;
    assert!(!out.status.success());
    assert!(
        text(&out).contains(&format!(
            "problem: event RUST25: {NUMBER}: Messaging Service {MG}"
        )),
        "{}",
        text(&out)
    );

    let out = run(
        &db.location,
        &server,
        TOKEN,
        PUBLIC,
        &[
            "twilio",
            "connect",
            "RUST25",
            "--yes",
            "--use-number-webhook",
        ],
    )
    .await;
    assert!(out.status.success(), "{}", text(&out));
    assert!(server.service(MG).unwrap().use_inbound_webhook_on_number);
    let out = run(&db.location, &server, TOKEN, PUBLIC, &["twilio", "check"]).await;
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("all good"));
}

/// check: a wrong token; http where the server verifies https… (here the reverse, on
/// loopback) and a port mismatch; an application SID; plain http off loopback.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_names_each_problem_with_its_fix() {
    let db = TestDb::sqlite();
    let server = twilio(
        NumberRecord::new(PN, NUMBER)
            .urls("https://127.0.0.1:8181/sms", "http://127.0.0.1:9999/voice"),
    )
    .await;
    add_event(&db.location, &server, NUMBER).await;

    let out = run(
        &db.location,
        &server,
        "wrong-token",
        PUBLIC,
        &["twilio", "check"],
    )
    .await;
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out).contains(&format!(
            "problem: Twilio refused the credentials for account {AC} (error 20003)"
        )),
        "{}",
        text(&out)
    );

    let out = run(&db.location, &server, TOKEN, PUBLIC, &["twilio", "check"]).await;
    let said = text(&out);
    assert_eq!(out.status.code(), Some(1), "{said}");
    assert!(said.contains("SmsUrl is https://127.0.0.1:8181/sms (POST), the server verifies http://127.0.0.1:8181/sms (POST): https instead of http; run `sms-ratings twilio connect RUST25`"), "{said}");
    assert!(said.contains("VoiceUrl is http://127.0.0.1:9999/voice (POST), the server verifies http://127.0.0.1:8181/voice (POST): the port differs"), "{said}");

    let out = run(
        &db.location,
        &server,
        TOKEN,
        PUBLIC,
        &["twilio", "connect", "RUST25", "--yes"],
    )
    .await;
    assert!(out.status.success(), "{}", text(&out));
    let out = run(&db.location, &server, TOKEN, PUBLIC, &["twilio", "check"]).await;
    assert!(out.status.success(), "{}", text(&out));

    let out = run(
        &db.location,
        &server,
        TOKEN,
        "http://ratings.example.com",
        &["twilio", "check"],
    )
    .await;
    assert!(
        text(&out).contains("PUBLIC_URL http://ratings.example.com is not https"),
        "{}",
        text(&out)
    );
    assert!(
        text(&out).contains("http://ratings.example.com/sms"),
        "{}",
        text(&out)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_names_an_application_override() {
    let db = TestDb::sqlite();
    let mut number = NumberRecord::new(PN, NUMBER)
        .urls("http://127.0.0.1:8181/sms", "http://127.0.0.1:8181/voice");
    number.voice_application_sid = "AP0123456789abcdef0123456789abcdef".into();
    let server = twilio(number).await;
    add_event(&db.location, &server, NUMBER).await;
    let out = run(&db.location, &server, TOKEN, PUBLIC, &["twilio", "check"]).await;
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out).contains("VoiceApplicationSid is AP0123456789abcdef0123456789abcdef: that application takes the number's calls"), "{}", text(&out));
}

/// A TLS server on loopback presenting a self-signed certificate for `names`, valid for
/// `days`; its port.
async fn tls_server(names: &[&str], days: i64) -> u16 {
    let mut params =
        rcgen::CertificateParams::new(names.iter().map(|n| (*n).to_owned()).collect::<Vec<_>>())
            .unwrap();
    let now = std::time::SystemTime::now();
    params.not_before = (now - std::time::Duration::from_secs(3600)).into();
    params.not_after =
        (now + std::time::Duration::from_secs(u64::try_from(days).unwrap() * 86_400 + 3600)).into();
    let key = rcgen::KeyPair::generate().unwrap();
    let cert = params.self_signed(&key).unwrap();
    let key = rustls::pki_types::PrivateKeyDer::try_from(key.serialize_der()).unwrap();
    let config = rustls::ServerConfig::builder_with_provider(std::sync::Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(vec![cert.der().clone()], key)
    .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(std::sync::Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let _ = acceptor.accept(tcp).await;
            });
        }
    });
    port
}

/// `twilio check` with `PUBLIC_URL` at the local TLS server on `port`.
async fn check_at(db: &str, server: &TestServer, port: u16) -> Output {
    let public = format!("https://localhost:{port}");
    run(db, server, TOKEN, &public, &["twilio", "check"]).await
}

/// check reads the certificate at an https PUBLIC_URL: whether it names the host, whether
/// this machine trusts it, and its days left.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_reads_the_certificate() {
    let db = TestDb::sqlite();
    let server = twilio(old_number()).await;
    let port = tls_server(&["localhost"], 30).await;
    let out = check_at(&db.location, &server, port).await;
    let said = text(&out);
    assert!(
        said.contains("ok: the certificate at localhost has 30 days left"),
        "{said}"
    );
    assert!(
        said.contains("problem: the certificate at localhost is not trusted"),
        "{said}"
    );
    assert!(!said.contains("does not name"), "{said}");

    let port = tls_server(&["other.example"], 5).await;
    let out = check_at(&db.location, &server, port).await;
    let said = text(&out);
    assert!(
        said.contains("problem: the certificate at localhost does not name localhost"),
        "{said}"
    );
    assert!(said.contains("expires in 5 days"), "{said}");
    assert_eq!(out.status.code(), Some(1));
}
