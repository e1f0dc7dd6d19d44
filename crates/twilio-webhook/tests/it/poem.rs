//! Poem through its tower compatibility layer: the `poem_sms` example's glue
//! (`twilio_endpoint`) serving the shared cases over real HTTP, and the example's app itself.

use std::convert::Infallible;
use std::pin::Pin;

use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use poem::listener::{Acceptor as _, Listener as _, TcpListener};
use twilio_webhook::payload::IncomingMessage;
use twilio_webhook::tower::{ResponseBody, VerifiedBody, rejection_response};
use twilio_webhook::{TwilioRequest, VerifiedWebhook, WebhookConfig};

use crate::support::{Broken, Call, Probe, Server, Sms, config, describe, describe_message};

#[allow(dead_code, unreachable_pub)]
#[path = "../../examples/poem_sms.rs"]
mod example;

crate::framework_tests!(@common spawn);

pub fn spawn(config: WebhookConfig) -> Pin<Box<dyn std::future::Future<Output = Server> + Send>> {
    let probe = Probe::default();
    let handler = {
        let probe = probe.clone();
        move |request| route(probe.clone(), request)
    };
    let endpoint = example::twilio_endpoint(config, handler);
    Box::pin(serve(poem::Route::new().at("/*path", endpoint), probe))
}

async fn serve(app: poem::Route, probe: Probe) -> Server {
    let acceptor = TcpListener::bind("127.0.0.1:0")
        .into_acceptor()
        .await
        .unwrap();
    let addr = *acceptor.local_addr()[0].as_socket_addr().unwrap();
    tokio::spawn(poem::Server::new_with_acceptor(acceptor).run(app));
    Server { addr, probe }
}

fn text(status: u16, body: impl Into<Bytes>) -> http::Response<ResponseBody> {
    let body = Full::new(body.into())
        .map_err(|e| match e {})
        .boxed_unsync();
    let mut response = http::Response::new(body);
    *response.status_mut() = http::StatusCode::from_u16(status).unwrap();
    response
}

/// The shared handlers, routed by path: the compat endpoint is one tower service.
async fn route(
    probe: Probe,
    request: http::Request<VerifiedBody>,
) -> Result<http::Response<ResponseBody>, Infallible> {
    let webhook = request
        .extensions()
        .get::<VerifiedWebhook>()
        .unwrap()
        .clone();
    let typed = |answer: Result<String, twilio_webhook::Rejection>| match answer {
        Ok(body) => text(200, body),
        Err(rejection) => rejection_response(&rejection),
    };
    Ok(match request.uri().path() {
        "/typed" => typed(TwilioRequest::<Sms>::new(webhook).map(|sms| describe(&sms))),
        "/message" => {
            typed(TwilioRequest::<IncomingMessage>::new(webhook).map(|m| describe_message(&m)))
        }
        "/broken" => {
            probe
                .calls
                .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            http::Response::new(Broken.map_err(Into::into).boxed_unsync())
        }
        _ => {
            let (status, body) = probe.respond(&webhook).await;
            let mut response = text(status, body);
            response.headers_mut().insert(
                http::header::CONTENT_TYPE,
                http::HeaderValue::from_static("text/xml; charset=utf-8"),
            );
            response
        }
    })
}

/// The example's own app: a signed SMS gets TwiML, a tampered one 403.
#[tokio::test]
async fn example_app_answers_twiml() {
    let s = serve(example::app(config()), Probe::default()).await;
    let call = Call::form("/sms", &[("Body", "hi")]);
    let r = s.send(call.clone()).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(
        r.body.contains("<Message>You said: hi</Message>"),
        "{}",
        r.body
    );
    assert_eq!(r.headers["content-type"], "text/xml; charset=utf-8");
    let r = s.send(call.body("Body=bye")).await;
    assert_eq!(r.status, 403);
}
