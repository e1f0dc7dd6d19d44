//! `tower` middleware (feature `tower`) and axum extractors (feature `axum`).
//!
//! [`TwilioLayer`] runs every check of [`WebhookConfig`] before the inner service sees the
//! request: it refuses early what it can (405, 401, 413 by `Content-Length`), reads the body
//! up to the limit (413 beyond it, before any MAC), verifies, asks the replay guard, and hands
//! the request on with the body re-attached and the [`VerifiedWebhook`](crate::VerifiedWebhook)
//! in its extensions.
//! Rejections become responses with the status and fixed text of [`Rejection`]; the reason
//! goes to the log.
//!
//! With axum, take [`TwilioRequest<T>`] (the verified pairs deserialized into `T`) or
//! [`VerifiedWebhook`](crate::VerifiedWebhook) itself as an extractor:
//!
//! ```
//! # #[cfg(feature = "axum")]
//! # mod doc {
//! use axum::{Router, routing::post};
//! use serde::Deserialize;
//! use twilio_webhook::tower::{TwilioLayer, TwilioRequest};
//! use twilio_webhook::{PublicUrl, Validator, WebhookConfig};
//!
//! #[derive(Deserialize)]
//! struct Sms {
//!     #[serde(rename = "Body")]
//!     body: String,
//! }
//!
//! async fn sms(sms: TwilioRequest<Sms>) -> String {
//!     format!("you said {}", sms.body)
//! }
//!
//! pub fn app() -> Result<Router, Box<dyn std::error::Error>> {
//!     let config = WebhookConfig::new(
//!         Validator::from_token("auth-token")?,
//!         PublicUrl::base("https://example.com")?,
//!     );
//!     Ok(Router::new().route("/sms", post(sms).layer(TwilioLayer::new(config))))
//! }
//! # }
//! # fn main() {
//! #     #[cfg(feature = "axum")]
//! #     {
//! #         use tower::ServiceExt as _;
//! #         let app = doc::app().unwrap();
//! #         let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
//! #         let request = http::Request::post("/sms")
//! #             .header("host", "example.com")
//! #             .header("content-type", "application/x-www-form-urlencoded")
//! #             .body(axum::body::Body::from("Body=hi"))
//! #             .unwrap();
//! #         // Unsigned: refused before the handler.
//! #         let response = rt.block_on(app.oneshot(request)).unwrap();
//! #         assert_eq!(response.status(), 400);
//! #     }
//! # }
//! ```

use std::fmt;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use http::header::{CONTENT_TYPE, HeaderName, HeaderValue};
use http::request::Parts;
use http::{HeaderMap, Request, Response, StatusCode};
use http_body::{Body, Frame};
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::{BodyExt as _, Full, LengthLimitError, Limited};
use tower::{Layer, Service};

use crate::rejection::Rejection;
use crate::replay::StoredResponse;
use crate::request::{HeaderSource, LOG_TARGET, ReplayState, WebhookConfig, WebhookRequest};

/// A boxed error, as `tower` and `hyper` use them.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

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
    B::Error: Into<BoxError>,
    ResBody: Body<Data = Bytes> + Send + 'static,
    ResBody::Error: Into<BoxError>,
{
    let (mut parts, body) = request.into_parts();
    let target = target(&parts);
    let mut body = std::pin::pin!(body);
    let prechecked = config.precheck(&webhook_request(&parts, &target));
    if let Err(r) = prechecked {
        drain(body).await;
        return Ok(rejection_response(&r));
    }
    let body = match Limited::new(body.as_mut(), config.max_body())
        .collect()
        .await
    {
        Ok(collected) => collected.to_bytes(),
        Err(e) => {
            let r = if e.is::<LengthLimitError>() {
                drain(body).await;
                Rejection::PayloadTooLarge
            } else {
                Rejection::BodyRead
            };
            return Ok(rejection_response(
                &config.reject(&webhook_request(&parts, &target), r),
            ));
        }
    };
    let webhook = match config.verify_prechecked(&webhook_request(&parts, &target), body.clone()) {
        Ok(webhook) => webhook,
        Err(r) => return Ok(rejection_response(&r)),
    };
    let state = match config.begin_replay(&webhook).await {
        Ok(state) => state,
        Err(r) => return Ok(rejection_response(&r)),
    };
    parts.extensions.insert(webhook);
    let request = Request::from_parts(parts, Full::new(body));
    match state {
        ReplayState::Replayed(stored) => Ok(stored_response(&stored)),
        ReplayState::Fresh(ticket) => {
            // An error from the inner service drops the ticket, which lets the retry through.
            let (parts, body) = inner.call(request).await?.into_parts();
            let collected = body.collect().await.map_err(Into::<BoxError>::into);
            match collected {
                Ok(collected) => {
                    let bytes = collected.to_bytes();
                    let content_type = parts
                        .headers
                        .get(CONTENT_TYPE)
                        .and_then(|v| v.to_str().ok());
                    let stored =
                        StoredResponse::new(parts.status.as_u16(), content_type, bytes.to_vec());
                    if let Err(e) = ticket.finish(stored).await {
                        tracing::warn!(target: LOG_TARGET, reason = %e, "could not store the response for replays");
                    }
                    Ok(Response::from_parts(parts, boxed(Full::new(bytes))))
                }
                Err(e) => {
                    let _ = ticket.abort().await;
                    Ok(Response::from_parts(parts, boxed(Failed(Some(e)))))
                }
            }
        }
        ReplayState::Off => Ok(inner.call(request).await?.map(boxed)),
    }
}

/// How much of a rejected request's body is read and thrown away before answering.
///
/// Closing a connection while the client is still sending makes the kernel reset it, and the
/// client then sees "connection reset" or "broken pipe" instead of the 401, 405 or 413 it was
/// sent. Reading on lets an ordinary client finish sending and read the answer; the cap keeps
/// a huge body from costing more than this much reading.
const DRAIN_BYTES: usize = 1024 * 1024;

/// Reads and discards what is left of `body`, up to [`DRAIN_BYTES`].
async fn drain<B: Body>(mut body: Pin<&mut B>) {
    let mut left = DRAIN_BYTES;
    while let Some(Ok(frame)) = body.frame().await {
        let read = frame.data_ref().map_or(0, bytes::Buf::remaining);
        match left.checked_sub(read) {
            Some(rest) => left = rest,
            None => return,
        }
    }
}

/// The request target exactly as received: under axum, the URI before any `nest` stripped
/// its prefix.
fn target(parts: &Parts) -> String {
    #[cfg(feature = "axum")]
    if let Some(axum::extract::OriginalUri(uri)) = parts.extensions.get() {
        return path_and_query(uri).to_owned();
    }
    path_and_query(&parts.uri).to_owned()
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
    let mut response = Response::new(boxed(Full::new(Bytes::from_static(
        rejection.body().as_bytes(),
    ))));
    *response.status_mut() =
        StatusCode::from_u16(rejection.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let headers = response.headers_mut();
    headers.insert(
        CONTENT_TYPE,
        HeaderValue::from_static(Rejection::CONTENT_TYPE),
    );
    if let Some((name, value)) = rejection.header()
        && let Ok(value) = HeaderValue::from_str(value)
    {
        headers.insert(HeaderName::from_static(name), value);
    }
    response
}

/// The stored response a replay gets.
fn stored_response(stored: &StoredResponse) -> Response<ResponseBody> {
    let mut response = Response::new(boxed(Full::new(Bytes::copy_from_slice(stored.body()))));
    *response.status_mut() = StatusCode::from_u16(stored.status()).unwrap_or(StatusCode::OK);
    if let Some(value) = stored
        .content_type()
        .and_then(|c| HeaderValue::from_str(c).ok())
    {
        response.headers_mut().insert(CONTENT_TYPE, value);
    }
    response
}

/// A body that fails once: passes on the inner response body's error after buffering it.
struct Failed(Option<BoxError>);

impl Body for Failed {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        Poll::Ready(self.0.take().map(Err))
    }
}

impl fmt::Debug for Failed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Failed")
    }
}

#[cfg(feature = "axum")]
mod extract {
    use axum::extract::FromRequestParts;
    use axum::response::{IntoResponse, Response};
    use http::request::Parts;
    use serde::de::DeserializeOwned;

    use super::rejection_response;
    use crate::rejection::Rejection;
    use crate::request::{LOG_TARGET, TwilioRequest, VerifiedWebhook};

    impl IntoResponse for Rejection {
        fn into_response(self) -> Response {
            rejection_response(&self).map(axum::body::Body::new)
        }
    }

    /// The verified webhook, for handlers that want the pairs, body or key info as is.
    impl<S: Send + Sync> FromRequestParts<S> for VerifiedWebhook {
        type Rejection = Rejection;

        async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Rejection> {
            verified(parts).cloned()
        }
    }

    fn verified(parts: &Parts) -> Result<&VerifiedWebhook, Rejection> {
        parts.extensions.get::<VerifiedWebhook>().ok_or_else(|| {
            tracing::error!(target: LOG_TARGET, outcome = "rejected", reason = %Rejection::NotVerified, "handler wants a verified webhook but the route has no TwilioLayer");
            Rejection::NotVerified
        })
    }

    /// The verified pairs deserialized into `T` (needs [`TwilioLayer`](super::TwilioLayer):
    /// 500 without it; 400 when the pairs do not fit `T`).
    impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for TwilioRequest<T> {
        type Rejection = Rejection;

        async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Rejection> {
            TwilioRequest::new(verified(parts)?.clone())
        }
    }
}

#[cfg(feature = "axum")]
#[cfg_attr(docsrs, doc(cfg(feature = "axum")))]
pub use crate::request::TwilioRequest;
