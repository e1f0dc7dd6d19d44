//! The Rocket data guard and fairing over real HTTP: the shared cases, a Rocket server on
//! `127.0.0.1:0`; and Rocket's local client for a wiring mistake.

use std::collections::HashSet;
use std::net::Ipv4Addr;
use std::pin::Pin;
use std::task::{Context, Poll};

use rocket::config::{LogLevel, Shutdown};
use rocket::fairing::AdHoc;
use rocket::http::{ContentType, Status};
use rocket::response::{self, Responder};
use rocket::tokio::io::{AsyncRead, ReadBuf};
use rocket::{Request, State, post, routes};
use twilio_webhook::payload::IncomingMessage;
use twilio_webhook::rocket::Twilio;
use twilio_webhook::{TwilioRequest, VerifiedWebhook, WebhookConfig};

use crate::support::{Call, Probe, Server, Sms, describe, describe_message};

crate::framework_tests!(@common spawn);

pub fn spawn(config: WebhookConfig) -> Pin<Box<dyn std::future::Future<Output = Server> + Send>> {
    Box::pin(start(config))
}

type Answer = (Status, (ContentType, String));

async fn echo(probe: &State<Probe>, webhook: VerifiedWebhook) -> Answer {
    let (status, body) = probe.respond(&webhook).await;
    (Status::new(status), (ContentType::XML, body))
}

#[post("/<_..>", data = "<webhook>", rank = 20)]
async fn echo_post(probe: &State<Probe>, webhook: VerifiedWebhook) -> Answer {
    echo(probe, webhook).await
}

// A GET route takes the guard too: Twilio calls GET webhooks, and a GET to a POST-only
// config must reach the flow to be refused with 405.
#[rocket::get("/<_..>", data = "<webhook>", rank = 20)]
async fn echo_get(probe: &State<Probe>, webhook: VerifiedWebhook) -> Answer {
    echo(probe, webhook).await
}

#[post("/typed", data = "<sms>")]
fn typed(sms: TwilioRequest<Sms>) -> String {
    describe(&sms)
}

#[post("/message", data = "<message>")]
fn message(message: TwilioRequest<IncomingMessage>) -> String {
    describe_message(&message)
}

/// A handler whose response body breaks while it is read.
#[post("/broken", data = "<_webhook>")]
fn broken(probe: &State<Probe>, _webhook: VerifiedWebhook) -> BrokenBody {
    probe
        .calls
        .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    BrokenBody
}

struct BrokenBody;

impl<'r> Responder<'r, 'static> for BrokenBody {
    fn respond_to(self, _: &'r Request<'_>) -> response::Result<'static> {
        rocket::Response::build().streamed_body(BrokenBody).ok()
    }
}

impl AsyncRead for BrokenBody {
    fn poll_read(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
        _: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        Poll::Ready(Err(std::io::Error::other("broken")))
    }
}

fn quiet_config() -> rocket::Config {
    rocket::Config {
        address: Ipv4Addr::LOCALHOST.into(),
        port: 0,
        log_level: LogLevel::Off,
        shutdown: Shutdown {
            ctrlc: false,
            #[cfg(unix)]
            signals: HashSet::new(),
            ..Shutdown::default()
        },
        ..rocket::Config::debug_default()
    }
}

fn app(config: WebhookConfig, probe: Probe) -> rocket::Rocket<rocket::Build> {
    rocket::custom(quiet_config())
        .attach(Twilio::new(config))
        .manage(probe)
        .mount("/", routes![echo_post, echo_get, typed, message, broken])
}

/// Launches the server on the test's runtime; the port is the one bound, told at liftoff.
async fn start(config: WebhookConfig) -> Server {
    let probe = Probe::default();
    let (port_tx, port_rx) = tokio::sync::oneshot::channel();
    let rocket = app(config, probe.clone()).attach(AdHoc::on_liftoff("port", move |rocket| {
        let port = rocket.config().port;
        Box::pin(async move {
            let _ = port_tx.send(port);
        })
    }));
    tokio::spawn(async move { rocket.launch().await.unwrap() });
    let port = port_rx.await.unwrap();
    Server {
        addr: (Ipv4Addr::LOCALHOST, port).into(),
        probe,
    }
}

/// The guard on a Rocket without the fairing: 500, failing closed (Rocket's local client).
#[tokio::test]
async fn guard_without_fairing_is_500() {
    let rocket = rocket::custom(quiet_config())
        .manage(Probe::default())
        .mount("/", routes![typed]);
    let client = rocket::local::asynchronous::Client::untracked(rocket)
        .await
        .unwrap();
    let call = Call::form("/typed", &[("Body", "hello"), ("NumMedia", "2")]);
    let mut request = client.post("/typed").body(call.body.clone().unwrap());
    for (name, value) in call.headers {
        request = request.header(rocket::http::Header::new(name, value));
    }
    assert_eq!(
        request.dispatch().await.status(),
        Status::InternalServerError
    );
}

/// The local client drives the same guard with the fairing: signed passes, tampered is 403.
#[tokio::test]
async fn local_client_signed_and_tampered() {
    let rocket = app(crate::support::config(), Probe::default());
    let client = rocket::local::asynchronous::Client::untracked(rocket)
        .await
        .unwrap();
    let call = Call::form("/typed", &[("Body", "hello"), ("NumMedia", "2")]);
    for (body, status, text) in [
        (call.body.clone().unwrap(), 200, "hello 2 2"),
        (
            b"Body=hello&NumMedia=3".to_vec(),
            403,
            "Twilio request validation failed",
        ),
    ] {
        let mut request = client.post("/typed").body(body);
        for (name, value) in call.headers.clone() {
            request = request.header(rocket::http::Header::new(name, value));
        }
        let response = request.dispatch().await;
        assert_eq!(response.status().code, status);
        assert_eq!(response.into_string().await.unwrap(), text);
    }
}
