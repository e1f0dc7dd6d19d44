//! `send` against a real server that checks signatures as Twilio's libraries do.

use std::collections::HashSet;
use std::process::Output;

use axum::http::StatusCode;
use twilio_webhook::{Key, KeySet, KeyStore, Validator};

use crate::upstream::{Behaviour, Upstream};

pub(crate) mod bot;
mod flow;
mod hostile;

const TOKEN: &str = "12345";

pub(crate) async fn send(token: &str, args: Vec<String>) -> Output {
    let token = token.to_owned();
    tokio::task::spawn_blocking(move || {
        std::process::Command::new(env!("CARGO_BIN_EXE_twilio-webhook"))
            .arg("send")
            .args(args)
            .env("TWILIO_AUTH_TOKEN", token)
            .env_remove("TWILIO_WEBHOOK_BASIC_AUTH")
            .env_remove("TWILIO_ACCOUNT_SID")
            .output()
            .unwrap()
    })
    .await
    .unwrap()
}

pub(crate) fn args(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| (*s).to_owned()).collect()
}

pub(crate) fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A server that validates with `TOKEN` at its own address (or `base`).
async fn validating(base: Option<&str>) -> Upstream {
    let base = base.unwrap_or("http://{host}").to_owned();
    Upstream::start(Behaviour {
        validate: Some((Validator::from_token(TOKEN).unwrap(), base)),
        ..Behaviour::default()
    })
    .await
}

#[tokio::test(flavor = "multi_thread")]
async fn sms_is_signed_and_twiml_confirmed() {
    let up = validating(None).await;
    let out = send(TOKEN, args(&[&up.url("/sms?x=1"), "--body", "Hi & bye"])).await;
    let text = stdout(&out);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("status 200 OK"), "{text}");
    assert!(text.starts_with("POST http://127.0.0.1:"), "{text}");
    assert!(text.contains("well-formed TwiML"), "{text}");
    let seen = up.seen();
    assert_eq!(seen.len(), 1);
    let s = &seen[0];
    assert_eq!(s.header("user-agent"), Some("TwilioProxy/1.1"));
    assert_eq!(
        s.header("content-type"),
        Some("application/x-www-form-urlencoded; charset=UTF-8")
    );
    assert_eq!(s.header("i-twilio-idempotency-token").unwrap().len(), 36);
    let form = s.form();
    let get = |n: &str| form.iter().find(|(k, _)| k == n).map(|(_, v)| v.as_str());
    assert_eq!(get("Body"), Some("Hi & bye"));
    let sid = get("MessageSid").unwrap();
    assert!(sid.starts_with("SM") && sid.len() == 34, "{sid}");
    assert!(get("AccountSid").unwrap().starts_with("AC"));
    // The signature header never appears in the output.
    assert!(!text.contains(s.header("x-twilio-signature").unwrap()));
}

#[tokio::test(flavor = "multi_thread")]
async fn wrong_token_exits_non_zero() {
    let up = validating(None).await;
    let out = send("54321", args(&[&up.url("/sms")])).await;
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    assert!(stdout(&out).contains("403"));
}

#[tokio::test(flavor = "multi_thread")]
async fn malformed_twiml_exits_non_zero() {
    let up = Upstream::start(Behaviour {
        body: "<Response><Message>unclosed</Response>",
        ..Behaviour::default()
    })
    .await;
    let out = send(TOKEN, args(&[&up.url("/sms")])).await;
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout(&out).contains("not acceptable TwiML"));
    // A status callback's body is ignored, whatever it is.
    let out = send(TOKEN, args(&[&up.url("/status"), "--kind", "status"])).await;
    assert!(out.status.success(), "{}", stdout(&out));
}

#[tokio::test(flavor = "multi_thread")]
async fn basic_auth_after_a_challenge() {
    // Twilio signs the console URL, userinfo included, exactly as written there.
    let up = Upstream::start(Behaviour {
        validate: Some((
            Validator::from_token(TOKEN).unwrap(),
            "http://tw:pa%24s@{host}".into(),
        )),
        basic_auth: Some(("tw".into(), "pa$s".into())),
        ..Behaviour::default()
    })
    .await;
    let url = format!("http://tw:pa%24s@{}/sms", up.addr);
    let out = send(TOKEN, args(&[&url])).await;
    let text = stdout(&out);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("after a 401 basic-auth challenge"), "{text}");
    let seen = up.seen();
    assert_eq!(seen.len(), 2);
    assert_eq!(seen[0].header("authorization"), None);
    assert!(seen[1].header("authorization").is_some());
    assert_eq!(seen[0].body, seen[1].body);
}

#[tokio::test(flavor = "multi_thread")]
async fn json_get_and_public_url_verify() {
    let public = "https://hooks.example.com/base";
    let up = validating(Some(public)).await;
    let dir = std::env::temp_dir().join(format!("twh-send-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("event.json");
    std::fs::write(&file, br#"[{"specversion":"1.0","id":"EV1"}]"#).unwrap();
    let cases: [Vec<&str>; 3] = [
        vec!["--json-body", file.to_str().unwrap()],
        vec!["--method", "GET", "--kind", "call"],
        vec!["--kind", "gather", "--body", "42"],
    ];
    for extra in cases {
        let mut a = vec![
            up.url("/hook?a=1"),
            "--public-url".into(),
            format!("{public}/hook?a=1"),
        ];
        a.extend(extra.iter().map(|s| (*s).to_owned()));
        let out = send(TOKEN, a).await;
        assert!(out.status.success(), "{extra:?}: {}", stdout(&out));
    }
    let seen = up.seen();
    assert_eq!(seen.len(), 3);
    assert_eq!(
        seen[0].body.as_ref(),
        br#"[{"specversion":"1.0","id":"EV1"}]"#
    );
    assert!(seen[0].uri.query().unwrap().contains("bodySHA256="));
    assert_eq!(seen[1].method, "GET");
    assert!(seen[1].uri.query().unwrap().contains("CallSid=CA"));
    assert!(seen[2].form().contains(&("Digits".into(), "42".into())));
}

/// The distinct MessageSids the upstream received.
fn message_sids(up: &Upstream) -> HashSet<String> {
    let sid = |s: &crate::upstream::Seen| s.form().into_iter().find(|(k, _)| k == "MessageSid");
    up.seen().iter().filter_map(sid).map(|(_, v)| v).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn load_generator_reports_percentiles() {
    let up = validating(None).await;
    let out = send(
        TOKEN,
        args(&[&up.url("/sms"), "--repeat", "40", "--concurrency", "4"]),
    )
    .await;
    let text = stdout(&out);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("summary requests=40 failed=0 rps="), "{text}");
    assert!(
        text.contains("p50_ms=") && text.contains("p99_ms="),
        "{text}"
    );
    let sids = message_sids(&up);
    assert_eq!(sids.len(), 40);

    let up = validating(None).await;
    let out = send(
        TOKEN,
        args(&[&up.url("/sms"), "--repeat", "5", "--same-message"]),
    )
    .await;
    assert!(out.status.success());
    let sids = message_sids(&up);
    assert_eq!(sids.len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn shared_key_signatures_carry_the_settings_header() {
    let secret = "shared-key-secret-0123456789";
    let keys =
        KeyStore::shared_keys([("KS1", KeySet::from(Key::shared_key("ks", secret).unwrap()))]);
    let up = Upstream::start(Behaviour {
        validate: Some((Validator::new(keys), "http://{host}".into())),
        ..Behaviour::default()
    })
    .await;
    let a = ["--algorithm", "hmac-sha256", "--shared-key-id", "KS1"];
    let mut list = vec![up.url("/sms")];
    list.extend(a.iter().map(|s| (*s).to_owned()));
    let out = send(secret, list.clone()).await;
    assert!(out.status.success(), "{}", stdout(&out));
    let seen = up.seen();
    assert_eq!(
        seen[0].header("x-twilio-webhooks-signature-settings"),
        Some("key=KS1,algorithm=HMAC_SHA256")
    );
    // Without the settings header the endpoint cannot know the key: refused.
    let out = send(secret, list[..3].to_vec()).await;
    assert_eq!(out.status.code(), Some(1));
}

#[tokio::test(flavor = "multi_thread")]
async fn load_failures_exit_non_zero() {
    let up = Upstream::start(Behaviour {
        status: StatusCode::INTERNAL_SERVER_ERROR,
        ..Behaviour::default()
    })
    .await;
    let out = send(TOKEN, args(&[&up.url("/sms"), "--repeat", "3"])).await;
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout(&out).contains("status 500: 3"));
}

/// The library's `examples/axum_sms` binary, built next to ours (by `cargo test --workspace`,
/// or here on demand).
fn axum_sms_example() -> std::path::PathBuf {
    let ours = std::path::Path::new(env!("CARGO_BIN_EXE_twilio-webhook"));
    let example = ours.parent().unwrap().join("examples").join("axum_sms");
    if !example.exists() {
        let status = std::process::Command::new(env!("CARGO"))
            .args([
                "build",
                "-p",
                "twilio-webhook",
                "--example",
                "axum_sms",
                "--features",
                "axum",
            ])
            .status()
            .unwrap();
        assert!(status.success(), "building examples/axum_sms failed");
    }
    example
}

#[tokio::test(flavor = "multi_thread")]
async fn against_the_axum_sms_example() {
    let example = tokio::task::spawn_blocking(axum_sms_example).await.unwrap();
    let port = {
        let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        probe.local_addr().unwrap().port()
    };
    let mut server = tokio::process::Command::new(example)
        .env("TWILIO_AUTH_TOKEN", TOKEN)
        .env("PORT", port.to_string())
        .env_remove("PUBLIC_URL")
        .kill_on_drop(true)
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let url = format!("http://127.0.0.1:{port}/sms");
    // Wait until it listens.
    let start = std::time::Instant::now();
    while tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .is_err()
    {
        assert!(
            start.elapsed() < std::time::Duration::from_secs(10),
            "example did not start"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let out = send(TOKEN, args(&[&url, "--body", "Hello <there>"])).await;
    let text = stdout(&out);
    assert!(out.status.success(), "{text}");
    assert!(
        text.contains("well-formed TwiML: <Response> with [\"Message\"]"),
        "{text}"
    );
    assert!(text.contains("you said: Hello &lt;there&gt;"), "{text}");

    let out = send("54321", args(&[&url])).await;
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    assert!(stdout(&out).contains("403"));
    server.kill().await.unwrap();
}
