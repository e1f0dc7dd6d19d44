//! axum extractors (feature `axum`): [`TwilioRequest<T>`](crate::TwilioRequest) (the verified
//! pairs read as `T`) and [`VerifiedWebhook`] itself, behind the
//! [`TwilioLayer`](crate::tower::TwilioLayer); and `IntoResponse` for [`Rejection`].
//!
//! ```
//! # #[cfg(feature = "axum")]
//! # mod doc {
//! use axum::{Router, routing::post};
//! use serde::Deserialize;
//! use twilio_webhook::tower::TwilioLayer;
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

use axum::extract::FromRequestParts;
use axum::response::{IntoResponse, Response};
use http::request::Parts;

use crate::LOG_TARGET;
use crate::rejection::Rejection;
use crate::tower::rejection_response;
use crate::webhook::{FromWebhook, TwilioRequest, VerifiedWebhook};

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

/// The verified pairs read as `T` (needs [`TwilioLayer`](crate::tower::TwilioLayer): 500
/// without it; 400 when the pairs do not fit `T`).
impl<T: FromWebhook, S: Send + Sync> FromRequestParts<S> for TwilioRequest<T> {
    type Rejection = Rejection;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Rejection> {
        TwilioRequest::new(verified(parts)?.clone())
    }
}
