//! `POST /sms`: the Twilio messaging webhook.
//!
//! Verifies the request, hands the SMS to the service and answers with TwiML. A 2xx is sent
//! only once the vote is committed; when the database is unavailable the answer is 503 so
//! Twilio retries, and the retry (same `MessageSid`) is processed exactly once.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Uri, header};
use axum::response::{IntoResponse, Response};
use twilio_webhook::ValidationError;

use super::App;
use super::error::HttpError;
use crate::service::Sms;

/// The largest body accepted (an SMS webhook is a few KiB; `Body` is at most 1600 chars).
pub const BODY_LIMIT: usize = 64 * 1024;

pub(crate) async fn sms(
    State(app): State<App>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, HttpError> {
    let form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("application/x-www-form-urlencoded"));
    if !form {
        return Err(HttpError::UnsupportedMediaType);
    }
    let params: Vec<(String, String)> = form_urlencoded::parse(&body).into_owned().collect();
    let url = format!(
        "{}{}",
        app.public_url,
        uri.path_and_query().map_or("/", |p| p.as_str())
    );
    let signature = headers
        .get("x-twilio-signature")
        .and_then(|v| v.to_str().ok());
    let pairs = params.iter().map(|(k, v)| (k.as_str(), v.as_str()));
    if let Err(e) = app.validator.validate_params(&url, pairs, signature) {
        tracing::warn!(reason = ?e, "webhook rejected");
        crate::metrics::webhook("rejected");
        return Err(match e {
            ValidationError::MissingSignature | ValidationError::MalformedSignature => {
                HttpError::BadRequest
            }
            ValidationError::NoKey | ValidationError::SharedKeyNotConfigured => HttpError::Internal,
            _ => HttpError::Forbidden,
        });
    }
    let field = |name: &str| {
        params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    handle(
        &app,
        Sms {
            message_sid: field("MessageSid"),
            from: field("From"),
            to: field("To"),
            body: field("Body"),
        },
    )
    .await
}

/// The verified part: service, log line, metrics, TwiML.
async fn handle(app: &App, sms: Sms) -> Result<Response, HttpError> {
    let sid = sms.message_sid.clone();
    match app.ratings.handle(sms).await {
        Ok(reply) => {
            tracing::info!(message_sid = %sid, outcome = reply.outcome, "sms handled");
            crate::metrics::webhook(reply.outcome);
            Ok(twiml_message(&reply.text))
        }
        Err(e) => {
            tracing::warn!(message_sid = %sid, error = %e, "sms not handled");
            crate::metrics::webhook("error");
            Err(e.into())
        }
    }
}

/// `<Response><Message>text</Message></Response>` as `text/xml`.
fn twiml_message(text: &str) -> Response {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&apos;"),
            c => escaped.push(c),
        }
    }
    let xml = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Message>{escaped}</Message></Response>"
    );
    ([(header::CONTENT_TYPE, "text/xml; charset=utf-8")], xml).into_response()
}
