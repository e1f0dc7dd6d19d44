//! An SMS/MMS/WhatsApp conversation: each `<Message>` shown as the bot's reply (with signed
//! status callbacks where it asks for them), each `<Redirect>` followed with the same
//! inbound parameters, as Twilio re-sends them.

use super::{Flow, Start};
use crate::send::fake::{Party, get, message_status};
use crate::send::random_hex;
use crate::send::twilio::Payload;
use crate::send::twiml::{Message, Verb};
use crate::send::urls::Place;
use crate::send::view::Purpose;

/// Walks the conversation that starts with `start`.
pub(crate) async fn converse(flow: &mut Flow<'_>, start: Start) {
    let Start {
        kind,
        method,
        place,
        params,
        ..
    } = start;
    let mut next = Some((Purpose::Webhook, method, place));
    while let Some((purpose, method, place)) = next.take() {
        let payload = Payload::Form(&params);
        let Some(doc) = flow.twiml(kind, purpose, method, &place, payload).await else {
            break;
        };
        for verb in doc.verbs {
            if flow.exhausted() {
                break;
            }
            match verb {
                Verb::Message(m) => reply(flow, &place, &params, &m).await,
                Verb::Redirect(r) => {
                    // Verbs after a <Redirect> are never reached.
                    next = flow
                        .follow(&place, Some(&r.url))
                        .map(|to| (Purpose::Redirect, r.method, to));
                    break;
                }
                other => flow.view.note(&format!(
                    "<{}> is not a messaging verb: skipped",
                    other.name()
                )),
            }
        }
    }
}

/// Shows `<Message>` `m` and, if it asks, posts its status callbacks: `queued`, `sent`,
/// then `delivered` (or the `--fail-status`), one new outbound SID for all three.
async fn reply(flow: &mut Flow<'_>, at: &Place, inbound: &[(String, String)], m: &Message) {
    // The reply goes back to the sender, from the number that received the message.
    let to = m.to.as_deref().or(get(inbound, "From")).unwrap_or_default();
    let from = m.from.as_deref().or(get(inbound, "To")).unwrap_or_default();
    flow.view.message(m, to);
    let Some(callback) = &m.callback else {
        return;
    };
    let Some(place) = flow.follow(at, Some(&callback.url)) else {
        return;
    };
    let prefix = if m.media.is_empty() { "SM" } else { "MM" };
    let sid = match random_hex(16) {
        Ok(hex) => format!("{prefix}{hex}"),
        Err(e) => return flow.fail(&format!("random source: {e}")),
    };
    let account = get(inbound, "AccountSid").unwrap_or_default();
    let party = Party { account, from, to };
    let last = match flow.rules.fail_status {
        Some(fail) => {
            let (status, code) = fail.status();
            (status, Some(code))
        }
        None => ("delivered", None),
    };
    for (status, code) in [("queued", None), ("sent", None), last] {
        let params = message_status(&party, &sid, status, code);
        flow.callback(Purpose::MessageStatus, callback.method, &place, &params)
            .await;
    }
}
