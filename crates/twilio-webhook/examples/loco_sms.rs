//! An SMS webhook the way a Loco app mounts it.
//!
//! Loco controllers are axum handlers, and Loco mounts every controller's routes on one axum
//! `Router<AppContext>` at the full path, prefix included: a controller with
//!
//! ```text
//! pub fn routes() -> Routes {
//!     Routes::new()
//!         .prefix("api/twilio")
//!         .add("/sms", post(sms).layer(TwilioLayer::new(config)))
//! }
//! ```
//!
//! becomes `Router::new().route("/api/twilio/sms", …).with_state(ctx)`. So the layer goes on
//! the route in the controller, `TwilioRequest<T>` is the handler's extractor next to
//! `State<AppContext>`, and the public URL is the site's base: the prefix is part of the path
//! Twilio signs. [`routes`] builds that router by hand, with this example's own context
//! type standing where Loco's `AppContext` would (a `loco-rs` dependency would compile an
//! ORM and a job queue for one route).
//!
//! ```text
//! TWILIO_AUTH_TOKEN=... PUBLIC_URL=https://example.com \
//!     cargo run -p twilio-webhook --example loco_sms --features axum
//! ```

use std::error::Error;
use std::net::SocketAddr;

use axum::Router;
use axum::extract::State;
use axum::routing::post;
use serde::Deserialize;
use twilio_webhook::tower::TwilioLayer;
use twilio_webhook::twiml::MessagingResponse;
use twilio_webhook::{PublicUrl, TwilioRequest, Validator, WebhookConfig};

/// What Loco hands every handler as state (`AppContext`); here, the reply's greeting.
#[derive(Clone)]
pub struct AppContext {
    /// The app's name, as a Loco app's config would hold it.
    pub app_name: String,
}

#[derive(Deserialize)]
struct IncomingSms {
    #[serde(rename = "Body", default)]
    body: String,
}

/// The controller action: Loco's state and the verified webhook, side by side.
async fn sms(State(ctx): State<AppContext>, sms: TwilioRequest<IncomingSms>) -> MessagingResponse {
    MessagingResponse::new().message(format!("{} got: {}", ctx.app_name, sms.body))
}

/// The app's router as Loco builds it from `Routes::new().prefix("api/twilio").add("/sms", …)`.
pub fn routes(config: WebhookConfig, ctx: AppContext) -> Router {
    Router::new()
        .route("/api/twilio/sms", post(sms).layer(TwilioLayer::new(config)))
        .with_state(ctx)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .init();
    let token = std::env::var("TWILIO_AUTH_TOKEN").map_err(|_| "set TWILIO_AUTH_TOKEN")?;
    let public = std::env::var("PUBLIC_URL").map_err(|_| "set PUBLIC_URL")?;
    let config = WebhookConfig::new(Validator::from_token(&token)?, PublicUrl::base(&public)?);
    let ctx = AppContext {
        app_name: "loco_sms".into(),
    };
    // Loco's default port.
    let listen = std::env::var("LISTEN").unwrap_or("127.0.0.1:5150".into());
    let listener = tokio::net::TcpListener::bind(listen).await?;
    let app = routes(config, ctx).into_make_service_with_connect_info::<SocketAddr>();
    axum::serve(listener, app).await?;
    Ok(())
}
