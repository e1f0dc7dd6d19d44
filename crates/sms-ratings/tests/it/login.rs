//! Organiser sign-in over real HTTP against the real binary: failed attempts are limited per
//! client address and logged without the password; a weak ADMIN_PASSWORD refuses to start.

use std::process::Stdio;

use sms_ratings::server::MAX_FAILURES;

use crate::load::{serve_logging, sms_ratings};
use crate::support::free_port;

/// The password `serve_logging` starts the server with.
const PASSWORD: &str = "pw-not-in-logs";
const GUESS: &str = "guess-7f3a9c-not-logged";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_sign_ins_are_limited_per_address_and_logged_without_the_password() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("login.db").to_str().unwrap().to_owned();
    let log = dir.path().join("stderr.log");
    let port = free_port();
    let server = serve_logging(&db, port, std::fs::File::create(&log).unwrap().into()).await;
    let url = format!("http://127.0.0.1:{port}/api/events");
    let client = crate::support::http_client();
    let get = |user: &'static str, password: &'static str| {
        client.get(&url).basic_auth(user, Some(password)).send()
    };
    // The browser's first request, without credentials, is a prompt, not a failure.
    for _ in 0..MAX_FAILURES + 2 {
        assert_eq!(client.get(&url).send().await.unwrap().status(), 401);
    }
    for _ in 0..MAX_FAILURES {
        assert_eq!(get("mallory", GUESS).await.unwrap().status(), 401);
    }
    let limited = get("mallory", GUESS).await.unwrap();
    assert_eq!(limited.status(), 429);
    let retry: u64 = limited.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry), "{retry}");
    // While limited, even the right password gets 429: a 200 would confirm a guess.
    assert_eq!(get("admin", PASSWORD).await.unwrap().status(), 429);
    // Another client address is not limited by this one's failures.
    let elsewhere = reqwest::Client::builder()
        .local_address(std::net::IpAddr::from([127, 0, 0, 2]))
        .build()
        .unwrap();
    let ok = elsewhere
        .get(&url)
        .basic_auth("admin", Some(PASSWORD))
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
    drop(server);
    let logs = std::fs::read_to_string(&log).unwrap();
    let failures = logs.matches("organiser sign-in failed").count();
    assert_eq!(failures, usize::try_from(MAX_FAILURES).unwrap(), "{logs}");
    assert!(
        logs.contains("mallory") && logs.contains("127.0.0.1"),
        "{logs}"
    );
    assert!(!logs.contains(GUESS) && !logs.contains(PASSWORD), "{logs}");
}

#[test]
fn a_weak_admin_password_refuses_to_start() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("weak.db").to_str().unwrap().to_owned();
    for weak in ["admin", "password1234", "aaaaaaaaaaaaaaaa"] {
        let mut child = crate::support::KillOnDrop(
            sms_ratings(&db)
                .args(["serve", "--listen", &format!("127.0.0.1:{}", free_port())])
                .env("TWILIO_AUTH_TOKEN", crate::server::TOKEN)
                .env("ADMIN_PASSWORD", weak)
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap(),
        );
        // Refusing happens before listening: a server still running after 20 s took it.
        let started = std::time::Instant::now();
        while child.0.try_wait().unwrap().is_none() {
            assert!(
                started.elapsed() < std::time::Duration::from_secs(20),
                "started with ADMIN_PASSWORD={weak:?}"
            );
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        let mut stderr = String::new();
        std::io::Read::read_to_string(&mut child.0.stderr.take().unwrap(), &mut stderr).unwrap();
        let status = child.0.wait().unwrap();
        assert!(!status.success(), "started with {weak:?}");
        assert!(
            stderr.contains("ADMIN_PASSWORD is refused") && stderr.contains("openssl rand"),
            "{stderr}"
        );
        assert!(!stderr.contains(weak) || weak == "admin", "{stderr}");
    }
}
