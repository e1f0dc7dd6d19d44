//! Texting rules over real HTTP with signed requests: opt-out keywords, WhatsApp senders, and
//! voting by phone call (also driven by the real `twilio-webhook send` binary).

use reqwest::StatusCode;
use sms_ratings::keyword::{HELP, OPT_IN, OPT_OUT};
use twilio_webhook::Key;

use crate::both_backends;
use crate::e2e::add;
use crate::server::{NUMBER, TOKEN, TestServer, form, sms_params};
use crate::support::TestDb;

/// What an empty TwiML reply looks like: Twilio sends nothing.
const EMPTY: &str = r#"<?xml version="1.0" encoding="UTF-8"?><Response/>"#;

/// Posts `params` to `path` (query included) signed as Twilio signs; status and body.
pub async fn signed(s: &TestServer, path: &str, params: &[(&str, &str)]) -> (StatusCode, String) {
    let url = format!("{}{path}", s.base);
    let signature = Key::auth_token("test", TOKEN)
        .unwrap()
        .sign(&url, params.iter().copied());
    let response = s
        .client
        .post(url)
        .header("content-type", "application/x-www-form-urlencoded")
        .header("x-twilio-signature", signature)
        .body(form(params))
        .send()
        .await
        .unwrap();
    (response.status(), response.text().await.unwrap())
}

/// A signed SMS with extra parameters; status and raw TwiML.
async fn sms_raw(
    s: &TestServer,
    sid: &str,
    from: &str,
    body: &str,
    extra: &[(&'static str, &str)],
) -> (StatusCode, String) {
    let mut params = sms_params(sid, from, NUMBER, body);
    params.extend(extra.iter().map(|(k, v)| (*k, (*v).to_owned())));
    let params: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.as_str())).collect();
    signed(s, "/sms", &params).await
}

async fn keywords_are_never_votes(db: TestDb) {
    let s = TestServer::start(&db.location).await;
    add(&s, "KEYS", Some(NUMBER)).await;
    let mut n = 0;
    for word in OPT_OUT.iter().chain(&OPT_IN).chain(&HELP) {
        for body in [
            word.to_string(),
            word.to_lowercase(),
            format!(" \t{}\n", word.to_lowercase()),
        ] {
            n += 1;
            let (status, twiml) = sms_raw(&s, &format!("SMk{n}"), "+14155550001", &body, &[]).await;
            assert_eq!(status, 200, "{body:?}");
            assert_eq!(twiml, EMPTY, "{body:?}");
        }
    }
    // Twilio's OptOutType (Advanced Opt-Out) decides even for a body that reads as a vote.
    for kind in ["STOP", "START", "HELP"] {
        n += 1;
        let extra = [("OptOutType", kind)];
        let (status, twiml) = sms_raw(&s, &format!("SMk{n}"), "+14155550002", "5", &extra).await;
        assert_eq!((status, twiml.as_str()), (StatusCode::OK, EMPTY), "{kind}");
    }
    assert_eq!(s.count("KEYS").await, 0, "no keyword was stored as a vote");
    s.stop().await;
}
both_backends!(texting_keywords, keywords_are_never_votes);

async fn opted_out_numbers_get_no_replies(db: TestDb) {
    let s = TestServer::start(&db.location).await;
    add(&s, "QUIET", Some(NUMBER)).await;
    let phone = "+14155550003";
    let (_, before) = s.sms("SMq0", phone, "3").await;
    assert!(before.contains("3/5"), "{before}");
    assert_eq!(sms_raw(&s, "SMq1", phone, "STOP", &[]).await.1, EMPTY);
    // The MessageSid of a message answered before the opt-out, again (its text changed, so
    // the request replay guard does not answer it): its stored reply is not sent now.
    assert_eq!(sms_raw(&s, "SMq0", phone, "3 again", &[]).await.1, EMPTY);
    // Still counted, but answered with nothing: Twilio would refuse to send it (21610).
    let (status, twiml) = sms_raw(&s, "SMq2", phone, "4 good", &[]).await;
    assert_eq!((status, twiml.as_str()), (StatusCode::OK, EMPTY));
    let results = s.results("QUIET").await;
    assert_eq!(results["count"], 1, "the 4 replaced the 3");
    assert_eq!(results["average"], 4.0);
    assert_eq!(results["reach"]["opted_out"], 1);
    assert_eq!(sms_raw(&s, "SMq3", phone, "what?", &[]).await.1, EMPTY);
    // Another number is answered as usual.
    let (_, other) = s.sms("SMq4", "+14155550004", "5").await;
    assert!(other.contains("5/5"), "{other}");
    // The organiser's manage page shows it too.
    let page = s.get_admin("/events/QUIET/manage").await;
    assert_eq!(page.status(), 200);
    let page = page.text().await.unwrap();
    assert!(
        page.contains("By text 2 · WhatsApp 0 · phone call 0 · 1 of these voters opted out"),
        "{page}"
    );
    // START: replies come back.
    assert_eq!(sms_raw(&s, "SMq5", phone, "start", &[]).await.1, EMPTY);
    let (status, reply) = s.sms("SMq6", phone, "five").await;
    assert_eq!(status, 200);
    assert!(
        reply.contains("5/5") && reply.contains("replaces"),
        "{reply}"
    );
    let (_, help) = s.sms("SMq7", phone, "what?").await;
    assert!(help.starts_with("To rate"), "{help}");
    let results = s.results("QUIET").await;
    assert_eq!(results["reach"]["opted_out"], 0);
    assert_eq!(results["count"], 2);
    // The silenced vote's retry keeps its (empty) answer.
    assert_eq!(sms_raw(&s, "SMq2", phone, "4 good", &[]).await.1, EMPTY);
    s.stop().await;
}
both_backends!(texting_opt_out, opted_out_numbers_get_no_replies);

/// A keyword's `MessageSid` is claimed durably, as a vote's: a `STOP` replayed after the
/// request replay guard forgot it (here: a fresh server on the same database) does not opt
/// the number out again after it texted `START`.
async fn a_replayed_stop_does_not_undo_a_later_start(db: TestDb) {
    let phone = "+14155550013";
    let s = TestServer::start(&db.location).await;
    add(&s, "REPLAY", Some(NUMBER)).await;
    assert_eq!(sms_raw(&s, "SMr1", phone, "STOP", &[]).await.1, EMPTY);
    assert_eq!(sms_raw(&s, "SMr2", phone, "START", &[]).await.1, EMPTY);
    s.stop().await;
    let s = TestServer::start(&db.location).await;
    let (status, twiml) = sms_raw(&s, "SMr1", phone, "STOP", &[]).await;
    assert_eq!((status, twiml.as_str()), (StatusCode::OK, EMPTY));
    // Still opted in: a vote is answered, and nobody counts as opted out.
    let (_, reply) = s.sms("SMr3", phone, "4").await;
    assert!(
        reply.contains("4/5"),
        "the replayed STOP opted out again: {reply:?}"
    );
    assert_eq!(s.results("REPLAY").await["reach"]["opted_out"], 0);
    // The same for a replayed START after a later STOP.
    assert_eq!(sms_raw(&s, "SMr4", phone, "STOP", &[]).await.1, EMPTY);
    s.stop().await;
    let s = TestServer::start(&db.location).await;
    assert_eq!(sms_raw(&s, "SMr2", phone, "START", &[]).await.1, EMPTY);
    assert_eq!(s.results("REPLAY").await["reach"]["opted_out"], 1);
    s.stop().await;
}
both_backends!(
    texting_keyword_replay,
    a_replayed_stop_does_not_undo_a_later_start
);

async fn whatsapp_senders_vote_like_sms(db: TestDb) {
    let s = TestServer::start(&db.location).await;
    add(&s, "WA", Some(NUMBER)).await;
    let (status, reply) = s
        .sms_to(
            "SMw1",
            "whatsapp:+447700900123",
            &format!("whatsapp:{NUMBER}"),
            "four out of 5 lovely",
        )
        .await;
    assert_eq!(status, 200);
    assert!(reply.contains("4/5") && reply.contains("WA"), "{reply}");
    // The same phone by SMS replaces its WhatsApp vote: one vote per phone.
    let (_, reply) = s.sms("SMw2", "+447700900123", "2").await;
    assert!(reply.contains("replaces"), "{reply}");
    let (_, reply) = s
        .sms_to(
            "SMw3",
            "whatsapp:+447700900999",
            &format!("whatsapp:{NUMBER}"),
            "5",
        )
        .await;
    assert!(reply.contains("5/5"), "{reply}");
    let ratings = s
        .get_admin("/api/events/WA/ratings")
        .await
        .text()
        .await
        .unwrap();
    let ratings: serde_json::Value = serde_json::from_str(&ratings).unwrap();
    assert_eq!(ratings[1]["phone"], "+4•••••0999", "{ratings}");
    assert_eq!(ratings[1]["channel"], "whatsapp");
    assert_eq!(ratings[0]["channel"], "sms");
    let csv = s
        .get_admin("/api/events/WA/ratings.csv")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        csv.contains("\"4•••••0999\",5,") && csv.ends_with(",\"whatsapp\"\r\n"),
        "{csv}"
    );
    for text in [&ratings.to_string(), &csv] {
        assert!(!text.contains("7700900"), "numbers masked: {text}");
    }
    let reach = &s.results("WA").await["reach"];
    assert_eq!(
        (reach["sms"].as_u64(), reach["whatsapp"].as_u64()),
        (Some(1), Some(1))
    );
    s.stop().await;
}
both_backends!(texting_whatsapp, whatsapp_senders_vote_like_sms);

fn call_params(call_sid: &str, from: &str, digits: Option<&str>) -> Vec<(&'static str, String)> {
    let mut params = vec![
        ("AccountSid", "AC00000000000000000000000000000000".into()),
        ("ApiVersion", "2010-04-01".into()),
        ("CallSid", call_sid.into()),
        ("CallStatus", "in-progress".into()),
        ("Direction", "inbound".into()),
        ("From", from.into()),
        ("To", NUMBER.into()),
        // A caller ID its carrier attested (calls without it are held: `caller_id`).
        ("StirVerstat", "TN-Validation-Passed-A".into()),
    ];
    if let Some(digits) = digits {
        params.push(("Digits", digits.into()));
    }
    params
}

async fn voice(s: &TestServer, path: &str, sid: &str, from: &str, digits: Option<&str>) -> String {
    let params = call_params(sid, from, digits);
    let params: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (status, twiml) = signed(s, path, &params).await;
    assert_eq!(status, 200, "{twiml}");
    twiml
}

async fn vote_by_phone_call(db: TestDb) {
    let s = TestServer::start(&db.location).await;
    add(&s, "CALL", Some(NUMBER)).await;
    let caller = "+14155550005";
    let greeting = voice(&s, "/voice", "CA1", caller, None).await;
    assert!(
        greeting.contains(r#"<Gather numDigits="1" action="/voice/rate"><Say>"#)
            && greeting.contains("CALL Conf")
            && greeting.ends_with("<Hangup/></Response>"),
        "{greeting}"
    );
    let thanks = voice(&s, "/voice/rate", "CA1", caller, Some("4")).await;
    assert!(
        thanks.contains("Your rating of 4 for CALL Conf is recorded")
            && thanks.ends_with("<Hangup/></Response>"),
        "{thanks}"
    );
    let r = s.results("CALL").await;
    assert_eq!(
        (r["count"].as_u64(), r["average"].as_f64()),
        (Some(1), Some(4.0))
    );
    assert_eq!(r["reach"]["voice"], 1);
    // The Gather action again (a retry): same words, no second effect.
    assert_eq!(
        voice(&s, "/voice/rate", "CA1", caller, Some("4")).await,
        thanks
    );
    // An invalid key re-prompts once, then ends.
    let again = voice(&s, "/voice/rate", "CA2", caller, Some("9")).await;
    assert!(again.contains(r#"action="/voice/rate?retry=1""#), "{again}");
    let bye = voice(&s, "/voice/rate?retry=1", "CA2", caller, Some("9")).await;
    assert!(
        bye.contains("not a rating") && !bye.contains("Gather"),
        "{bye}"
    );
    // A second call replaces the vote; a text from the same phone counts together with it.
    let replaced = voice(&s, "/voice/rate", "CA3", caller, Some("2")).await;
    assert!(
        replaced.contains("replaces your earlier vote"),
        "{replaced}"
    );
    let r = s.results("CALL").await;
    assert_eq!(
        (r["count"].as_u64(), r["average"].as_f64()),
        (Some(1), Some(2.0))
    );
    let (_, reply) = s.sms("SMc1", caller, "5").await;
    assert!(reply.contains("replaces"), "{reply}");
    voice(&s, "/voice/rate", "CA4", "+14155550006", Some("1")).await;
    let csv = s
        .get_admin("/api/events/CALL/ratings.csv")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        csv.contains(",\"sms\"\r\n") && csv.contains(",\"voice\"\r\n"),
        "{csv}"
    );
    // Hidden caller IDs cannot vote (every one would be the same "phone").
    let hidden = voice(&s, "/voice", "CA5", "+266696687", None).await;
    assert!(
        hidden.contains("not") && !hidden.contains("Gather"),
        "{hidden}"
    );
    // A closed event says so and asks for nothing.
    s.store.close_event("CALL".parse().unwrap()).await.unwrap();
    let closed = voice(&s, "/voice", "CA6", caller, None).await;
    assert!(
        closed.contains("closed") && !closed.contains("Gather"),
        "{closed}"
    );
    let late = voice(&s, "/voice/rate", "CA7", caller, Some("3")).await;
    assert!(late.contains("closed"), "{late}");
    assert_eq!(s.results("CALL").await["count"], 2);
    // Unsigned or forged: refused before anything runs.
    let params = call_params("CA8", caller, Some("5"));
    let params: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let forged = s
        .client
        .post(format!("{}/voice/rate", s.base))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("x-twilio-signature", s.sign(&params))
        .body(form(&params))
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 403, "signed for /sms, sent to /voice/rate");
    s.stop().await;
}
both_backends!(texting_voice, vote_by_phone_call);

/// A signed `/voice/rate` for the key `digits` from `from`, with Twilio's SHAKEN/STIR
/// verdict on the caller ID (`None`: no `StirVerstat`, as outside North America).
async fn call_with_verdict(
    s: &TestServer,
    sid: &str,
    from: &str,
    digits: &str,
    verdict: Option<&str>,
) -> String {
    let mut params = call_params(sid, from, Some(digits));
    params.retain(|(name, _)| *name != "StirVerstat");
    if let Some(verdict) = verdict {
        params.push(("StirVerstat", verdict.into()));
    }
    let params: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (status, twiml) = signed(s, "/voice/rate", &params).await;
    assert_eq!(status, 200, "{twiml}");
    twiml
}

/// Caller ID is chosen by the caller: a call counts, or replaces another channel's vote,
/// only when Twilio reports a passed attestation; the others are kept apart (and shown to
/// the organiser) until the organiser chooses to count unverified calls.
async fn unattested_calls_are_held_apart(db: TestDb) {
    let s = TestServer::start(&db.location).await;
    add(&s, "STIR", Some(NUMBER)).await;
    let voter = "+14155550012";
    let (_, reply) = s.sms("SMv1", voter, "5").await;
    assert!(reply.contains("5/5"), "{reply}");
    // A call "from" the voter's number that failed attestation presses 1.
    let forged = call_with_verdict(&s, "CAv1", voter, "1", Some("TN-Validation-Failed-A")).await;
    let r = s.results("STIR").await;
    assert_eq!(
        (r["count"].as_u64(), r["average"].as_f64()),
        (Some(1), Some(5.0)),
        "the unattested call replaced the texted 5: {r}"
    );
    assert!(forged.contains("could not be verified"), "{forged}");
    // Ten calls from invented numbers without attestation (none sent, or no validation).
    for i in 0..10 {
        let verdict = (i % 2 == 1).then_some("No-TN-Validation");
        let from = format!("+1415555{:04}", 2000 + i);
        call_with_verdict(&s, &format!("CAv1{i}"), &from, "1", verdict).await;
    }
    let r = s.results("STIR").await;
    assert_eq!(r["count"], 1, "unattested calls were counted: {r}");
    assert_eq!(r["reach"]["held_calls"], 11, "{r}");
    // An attested call from the voter replaces the text, as any vote of theirs.
    let own = call_with_verdict(&s, "CAv2", voter, "2", Some("TN-Validation-Passed-C")).await;
    assert!(own.contains("replaces your earlier vote"), "{own}");
    assert_eq!(s.results("STIR").await["average"], 2.0);
    // The organiser sees the held calls and may choose to count unverified calls.
    let organiser = crate::manage::Organiser::sign_in(&s).await;
    let page = organiser.get("/events/STIR/manage").await;
    assert!(page.contains("11 call votes held"), "{page}");
    let counted = organiser
        .post("/events/STIR/calls", &[("action", "count")])
        .await;
    assert_eq!(counted.status(), 303);
    let now = call_with_verdict(&s, "CAv3", "+14155552999", "4", None).await;
    assert!(now.contains("is recorded"), "{now}");
    let r = s.results("STIR").await;
    assert_eq!(
        (r["count"].as_u64(), r["reach"]["held_calls"].as_u64()),
        (Some(2), Some(11))
    );
    s.stop().await;
}
both_backends!(texting_caller_id, unattested_calls_are_held_apart);

/// The `twilio-webhook` binary beside ours (built by `cargo test --workspace`).
fn send_binary() -> Option<std::path::PathBuf> {
    let ours = std::path::PathBuf::from(env!("CARGO_BIN_EXE_sms-ratings"));
    let theirs = ours.with_file_name(format!("twilio-webhook{}", std::env::consts::EXE_SUFFIX));
    theirs.exists().then_some(theirs)
}

/// `twilio-webhook send URL ARGS…` (as Twilio, following the TwiML); its stdout.
fn send(url: &str, args: &[&str]) -> String {
    let Some(binary) = send_binary() else {
        unreachable!("checked by the caller");
    };
    let out = std::process::Command::new(binary)
        .args(["send", url, "--from", "+14155550007", "--to", NUMBER])
        .args(args)
        .env("TWILIO_AUTH_TOKEN", TOKEN)
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn call_flow_with_the_send_binary() {
    if send_binary().is_none() {
        eprintln!(
            "skipping call_flow_with_the_send_binary: no twilio-webhook binary beside \
             sms-ratings (cargo test --workspace builds it)"
        );
        return;
    }
    let db = TestDb::sqlite();
    let s = TestServer::start(&db.location).await;
    add(&s, "SEND", Some(NUMBER)).await;
    let voice_url = format!("{}/voice", s.base);
    let rate_url = format!("{}/voice/rate", s.base);
    let run = |url: String, args: &'static [&'static str]| {
        tokio::task::spawn_blocking(move || send(&url, args))
    };
    // The call: greeting, Gather, key 4 posted to the action, thanks, hang-up.
    let call = run(voice_url.clone(), &["--kind", "call", "--digits", "4"])
        .await
        .unwrap();
    assert!(
        call.contains("press a key") && call.contains("is recorded"),
        "{call}"
    );
    let r = s.results("SEND").await;
    assert_eq!(
        (r["count"].as_u64(), r["average"].as_f64()),
        (Some(1), Some(4.0))
    );
    // A second call: 9 re-prompts, then 2 replaces the vote.
    let call = run(voice_url, &["--kind", "call", "--digits", "9,2"])
        .await
        .unwrap();
    assert!(
        call.contains("That is not a rating") && call.contains("replaces"),
        "{call}"
    );
    let r = s.results("SEND").await;
    assert_eq!(
        (r["count"].as_u64(), r["average"].as_f64()),
        (Some(1), Some(2.0))
    );
    // The Gather action on its own, as --kind gather sends it.
    let gather = run(rate_url, &["--kind", "gather", "--body", "5"])
        .await
        .unwrap();
    assert!(gather.contains("replaces"), "{gather}");
    assert_eq!(s.results("SEND").await["average"], 5.0);
    s.stop().await;
}

/// `serve --demo` prints the webhook and Voice URLs and commands to try them: they work.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_prints_commands_that_work() {
    let Some(send) = send_binary() else {
        eprintln!("skipping demo_prints_commands_that_work: no twilio-webhook binary");
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let port = crate::support::free_port();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_sms-ratings"));
    child
        .args(["serve", "--demo", "--listen", &format!("127.0.0.1:{port}")])
        .env("TMPDIR", tmp.path())
        .env("NO_COLOR", "1")
        .env_remove("DATABASE_URL")
        .env_remove("TWILIO_AUTH_TOKEN")
        .env_remove("PUBLIC_URL")
        .env_remove("ADMIN_PASSWORD")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null());
    let mut server = crate::support::KillOnDrop(child.spawn().unwrap());
    let stdout = server.0.stdout.take().unwrap();
    let printed = tokio::task::spawn_blocking(move || {
        use std::io::BufRead;
        let mut lines = Vec::new();
        for line in std::io::BufReader::new(stdout).lines() {
            let line = line.unwrap();
            let done = line.starts_with("Stop with Ctrl-C");
            lines.push(line);
            if done {
                break;
            }
        }
        lines
    })
    .await
    .unwrap();
    let text = printed.join("\n");
    assert!(
        text.contains(&format!("http://127.0.0.1:{port}/voice")),
        "{text}"
    );
    // Prebuilt binaries (no `cargo run` compiling in silence), the token through
    // the environment, a different phone for the call.
    assert!(
        !text.contains("cargo run") && !text.contains("--token"),
        "{text}"
    );
    let export = printed
        .iter()
        .find(|l| l.starts_with("  export TWILIO_AUTH_TOKEN="))
        .unwrap_or_else(|| panic!("{text}"))
        .trim()
        .to_owned();
    let commands: Vec<String> = printed
        .iter()
        .filter(|l| l.contains(" send "))
        .map(|l| l.trim().to_owned())
        .collect();
    assert_eq!(commands.len(), 2, "{text}");
    assert!(
        commands[0].starts_with(&send.display().to_string()),
        "{text}"
    );
    // Run as printed, the way a person pastes them: the `export` line, then each command.
    for (command, expect) in commands.iter().zip(["5/5", "Your rating of 4"]) {
        let script = format!("{export}\n{command}\n");
        let out = tokio::task::spawn_blocking(move || {
            std::process::Command::new("sh")
                .args(["-c", &script])
                .env("NO_COLOR", "1")
                .env_remove("TWILIO_AUTH_TOKEN")
                .output()
                .unwrap()
        })
        .await
        .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success() && stdout.contains(expect) && !stdout.contains("replaces"),
            "{command}\n{stdout}"
        );
    }
}

/// Migration 3 on a database of version 1 (votes kept, channel `sms`), a version recorded by a
/// newer build refused.
#[tokio::test]
async fn migration_3_upgrades_and_newer_schemas_are_refused() {
    let db = TestDb::sqlite();
    {
        let conn = rusqlite::Connection::open(&db.location).unwrap();
        conn.execute_batch(
            "CREATE TABLE schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL,
                 applied_at BIGINT NOT NULL);
             INSERT INTO schema_migrations VALUES (1, 'v1', 0);
             CREATE TABLE events (id INTEGER PRIMARY KEY, code TEXT NOT NULL UNIQUE,
                 name TEXT NOT NULL, number TEXT, opens BIGINT, closes BIGINT,
                 closed BOOLEAN NOT NULL DEFAULT FALSE, created_at BIGINT NOT NULL);
             CREATE TABLE ratings (event_id BIGINT NOT NULL, phone TEXT NOT NULL,
                 rating SMALLINT NOT NULL, comment TEXT NOT NULL DEFAULT '',
                 message_sid TEXT NOT NULL UNIQUE, votes INTEGER NOT NULL DEFAULT 1,
                 created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL,
                 PRIMARY KEY (event_id, phone));
             CREATE TABLE processed_messages (message_sid TEXT PRIMARY KEY, reply TEXT NOT NULL,
                 created_at BIGINT NOT NULL);
             INSERT INTO events VALUES (1, 'OLD', 'Old', NULL, NULL, NULL, FALSE, 0);
             INSERT INTO ratings VALUES (1, '+14155550100', 4, '', 'SM1', 1, 0, 0);
             INSERT INTO ratings VALUES (1, 'whatsapp:+14155550101', 2, '', 'SM2', 1, 0, 0);",
        )
        .unwrap();
    }
    let store = db.open().await;
    let rows = store
        .ratings("OLD".parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    let channels: Vec<&str> = rows.iter().map(|r| r.channel.as_str()).collect();
    assert_eq!(channels, ["sms", "whatsapp"]);
    assert_eq!(
        store
            .results("OLD".parse().unwrap())
            .await
            .unwrap()
            .unwrap()
            .count,
        2
    );
    store.close().await;
    rusqlite::Connection::open(&db.location)
        .unwrap()
        .execute(
            "INSERT INTO schema_migrations VALUES (999, 'future', 0)",
            [],
        )
        .unwrap();
    let refused = sms_ratings::store::open(&db.location).await;
    assert!(
        matches!(refused, Err(sms_ratings::store::StoreError::Corrupt(ref why)) if why.contains("999")),
        "{:?}",
        refused.err()
    );
}
