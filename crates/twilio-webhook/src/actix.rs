//! actix-web 4 middleware and extractors (feature `actix`).
//!
//! [`TwilioMiddleware`] does what the tower layer does: early refusals (405, 401, 413 by
//! `Content-Length`), the body read up to the limit (413 beyond it, before any MAC),
//! verification, the replay guard; then the handler runs with the body re-attached and the
//! [`VerifiedWebhook`] in the request extensions. Take [`TwilioRequest<T>`] or
//! [`VerifiedWebhook`] as an extractor.
//!
//! ```no_run
//! use actix_web::{App, HttpServer, web};
//! use serde::Deserialize;
//! use twilio_webhook::actix::{TwilioMiddleware, TwilioRequest};
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
//! #[actix_web::main]
//! async fn main() -> Result<(), Box<dyn std::error::Error>> {
//!     let config = WebhookConfig::new(
//!         Validator::from_token("auth-token")?,
//!         PublicUrl::base("https://example.com")?,
//!     );
//!     let middleware = TwilioMiddleware::new(config);
//!     HttpServer::new(move || {
//!         App::new().service(
//!             web::resource("/sms").wrap(middleware.clone()).route(web::post().to(sms)),
//!         )
//!     })
//!     .bind(("127.0.0.1", 3000))?
//!     .run()
//!     .await?;
//!     Ok(())
//! }
//! ```

use std::future::{Ready, ready};
use std::rc::Rc;
use std::sync::Arc;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{Payload, Service, ServiceRequest, ServiceResponse, Transform, forward_ready};
use actix_web::http::StatusCode;
use actix_web::http::header::{CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue};
use actix_web::{FromRequest, HttpMessage as _, HttpRequest, HttpResponse, ResponseError};
use bytes::{Bytes, BytesMut};
use futures_util::StreamExt as _;
use futures_util::future::LocalBoxFuture;
use serde::de::DeserializeOwned;

use crate::rejection::Rejection;
use crate::replay::StoredResponse;
pub use crate::request::TwilioRequest;
use crate::request::{
    HeaderSource, LOG_TARGET, ReplayState, VerifiedWebhook, WebhookConfig, WebhookRequest,
};
use crate::url::Scheme;

impl HeaderSource for HeaderMap {
    fn header_values(&self, name: &str) -> Vec<&[u8]> {
        self.get_all(name).map(HeaderValue::as_bytes).collect()
    }
}

impl ResponseError for Rejection {
    fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    fn error_response(&self) -> HttpResponse {
        rejection_response(self)
    }
}

/// The response for a rejection: its status, fixed text and required header.
pub fn rejection_response(rejection: &Rejection) -> HttpResponse {
    let mut response = HttpResponse::build(rejection.status_code());
    response.insert_header((CONTENT_TYPE, Rejection::CONTENT_TYPE));
    if let Some((name, value)) = rejection.header()
        && let Ok(value) = HeaderValue::from_str(value)
    {
        response.insert_header((HeaderName::from_static(name), value));
    }
    response.body(rejection.body())
}

/// Validates Twilio webhooks in front of a resource or scope; see the [module docs](self).
#[derive(Clone, Debug)]
pub struct TwilioMiddleware {
    config: Arc<WebhookConfig>,
}

impl TwilioMiddleware {
    /// Middleware checking requests against `config`.
    pub fn new(config: WebhookConfig) -> Self {
        TwilioMiddleware::shared(Arc::new(config))
    }

    /// Middleware over a config shared with other code (and across workers).
    pub fn shared(config: Arc<WebhookConfig>) -> Self {
        TwilioMiddleware { config }
    }
}

impl<S, B> Transform<S, ServiceRequest> for TwilioMiddleware
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error> + 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<BoxBody>;
    type Error = actix_web::Error;
    type Transform = TwilioService<S>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, Self::InitError>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(TwilioService {
            service: Rc::new(service),
            config: Arc::clone(&self.config),
        }))
    }
}

/// The service [`TwilioMiddleware`] wraps around a resource.
#[derive(Debug)]
pub struct TwilioService<S> {
    service: Rc<S>,
    config: Arc<WebhookConfig>,
}

impl<S, B> Service<ServiceRequest> for TwilioService<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error> + 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<BoxBody>;
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Self::Response, Self::Error>>;

    forward_ready!(service);

    fn call(&self, request: ServiceRequest) -> Self::Future {
        Box::pin(handle(
            Rc::clone(&self.service),
            Arc::clone(&self.config),
            request,
        ))
    }
}

async fn handle<S, B>(
    service: Rc<S>,
    config: Arc<WebhookConfig>,
    mut request: ServiceRequest,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody + 'static,
{
    let target = request
        .uri()
        .path_and_query()
        .map_or("/", |pq| pq.as_str())
        .to_owned();
    if let Err(r) = config.precheck(&webhook_request(&request, &target)) {
        return Ok(request.into_response(rejection_response(&r)));
    }
    let body = match read_body(request.take_payload(), config.max_body()).await {
        Ok(body) => body,
        Err(r) => {
            let r = config.reject(&webhook_request(&request, &target), r);
            return Ok(request.into_response(rejection_response(&r)));
        }
    };
    let webhook = match config.verify_prechecked(&webhook_request(&request, &target), body.clone())
    {
        Ok(webhook) => webhook,
        Err(r) => return Ok(request.into_response(rejection_response(&r))),
    };
    let state = match config.begin_replay(&webhook).await {
        Ok(state) => state,
        Err(r) => return Ok(request.into_response(rejection_response(&r))),
    };
    request.extensions_mut().insert(webhook);
    request.set_payload(Payload::from(body));
    match state {
        ReplayState::Replayed(stored) => Ok(request.into_response(stored_response(&stored))),
        ReplayState::Off => Ok(service.call(request).await?.map_into_boxed_body()),
        ReplayState::Fresh(ticket) => {
            // An error from the service drops the ticket, which lets the retry through.
            let response = service.call(request).await?;
            let (http_request, response) = response.into_parts();
            let (head, body) = response.into_parts();
            let bytes = match actix_web::body::to_bytes(body).await {
                Ok(bytes) => bytes,
                Err(_) => {
                    let _ = ticket.abort().await;
                    return Err(actix_web::error::ErrorInternalServerError(
                        "response body failed",
                    ));
                }
            };
            let content_type = head
                .headers()
                .get(CONTENT_TYPE)
                .and_then(|v| v.to_str().ok());
            let stored = StoredResponse::new(head.status().as_u16(), content_type, bytes.to_vec());
            if let Err(e) = ticket.finish(stored).await {
                tracing::warn!(target: LOG_TARGET, reason = %e, "could not store the response for replays");
            }
            Ok(ServiceResponse::new(
                http_request,
                head.set_body(BoxBody::new(bytes)),
            ))
        }
    }
}

/// Reads the payload, refusing (413) as soon as it passes `limit`.
async fn read_body(mut payload: Payload, limit: usize) -> Result<Bytes, Rejection> {
    let mut body = BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|_| Rejection::BodyRead)?;
        if body.len() + chunk.len() > limit {
            return Err(Rejection::PayloadTooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}

fn webhook_request<'a>(request: &'a ServiceRequest, target: &'a str) -> WebhookRequest<'a> {
    let secure = request.app_config().secure();
    // The listener's own TLS flag: `connection_info()` would believe forwarded headers from
    // anyone, which is the public-URL policy's decision, not actix's. A plain listener
    // leaves the scheme to `WebhookConfig::listener_scheme` (it may sit behind TLS).
    let request = WebhookRequest::new(request.method().as_str(), target, request.headers())
        .peer(request.peer_addr())
        .authority(request.uri().authority().map(|a| a.as_str()));
    if secure {
        request.scheme(Scheme::Https)
    } else {
        request
    }
}

/// The stored response a replay gets.
fn stored_response(stored: &StoredResponse) -> HttpResponse {
    let status = StatusCode::from_u16(stored.status()).unwrap_or(StatusCode::OK);
    let mut response = HttpResponse::build(status);
    if let Some(value) = stored
        .content_type()
        .and_then(|c| HeaderValue::from_str(c).ok())
    {
        response.insert_header((CONTENT_TYPE, value));
    }
    response.body(Bytes::copy_from_slice(stored.body()))
}

fn verified(request: &HttpRequest) -> Result<VerifiedWebhook, Rejection> {
    request
        .extensions()
        .get::<VerifiedWebhook>()
        .cloned()
        .ok_or_else(|| {
            tracing::error!(target: LOG_TARGET, outcome = "rejected", reason = %Rejection::NotVerified, "handler wants a verified webhook but the route has no TwilioMiddleware");
            Rejection::NotVerified
        })
}

/// The verified webhook, for handlers that want the pairs, body or key info as is.
impl FromRequest for VerifiedWebhook {
    type Error = Rejection;
    type Future = Ready<Result<Self, Rejection>>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(verified(request))
    }
}

/// The verified pairs deserialized into `T` (needs [`TwilioMiddleware`]: 500 without it;
/// 400 when the pairs do not fit `T`).
impl<T: DeserializeOwned> FromRequest for TwilioRequest<T> {
    type Error = Rejection;
    type Future = Ready<Result<Self, Rejection>>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(verified(request).and_then(TwilioRequest::new))
    }
}
