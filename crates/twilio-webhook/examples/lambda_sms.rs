//! An SMS webhook on AWS Lambda, behind API Gateway (REST or HTTP API) or a function URL.
//!
//! ```text
//! cargo lambda build --release --example lambda_sms --features lambda
//! ```
//!
//! Set `TWILIO_AUTH_TOKEN` and `PUBLIC_URL` in the function's environment: `PUBLIC_URL` is the
//! invoke URL's base without the stage (`https://abc123.execute-api.us-east-1.amazonaws.com`,
//! `https://<url-id>.lambda-url.us-east-1.on.aws`, or your custom domain); the stage and the
//! query are read from the event (see `twilio_webhook::lambda`).

use lambda_http::http::{Request, Response};
use lambda_http::{Error, service_fn};
use tower::Layer as _;
use twilio_webhook::tower::{TwilioLayer, VerifiedBody};
use twilio_webhook::twiml::MessagingResponse;
use twilio_webhook::{PublicUrl, Validator, VerifiedWebhook, WebhookConfig};

// The layer hands the handler the verified body, whole, and the webhook in its extensions.
async fn sms(request: Request<VerifiedBody>) -> Result<Response<String>, Error> {
    let said = request
        .extensions()
        .get::<VerifiedWebhook>()
        .and_then(|webhook| webhook.get("Body"))
        .unwrap_or_default();
    let reply = MessagingResponse::new().message(format!("You said: {said}"));
    Ok(Response::builder()
        .header("content-type", "text/xml; charset=utf-8")
        .body(reply.to_xml()?)?)
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    // CloudWatch keeps stderr: every rejection is logged with its explanation.
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::INFO)
        .without_time()
        .init();
    let config = WebhookConfig::new(
        Validator::from_token(&std::env::var("TWILIO_AUTH_TOKEN")?)?,
        PublicUrl::base(&std::env::var("PUBLIC_URL")?)?,
    );
    lambda_http::run(TwilioLayer::new(config).layer(service_fn(sms))).await
}
