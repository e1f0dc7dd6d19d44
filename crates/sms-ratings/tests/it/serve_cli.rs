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

/// Sends `signal` (e.g. `-TERM`) to `server`.
fn signal(server: &KillOnDrop, signal: &str) {
    let pid = server.0.id().to_string();
    let sent = Command::new("kill").args([signal, &pid]).status().unwrap();
    assert!(sent.success());
}

/// Waits (up to 10 s) until the log file at `log` holds `needle`; the log.
async fn log_holds(log: &std::path::Path, needle: &str) -> String {
    let started = Instant::now();
    loop {
        let text = std::fs::read_to_string(log).unwrap_or_default();
        if text.contains(needle) {
            return text;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "{needle:?} not logged:\n{text}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// `sms-ratings serve` with `env` and `args`, its stderr in `log`, healthy.
async fn start(
    dir: &std::path::Path,
    env: &[(&str, &str)],
    args: &[&std::ffi::OsStr],
    log: &std::path::Path,
) -> (KillOnDrop, u16) {
    let port = free_port();
    let server = KillOnDrop(
        Command::new(env!("CARGO_BIN_EXE_sms-ratings"))
            .env_remove("DATABASE_URL")
            .env_remove("TWILIO_AUTH_TOKEN")
            .env_remove("TWILIO_AUTH_TOKEN_SECONDARY")
            .env_remove("TOKEN_FILE")
            .envs(env.iter().copied())
            .args(["--database", dir.join("r.db").to_str().unwrap()])
            .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
            .args(args)
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(log).unwrap())
            .spawn()
            .unwrap(),
    );
    wait_healthy(port).await;
    (server, port)
}

/// Without `--token-file`, SIGHUP used to kill the server (no handler: the
/// default action, no drain). It is handled: logged as nothing to reload, the server keeps
/// serving with both environment tokens (`TWILIO_AUTH_TOKEN_SECONDARY` too), and SIGTERM
/// still drains and exits cleanly.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sighup_without_a_token_file_is_logged_and_the_server_keeps_serving() {
    let dir = tempfile::tempdir().unwrap();
    let (primary, secondary) = ("env-primary-3c2b1a", "env-secondary-7d6e5f");
    let log = dir.path().join("stderr.log");
    let env = [
        ("TWILIO_AUTH_TOKEN", primary),
        ("TWILIO_AUTH_TOKEN_SECONDARY", secondary),
    ];
    let (mut server, port) = start(dir.path(), &env, &[], &log).await;
    assert_eq!(sms(port, primary, "SM1").await, 200);
    assert_eq!(
        sms(port, secondary, "SM2").await,
        200,
        "the secondary token"
    );

    hangup(&server);
    log_holds(&log, "nothing to reload").await;
    hangup(&server);
    assert_eq!(
        sms(port, primary, "SM3").await,
        200,
        "still serving after SIGHUP"
    );
    assert!(
        server.0.try_wait().unwrap().is_none(),
        "SIGHUP ended the server"
    );

    signal(&server, "-TERM");
    let started = Instant::now();
    let status = loop {
        if let Some(status) = server.0.try_wait().unwrap() {
            break status;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "SIGTERM did not stop it"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(status.success(), "{status:?}");
    let logs = log_holds(&log, "every accepted vote is committed").await;
    assert!(logs.contains("draining"), "{logs}");
    for secret in [primary, secondary] {
        assert!(!logs.contains(secret), "{secret} in {logs}");
    }
}

/// With `--token-file`, a token in the environment used to verify beside
/// the file's, and no SIGHUP could retire it. Now the file's tokens alone verify, at start and
/// after a reload, and the log says the environment's token is not used.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_a_token_file_an_environment_token_never_verifies() {
    let dir = tempfile::tempdir().unwrap();
    let (from_env, in_file, next) = ("env-token-4a5b6c", "file-token-1e2f3a", "next-token-8b9c0d");
    let tokens = dir.path().join("tokens");
    std::fs::write(&tokens, format!("{in_file}\n")).unwrap();
    let log = dir.path().join("stderr.log");
    let env = [
        ("TWILIO_AUTH_TOKEN", from_env),
        ("TWILIO_AUTH_TOKEN_SECONDARY", from_env),
    ];
    let args = [std::ffi::OsStr::new("--token-file"), tokens.as_os_str()];
    let (server, port) = start(dir.path(), &env, &args, &log).await;
    assert_eq!(
        sms(port, from_env, "SM1").await,
        403,
        "the environment's token"
    );
    assert_eq!(sms(port, in_file, "SM2").await, 200);

    std::fs::write(&tokens, format!("{next}\n")).unwrap();
    hangup(&server);
    log_holds(&log, "token file reloaded").await;
    assert_eq!(sms(port, next, "SM3").await, 200);
    assert_eq!(
        sms(port, in_file, "SM4").await,
        403,
        "retired by the reload"
    );
    assert_eq!(
        sms(port, from_env, "SM5").await,
        403,
        "the environment's token"
    );
    drop(server);
    let logs = std::fs::read_to_string(&log).unwrap();
    assert!(
        logs.contains("TWILIO_AUTH_TOKEN is set but not used")
            && logs.contains("TWILIO_AUTH_TOKEN_SECONDARY is set but not used"),
        "{logs}"
    );
    for secret in [from_env, in_file, next] {
        assert!(!logs.contains(secret), "{secret} in {logs}");
    }
}
