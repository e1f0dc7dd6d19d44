//! `POST /sms`: the Twilio messaging webhook (SMS, MMS and WhatsApp).
//!
//! [`TwilioLayer`](twilio_webhook::tower::TwilioLayer) in front of this handler checks the
//! method, body size, basic auth (if configured), signature and replays; the handler gets
//! exactly the verified pairs. A 2xx is sent only once the vote is committed; when the
//! database is unavailable the answer is 503, which Twilio retries (the layer does not store
//! 5xx answers for replays) and the retry, same `MessageSid`, is processed exactly once.

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use twilio_webhook::TwilioRequest;
use twilio_webhook::payload::IncomingMessage;
use twilio_webhook::twiml::MessagingResponse;

use super::App;
use super::error::HttpError;

/// The largest body accepted: the library's default (an SMS webhook is a few KiB; `Body` is
/// at most 1600 characters).
pub const BODY_LIMIT: usize = twilio_webhook::DEFAULT_BODY_LIMIT;

/// The library reads the verified pairs as an `IncomingMessage` (a request without
/// `MessageSid`, `AccountSid`, `From` or `To` is its 400).
pub(crate) async fn sms(
    State(app): State<App>,
    message: TwilioRequest<IncomingMessage>,
) -> Result<Response, HttpError> {
    let message = message.into_inner();
    let sid = message.message_sid.clone();
    match app.ratings.handle(message).await {
        Ok(reply) => {
            let outcome = reply.outcome.label();
            tracing::info!(message_sid = %sid, outcome, "sms handled");
            crate::metrics::webhook(outcome);
            // No text: say nothing (a keyword, or a number that opted out).
            let response = MessagingResponse::new();
            let twiml = match reply.text {
                Some(text) => response.message(text).render(),
                None => response.render(),
            };
            Ok(twiml.map_err(|_| HttpError::Internal)?.into_response())
        }
        Err(e) => {
            tracing::warn!(message_sid = %sid, error = %e, "sms not handled");
            crate::metrics::webhook("error");
            Err(e.into())
        }
    }
}
