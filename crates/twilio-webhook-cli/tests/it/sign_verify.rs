//! `sign`, `verify` and `batch` run as a user would run them.

use std::io::Write;
use std::process::{Command, Output, Stdio};

const URL: &str = "https://mycompany.com/myapp.php?foo=1&bar=2";
const PARAMS: [&str; 5] = [
    "CallSid=CA1234567890ABCDE",
    "Caller=+14158675309",
    "Digits=1234",
    "From=+14158675309",
    "To=+18005551212",
];

fn cli(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_twilio-webhook"))
        .args(args)
        .env("TWILIO_AUTH_TOKEN", "12345")
        .output()
        .unwrap()
}

/// Runs `command` with `input` on its stdin; stdout and stderr captured.
pub(crate) fn with_stdin(command: &mut Command, input: &str) -> Output {
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

fn stdout(out: &Output) -> String {
    String::from_utf8(out.stdout.clone()).unwrap()
}

#[test]
fn sign_prints_the_docs_signature() {
    let mut args = vec!["sign", "--url", URL];
    args.extend(PARAMS);
    let out = cli(&args);
    assert!(out.status.success());
    assert_eq!(stdout(&out), "RSOYDt4T1cUTdK1PDd93/VVr8B8=\n");
}

#[test]
fn sign_body_adds_body_hash_to_the_url() {
    let dir = std::env::temp_dir().join(format!("twh-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("body.json");
    std::fs::write(&file, br#"{"property": "value", "boolean": true}"#).unwrap();
    let out = cli(&["sign", "--url", URL, "--body-file", file.to_str().unwrap()]);
    assert!(out.status.success());
    let lines: Vec<String> = stdout(&out).lines().map(str::to_owned).collect();
    assert_eq!(lines[0], "a9nBmqA0ju/hNViExpshrM61xv4=");
    assert_eq!(
        lines[1],
        format!(
            "{URL}&bodySHA256=0a1ff7634d9ab3b95db5c9a2dfe9416e41502b283a80c7cf19632632f96e6620"
        )
    );
}

#[test]
fn verify_exit_codes() {
    let mut args = vec![
        "verify",
        "--url",
        URL,
        "--signature",
        "RSOYDt4T1cUTdK1PDd93/VVr8B8=",
    ];
    args.extend(PARAMS);
    let ok = cli(&args);
    assert_eq!(ok.status.code(), Some(0), "{}", stdout(&ok));
    assert!(stdout(&ok).starts_with("valid"));

    args[4] = "f+aaB5gu2f9IF90l/5/dsmxJ+94=";
    let bad = cli(&args);
    assert_eq!(bad.status.code(), Some(1));
    // A mismatch ends with a hint; no URL variant matches, so the token is named.
    let text = stdout(&bad);
    assert!(
        text.starts_with("invalid: signature does not match\nhint: no variant of the URL matches"),
        "{text}"
    );
    assert!(
        text.contains("the Auth Token is the likely cause"),
        "{text}"
    );

    // Signed for https, given http: the hint names the scheme and nothing else.
    let http = URL.replacen("https", "http", 1);
    args[2] = &http;
    args[4] = "RSOYDt4T1cUTdK1PDd93/VVr8B8=";
    let scheme = cli(&args);
    assert_eq!(scheme.status.code(), Some(1));
    let text = stdout(&scheme);
    assert!(
        text.contains(
            "hint: signed for https://mycompany.com/myapp.php, given \
             http://mycompany.com/myapp.php: the scheme differs ("
        ),
        "{text}"
    );
    assert!(
        !text.contains("Auth Token") && !text.contains("port"),
        "{text}"
    );

    let usage = cli(&["verify", "--url", URL, "--signature", "x", "NoEquals"]);
    assert_eq!(usage.status.code(), Some(2));
    let no_token = Command::new(env!("CARGO_BIN_EXE_twilio-webhook"))
        .args(["sign", "--url", URL])
        .env_remove("TWILIO_AUTH_TOKEN")
        .output()
        .unwrap();
    assert_eq!(no_token.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&no_token.stderr).contains("TWILIO_AUTH_TOKEN"));
}

#[test]
fn verify_explain_prints_each_form_and_its_result() {
    // Signed without the port, received with it: the port-removed form is the one.
    let with_port = URL.replacen("mycompany.com", "mycompany.com:443", 1);
    let mut args = vec![
        "verify",
        "--explain",
        "--url",
        &with_port,
        "--signature",
        "RSOYDt4T1cUTdK1PDd93/VVr8B8=",
    ];
    args.extend(PARAMS);
    let out = cli(&args);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{text}");
    let suffix =
        "CallSidCA1234567890ABCDECaller+14158675309Digits1234From+14158675309To+18005551212";
    let expected =
        format!("form as-received\n  signed string: {with_port}{suffix}\n  signature:     ");
    assert!(text.starts_with(&expected), "{text}");
    let port_removed = format!(
        "form port-removed\n  signed string: {URL}{suffix}\n  signature:     \
         RSOYDt4T1cUTdK1PDd93/VVr8B8=\n  result:        matches the header\n"
    );
    assert!(text.contains(&port_removed), "{text}");
    assert_eq!(text.matches("does not match").count(), 1, "{text}");
    assert!(text.ends_with("valid (url form: port-removed)\n"), "{text}");

    // A JSON body whose hash is not the URL's: the body line says so, exit 1.
    let dir = std::env::temp_dir().join(format!("twh-explain-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("body.json");
    std::fs::write(&file, b"{}").unwrap();
    let signed = format!("{URL}&bodySHA256=00");
    let out = cli(&[
        "verify",
        "--explain",
        "--url",
        &signed,
        "--signature",
        "RSOYDt4T1cUTdK1PDd93/VVr8B8=",
        "--body-file",
        file.to_str().unwrap(),
    ]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains(&format!("  signed string: {signed}\n")),
        "{text}"
    );
    assert!(text.contains("bodySHA256 in the URL: 00\n"), "{text}");
    assert!(text.contains("(differ)"), "{text}");
}

/// Secrets from a file or the environment, never needed on the command line.
#[test]
fn secrets_from_a_file_or_the_environment() {
    let dir = std::env::temp_dir().join(format!("twh-secret-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("token");
    std::fs::write(&file, "12345\n").unwrap();
    let mut args = vec!["sign", "--url", URL];
    args.extend(PARAMS);
    let signed = Command::new(env!("CARGO_BIN_EXE_twilio-webhook"))
        .args(&args)
        .env_remove("TWILIO_AUTH_TOKEN")
        .env("TWILIO_AUTH_TOKEN_FILE", &file)
        .output()
        .unwrap();
    assert_eq!(stdout(&signed), "RSOYDt4T1cUTdK1PDd93/VVr8B8=\n");
    for command in ["sign", "verify", "batch"] {
        let help = stdout(&cli(&[command, "--help"]));
        assert!(
            help.contains("TWILIO_AUTH_TOKEN") && help.contains("--token-file"),
            "{help}"
        );
        assert!(help.contains("visible to every user"), "{help}");
    }
    // `batch`: a line without "token" takes the one from the environment (or the file).
    let line = format!(r#"{{"id":1,"url":"{URL}","params":{{"Digits":"1234"}}}}"#);
    let batch = |env_token: Option<&str>| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_twilio-webhook"));
        command.arg("batch").env_remove("TWILIO_AUTH_TOKEN");
        if let Some(token) = env_token {
            command.env("TWILIO_AUTH_TOKEN", token);
        }
        let out = with_stdin(&mut command, &line);
        serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap()
    };
    let expected = Command::new(env!("CARGO_BIN_EXE_twilio-webhook"))
        .args(["sign", "--url", URL, "Digits=1234"])
        .env("TWILIO_AUTH_TOKEN", "12345")
        .output()
        .unwrap();
    let with_env = batch(Some("12345"));
    assert_eq!(
        format!("{}\n", with_env["signature"].as_str().unwrap()),
        stdout(&expected)
    );
    let without = batch(None);
    assert!(
        without["error"].as_str().unwrap().starts_with("no token"),
        "{without}"
    );
}

#[test]
fn batch_answers_every_line_in_order() {
    let mut input = String::new();
    for i in 0..1000 {
        input.push_str(&format!(
            r#"{{"id":{i},"token":"t{}","url":"https://e.com/{i}","params":{{"N":"{i}"}}}}"#,
            i % 3
        ));
        input.push('\n');
    }
    let out = with_stdin(
        Command::new(env!("CARGO_BIN_EXE_twilio-webhook")).arg("batch"),
        &input,
    );
    let lines: Vec<serde_json::Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 1000);
    for (i, line) in lines.iter().enumerate() {
        assert_eq!(line["id"], i);
        assert_eq!(line["signature"].as_str().unwrap().len(), 28);
    }
}

/// `[env: NAME=]` read as "set to empty"; the help names the variable alone.
#[test]
fn help_shows_env_vars_without_a_trailing_equals() {
    for command in ["sign", "verify", "send", "chat", "proxy", "batch"] {
        let out = cli(&[command, "--help"]);
        let text = stdout(&out);
        assert!(out.status.success(), "{command}: {text}");
        assert!(text.contains("[env: "), "{command}: {text}");
        assert!(!text.contains("=]"), "{command}: {text}");
    }
}

/// A usage error's usage line shows optional flags as optional, even the ones that were given.
#[test]
fn usage_errors_do_not_show_optional_flags_as_required() {
    let cases: &[(&[&str], &str)] = &[
        (
            &["sign", "--token", "x"],
            "twilio-webhook sign [OPTIONS] --url <URL> [PARAMS]...",
        ),
        (
            &["verify", "--url", "http://x/sms"],
            "twilio-webhook verify [OPTIONS] --signature <SIGNATURE> --url <URL> [PARAMS]...",
        ),
        (
            &["send", "--body", "hi"],
            "twilio-webhook send [OPTIONS] <URL>",
        ),
        (
            &["chat", "--from", "+15551230000"],
            "twilio-webhook chat [OPTIONS] <URL>",
        ),
    ];
    for (args, usage) in cases {
        let out = cli(args);
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(
            stderr.contains("required arguments were not provided"),
            "{args:?}: {stderr}"
        );
        let line = stderr.lines().find(|l| l.starts_with("Usage: ")).unwrap();
        assert_eq!(line, format!("Usage: {usage}"), "{args:?}");
    }
}

/// `proxy --help` is grouped by task, each option under one heading.
#[test]
fn proxy_help_is_grouped_by_task() {
    let text = stdout(&cli(&["proxy", "--help"]));
    let headings: Vec<&str> = text
        .lines()
        .filter(|l| !l.starts_with(' ') && l.ends_with(':'))
        .collect();
    for expected in [
        "Listening:",
        "Forwarding:",
        "Public URL:",
        "Verification:",
        "Replay protection:",
        "Connection limits:",
        "Automatic HTTPS (ACME):",
    ] {
        assert!(
            headings.contains(&expected),
            "{expected} missing: {headings:?}"
        );
    }
    // Only help and version are left in the ungrouped list.
    let options = text.split("\nOptions:\n").nth(1).unwrap();
    let ungrouped = options.split("\n\n").next().unwrap();
    let flags: Vec<&str> = ungrouped
        .lines()
        .filter(|l| l.trim_start().starts_with('-'))
        .collect();
    assert_eq!(flags.len(), 1, "{ungrouped}");
    assert!(flags[0].contains("--help"), "{ungrouped}");
}
