//! An SMS webhook on `POST /sms` with Rocket 0.5, answering TwiML.
//!
//! ```text
//! TWILIO_AUTH_TOKEN=... PUBLIC_URL=https://example.com \
//!     cargo run -p twilio-webhook --example rocket_sms --features rocket
//! ```

use rocket::{post, routes};
use serde::Deserialize;
use twilio_webhook::rocket::Twilio;
use twilio_webhook::twiml::MessagingResponse;
use twilio_webhook::{PublicUrl, TwilioRequest, Validator, WebhookConfig};

#[derive(Deserialize)]
struct IncomingSms {
    #[serde(rename = "Body", default)]
    body: String,
}

// The data guard verifies the body before this runs; the reply is served as text/xml.
#[post("/sms", data = "<sms>")]
fn sms(sms: TwilioRequest<IncomingSms>) -> MessagingResponse {
    MessagingResponse::new().message(format!("You said: {}", sms.body))
}

#[rocket::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::INFO)
        .init();
    let config = WebhookConfig::new(
        Validator::from_token(&std::env::var("TWILIO_AUTH_TOKEN")?)?,
        PublicUrl::base(&std::env::var("PUBLIC_URL")?)?,
    );
    rocket::build()
        .attach(Twilio::new(config))
        .mount("/", routes![sms])
        .launch()
        .await?;
    Ok(())
}
