//! `send` and `chat` against a hostile bot (issue 22 items 5 and 12): huge and deeply nested
//! replies, escape sequences, and one answer asking for a thousand status callbacks.

use std::io::{Read as _, Write as _};
use std::net::TcpListener;
use std::process::{Command, Output, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use super::bot::Bot;
use super::{TOKEN, args, send, stdout};

const HOST: &str = "http://{host}";

/// `n` nested `<name>` elements inside `<Response>`.
fn nested(name: &str, n: usize) -> String {
    format!(
        "<Response>{}{}</Response>",
        format!("<{name}>").repeat(n),
        format!("</{name}>").repeat(n)
    )
}

/// The binary with `argv`, `env`, and `input` on stdin (then closed).
async fn run(argv: Vec<String>, env: Vec<(&'static str, &'static str)>, input: &str) -> Output {
    let input = input.to_owned();
    tokio::task::spawn_blocking(move || {
        let mut child = Command::new(env!("CARGO_BIN_EXE_twilio-webhook"))
            .args(argv)
            .env("TWILIO_AUTH_TOKEN", TOKEN)
            .env_remove("TWILIO_WEBHOOK_BASIC_AUTH")
            .env_remove("TWILIO_ACCOUNT_SID")
            .env_remove("NO_COLOR")
            .envs(env)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // The child may be gone already (that is what some of these tests look for).
        let _ = child.stdin.take().unwrap().write_all(input.as_bytes());
        child.wait_with_output().unwrap()
    })
    .await
    .unwrap()
}

/// Item 5: 20 000 nested `<Gather>` (332 KiB) aborted `send` with a stack overflow (exit
/// 134); now the reply is "too large" after 64 KiB and the run exits 1.
#[tokio::test(flavor = "multi_thread")]
async fn twenty_thousand_nested_gathers_are_too_large_not_a_crash() {
    let doc = nested("Gather", 20_000);
    assert!(doc.len() > 300 * 1024);
    let bot = Bot::start(TOKEN, HOST, &[("/voice", &doc)]).await;
    let out = send(TOKEN, args(&[&bot.url("/voice"), "--kind", "call"])).await;
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{:?}\n{text}", out.status);
    assert!(text.contains("too large"), "{text}");
}

/// Item 5: deep nesting that fits in 64 KiB is refused at 32 levels, by `send` and by
/// `chat`; 200 000 nested elements (which aborted `chat`) are too large.
#[tokio::test(flavor = "multi_thread")]
async fn deep_nesting_is_refused_by_send_and_chat() {
    let deep = nested("Gather", 3_500);
    assert!(deep.len() < 64 * 1024);
    let huge = nested("a", 200_000);
    let bot = Bot::start(TOKEN, HOST, &[("/deep", &deep), ("/huge", &huge)]).await;
    let out = send(TOKEN, args(&[&bot.url("/deep"), "--kind", "call"])).await;
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{:?}\n{text}", out.status);
    assert!(text.contains("nested more than 32 deep"), "{text}");
    for path in ["/deep", "/huge"] {
        // The call goes to the same hostile answer (`--voice-url`; default `/voice`).
        let url = bot.url(path);
        let chat = args(&["chat", &url, "--voice-url", &url]);
        let out = run(chat, vec![], "hi\n/call\n").await;
        let text = stdout(&out);
        assert_eq!(
            out.status.code(),
            Some(1),
            "{path} {:?}\n{text}",
            out.status
        );
        let why = if path == "/deep" {
            "nested more than 32 deep"
        } else {
            "too large"
        };
        assert_eq!(text.matches(why).count(), 2, "{text}");
    }
}

/// A server that answers every request with a `size`-byte TwiML reply, written until the
/// client stops reading; counts the bytes it managed to write.
fn endless_bot(size: u64) -> (String, Arc<AtomicU64>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/sms", listener.local_addr().unwrap());
    let written = Arc::new(AtomicU64::new(0));
    let counter = Arc::clone(&written);
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            // The request is small: one read takes its head (the body is not needed).
            let mut buf = [0u8; 8192];
            let _ = stream.read(&mut buf);
            let head = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: text/xml\r\ncontent-length: {size}\r\n\r\n"
            );
            let Ok(()) = stream.write_all(head.as_bytes()) else {
                continue;
            };
            // What follows `<Message>` is one endless text.
            let Ok(()) = stream.write_all(b"<Response><Message>") else {
                continue;
            };
            let chunk = vec![b'x'; 64 * 1024];
            let mut sent = 19u64;
            while sent < size {
                match stream.write(&chunk) {
                    Ok(n) if n > 0 => sent += n as u64,
                    _ => break,
                }
                counter.store(sent, Ordering::SeqCst);
            }
        }
    });
    (url, written)
}

/// Runs `command` (its stdout kept in a file, so a full pipe never stalls it) and the largest
/// resident set (`VmHWM`, KiB) it reached, polled until it exits.
fn run_measuring_peak(mut command: Command) -> (String, Option<i32>, u64) {
    let path = std::env::temp_dir().join(format!(
        "twh-peak-{}-{:?}.out",
        std::process::id(),
        std::thread::current().id()
    ));
    let file = std::fs::File::create(&path).unwrap();
    let mut child = command.stdout(file).stderr(Stdio::null()).spawn().unwrap();
    let status = format!("/proc/{}/status", child.id());
    let mut peak = 0;
    while child.try_wait().unwrap().is_none() {
        let hwm = std::fs::read_to_string(&status)
            .ok()
            .and_then(|s| {
                let line = s.lines().find(|l| l.starts_with("VmHWM:"))?.to_owned();
                line.split_whitespace().nth(1)?.parse::<u64>().ok()
            })
            .unwrap_or(0);
        peak = peak.max(hwm);
        std::thread::sleep(Duration::from_millis(5));
    }
    let code = child.wait().unwrap().code();
    let out = std::fs::read_to_string(&path).unwrap();
    std::fs::remove_file(&path).unwrap();
    (out, code, peak)
}

/// Item 5: a 512 MiB reply raised `send`'s peak memory to 1.1 GB. Now at most 64 KiB + 1 is
/// read: "too large", exit 1, the bot could write no more than the socket buffers hold, and
/// the peak stays small.
#[tokio::test(flavor = "multi_thread")]
async fn a_512_mib_reply_is_not_read() {
    let (url, written) = endless_bot(512 * 1024 * 1024);
    let (text, code, peak_kib) = tokio::task::spawn_blocking(move || {
        let mut command = Command::new(env!("CARGO_BIN_EXE_twilio-webhook"));
        command
            .args(["send", &url, "--timeout", "60"])
            .env("TWILIO_AUTH_TOKEN", TOKEN);
        run_measuring_peak(command)
    })
    .await
    .unwrap();
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("too large"), "{text}");
    let written = written.load(Ordering::SeqCst);
    eprintln!("peak resident set {peak_kib} KiB; the bot wrote {written} bytes");
    assert!(written < 32 * 1024 * 1024, "the bot wrote {written} bytes");
    assert!(peak_kib < 100 * 1024, "peak resident set {peak_kib} KiB");
}

/// Item 12: a bot's escape sequences (window title, line erase, OSC 52 clipboard write) never
/// reach the terminal raw — in the reply body shown, the `<Message>` text, the TwiML error,
/// the `--json` lines — and C0 controls XML forbids make the TwiML unacceptable.
#[tokio::test(flavor = "multi_thread")]
async fn escape_sequences_are_printed_escaped_and_c0_is_refused() {
    // Raw ESC/BEL (illegal in XML) in one reply, the same as references in another; C1
    // controls (legal XML, still read by terminals) in a third.
    let raw = "<Response><Message>a\u{1b}]0;pwned\u{7}\r\u{1b}[2K\u{1b}]52;c;cm0gLXJmIH4=\u{7}</Message></Response>";
    let referenced = "<Response><Message>a&#27;]0;pwned&#x7;</Message></Response>";
    let c1 =
        "<Response><Message>a\u{9d}0;pwned\u{9c}\u{9b}2K\u{7f}\u{202e}txt.exe</Message></Response>";
    let bot = Bot::start(
        TOKEN,
        HOST,
        &[("/raw", raw), ("/ref", referenced), ("/c1", c1)],
    )
    .await;
    // As on a terminal: anstream then passes escape sequences through.
    let tty = vec![("CLICOLOR_FORCE", "1")];
    let is_raw = |text: &str| {
        text.chars().any(|c| {
            matches!(
                c,
                '\u{1b}' | '\u{7}' | '\r' | '\u{7f}' | '\u{9b}' | '\u{9c}' | '\u{9d}' | '\u{202e}'
            )
        })
    };
    let ours = |text: &str| {
        // Our own colours are SGR sequences (ESC [ … m): drop them, nothing else may remain.
        let mut out = String::new();
        let mut rest = text;
        while let Some(at) = rest.find("\u{1b}[") {
            out.push_str(&rest[..at]);
            let tail = &rest[at + 2..];
            let end = tail
                .find(|c: char| !(c.is_ascii_digit() || c == ';'))
                .unwrap_or(tail.len());
            if tail[end..].starts_with('m') {
                rest = &tail[end + 1..];
            } else {
                out.push_str("\u{1b}[");
                rest = tail;
            }
        }
        out.push_str(rest);
        out
    };
    for path in ["/raw", "/ref"] {
        let out = run(args(&["send", &bot.url(path)]), tty.clone(), "").await;
        let text = ours(&stdout(&out));
        assert_eq!(out.status.code(), Some(1), "{path}: {text}");
        assert!(text.contains("is not allowed in XML"), "{path}: {text}");
        assert!(!is_raw(&text), "{path}: raw control in {text:?}");
    }
    let out = run(args(&["send", &bot.url("/raw")]), tty.clone(), "").await;
    assert!(stdout(&out).contains("\\u{1b}]52;c;"), "{}", stdout(&out));
    let out = run(args(&["send", &bot.url("/c1")]), tty.clone(), "").await;
    let text = ours(&stdout(&out));
    assert!(out.status.success(), "{text}");
    assert!(!is_raw(&text), "raw control in {text:?}");
    assert!(
        text.contains("bot: a\\u{9d}0;pwned\\u{9c}\\u{9b}2K\\u{7f}\\u{202e}txt.exe"),
        "{text}"
    );
    let out = run(args(&["send", &bot.url("/c1"), "--json"]), tty, "").await;
    let text = stdout(&out);
    assert!(!is_raw(&text), "raw control in {text:?}");
    let message = text
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .find(|e| e["event"] == "message")
        .unwrap();
    assert_eq!(
        message["body"],
        "a\u{9d}0;pwned\u{9c}\u{9b}2K\u{7f}\u{202e}txt.exe"
    );
}

/// Item 12: one answer with 1 000 `<Message statusCallback>` drove 3 001 requests with
/// `--max-steps 1`. Every request now counts against the limit.
#[tokio::test(flavor = "multi_thread")]
async fn status_callbacks_count_against_max_steps() {
    let doc = format!(
        "<Response>{}</Response>",
        r#"<Message statusCallback="/st">x</Message>"#.repeat(1_000)
    );
    assert!(doc.len() < 64 * 1024);
    let bot = Bot::start(TOKEN, HOST, &[("/sms", &doc)]).await;
    for (max, requests) in [(1, 1), (8, 8)] {
        let before = bot.hits().len();
        let max_steps = max.to_string();
        let out = send(TOKEN, args(&[&bot.url("/sms"), "--max-steps", &max_steps])).await;
        let text = stdout(&out);
        assert_eq!(out.status.code(), Some(1), "{text}");
        assert_eq!(text.matches("step limit reached").count(), 1, "{text}");
        assert_eq!(bot.hits().len() - before, requests, "--max-steps {max}");
    }
}
