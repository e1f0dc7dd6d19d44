//! An SMS webhook on `POST /sms` with Poem, through Poem's tower compatibility layer.
//!
//! ```text
//! TWILIO_AUTH_TOKEN=... PUBLIC_URL=https://example.com \
//!     cargo run -p twilio-webhook --example poem_sms --features tower
//! ```
//!
//! The handler is a tower service behind [`TwilioLayer`]; [`twilio_endpoint`] makes the pair a
//! Poem endpoint. Two things the glue adds, because Poem's `TowerCompatExt` wants them: the
//! response body is buffered (Poem wants a `Sync` body; a TwiML answer is small), and the
//! peer address goes into the request's extensions (for trusted-proxy configs). Mount the
//! endpoint with `Route::at`, not under `Route::nest`: a nested Poem route sees its path
//! without the prefix, and the signed URL has it.

use std::convert::Infallible;
use std::error::Error;
use std::future::Future;

use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use poem::endpoint::TowerCompatExt as _;
use poem::{Endpoint, EndpointExt as _, Route, Server, listener::TcpListener};
use tower::{BoxError, ServiceBuilder};
use twilio_webhook::tower::{PeerAddr, ResponseBody, TwilioLayer, VerifiedBody};
use twilio_webhook::twiml::MessagingResponse;
use twilio_webhook::{PublicUrl, Validator, VerifiedWebhook, WebhookConfig};

/// `handler` behind the Twilio layer, as a Poem endpoint.
pub fn twilio_endpoint<H, F, B>(config: WebhookConfig, handler: H) -> impl Endpoint
where
    H: FnMut(http::Request<VerifiedBody>) -> F + Clone + Send + Sync + 'static,
    F: Future<Output = Result<http::Response<B>, Infallible>> + Send + 'static,
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    let service = ServiceBuilder::new()
        .map_future(buffered)
        .layer(TwilioLayer::new(config))
        .service_fn(handler);
    service
        .compat()
        .before(|mut request: poem::Request| async move {
            if let Some(peer) = request.remote_addr().as_socket_addr().copied() {
                request.extensions_mut().insert(PeerAddr(peer));
            }
            Ok(request)
        })
}

/// The response with its body read whole (`Full` is `Sync`, as Poem's compat wants).
async fn buffered(
    response: impl Future<Output = Result<http::Response<ResponseBody>, Infallible>>,
) -> Result<http::Response<Full<Bytes>>, BoxError> {
    let (parts, body) = response.await?.into_parts();
    let bytes = body.collect().await?.to_bytes();
    Ok(http::Response::from_parts(parts, Full::new(bytes)))
}

/// The handler: the verified webhook is in the request's extensions.
async fn sms(request: http::Request<VerifiedBody>) -> Result<http::Response<String>, Infallible> {
    let said = request
        .extensions()
        .get::<VerifiedWebhook>()
        .and_then(|webhook| webhook.get("Body"))
        .unwrap_or_default();
    let reply = MessagingResponse::new().message(format!("You said: {said}"));
    let (status, xml) = match reply.to_xml() {
        Ok(xml) => (200, xml),
        Err(_) => (500, String::new()),
    };
    Ok(http::Response::builder()
        .status(status)
        .header("content-type", "text/xml; charset=utf-8")
        .body(xml)
        .unwrap_or_default())
}

/// The Poem app of this example: `/sms` behind the layer.
pub fn app(config: WebhookConfig) -> Route {
    Route::new().at("/sms", twilio_endpoint(config, sms))
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .init();
    let token = std::env::var("TWILIO_AUTH_TOKEN").map_err(|_| "set TWILIO_AUTH_TOKEN")?;
    let public = std::env::var("PUBLIC_URL").map_err(|_| "set PUBLIC_URL")?;
    let config = WebhookConfig::new(Validator::from_token(&token)?, PublicUrl::base(&public)?);
    let listen = std::env::var("LISTEN").unwrap_or("127.0.0.1:3000".into());
    Server::new(TcpListener::bind(listen))
        .run(app(config))
        .await?;
    Ok(())
}
