//! A voice call: what the caller hears, in order; `<Gather>` input from the keypad; the
//! actions of `<Gather>`, `<Dial>` and `<Record>`; `<Redirect>`, `<Hangup>`, `<Reject>`; and
//! the call's status callback when it ends.
//!
//! Every request after the first carries the same call fields with `CallStatus=in-progress`,
//! plus the verb's own results, as Twilio sends them.

use super::keypad::{self, Input, Keypad};
use super::{Flow, Start};
use crate::send::fake::{get, replaced};
use crate::send::random_hex;
use crate::send::twilio::{Method, Payload};
use crate::send::twiml::{Dial, Gather, Record, Verb};
use crate::send::urls::Place;
use crate::send::view::Purpose;

/// One TwiML request of the call.
struct Hop {
    purpose: Purpose,
    method: Method,
    place: Place,
    /// The verb's results (`Digits`, `DialCallStatus`, …) on top of the call fields.
    extra: Vec<(String, String)>,
}

/// How the call is going.
struct Call {
    /// The call fields of the first webhook.
    fields: Vec<(String, String)>,
    /// Seconds the caller has spent, as Twilio would count them (speech, pauses, input).
    seconds: u32,
    /// The `CallStatus` it ends with.
    end: &'static str,
}

/// What to do after a verb.
enum Next {
    /// The next verb of the document.
    Continue,
    /// A new document.
    Fetch(Hop),
    /// The call is over.
    End,
}

/// Walks the call that starts with `start`, taking input from `keypad`.
pub(crate) async fn call(flow: &mut Flow<'_>, start: Start, keypad: &mut dyn Keypad) {
    let Start {
        kind,
        method,
        place,
        params: first_params,
        ..
    } = start;
    let first = place.clone();
    let mut fields = first_params.clone();
    // A `--kind gather` start carries a Gather's results; later requests carry their own.
    fields.retain(|(name, _)| name != "Digits" && name != "FinishedOnKey");
    let mut call = Call {
        fields,
        seconds: 0,
        end: "completed",
    };
    let mut next = Some(Hop {
        purpose: Purpose::Webhook,
        method,
        place,
        extra: Vec::new(),
    });
    'documents: while let Some(hop) = next.take() {
        let params = if hop.purpose == Purpose::Webhook {
            first_params.clone()
        } else {
            let mut changes = vec![("CallStatus".to_owned(), "in-progress".to_owned())];
            changes.extend(hop.extra);
            replaced(&call.fields, &changes)
        };
        let payload = Payload::Form(&params);
        let doc = flow.twiml(kind, hop.purpose, hop.method, &hop.place, payload);
        let Some(doc) = doc.await else {
            break;
        };
        for verb in doc.verbs {
            match step(flow, &mut call, &hop.place, verb, keypad) {
                Next::Continue => {}
                Next::Fetch(hop) => {
                    next = Some(hop);
                    continue 'documents;
                }
                Next::End => break 'documents,
            }
        }
        flow.view.voice("hangup", "no more verbs: Twilio hangs up");
    }
    status_callback(flow, &call, &first).await;
}

/// Does `verb`, read at `at`.
fn step(
    flow: &mut Flow<'_>,
    call: &mut Call,
    at: &Place,
    verb: Verb,
    keypad: &mut dyn Keypad,
) -> Next {
    match verb {
        Verb::Gather(g) => gather(flow, call, at, &g, keypad),
        Verb::Redirect(r) => hop(flow, at, Some(&r.url), r.method, Purpose::Redirect, vec![]),
        Verb::Hangup => {
            flow.view.voice("hangup", "");
            Next::End
        }
        Verb::Reject { busy } => {
            // Twilio ends a rejected call as `busy` or `no-answer`, by its reason.
            call.end = if busy { "busy" } else { "no-answer" };
            flow.view.voice("reject", call.end);
            Next::End
        }
        Verb::Dial(d) => dial(flow, call, at, &d),
        Verb::Record(r) => record(flow, call, at, &r),
        other => {
            hear(flow, call, &other);
            Next::Continue
        }
    }
}

/// `<Say>`, `<Play>`, `<Pause>` (also inside a `<Gather>`); other verbs are reported.
fn hear(flow: &mut Flow<'_>, call: &mut Call, verb: &Verb) {
    match verb {
        Verb::Say { text, times } => {
            let times = match times {
                0 => " (repeated until the call ends)".to_owned(),
                1 => String::new(),
                n => format!(" (×{n})"),
            };
            // About two and a half words a second.
            let words = u32::try_from(text.split_whitespace().count()).unwrap_or(u32::MAX);
            call.seconds = call.seconds.saturating_add(words.div_ceil(2).max(1));
            flow.view.voice("say", &format!("{text}{times}"));
        }
        Verb::Play { url, digits } => {
            call.seconds = call.seconds.saturating_add(3);
            match digits {
                Some(d) => flow.view.voice("play", &format!("DTMF {d}")),
                None => flow.view.voice("play", url),
            }
        }
        Verb::Pause(seconds) => {
            call.seconds = call.seconds.saturating_add(*seconds);
            flow.view.voice("pause", &format!("{seconds} s"));
        }
        other => flow.view.note(&format!(
            "<{}> is not followed by send: skipped",
            other.name()
        )),
    }
}

fn gather(
    flow: &mut Flow<'_>,
    call: &mut Call,
    at: &Place,
    g: &Gather,
    keypad: &mut dyn Keypad,
) -> Next {
    for prompt in &g.prompts {
        hear(flow, call, prompt);
    }
    // Input may wait for a person at the keyboard: let the runtime know this thread blocks.
    let input = tokio::task::block_in_place(|| keypad::gather(keypad, g));
    let extra = match input {
        Some(Input::Digits {
            digits,
            finished_on_key,
        }) => {
            flow.view
                .voice("keys", &format!("{digits}{finished_on_key}"));
            let secs = u32::try_from(digits.len()).unwrap_or(u32::MAX);
            call.seconds = call.seconds.saturating_add(secs);
            vec![
                pair("Digits", &digits),
                pair("FinishedOnKey", &finished_on_key),
            ]
        }
        Some(Input::Speech(text)) => {
            flow.view.voice("speech", &text);
            call.seconds = call.seconds.saturating_add(2);
            vec![pair("SpeechResult", &text), pair("Confidence", "0.92")]
        }
        None if g.action_on_empty_result => vec![pair("Digits", "")],
        None => {
            call.seconds = call.seconds.saturating_add(g.timeout);
            flow.view.note(&format!(
                "no input within {} s: on to the next verb",
                g.timeout
            ));
            return Next::Continue;
        }
    };
    hop(
        flow,
        at,
        g.action.as_deref(),
        g.method,
        Purpose::Gather,
        extra,
    )
}

fn dial(flow: &mut Flow<'_>, call: &mut Call, at: &Place, d: &Dial) -> Next {
    flow.view
        .voice("dial", &format!("{} (answered, 30 s)", d.target));
    call.seconds = call.seconds.saturating_add(30);
    let Some(action) = &d.action else {
        // Without an action the call goes on with the next verb.
        return Next::Continue;
    };
    let sid = match random_hex(16) {
        Ok(hex) => format!("CA{hex}"),
        Err(e) => {
            flow.fail(&format!("random source: {e}"));
            return Next::End;
        }
    };
    let extra = vec![
        pair("DialCallStatus", "completed"),
        pair("DialCallSid", &sid),
        pair("DialCallDuration", "30"),
        pair("DialBridged", "true"),
    ];
    hop(
        flow,
        at,
        Some(&action.url),
        action.method,
        Purpose::Dial,
        extra,
    )
}

fn record(flow: &mut Flow<'_>, call: &mut Call, at: &Place, r: &Record) -> Next {
    let seconds = r.max_length.min(7);
    flow.view
        .voice("record", &format!("{seconds} s, ended with #"));
    call.seconds = call.seconds.saturating_add(seconds);
    let sid = match random_hex(16) {
        Ok(hex) => format!("RE{hex}"),
        Err(e) => {
            flow.fail(&format!("random source: {e}"));
            return Next::End;
        }
    };
    let account = get(&call.fields, "AccountSid").unwrap_or_default();
    let url = format!("https://api.twilio.com/2010-04-01/Accounts/{account}/Recordings/{sid}");
    let extra = vec![
        pair("RecordingUrl", &url),
        pair("RecordingSid", &sid),
        pair("RecordingDuration", &seconds.to_string()),
        pair("Digits", "#"),
    ];
    hop(
        flow,
        at,
        r.action.as_deref(),
        r.method,
        Purpose::Record,
        extra,
    )
}

/// The next document: `url` (none: the current one) read at `at`.
fn hop(
    flow: &mut Flow<'_>,
    at: &Place,
    url: Option<&str>,
    method: Method,
    purpose: Purpose,
    extra: Vec<(String, String)>,
) -> Next {
    match flow.follow(at, url) {
        Some(place) => Next::Fetch(Hop {
            purpose,
            method,
            place,
            extra,
        }),
        None => Next::End,
    }
}

/// `--status-callback`, told how the call ended.
async fn status_callback(flow: &mut Flow<'_>, call: &Call, first: &Place) {
    let Some(url) = flow.rules.status_callback.clone() else {
        return;
    };
    let Some(place) = flow.follow(first, Some(&url)) else {
        return;
    };
    let seconds = call.seconds.to_string();
    let minutes = call.seconds.div_ceil(60).max(1).to_string();
    let changes = [
        pair("CallStatus", call.end),
        pair("CallDuration", &seconds),
        pair("Duration", &minutes),
        pair("CallbackSource", "call-progress-events"),
        pair("SequenceNumber", "0"),
    ];
    let params = replaced(&call.fields, &changes);
    flow.callback(Purpose::CallStatus, Method::Post, &place, &params)
        .await;
}

fn pair(name: &str, value: &str) -> (String, String) {
    (name.to_owned(), value.to_owned())
}
