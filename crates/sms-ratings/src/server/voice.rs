//! `POST /voice` (the number's Voice URL) and `POST /voice/rate` (its `<Gather>` action):
//! vote by calling the event's number and pressing a key from 1 to 5.
//!
//! The call is answered with the event's name and a `<Gather numDigits="1">`; the key is
//! recorded under the caller's number with the same rules as a text (one vote per phone per
//! event, a new vote replaces the earlier one, closed and not-yet-open events say so), then
//! the caller hears the outcome and `<Hangup/>`. A key that is not 1–5 re-prompts once
//! (`/voice/rate?retry=1`); silence ends the call politely.
//!
//! Both routes sit behind the same [`TwilioLayer`](twilio_webhook::tower::TwilioLayer)
//! configuration (signature, method, body limit, basic auth). The request replay guard is off
//! on `/voice/rate` only: a Gather action legitimately repeats, and replays are made harmless
//! by the store instead — the vote's idempotency key is `CallSid:digit`, so the same key
//! pressed again in a call (or Twilio retrying the action) changes nothing and hears the same
//! words, while a later call replaces the phone's vote under the one-vote-per-phone rule.

use axum::extract::State;
use axum::http::Uri;
use axum::response::{IntoResponse, Response};
use twilio_webhook::TwilioRequest;
use twilio_webhook::payload::{GatherResult, IncomingCall};
use twilio_webhook::twiml::{Gather, Say, VoiceResponse};

use super::App;
use super::error::HttpError;
use crate::model::Rating;
use crate::reply::spoken;
use crate::service::Greeting;

/// Twilio's stand-ins for a withheld caller ID (anonymous, restricted, blocked, unavailable,
/// unknown); a vote under one of them would merge every hidden caller into one phone.
const HIDDEN_CALLER_IDS: [&str; 5] = [
    "+266696687",
    "+7378742833",
    "+2562533",
    "+8656696",
    "+86282452253",
];

pub(crate) async fn call(
    State(app): State<App>,
    call: TwilioRequest<IncomingCall>,
) -> Result<Response, HttpError> {
    let call = call.into_inner().call;
    let greeting = match (caller(call.from.as_deref()), call.to.as_deref()) {
        (None, _) => Greeting::Say(spoken::HIDDEN_NUMBER.to_owned()),
        (Some(_), to) => app.ratings.greet_call(to.unwrap_or_default()).await?,
    };
    let response = match greeting {
        Greeting::Rate(event) => ask(&app.voice_action, &spoken::welcome(&event)),
        Greeting::Say(text) => say_and_hang_up(&text),
    };
    tracing::info!(call_sid = %call.call_sid, "call answered");
    crate::metrics::webhook("call");
    render(&response)
}

pub(crate) async fn rate(
    State(app): State<App>,
    uri: Uri,
    gathered: TwilioRequest<GatherResult>,
) -> Result<Response, HttpError> {
    let call = &gathered.call;
    let rating = gathered.digits.as_deref().and_then(rating);
    let (Some(from), Some(rating)) = (caller(call.from.as_deref()), rating) else {
        let retried = uri
            .query()
            .is_some_and(|q| q.split('&').any(|p| p == "retry=1"));
        crate::metrics::webhook("voice_invalid_key");
        return render(&if retried || caller(call.from.as_deref()).is_none() {
            say_and_hang_up(spoken::STILL_NO_RATING)
        } else {
            ask(
                &format!("{}?retry=1", app.voice_action),
                spoken::NOT_A_RATING,
            )
        });
    };
    let to = call.to.as_deref().unwrap_or_default();
    let reply = app
        .ratings
        .vote_by_call(&call.call_sid, from, to, rating)
        .await
        .inspect_err(|e| {
            tracing::warn!(call_sid = %call.call_sid, error = %e, "key not recorded");
            crate::metrics::webhook("error");
        })?;
    let outcome = reply.outcome.label();
    tracing::info!(call_sid = %call.call_sid, outcome, "key recorded");
    crate::metrics::webhook(outcome);
    render(&match reply.text {
        Some(text) => say_and_hang_up(&text),
        None => VoiceResponse::new().hangup_now(),
    })
}

/// The caller's number, unless it is missing, not a phone number or a withheld caller ID.
fn caller(from: Option<&str>) -> Option<&str> {
    let from = from?;
    let digits = from.strip_prefix('+')?;
    let phone = !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit());
    (phone && !HIDDEN_CALLER_IDS.contains(&from)).then_some(from)
}

/// One key `1`–`5`.
fn rating(digits: &str) -> Option<Rating> {
    match digits.as_bytes() {
        [digit @ b'1'..=b'5'] => Rating::new(digit - b'0'),
        _ => None,
    }
}

/// A one-key prompt posting to `action`, then a polite goodbye when no key comes.
fn ask(action: &str, prompt: &str) -> VoiceResponse {
    VoiceResponse::new()
        .gather(
            Gather::new()
                .num_digits(1)
                .action(action)
                .say(Say::new(prompt)),
        )
        .say(Say::new(spoken::NO_KEY))
        .hangup_now()
}

fn say_and_hang_up(text: &str) -> VoiceResponse {
    VoiceResponse::new().say(Say::new(text)).hangup_now()
}

fn render(response: &VoiceResponse) -> Result<Response, HttpError> {
    Ok(response
        .render()
        .map_err(|_| HttpError::Internal)?
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn callers_and_keys() {
        assert_eq!(caller(Some("+14155550100")), Some("+14155550100"));
        for hidden in [
            None,
            Some("anonymous"),
            Some("+266696687"),
            Some("client:bob"),
            Some("+"),
        ] {
            assert_eq!(caller(hidden), None, "{hidden:?}");
        }
        assert_eq!(rating("4").map(Rating::get), Some(4));
        for bad in ["", "0", "6", "9", "#", "44", "*"] {
            assert_eq!(rating(bad), None, "{bad:?}");
        }
    }
}
