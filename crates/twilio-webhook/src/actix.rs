//! actix-web 4 middleware and extractors (feature `actix`).
//!
//! [`TwilioMiddleware`] drives every request through the [flow](crate::flow), as the tower
//! layer does: early refusals (405, 401, 413 by `Content-Length`), the body read up to the
//! limit (413 beyond it, before any MAC), verification, the replay guard; then the handler
//! runs with the body re-attached and the [`VerifiedWebhook`](crate::VerifiedWebhook) in the request extensions.
//! Take [`TwilioRequest<T>`](crate::TwilioRequest) or [`VerifiedWebhook`](crate::VerifiedWebhook) as an extractor.
//!
//! ```no_run
//! use actix_web::{App, HttpServer, web};
//! use serde::Deserialize;
//! use twilio_webhook::actix::TwilioMiddleware;
//! use twilio_webhook::{PublicUrl, TwilioRequest, Validator, WebhookConfig};
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

mod extract;

use std::future::{Ready, ready};
use std::rc::Rc;
use std::sync::Arc;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{Payload, Service, ServiceRequest, ServiceResponse, Transform, forward_ready};
use actix_web::http::StatusCode;
use actix_web::http::header::{CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue};
use actix_web::{HttpMessage as _, HttpResponse, ResponseError};
use futures_util::future::LocalBoxFuture;

use crate::config::WebhookConfig;
use crate::flow::{Answer, Verdict};
use crate::rejection::Rejection;
use crate::request::{HeaderSource, Repeated, WebhookRequest};
use crate::url::Scheme;

impl HeaderSource for HeaderMap {
    fn header_values(&self, name: &str) -> Vec<&[u8]> {
        self.get_all(name).map(HeaderValue::as_bytes).collect()
    }

    fn single_value(&self, name: &str) -> Result<Option<&[u8]>, Repeated> {
        let mut values = self.get_all(name);
        match (values.next(), values.next()) {
            (None, _) => Ok(None),
            (Some(one), None) => Ok(Some(one.as_bytes())),
            (Some(_), Some(_)) => Err(Repeated),
        }
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
    respond(Answer::from(rejection))
}

/// The flow's own answer (a rejection or a replay's stored response) as a response.
fn respond(answer: Answer<'_>) -> HttpResponse {
    let status = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = HttpResponse::build(status);
    for (name, value) in answer.headers() {
        if let Ok(value) = HeaderValue::from_str(value) {
            response.insert_header((HeaderName::from_static(name), value));
        }
    }
    response.body(answer.body)
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
    let payload = std::pin::pin!(request.take_payload());
    let received = config.receive(webhook_request(&request), payload).await;
    let (webhook, mut ticket) = match received {
        Ok(Verdict::Handle(webhook, ticket)) => (webhook, ticket),
        Ok(Verdict::Replay(stored)) => {
            return Ok(request.into_response(respond(Answer::from(&stored))));
        }
        Err(r) => return Ok(request.into_response(rejection_response(&r))),
    };
    request.set_payload(Payload::from(webhook.body().clone()));
    request.extensions_mut().insert(webhook);
    ticket.arm();
    let response = match service.call(request).await {
        Ok(response) => response,
        Err(e) => {
            ticket.fail().await;
            return Err(e);
        }
    };
    if !ticket.records() {
        return Ok(response.map_into_boxed_body());
    }
    let (http_request, response) = response.into_parts();
    let (head, body) = response.into_parts();
    let Ok(bytes) = actix_web::body::to_bytes(body).await else {
        ticket.fail().await;
        let failed = rejection_response(&Rejection::ResponseFailed);
        return Ok(ServiceResponse::new(http_request, failed));
    };
    let content_type = head
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    ticket
        .record(head.status().as_u16(), content_type, bytes.clone())
        .await;
    Ok(ServiceResponse::new(
        http_request,
        head.set_body(BoxBody::new(bytes)),
    ))
}

fn webhook_request(request: &ServiceRequest) -> WebhookRequest<'_> {
    let target = request.uri().path_and_query().map_or("/", |pq| pq.as_str());
    // The listener's own TLS flag: `connection_info()` would believe forwarded headers from
    // anyone, which is the public-URL policy's decision, not actix's. A plain listener
    // leaves the scheme to `WebhookConfig::listener_scheme` (it may sit behind TLS).
    let secure = request.app_config().secure();
    let webhook = WebhookRequest::new(request.method().as_str(), target, request.headers())
        .peer(request.peer_addr())
        .authority(request.uri().authority().map(|a| a.as_str()));
    if secure {
        webhook.scheme(Scheme::Https)
    } else {
        webhook
    }
}
