//! The real `sms-ratings serve`: secrets from files, the token file reloaded on SIGHUP, and
//! `serve --demo` with a private database and commands that work as printed.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::server::{NUMBER, form, sms_params};
use crate::support::{KillOnDrop, free_port, wait_healthy};

/// Sends SIGHUP to `server`.
fn hangup(server: &KillOnDrop) {
    let pid = server.0.id().to_string();
    let sent = Command::new("kill").args(["-HUP", &pid]).status().unwrap();
    assert!(sent.success());
}

/// A signed SMS with `token`; its status.
async fn sms(port: u16, token: &str, sid: &str) -> u16 {
    let url = format!("http://127.0.0.1:{port}/sms");
    let params = sms_params(sid, "+14155550123", NUMBER, "4");
    let params: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let signature = twilio_webhook::Key::auth_token("t", token)
        .unwrap()
        .sign(&url, params.iter().copied());
    crate::support::http_client()
        .post(&url)
        .header("content-type", "application/x-www-form-urlencoded")
        .header("x-twilio-signature", signature)
        .body(form(&params))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

/// Tokens from `--token-file`, the organiser password from `--admin-password-file`; a new
/// token is refused, SIGHUP, accepted, and the old one keeps working while both are in the
/// file; the log says so without any token.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn token_file_reloads_on_sighup() {
    let dir = tempfile::tempdir().unwrap();
    let (old, new) = ("old-token-5f1e2d3c4b5a", "new-token-9a8b7c6d5e4f");
    let tokens = dir.path().join("tokens");
    std::fs::write(&tokens, format!("{old}\n")).unwrap();
    let password = dir.path().join("password");
    std::fs::write(&password, "file-pw-7c1d9e3a2b\n").unwrap();
    let log = dir.path().join("stderr.log");
    let port = free_port();
    let server = KillOnDrop(
        Command::new(env!("CARGO_BIN_EXE_sms-ratings"))
            .env_remove("DATABASE_URL")
            .env_remove("TWILIO_AUTH_TOKEN")
            .args(["--database", dir.path().join("r.db").to_str().unwrap()])
            .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
            .arg("--token-file")
            .arg(&tokens)
            .arg("--admin-password-file")
            .arg(&password)
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap(),
    );
    wait_healthy(port).await;
    let events = crate::support::http_client()
        .get(format!("http://127.0.0.1:{port}/api/events"))
        .basic_auth("admin", Some("file-pw-7c1d9e3a2b"))
        .send()
        .await
        .unwrap();
    assert_eq!(events.status(), 200, "the password from the file");
    assert_eq!(sms(port, old, "SM1").await, 200);
    assert_eq!(sms(port, new, "SM2").await, 403, "not in the file yet");

    std::fs::write(&tokens, format!("primary {new}\nsecondary {old}\n")).unwrap();
    hangup(&server);
    let started = Instant::now();
    while sms(port, new, "SM3").await != 200 {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "SIGHUP did not reload"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        sms(port, old, "SM4").await,
        200,
        "the old token still works"
    );

    // A broken file keeps the keys in force.
    std::fs::write(&tokens, "AC1 primary x extra words\n").unwrap();
    hangup(&server);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(sms(port, new, "SM5").await, 200);
    drop(server);
    let logs = std::fs::read_to_string(&log).unwrap();
    assert!(logs.contains("token file reloaded"), "{logs}");
    assert!(logs.contains("not reloaded"), "{logs}");
    for secret in [old, new, "file-pw-7c1d9e3a2b"] {
        assert!(!logs.contains(secret), "{secret} in {logs}");
    }
}

/// `serve --demo`: the database is a private file with an unpredictable name, the generated
/// password passes the strength rule, and the printed credentials and token work.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_database_is_private_and_the_printed_commands_work() {
    let port = free_port();
    let mut server = KillOnDrop(
        Command::new(env!("CARGO_BIN_EXE_sms-ratings"))
            .env_remove("DATABASE_URL")
            .env_remove("TWILIO_AUTH_TOKEN")
            .env_remove("ADMIN_PASSWORD")
            .args(["serve", "--demo", "--listen", &format!("127.0.0.1:{port}")])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let stdout = server.0.stdout.take().unwrap();
    let printed = tokio::task::spawn_blocking(move || {
        let mut text = String::new();
        for line in BufReader::new(stdout).lines() {
            let line = line.unwrap();
            text.push_str(&line);
            text.push('\n');
            if line.starts_with("Stop with Ctrl-C") {
                break;
            }
        }
        text
    })
    .await
    .unwrap();
    let after = |marker: &str| -> String {
        let start = printed
            .find(marker)
            .unwrap_or_else(|| panic!("{marker} in {printed}"));
        printed[start + marker.len()..]
            .split_whitespace()
            .next()
            .unwrap()
            .to_owned()
    };
    let db = std::path::PathBuf::from(after(", database "));
    let token = after("TWILIO_AUTH_TOKEN=");
    let password = after("ADMIN_PASSWORD=");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&db), 0o600, "{}", db.display());
        assert_eq!(mode(db.parent().unwrap()), 0o700);
    }
    let dir_name = db.parent().unwrap().file_name().unwrap().to_str().unwrap();
    assert!(
        !dir_name.contains(&server.0.id().to_string()),
        "not named after the pid: {dir_name}"
    );
    wait_healthy(port).await;
    // The curl line as printed: `curl -u admin:PASSWORD URL`.
    let results = crate::support::http_client()
        .get(format!("http://127.0.0.1:{port}/api/events/DEMO/results"))
        .basic_auth("admin", Some(&password))
        .send()
        .await
        .unwrap();
    assert_eq!(results.status(), 200);
    assert!(
        printed.contains(&format!(
            "curl -u admin:{password} http://127.0.0.1:{port}/api/events/DEMO/results"
        )),
        "{printed}"
    );
    // The token through the environment, never on a command line (issue 20).
    assert!(
        printed.contains(&format!("  export TWILIO_AUTH_TOKEN={token}\n")),
        "{printed}"
    );
    assert!(!printed.contains("--token"), "{printed}");
    assert_eq!(sms(port, &token, "SMdemo").await, 200);
    drop(server);
    let _ = std::fs::remove_dir_all(db.parent().unwrap());
}
