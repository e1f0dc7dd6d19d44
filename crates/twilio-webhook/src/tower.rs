//! `tower` middleware (feature `tower`).
//!
//! [`TwilioLayer`] drives every request through the [flow](crate::flow) before the inner
//! service sees it: early refusals (405, 401, 413 by `Content-Length`), the body read up to
//! the limit (413 beyond it, before any MAC), verification, the replay guard; then the inner
//! service gets the request with the body re-attached and the
//! [`VerifiedWebhook`](crate::VerifiedWebhook) in its extensions. Rejections become responses
//! with the status and fixed text of [`Rejection`]; the reason goes to the log.
//!
//! With axum, take [`TwilioRequest<T>`](crate::TwilioRequest) or the
//! [`VerifiedWebhook`](crate::VerifiedWebhook) itself as an extractor (see
//! [`crate::axum`]).

use std::borrow::Cow;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use http::header::{CONTENT_TYPE, HeaderName, HeaderValue};
use http::request::Parts;
use http::{HeaderMap, Request, Response, StatusCode};
use http_body::Body;
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::{BodyDataStream, BodyExt as _, Full};
use tower::{Layer, Service};

use crate::config::WebhookConfig;
use crate::flow::{Answer, Verdict};
use crate::rejection::Rejection;
use crate::request::{HeaderSource, Repeated, WebhookRequest};

/// A boxed error, as `tower` and `hyper` use them: tower's own alias, not one of ours.
pub use ::tower::BoxError;

/// The request body the inner service gets: the verified body, whole.
pub type VerifiedBody = Full<Bytes>;

/// The response body of [`TwilioService`]: the inner service's, boxed.
pub type ResponseBody = UnsyncBoxBody<Bytes, BoxError>;

/// The peer address for plain hyper/tower servers: insert it into the request's extensions
/// so trusted-proxy checks can see it. (axum's `ConnectInfo<SocketAddr>` is read as well.)
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PeerAddr(pub SocketAddr);

impl HeaderSource for HeaderMap {
    fn header_values(&self, name: &str) -> Vec<&[u8]> {
        self.get_all(name)
            .iter()
            .map(HeaderValue::as_bytes)
            .collect()
    }

    fn single_value(&self, name: &str) -> Result<Option<&[u8]>, Repeated> {
        let mut values = self.get_all(name).iter();
        match (values.next(), values.next()) {
            (None, _) => Ok(None),
            (Some(one), None) => Ok(Some(one.as_bytes())),
            (Some(_), Some(_)) => Err(Repeated),
        }
    }
}

/// Validates Twilio webhooks in front of a service; see the [module docs](self).
#[derive(Clone, Debug)]
pub struct TwilioLayer {
    config: Arc<WebhookConfig>,
}

impl TwilioLayer {
    /// A layer checking requests against `config`.
    pub fn new(config: WebhookConfig) -> Self {
        TwilioLayer::shared(Arc::new(config))
    }

    /// A layer over a config shared with other code.
    pub fn shared(config: Arc<WebhookConfig>) -> Self {
        TwilioLayer { config }
    }
}

impl<S> Layer<S> for TwilioLayer {
    type Service = TwilioService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        TwilioService {
            inner,
            config: Arc::clone(&self.config),
        }
    }
}

/// The service [`TwilioLayer`] wraps around an inner service.
#[derive(Clone, Debug)]
pub struct TwilioService<S> {
    inner: S,
    config: Arc<WebhookConfig>,
}

impl<S, B, ResBody> Service<Request<B>> for TwilioService<S>
where
    S: Service<Request<Full<Bytes>>, Response = Response<ResBody>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Send,
    B: Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<BoxError>,
    ResBody: Body<Data = Bytes> + Send + 'static,
    ResBody::Error: Into<BoxError>,
{
    type Response = Response<ResponseBody>;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        // The clone that was driven to readiness is the one to call; keep a fresh clone.
        let clone = self.inner.clone();
        let inner = std::mem::replace(&mut self.inner, clone);
        Box::pin(handle(Arc::clone(&self.config), inner, request))
    }
}

async fn handle<S, B, ResBody>(
    config: Arc<WebhookConfig>,
    mut inner: S,
    request: Request<B>,
) -> Result<Response<ResponseBody>, S::Error>
where
    S: Service<Request<Full<Bytes>>, Response = Response<ResBody>>,
    B: Body,
    ResBody: Body<Data = Bytes> + Send + 'static,
    ResBody::Error: Into<BoxError>,
{
    let (mut parts, body) = request.into_parts();
    let body = std::pin::pin!(BodyDataStream::new(body));
    let target = target(&parts);
    let received = config.receive(webhook_request(&parts, &target), body).await;
    let (webhook, mut ticket) = match received {
        Ok(Verdict::Handle(webhook, ticket)) => (webhook, ticket),
        Ok(Verdict::Replay(stored)) => return Ok(respond(Answer::from(&stored))),
        Err(r) => return Ok(rejection_response(&r)),
    };
    let body = Full::new(webhook.body().clone());
    parts.extensions.insert(webhook);
    ticket.arm();
    let response = match inner.call(Request::from_parts(parts, body)).await {
        Ok(response) => response,
        Err(e) => {
            ticket.fail().await;
            return Err(e);
        }
    };
    if !ticket.records() {
        return Ok(response.map(boxed));
    }
    let (parts, body) = response.into_parts();
    let Ok(collected) = body.collect().await else {
        ticket.fail().await;
        return Ok(rejection_response(&Rejection::ResponseFailed));
    };
    let bytes = collected.to_bytes();
    let content_type = parts
        .headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    ticket
        .record(parts.status.as_u16(), content_type, bytes.clone())
        .await;
    Ok(Response::from_parts(parts, boxed(Full::new(bytes))))
}

/// The request target exactly as received: under Lambda, the one the event names (see
/// [`crate::lambda`]); under axum, the URI before any `nest` stripped its prefix.
fn target(parts: &Parts) -> Cow<'_, str> {
    #[cfg(feature = "lambda")]
    if let Some(target) = crate::lambda::signed_target(parts) {
        return Cow::Owned(target);
    }
    #[cfg(feature = "axum")]
    if let Some(axum::extract::OriginalUri(uri)) = parts.extensions.get() {
        return Cow::Borrowed(path_and_query(uri));
    }
    Cow::Borrowed(path_and_query(&parts.uri))
}

fn path_and_query(uri: &http::Uri) -> &str {
    uri.path_and_query().map_or("/", |pq| pq.as_str())
}

fn webhook_request<'a>(parts: &'a Parts, target: &'a str) -> WebhookRequest<'a> {
    // Never the URI's scheme: an absolute-form target (HTTP/1.1) or `:scheme` (HTTP/2) is
    // whatever the client wrote, so `POST https://…` on a plain listener would verify against
    // an https URL. The scheme is the listener's (`WebhookConfig::listener_scheme`).
    WebhookRequest::new(parts.method.as_str(), target, &parts.headers)
        .peer(peer(parts))
        .authority(parts.uri.authority().map(|a| a.as_str()))
}

fn peer(parts: &Parts) -> Option<SocketAddr> {
    #[cfg(feature = "axum")]
    if let Some(axum::extract::ConnectInfo(addr)) = parts
        .extensions
        .get::<axum::extract::ConnectInfo<SocketAddr>>()
    {
        return Some(*addr);
    }
    parts.extensions.get::<PeerAddr>().map(|p| p.0)
}

fn boxed<B>(body: B) -> ResponseBody
where
    B: Body<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    body.map_err(Into::into).boxed_unsync()
}

/// The response for a rejection: its status, fixed text and required header.
pub fn rejection_response(rejection: &Rejection) -> Response<ResponseBody> {
    respond(Answer::from(rejection))
}

/// The flow's own answer (a rejection or a replay's stored response) as a response.
fn respond(answer: Answer<'_>) -> Response<ResponseBody> {
    let headers = answer.headers();
    let mut response = Response::new(boxed(Full::new(answer.body)));
    *response.status_mut() =
        StatusCode::from_u16(answer.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    for (name, value) in headers {
        if let Ok(value) = HeaderValue::from_str(value) {
            response
                .headers_mut()
                .insert(HeaderName::from_static(name), value);
        }
    }
    response
}
