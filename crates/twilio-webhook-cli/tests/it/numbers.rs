//! `twilio-webhook numbers connect|check`: the real binary against the Twilio REST test
//! server over loopback, through `TWILIO_API_BASE`.

use std::process::Output;

use twilio_api::test_server::{NumberRecord, ServiceRecord, TestServer};

const AC: &str = "AC0123456789abcdef0123456789abcdef";
const TOKEN: &str = "right-auth-token-1618";
const PN: &str = "PN0123456789abcdef0123456789abcdef";
const NUMBER: &str = "+15005550006";
const SMS: &str = "https://hooks.example.com/sms";
const VOICE: &str = "https://hooks.example.com/voice";

async fn run(server: &TestServer, token: &str, args: &[&str]) -> Output {
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_twilio-webhook"));
    command
        .env_remove("TWILIO_API_KEY")
        .env_remove("TWILIO_API_SECRET")
        .env("TWILIO_API_BASE", server.base_url())
        .env("TWILIO_ACCOUNT_SID", AC)
        .env("TWILIO_AUTH_TOKEN", token)
        .arg("numbers")
        .args(args);
    command.output().await.unwrap()
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn old() -> NumberRecord {
    NumberRecord::new(PN, NUMBER).urls("http://hooks.example.com/sms", "")
}

#[tokio::test]
async fn connect_then_check() {
    let server = TestServer::builder(AC, TOKEN)
        .number(old())
        .start()
        .await
        .unwrap();
    let out = run(&server, TOKEN, &["check", NUMBER, "--sms-url", SMS]).await;
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out).contains("http instead of https; run `twilio-webhook numbers connect +15005550006 --sms-url https://hooks.example.com/sms`"), "{}", text(&out));

    let out = run(
        &server,
        TOKEN,
        &[
            "connect",
            NUMBER,
            "--sms-url",
            SMS,
            "--voice-url",
            VOICE,
            "--yes",
        ],
    )
    .await;
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out)
            .contains("SmsUrl       http://hooks.example.com/sms -> https://hooks.example.com/sms"),
        "{}",
        text(&out)
    );
    assert!(
        text(&out).contains("VoiceUrl     (none) -> https://hooks.example.com/voice"),
        "{}",
        text(&out)
    );
    let n = server.number(NUMBER).unwrap();
    assert_eq!(
        (
            n.sms_url.as_str(),
            n.voice_url.as_str(),
            n.voice_method.as_str()
        ),
        (SMS, VOICE, "POST")
    );

    let out = run(
        &server,
        TOKEN,
        &["check", NUMBER, "--sms-url", SMS, "--voice-url", VOICE],
    )
    .await;
    assert!(out.status.success(), "{}", text(&out));
    let out = run(
        &server,
        TOKEN,
        &[
            "check",
            NUMBER,
            "--sms-url",
            "https://hooks.example.com:8443/sms",
        ],
    )
    .await;
    assert!(text(&out).contains("the port differs"), "{}", text(&out));
}

#[tokio::test]
async fn wrong_token_and_override() {
    let server = TestServer::builder(AC, TOKEN)
        .number(old())
        .service(ServiceRecord {
            sid: "MG0123456789abcdef0123456789abcdef".into(),
            friendly_name: "Alerts".into(),
            inbound_request_url: "https://old.example/inbound".into(),
            use_inbound_webhook_on_number: false,
            numbers: vec![PN.into()],
        })
        .start()
        .await
        .unwrap();
    let out = run(
        &server,
        "wrong",
        &["connect", NUMBER, "--sms-url", SMS, "--yes"],
    )
    .await;
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out).contains("Twilio error 20003"), "{}", text(&out));
    assert_eq!(server.writes(), 0);
    assert_eq!(server.number(NUMBER).unwrap(), old());

    let out = run(
        &server,
        TOKEN,
        &["connect", NUMBER, "--sms-url", SMS, "--yes"],
    )
    .await;
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("override: Messaging Service MG0123456789abcdef0123456789abcdef \"Alerts\" holds the number and sends its messages to https://old.example/inbound"), "{}", text(&out));
    let out = run(&server, TOKEN, &["check", NUMBER, "--sms-url", SMS]).await;
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out).contains("problem: Messaging Service MG0123456789abcdef0123456789abcdef"),
        "{}",
        text(&out)
    );
}
