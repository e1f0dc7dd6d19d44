//! `send` following the TwiML over real HTTP: redirects, message status callbacks, an IVR,
//! a redirect loop; every request's signature checked by the library.

use super::bot::{Bot, Hit};
use super::{TOKEN, args, send, stdout};

const HOST: &str = "http://{host}";

fn all_signed(hits: &[Hit]) {
    assert!(!hits.is_empty());
    for hit in hits {
        assert!(hit.signed, "unsigned or badly signed: {hit:?}");
    }
}

fn paths(hits: &[Hit]) -> Vec<&str> {
    hits.iter().map(|h| h.path.as_str()).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn sms_reply_with_a_redirect_is_followed() {
    let bot = Bot::start(
        TOKEN,
        HOST,
        &[
            (
                "/sms",
                "<Response><Message>First</Message><Redirect>next?step=2</Redirect>\
                 <Message>never sent</Message></Response>",
            ),
            (
                "/next",
                r#"<Response><Message>Second &amp; last<Media>https://x.test/a.png</Media></Message></Response>"#,
            ),
        ],
    )
    .await;
    let out = send(TOKEN, args(&[&bot.url("/sms"), "--body", "hello bot"])).await;
    let text = stdout(&out);
    assert!(out.status.success(), "{text}");
    let first = text.find("bot: First").expect(&text);
    let second = text.find("bot: Second & last").expect(&text);
    assert!(first < second, "{text}");
    assert!(text.contains("you: hello bot"), "{text}");
    assert!(text.contains("[media] https://x.test/a.png"), "{text}");
    assert!(!text.contains("bot: never sent"), "{text}");
    let hits = bot.hits();
    all_signed(&hits);
    assert_eq!(paths(&hits), ["/sms", "/next"]);
    // Twilio re-sends the same inbound message to the redirect.
    assert_eq!(hits[0].params, hits[1].params);
    assert!(hits[0].get("MessageSid").unwrap().starts_with("SM"));
}

#[tokio::test(flavor = "multi_thread")]
async fn message_status_callbacks_arrive_signed_and_in_order() {
    let bot = Bot::start(
        TOKEN,
        HOST,
        &[(
            "/sms",
            r#"<Response><Message statusCallback="/status?m=1">Thanks!</Message></Response>"#,
        )],
    )
    .await;
    let from = "+14155550123";
    let out = send(TOKEN, args(&[&bot.url("/sms"), "--from", from])).await;
    assert!(out.status.success(), "{}", stdout(&out));
    let hits = bot.hits();
    all_signed(&hits);
    assert_eq!(paths(&hits), ["/sms", "/status", "/status", "/status"]);
    let statuses: Vec<_> = hits[1..].iter().map(|h| h.get("MessageStatus")).collect();
    assert_eq!(statuses, [Some("queued"), Some("sent"), Some("delivered")]);
    let inbound = &hits[0];
    let reply_sid = hits[1].get("MessageSid").unwrap();
    assert_ne!(Some(reply_sid), inbound.get("MessageSid"));
    for cb in &hits[1..] {
        assert_eq!(cb.get("MessageSid"), Some(reply_sid));
        assert_eq!(cb.get("AccountSid"), inbound.get("AccountSid"));
        // The reply goes back to the sender from the number that received the text.
        assert_eq!(cb.get("To"), Some(from));
        assert_eq!(cb.get("From"), inbound.get("To"));
        assert_eq!(cb.get("ErrorCode"), None);
    }

    // --fail-status: the last callback says so, with an error code.
    let out = send(
        TOKEN,
        args(&[&bot.url("/sms"), "--fail-status", "undelivered", "--json"]),
    )
    .await;
    assert!(out.status.success(), "{}", stdout(&out));
    let last = bot.hits().pop().unwrap();
    assert_eq!(last.get("MessageStatus"), Some("undelivered"));
    assert_eq!(last.get("ErrorCode"), Some("30003"));
    // --json: one JSON object per line, each request and answer.
    let events: Vec<serde_json::Value> = stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).expect(l))
        .collect();
    let requests = events.iter().filter(|e| e["event"] == "request").count();
    let answers = events.iter().filter(|e| e["event"] == "answer").count();
    assert_eq!((requests, answers), (4, 4), "{events:?}");
    assert_eq!(events[0]["purpose"], "webhook");
    assert_eq!(events.last().unwrap()["event"], "end");
    assert_eq!(events.last().unwrap()["ok"], true);
}

const MENU: &str = r#"<Response>
  <Gather action="/menu" numDigits="1" timeout="3"><Say>Rate the talk from 1 to 5.</Say></Gather>
  <Say>We did not get that.</Say>
</Response>"#;
const CONFIRM: &str = r#"<Response>
  <Gather action="confirm" method="GET"><Say>You pressed 4. Press 1 then hash to confirm.</Say></Gather>
  <Redirect>/voice</Redirect>
</Response>"#;
const BYE: &str =
    "<Response><Say>Thank you, goodbye.</Say><Hangup/><Say>unreachable</Say></Response>";

#[tokio::test(flavor = "multi_thread")]
async fn ivr_with_two_nested_gathers_ends_in_a_status_callback() {
    let bot = Bot::start(
        TOKEN,
        HOST,
        &[("/voice", MENU), ("/menu", CONFIRM), ("/confirm", BYE)],
    )
    .await;
    let out = send(
        TOKEN,
        args(&[
            &bot.url("/voice"),
            "--kind",
            "call",
            "--digits",
            "4,1#",
            "--status-callback",
            "/call-status",
        ]),
    )
    .await;
    let text = stdout(&out);
    assert!(out.status.success(), "{text}");
    let hits = bot.hits();
    all_signed(&hits);
    assert_eq!(
        paths(&hits),
        ["/voice", "/menu", "/confirm", "/call-status"],
        "{text}"
    );
    assert_eq!(hits[0].get("CallStatus"), Some("ringing"));
    assert_eq!(hits[1].get("CallStatus"), Some("in-progress"));
    assert_eq!(hits[1].get("Digits"), Some("4"));
    assert_eq!(hits[1].get("FinishedOnKey"), Some(""));
    assert_eq!(hits[2].method, "GET");
    assert_eq!(hits[2].get("Digits"), Some("1"));
    assert_eq!(hits[2].get("FinishedOnKey"), Some("#"));
    assert_eq!(hits[3].get("CallStatus"), Some("completed"));
    assert_eq!(hits[3].get("Digits"), None);
    // One call: the same SID, account and parties throughout.
    for hit in &hits[1..] {
        for name in ["CallSid", "AccountSid", "From", "To"] {
            assert_eq!(hit.get(name), hits[0].get(name), "{name}");
        }
    }
    for said in [
        "Rate the talk from 1 to 5.",
        "You pressed 4.",
        "Thank you, goodbye.",
    ] {
        assert!(text.contains(said), "{said}: {text}");
    }
    assert!(
        !text.contains("say unreachable") && !text.contains("say We did not get"),
        "{text}"
    );

    // No input: the Gather times out and the next verb runs; then the call ends.
    let out = send(
        TOKEN,
        args(&[&bot.url("/voice"), "--kind", "call", "--digits", ""]),
    )
    .await;
    let text = stdout(&out);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("no input within 3 s"), "{text}");
    assert!(text.contains("We did not get that."), "{text}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_redirect_loop_stops_at_the_step_limit() {
    let bot = Bot::start(
        TOKEN,
        HOST,
        &[(
            "/loop",
            "<Response><Redirect method=\"GET\">/loop</Redirect></Response>",
        )],
    )
    .await;
    let out = send(TOKEN, args(&[&bot.url("/loop"), "--max-steps", "5"])).await;
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("step limit reached: 5 requests"), "{text}");
    let hits = bot.hits();
    all_signed(&hits);
    assert_eq!(hits.len(), 5);
    assert_eq!(hits[4].method, "GET");
}

#[tokio::test(flavor = "multi_thread")]
async fn public_url_redirects_and_recorded_params() {
    let public = "https://hooks.example.com/base";
    let bot = Bot::start(
        TOKEN,
        public,
        &[
            (
                "/call",
                r#"<Response><Record action="saved" maxLength="20"/></Response>"#,
            ),
            (
                "/saved",
                r#"<Response><Dial action="dialled">+15550100</Dial></Response>"#,
            ),
            ("/dialled", "<Response><Reject reason=\"busy\"/></Response>"),
        ],
    )
    .await;
    let dir = std::env::temp_dir().join(format!("twh-flow-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("call.json");
    let recorded = serde_json::json!({
        "CallSid": "CA0123456789abcdef0123456789abcdef",
        "AccountSid": "AC0123456789abcdef0123456789abcdef",
        "From": "+15551230000", "To": "+15559870000", "CallStatus": "ringing",
        "Direction": "inbound", "ApiVersion": "2010-04-01"
    });
    std::fs::write(&file, recorded.to_string()).unwrap();
    let out = send(
        TOKEN,
        args(&[
            &bot.url("/call"),
            "--public-url",
            &format!("{public}/call"),
            "--params-file",
            file.to_str().unwrap(),
            // Relative to the public URL: https://hooks.example.com/base/status.
            "--status-callback",
            "status",
        ]),
    )
    .await;
    let text = stdout(&out);
    assert!(out.status.success(), "{text}");
    let hits = bot.hits();
    all_signed(&hits);
    assert_eq!(paths(&hits), ["/call", "/saved", "/dialled", "/status"]);
    assert_eq!(
        hits[0].get("CallSid"),
        Some("CA0123456789abcdef0123456789abcdef")
    );
    assert!(
        hits[1]
            .get("RecordingUrl")
            .unwrap()
            .contains("/Recordings/RE")
    );
    assert_eq!(hits[2].get("DialCallStatus"), Some("completed"));
    assert_eq!(hits[3].get("CallStatus"), Some("busy"));
    for hit in &hits {
        assert_eq!(hit.get("CallSid"), hits[0].get("CallSid"));
        assert_eq!(hit.get("From"), Some("+15551230000"));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_twiml_mid_flow_fails_the_run() {
    let bot = Bot::start(
        TOKEN,
        HOST,
        &[
            ("/sms", "<Response><Redirect>/broken</Redirect></Response>"),
            ("/broken", "<Response><Message>oops</Response>"),
        ],
    )
    .await;
    let out = send(TOKEN, args(&[&bot.url("/sms"), "--json"])).await;
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    let text = stdout(&out);
    assert!(text.contains("\"twiml_error\""), "{text}");
    assert_eq!(bot.hits().len(), 2);
}
