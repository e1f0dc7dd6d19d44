//! The actix-web middleware and extractors over real HTTP.

use actix_web::http::StatusCode;
use actix_web::{App, HttpResponse, HttpServer, web};
use serde::Deserialize;
use twilio_webhook::actix::{TwilioMiddleware, TwilioRequest};
use twilio_webhook::{VerifiedWebhook, WebhookConfig};

use crate::support::{Call, Probe, Server, config};

crate::framework_tests!(spawn);

pub fn spawn(
    config: WebhookConfig,
) -> std::pin::Pin<Box<dyn std::future::Future<Output = Server> + Send>> {
    Box::pin(async move { start(config) })
}

async fn echo(probe: web::Data<Probe>, webhook: VerifiedWebhook) -> HttpResponse {
    let (status, body) = probe.respond(&webhook).await;
    HttpResponse::build(StatusCode::from_u16(status).unwrap())
        .content_type("text/xml; charset=utf-8")
        .body(body)
}

#[derive(Deserialize)]
struct Sms {
    #[serde(rename = "Body")]
    body: String,
    #[serde(rename = "NumMedia")]
    num_media: u32,
}

async fn typed(sms: TwilioRequest<Sms>) -> String {
    format!("{} {} {}", sms.body, sms.num_media, sms.pairs().len())
}

async fn unprotected(webhook: VerifiedWebhook) -> String {
    webhook.pairs().len().to_string()
}

/// Runs the server on a thread with its own actix system; it lives as long as the test
/// process.
fn start(config: WebhookConfig) -> Server {
    let probe = Probe::default();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let middleware = TwilioMiddleware::new(config);
    let data = web::Data::new(probe.clone());
    let (ready_tx, ready_rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        actix_web::rt::System::new().block_on(async move {
            let server = HttpServer::new(move || {
                App::new()
                    .app_data(data.clone())
                    .route("/unprotected", web::post().to(unprotected))
                    .service(
                        web::scope("")
                            .wrap(middleware.clone())
                            .route("/typed", web::post().to(typed))
                            .default_service(web::to(echo)),
                    )
            })
            .workers(1)
            .disable_signals()
            .listen(listener)
            .unwrap()
            .run();
            ready_tx.send(()).unwrap();
            server.await.unwrap();
        });
    });
    ready_rx.recv().unwrap();
    Server { addr, probe }
}

#[tokio::test]
async fn typed_extractor_and_its_rejections() {
    let s = start(config());
    let ok = Call::form(
        "/typed",
        &[("Body", "hello"), ("NumMedia", "2"), ("Extra", "")],
    );
    let r = s.send(ok).await;
    assert_eq!((r.status, r.body.as_str()), (200, "hello 2 3"));
    let r = s
        .send(Call::form(
            "/typed",
            &[("Body", "hello"), ("NumMedia", "two")],
        ))
        .await;
    assert_eq!((r.status, r.body.as_str()), (400, "Bad request"));
    let r = s.send(Call::form("/unprotected", &[("Body", "x")])).await;
    assert_eq!(r.status, 500);
}
