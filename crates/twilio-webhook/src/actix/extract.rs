//! The actix-web extractors: [`VerifiedWebhook`] and [`TwilioRequest<T>`], read from the
//! request extensions [`TwilioMiddleware`](super::TwilioMiddleware) fills.

use std::future::{Ready, ready};

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpMessage as _, HttpRequest};

use crate::LOG_TARGET;
use crate::rejection::Rejection;
use crate::webhook::{FromWebhook, TwilioRequest, VerifiedWebhook};

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

/// The verified pairs read as `T` (needs [`TwilioMiddleware`](super::TwilioMiddleware): 500 without it; 400 when the
/// pairs do not fit `T`).
impl<T: FromWebhook> FromRequest for TwilioRequest<T> {
    type Error = Rejection;
    type Future = Ready<Result<Self, Rejection>>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(verified(request).and_then(TwilioRequest::new))
    }
}
