//! The actix-web middleware and extractors over real HTTP.

use actix_web::http::StatusCode;
use actix_web::{App, HttpResponse, HttpServer, web};
use twilio_webhook::actix::TwilioMiddleware;
use twilio_webhook::payload::IncomingMessage;
use twilio_webhook::{TwilioRequest, VerifiedWebhook, WebhookConfig};

use crate::support::{Probe, Server, Sms, describe, describe_message};

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

async fn typed(sms: TwilioRequest<Sms>) -> String {
    describe(&sms)
}

async fn message(message: TwilioRequest<IncomingMessage>) -> String {
    describe_message(&message)
}

/// A handler whose response body breaks while it is read.
async fn broken(probe: web::Data<Probe>, _: VerifiedWebhook) -> HttpResponse {
    probe
        .calls
        .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    let error = actix_web::error::ErrorInternalServerError("broken");
    HttpResponse::Ok().streaming(futures_util::stream::once(async move {
        Err::<bytes::Bytes, _>(error)
    }))
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
                            .route("/message", web::post().to(message))
                            .route("/broken", web::post().to(broken))
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
