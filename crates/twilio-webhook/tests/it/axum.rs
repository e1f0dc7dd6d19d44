//! The tower layer and axum extractors over real HTTP.

use std::net::SocketAddr;

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::{any, post};
use twilio_webhook::payload::IncomingMessage;
use twilio_webhook::tower::TwilioLayer;
use twilio_webhook::{TwilioRequest, VerifiedWebhook, WebhookConfig};

use crate::support::{Broken, Call, Probe, Server, Sms, config, describe, describe_message};

crate::framework_tests!(spawn);

pub fn spawn(
    config: WebhookConfig,
) -> std::pin::Pin<Box<dyn std::future::Future<Output = Server> + Send>> {
    Box::pin(start(config))
}

async fn echo(State(probe): State<Probe>, webhook: VerifiedWebhook) -> impl IntoResponse {
    let (status, body) = probe.respond(&webhook).await;
    (
        StatusCode::from_u16(status).unwrap(),
        [(header::CONTENT_TYPE, "text/xml; charset=utf-8")],
        body,
    )
}

async fn typed(sms: TwilioRequest<Sms>) -> String {
    describe(&sms)
}

async fn message(message: TwilioRequest<IncomingMessage>) -> String {
    describe_message(&message)
}

/// A handler whose response body breaks while it is read.
async fn broken(State(probe): State<Probe>, _: VerifiedWebhook) -> axum::response::Response {
    probe
        .calls
        .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    axum::response::Response::new(axum::body::Body::new(Broken))
}

async fn unprotected(webhook: VerifiedWebhook) -> String {
    webhook.pairs().len().to_string()
}

async fn start(config: WebhookConfig) -> Server {
    let probe = Probe::default();
    let protected = Router::new()
        .route("/typed", post(typed))
        .route("/message", post(message))
        .route("/broken", post(broken))
        .route("/{*rest}", any(echo))
        .layer(TwilioLayer::new(config));
    let app = Router::new()
        .route("/unprotected", post(unprotected))
        .nest("/nested", protected.clone())
        .merge(protected)
        .with_state(probe.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
        .unwrap();
    });
    Server { addr, probe }
}

#[tokio::test]
async fn nested_router_sees_the_original_target() {
    let s = start(config()).await;
    let r = s
        .send(Call::form("/nested/sms", &[("Body", "nested")]))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    // Signed for the path the inner router sees, not the one Twilio called: rejected.
    let r = s
        .send(Call::form("/sms", &[("Body", "nested")]).path("/nested/sms"))
        .await;
    assert_eq!(r.status, 403);
}
