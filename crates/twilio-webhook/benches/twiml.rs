//! TwiML rendering: ns per document for a typical SMS reply and a Gather menu, each beside a
//! baseline in the same run — the same bytes produced by one `format!` with the values
//! already known to need no escaping (the least work any correct renderer can do).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use twilio_webhook::twiml::{
    Gather, GatherInput, Language, MessagingResponse, Say, Voice, VoiceResponse,
};

fn message_reply(name: &str, choice: u32) -> String {
    MessagingResponse::new()
        .message(format!(
            "Thanks {name}! Your vote for #{choice} is counted. Reply STOP to opt out."
        ))
        .to_xml()
        .unwrap()
}

fn message_baseline(name: &str, choice: u32) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><Response><Message>Thanks {name}! Your vote for #{choice} is counted. Reply STOP to opt out.</Message></Response>"#
    )
}

fn gather_menu(action: &str) -> String {
    gather_document(action).to_xml().unwrap()
}

fn gather_document(action: &str) -> VoiceResponse {
    VoiceResponse::new()
        .gather(
            Gather::new()
                .input([GatherInput::Dtmf, GatherInput::Speech])
                .num_digits(1)
                .timeout(5)
                .action(action)
                .language(Language::EnUs)
                .say(Say::new("Welcome to the rating line.").voice(Voice::polly("Joanna-Neural")))
                .say("Press 1 to rate the talk, press 2 to rate the venue, or press 9 to hear this menu again."),
        )
        .say("We did not receive any input. Goodbye!")
        .redirect("/voice/menu")
}

fn gather_baseline(action: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><Response><Gather input="dtmf speech" numDigits="1" timeout="5" action="{action}" language="en-US"><Say voice="Polly.Joanna-Neural">Welcome to the rating line.</Say><Say>Press 1 to rate the talk, press 2 to rate the venue, or press 9 to hear this menu again.</Say></Gather><Say>We did not receive any input. Goodbye!</Say><Redirect>/voice/menu</Redirect></Response>"#
    )
}

fn bench(c: &mut Criterion) {
    // The builder must produce exactly the baseline's bytes, or the comparison is void.
    assert_eq!(message_reply("Ana", 3), message_baseline("Ana", 3));
    assert_eq!(
        gather_menu("/voice/choice?event=42"),
        gather_baseline("/voice/choice?event=42")
    );

    let mut g = c.benchmark_group("message_reply");
    g.bench_function("twiml_builder", |b| {
        b.iter(|| message_reply(black_box("Ana"), black_box(3)))
    });
    g.bench_function("format_baseline", |b| {
        b.iter(|| message_baseline(black_box("Ana"), black_box(3)))
    });
    g.finish();

    let mut g = c.benchmark_group("gather_menu");
    g.bench_function("twiml_builder", |b| {
        b.iter(|| gather_menu(black_box("/voice/choice?event=42")))
    });
    g.bench_function("format_baseline", |b| {
        b.iter(|| gather_baseline(black_box("/voice/choice?event=42")))
    });
    // Rendering alone: the document built once, written into one reused buffer.
    let doc = gather_document("/voice/choice?event=42");
    let mut buf = String::with_capacity(512);
    g.bench_function("render_only_reused_buffer", |b| {
        b.iter(|| {
            buf.clear();
            black_box(&doc).write_xml(&mut buf).unwrap();
            black_box(buf.len())
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
