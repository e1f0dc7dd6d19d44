//! The client against the test server, over real HTTP on loopback.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use twilio_api::test_server::{NumberRecord, ServiceRecord, TestServer};
use twilio_api::{ApiError, Client, Credentials, Hosts, NumberUpdate, Webhook};

const AC: &str = "AC0123456789abcdef0123456789abcdef";
const TOKEN: &str = "test-auth-token";
const PN: &str = "PN0123456789abcdef0123456789abcdef";
const NUMBER: &str = "+15005550006";
const MG: &str = "MG0123456789abcdef0123456789abcdef";

async fn server() -> TestServer {
    TestServer::builder(AC, TOKEN)
        .api_key("SK0123456789abcdef0123456789abcdef", "key-secret")
        .number(
            NumberRecord::new(PN, NUMBER)
                .urls("https://old.example/sms", "https://old.example/voice"),
        )
        .number(NumberRecord::new(
            "PN1123456789abcdef0123456789abcdef",
            "+15005550007",
        ))
        .service(ServiceRecord {
            sid: MG.into(),
            friendly_name: "Campaign".into(),
            inbound_request_url: "https://hooks.example/inbound".into(),
            use_inbound_webhook_on_number: false,
            numbers: vec![PN.into()],
        })
        .line_type("+15551234567", "nonFixedVoip", "Google Voice")
        .start()
        .await
        .unwrap()
}

fn client(server: &TestServer, credentials: Credentials) -> Client {
    Client::new(credentials, Hosts::with_base(&server.base_url()).unwrap()).unwrap()
}

#[tokio::test]
async fn finds_reads_and_updates_a_number() {
    let server = server().await;
    let c = client(&server, Credentials::auth_token(AC, TOKEN).unwrap());
    assert_eq!(c.account().await.unwrap().sid, AC);
    let n = c.find_number(NUMBER).await.unwrap().unwrap();
    assert_eq!(
        (n.sid.as_str(), n.sms().url.as_str()),
        (PN, "https://old.example/sms")
    );
    // The filter matches parts of numbers; only the exact one counts.
    assert!(c.find_number("+1500555000").await.unwrap().is_none());
    let update = NumberUpdate {
        sms: Some(Webhook::post("https://new.example/sms")),
        voice: Some(Webhook::post("https://new.example/voice")),
    };
    let n = c.update_number(PN, &update).await.unwrap();
    assert_eq!(n.voice().url, "https://new.example/voice");
    let held = server.number(NUMBER).unwrap();
    assert_eq!(held.sms_url, "https://new.example/sms");
    assert_eq!(
        c.number(PN).await.unwrap().sms().url,
        "https://new.example/sms"
    );
}

#[tokio::test]
async fn api_keys_work_and_wrong_secrets_are_20003() {
    let server = server().await;
    let key = Credentials::api_key(AC, "SK0123456789abcdef0123456789abcdef", "key-secret").unwrap();
    assert!(
        client(&server, key)
            .find_number(NUMBER)
            .await
            .unwrap()
            .is_some()
    );
    let wrong = client(&server, Credentials::auth_token(AC, "wrong").unwrap());
    let err = wrong.account().await.unwrap_err();
    assert!(matches!(err, ApiError::Unauthorized(_)), "{err:?}");
    assert_eq!(err.twilio().unwrap().code, Some(20003));
    let err = wrong
        .update_number(PN, &NumberUpdate::default())
        .await
        .unwrap_err();
    assert!(matches!(err, ApiError::Unauthorized(_)));
    assert_eq!(server.writes(), 0);
}

#[tokio::test]
async fn messaging_service_override_is_seen() {
    let server = server().await;
    let c = client(&server, Credentials::auth_token(AC, TOKEN).unwrap());
    let holding = c.services_holding(PN).await.unwrap();
    assert_eq!(holding.len(), 1);
    assert!(holding[0].overrides_numbers());
    assert!(
        c.services_holding("PN1123456789abcdef0123456789abcdef")
            .await
            .unwrap()
            .is_empty()
    );
    let s = c.set_use_inbound_webhook_on_number(MG, true).await.unwrap();
    assert!(!s.overrides_numbers());
    assert!(server.service(MG).unwrap().use_inbound_webhook_on_number);
}

#[tokio::test]
async fn lookup_line_type() {
    let server = server().await;
    let c = client(&server, Credentials::auth_token(AC, TOKEN).unwrap());
    let answer = c.line_type("+15551234567").await.unwrap();
    let lti = answer.line_type_intelligence.unwrap();
    assert_eq!(lti.line_type.as_deref(), Some("nonFixedVoip"));
    assert!(
        server
            .requests()
            .iter()
            .any(|r| r.starts_with("GET /v2/PhoneNumbers/%2B15551234567"))
    );
}

/// The server refuses what Twilio refuses; checked with raw requests the client never makes.
#[tokio::test]
async fn unknown_parameters_wrong_methods_and_paths_are_refused() {
    let server = server().await;
    let _ = rustls::crypto::ring::default_provider().install_default();
    let http = reqwest::Client::new();
    let base = server.base_url();
    let numbers = format!("{base}/2010-04-01/Accounts/{AC}/IncomingPhoneNumbers/{PN}.json");
    let post = |form: &'static [(&'static str, &'static str)]| {
        http.post(&numbers)
            .basic_auth(AC, Some(TOKEN))
            .form(form)
            .send()
    };
    let status_code = |r: reqwest::Response| async move {
        let status = r.status().as_u16();
        let body: serde_json::Value = serde_json::from_slice(&r.bytes().await.unwrap()).unwrap();
        (status, body["code"].as_u64().unwrap())
    };
    assert_eq!(
        status_code(post(&[("SmsHook", "https://x")]).await.unwrap()).await,
        (400, 20001)
    );
    assert_eq!(
        status_code(post(&[("SmsMethod", "PUT")]).await.unwrap()).await,
        (400, 20001)
    );
    assert_eq!(
        status_code(post(&[("SmsUrl", "not a url")]).await.unwrap()).await,
        (400, 20001)
    );
    let put = http
        .put(&numbers)
        .basic_auth(AC, Some(TOKEN))
        .send()
        .await
        .unwrap();
    assert_eq!(status_code(put).await, (405, 20004));
    let other = format!(
        "{base}/2010-04-01/Accounts/AC1123456789abcdef0123456789abcdef/IncomingPhoneNumbers.json"
    );
    let r = http
        .get(other)
        .basic_auth(AC, Some(TOKEN))
        .send()
        .await
        .unwrap();
    assert_eq!(status_code(r).await, (404, 20404));
    let r = http
        .get(format!("{base}/v1/Services?Colour=red"))
        .basic_auth(AC, Some(TOKEN))
        .send()
        .await
        .unwrap();
    assert_eq!(status_code(r).await, (400, 20001));
    let r = http
        .get(format!("{base}/v1/Services"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.headers()["www-authenticate"],
        "Basic realm=\"Twilio API\""
    );
    assert_eq!(status_code(r).await, (401, 20003));
    assert_eq!(server.writes(), 0);
    assert_eq!(
        server.number(NUMBER).unwrap().sms_url,
        "https://old.example/sms"
    );
}

#[tokio::test]
async fn pages_are_followed_through_the_base() {
    let mut builder = TestServer::builder(AC, TOKEN);
    for i in 0..120 {
        builder = builder.service(ServiceRecord {
            sid: format!("MG{i:032x}"),
            friendly_name: format!("s{i}"),
            inbound_request_url: String::new(),
            use_inbound_webhook_on_number: true,
            numbers: Vec::new(),
        });
    }
    let server = builder.start().await.unwrap();
    let c = client(&server, Credentials::auth_token(AC, TOKEN).unwrap());
    assert_eq!(c.services().await.unwrap().len(), 120);
    assert_eq!(server.requests().len(), 3, "{:?}", server.requests());
}
