//! A real HTTP server inside the test: records exactly what it received and answers as told.

use std::future::Future as _;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, ready};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use twilio_webhook::{SignedRequest, Validator};

/// One request as the server saw it.
#[derive(Debug, Clone)]
pub(crate) struct Seen {
    pub(crate) method: Method,
    pub(crate) uri: Uri,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Bytes,
}

impl Seen {
    /// A header as text.
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The form parameters of the body, in order.
    pub(crate) fn form(&self) -> Vec<(String, String)> {
        form_urlencoded::parse(&self.body).into_owned().collect()
    }
}

/// How the server answers.
#[derive(Clone)]
pub(crate) struct Behaviour {
    /// Check `X-Twilio-Signature` against this validator and public base (`403` if invalid);
    /// `{host}` in the base stands for the request's `Host` header.
    pub(crate) validate: Option<(Validator, String)>,
    /// Require these basic-auth credentials (`401` with a challenge otherwise).
    pub(crate) basic_auth: Option<(String, String)>,
    pub(crate) status: StatusCode,
    pub(crate) content_type: &'static str,
    pub(crate) body: &'static str,
    /// The body this many times over.
    pub(crate) repeat: usize,
    pub(crate) delay: Duration,
    /// Send the head and the body's first byte, then wait this long before the rest.
    pub(crate) stall: Option<Duration>,
}

impl Default for Behaviour {
    fn default() -> Self {
        Behaviour {
            validate: None,
            basic_auth: None,
            status: StatusCode::OK,
            content_type: "text/xml",
            body: "<Response><Message>Thanks!</Message></Response>",
            repeat: 1,
            delay: Duration::ZERO,
            stall: None,
        }
    }
}

#[derive(Clone)]
struct Shared {
    behaviour: Arc<Behaviour>,
    seen: Arc<Mutex<Vec<Seen>>>,
}

/// A running upstream.
pub(crate) struct Upstream {
    pub(crate) addr: SocketAddr,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl Upstream {
    pub(crate) async fn start(behaviour: Behaviour) -> Upstream {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let shared = Shared {
            behaviour: Arc::new(behaviour),
            seen: seen.clone(),
        };
        let addr = serve(Router::new().fallback(handle).with_state(shared)).await;
        Upstream { addr, seen }
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Everything received so far.
    pub(crate) fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

/// Serves `app` on a fresh loopback port for the rest of the test.
pub(crate) async fn serve(app: Router) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    addr
}

async fn handle(
    State(shared): State<Shared>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let seen = Seen {
        method,
        uri,
        headers,
        body,
    };
    shared.seen.lock().unwrap().push(seen.clone());
    let b = &shared.behaviour;
    if let Some((user, pass)) = &b.basic_auth {
        let expected = format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(format!("{user}:{pass}"))
        );
        if seen.header("authorization") != Some(expected.as_str()) {
            return (
                StatusCode::UNAUTHORIZED,
                [("www-authenticate", "Basic realm=\"test\"")],
                "",
            )
                .into_response();
        }
    }
    if let Some((validator, base)) = &b.validate
        && !signature_ok(validator, base, &seen)
    {
        return (StatusCode::FORBIDDEN, "invalid signature").into_response();
    }
    tokio::time::sleep(b.delay).await;
    let text = Bytes::from(b.body.repeat(b.repeat));
    let body = match b.stall {
        Some(stall) => Body::new(Stalling {
            head: Some(text.slice(..1)),
            sleep: Box::pin(tokio::time::sleep(stall)),
            tail: Some(text.slice(1..)),
        }),
        None => Body::from(text),
    };
    (b.status, [("content-type", b.content_type)], body).into_response()
}

/// A body that sends `head`, waits for `sleep`, then sends `tail`.
struct Stalling {
    head: Option<Bytes>,
    sleep: Pin<Box<tokio::time::Sleep>>,
    tail: Option<Bytes>,
}

impl http_body::Body for Stalling {
    type Data = Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, Self::Error>>> {
        if let Some(head) = self.head.take() {
            return Poll::Ready(Some(Ok(http_body::Frame::data(head))));
        }
        if self.tail.is_some() {
            ready!(self.sleep.as_mut().poll(cx));
        }
        Poll::Ready(self.tail.take().map(|t| Ok(http_body::Frame::data(t))))
    }
}

/// What any Twilio library does: form params or `bodySHA256` mode, URL = base + target.
fn signature_ok(validator: &Validator, base: &str, seen: &Seen) -> bool {
    let base = base.replace("{host}", seen.header("host").unwrap_or_default());
    let url = format!("{base}{}", seen.uri);
    let sig = seen.header("x-twilio-signature");
    let settings = seen.header("x-twilio-webhooks-signature-settings");
    let json = twilio_webhook::url::query_param(&url, "bodySHA256").is_some();
    let form = seen.form();
    let request = if json {
        SignedRequest::body(&url, &seen.body)
    } else {
        SignedRequest::params(&url, form.iter().map(|(k, v)| (k.as_str(), v.as_str())))
    };
    let result = validator.validate(&request.signature(sig).settings(settings));
    result.is_ok()
}
