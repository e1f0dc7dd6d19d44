//! An SMS webhook on `POST /sms` with actix-web, answering TwiML.
//!
//! ```text
//! TWILIO_AUTH_TOKEN=... PUBLIC_URL=https://example.com PORT=3000 \
//!     cargo run -p twilio-webhook --example actix_sms --features actix
//! ```
//!
//! `PUBLIC_URL` is the base of the URL configured in the Twilio console (scheme, host, any
//! port or path prefix; the request path is appended as received). It defaults to
//! `http://127.0.0.1:PORT`; behind a tunnel or proxy set it to the public address. `PORT`
//! defaults to 3000. Logs go to stderr (`RUST_LOG=twilio_webhook=debug` for every verdict).

use std::error::Error;
use std::process::ExitCode;

use actix_web::{App, HttpServer, web};
use serde::Deserialize;
use twilio_webhook::actix::TwilioMiddleware;
use twilio_webhook::twiml::MessagingResponse;
use twilio_webhook::{PublicUrl, TwilioRequest, Validator, WebhookConfig};

/// The fields this handler uses; the verified pairs hold every other one.
#[derive(Deserialize)]
struct IncomingSms {
    #[serde(rename = "From")]
    from: String,
    #[serde(rename = "Body", default)]
    body: String,
}

async fn sms(sms: TwilioRequest<IncomingSms>) -> MessagingResponse {
    // The builder escapes the text and is served as `text/xml`.
    MessagingResponse::new().message(format!("Thanks {}, you said: {}", sms.from, sms.body))
}

fn config(port: u16) -> Result<WebhookConfig, Box<dyn Error>> {
    let token = std::env::var("TWILIO_AUTH_TOKEN").map_err(|_| {
        "TWILIO_AUTH_TOKEN is not set: export your account's Auth Token (Twilio console, \
         Account > API keys & tokens); without it no request can be verified"
    })?;
    let public = std::env::var("PUBLIC_URL").unwrap_or_else(|_| format!("http://127.0.0.1:{port}"));
    Ok(WebhookConfig::new(
        Validator::from_token(&token).map_err(|e| format!("TWILIO_AUTH_TOKEN: {e}"))?,
        PublicUrl::base(&public).map_err(|e| format!("PUBLIC_URL: {e}"))?,
    ))
}

async fn run() -> Result<(), Box<dyn Error>> {
    let port: u16 = match std::env::var("PORT") {
        Ok(p) => p
            .parse()
            .map_err(|_| format!("PORT must be a port number, not {p:?}"))?,
        Err(_) => 3000,
    };
    // One middleware (and so one replay guard) shared by every worker.
    let middleware = TwilioMiddleware::new(config(port)?);
    let server = HttpServer::new(move || {
        App::new().service(
            web::resource("/sms")
                .wrap(middleware.clone())
                .route(web::post().to(sms)),
        )
    })
    .bind(("127.0.0.1", port))?;
    for addr in server.addrs() {
        eprintln!("listening on http://{addr}/sms");
    }
    server.run().await?;
    Ok(())
}

#[actix_web::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("actix_sms: {e}");
            ExitCode::FAILURE
        }
    }
}
