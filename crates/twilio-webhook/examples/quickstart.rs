//! The README's quick start: an SMS webhook on `POST /sms` with axum, answering TwiML.
//! `TWILIO_AUTH_TOKEN=… cargo run -p twilio-webhook --example quickstart --features axum`
use axum::{Router, routing::post};
use serde::Deserialize;
use twilio_webhook::tower::TwilioLayer;
use twilio_webhook::twiml::MessagingResponse;
use twilio_webhook::{PublicUrl, TwilioRequest, Validator, WebhookConfig};

#[derive(Deserialize)]
struct IncomingSms {
    #[serde(rename = "From")]
    from: String,
    #[serde(rename = "Body", default)]
    body: String,
}

// Runs only for a verified request; the reply is TwiML, served as text/xml.
async fn sms(sms: TwilioRequest<IncomingSms>) -> MessagingResponse {
    MessagingResponse::new().message(format!("Thanks {}, you said: {}", sms.from, sms.body))
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Logs every rejection (status, reason, and why a signature failed) at INFO.
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::INFO)
        .init();

    let config = WebhookConfig::new(
        Validator::from_token(&std::env::var("TWILIO_AUTH_TOKEN")?)?,
        // The URL Twilio calls, without the path (behind ngrok: https://<name>.ngrok.app).
        PublicUrl::base(&std::env::var("PUBLIC_URL").unwrap_or("http://127.0.0.1:3000".into()))?,
    );
    let app = Router::new().route("/sms", post(sms).layer(TwilioLayer::new(config)));
    let listen = std::env::var("LISTEN").unwrap_or("127.0.0.1:3000".into());
    let listener = tokio::net::TcpListener::bind(listen).await?;
    // With connect info, so trusted-proxy checks can see the peer address.
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .await?;
    Ok(())
}
