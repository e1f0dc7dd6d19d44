//! `chat` driven by piped stdin against the real rating service, in-process on loopback.

use std::process::Output;

use crate::rating::{NUMBER, RatingService, TOKEN};

/// Runs the binary with `args`, `input` piped to stdin.
pub(crate) async fn run_with_input(args: Vec<String>, input: &str) -> Output {
    let input = input.to_owned();
    tokio::task::spawn_blocking(move || {
        crate::sign_verify::with_stdin(
            std::process::Command::new(env!("CARGO_BIN_EXE_twilio-webhook"))
                .args(args)
                .env("TWILIO_AUTH_TOKEN", TOKEN)
                .env_remove("TWILIO_WEBHOOK_BASIC_AUTH")
                .env_remove("TWILIO_ACCOUNT_SID"),
            &input,
        )
    })
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn three_texts_three_replies_from_the_rating_service() {
    let service = RatingService::start().await;
    let args = vec![
        "chat".to_owned(),
        format!("{}/sms", service.base),
        "--to".into(),
        NUMBER.into(),
        "--from".into(),
        "+14155550001".into(),
    ];
    let out = run_with_input(
        args,
        "4 great talk\n/help\nrust25 2\nwhat is this\n/quit\nnever sent\n",
    )
    .await;
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let replies: Vec<&str> = text.lines().filter(|l| l.starts_with("bot: ")).collect();
    assert_eq!(replies.len(), 3, "{text}");
    assert!(
        replies[0].contains("4/5") && replies[0].contains("RUST25"),
        "{text}"
    );
    assert!(
        replies[1].contains("2/5") && replies[1].contains("replaces"),
        "{text}"
    );
    assert!(replies[2].contains("To rate"), "{text}");
    let texts: Vec<&str> = text.lines().filter(|l| l.starts_with("you: ")).collect();
    assert_eq!(
        texts,
        ["you: 4 great talk", "you: rust25 2", "you: what is this"]
    );
    assert!(!text.contains("never sent"), "{text}");
    // Piped: no prompts, no colour codes.
    assert!(!text.contains('\u{1b}'), "{text}");
}

#[tokio::test(flavor = "multi_thread")]
async fn call_from_chat_reads_the_next_line_as_keys() {
    use crate::send::bot::Bot;
    let bot = Bot::start(
        TOKEN,
        "http://{host}",
        &[
            (
                "/voice",
                r#"<Response><Gather numDigits="1" action="/pressed"><Say>Press a key</Say></Gather></Response>"#,
            ),
            ("/ivr", "<Response><Say>Menu</Say></Response>"),
            ("/pressed", "<Response><Say>Got it</Say></Response>"),
        ],
    )
    .await;
    // The call goes to the SMS URL's sibling `/voice`, not to the SMS URL.
    let args = vec!["chat".to_owned(), bot.url("/sms"), "--json".into()];
    let out = run_with_input(args, "/call\n7\n").await;
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    let hits = bot.hits();
    assert_eq!(hits.len(), 2, "{text}");
    assert_eq!(
        (hits[0].path.as_str(), hits[1].path.as_str()),
        ("/voice", "/pressed")
    );
    assert!(hits.iter().all(|h| h.signed));
    assert!(hits[0].get("CallSid").unwrap().starts_with("CA"));
    assert_eq!(hits[1].get("Digits"), Some("7"));
    assert_eq!(hits[1].get("CallSid"), hits[0].get("CallSid"));
    assert!(text.contains(r#""detail":"Got it""#), "{text}");
}

#[tokio::test(flavor = "multi_thread")]
async fn voice_url_chooses_where_the_call_goes() {
    use crate::send::bot::Bot;
    let bot = Bot::start(
        TOKEN,
        "http://{host}",
        &[("/ivr", "<Response><Say>Menu</Say></Response>")],
    )
    .await;
    for voice in ["/ivr".to_owned(), bot.url("/ivr")] {
        let args = vec![
            "chat".to_owned(),
            bot.url("/sms"),
            "--voice-url".into(),
            voice.clone(),
        ];
        let out = run_with_input(args, "/call\n").await;
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "{voice}: {text}");
        assert!(text.contains("Menu"), "{voice}: {text}");
    }
    let hits = bot.hits();
    assert_eq!(hits.len(), 2);
    assert!(hits.iter().all(|h| h.path == "/ivr" && h.signed));
}
