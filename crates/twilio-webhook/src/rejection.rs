//! Why a webhook request was turned away, and the one place that maps each reason to an HTTP
//! status and a short fixed body.
//!
//! Adapters (tower, actix, a hand-written hyper service) only translate a [`Rejection`] into
//! their response type; they never choose a status themselves. The body text is generic on
//! purpose: a caller probing the endpoint learns nothing about which check failed. The reason
//! goes to the log (see [`crate::flow`]).
//!
//! ```
//! use twilio_webhook::{Rejection, ValidationError};
//!
//! let r = Rejection::Signature(ValidationError::SignatureMismatch);
//! assert_eq!((r.status(), r.body()), (403, "Twilio request validation failed"));
//! assert_eq!(Rejection::Signature(ValidationError::MissingSignature).status(), 400);
//! assert_eq!(Rejection::PayloadTooLarge.status(), 413);
//! ```

use std::sync::Arc;

use crate::url::ResolveError;
use crate::validation_error::ValidationError;

/// Why a webhook request was rejected. [`status`](Rejection::status) gives its HTTP status.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Rejection {
    /// The signature check failed; the inner error says how (400, 403 or 500).
    #[error("{0}")]
    Signature(ValidationError),
    /// The route does not accept this method (405, with `Allow`).
    #[error("method not allowed")]
    MethodNotAllowed {
        /// The `Allow` header value: the methods the route accepts.
        allow: Arc<str>,
    },
    /// Basic auth is configured and the credentials are missing or wrong (401, with
    /// `WWW-Authenticate`, which is what makes Twilio retry with its credentials).
    #[error("missing or wrong basic-auth credentials")]
    Unauthorized {
        /// The `WWW-Authenticate` header value.
        challenge: Arc<str>,
    },
    /// The body is over the configured limit (413), found before any MAC is computed.
    #[error("body over the size limit")]
    PayloadTooLarge,
    /// A body that is neither a form nor bound to the signature by `bodySHA256` (415).
    #[error("body is neither a form nor signed with bodySHA256")]
    UnsupportedMediaType,
    /// The form body or query has a malformed percent-escape or is not UTF-8, or a form
    /// pair has no name (400).
    #[error("malformed form encoding")]
    MalformedForm,
    /// More than one `X-Twilio-Signature` (or signature-settings) header (400).
    #[error("repeated signature header")]
    RepeatedSignatureHeader,
    /// A header the check needs is not valid visible ASCII, or repeats where it must not (400).
    #[error("malformed header")]
    MalformedHeader,
    /// The URL Twilio requested cannot be rebuilt from this request (400).
    #[error("{0}")]
    Url(ResolveError),
    /// The body could not be read (client gone, broken chunking) (400).
    #[error("body could not be read")]
    BodyRead,
    /// The same signed request is being handled right now (409); Twilio will retry.
    #[error("replay of a request still in flight")]
    ReplayInFlight,
    /// A repeat of a handled request whose response was too large to keep (409): the
    /// handler does not run again. See [`crate::replay::MAX_STORED_BODY`].
    #[error("replay of a request whose response was not kept")]
    ReplayNotKept,
    /// The replay store failed; failing closed (503) makes Twilio retry later.
    #[error("replay store unavailable")]
    ReplayUnavailable,
    /// The verified pairs do not deserialize into the handler's type (400).
    #[error("parameters do not match the expected type")]
    Deserialize,
    /// A `POST` without parameters on a route that also takes `GET` (403): it signs what a
    /// `GET` of the same URL signs, so the signature cannot tell which method Twilio used.
    #[error("empty POST on a route that also takes GET")]
    AmbiguousMethod,
    /// The handler's response failed (an error, or a body that broke while being buffered)
    /// (500); the request is forgotten by the replay guard, so Twilio's retry runs again.
    #[error("handler response failed")]
    ResponseFailed,
    /// A handler asked for the verified webhook on a route without the layer or middleware
    /// (500: a wiring mistake, failing closed).
    #[error("route is not protected by the Twilio layer")]
    NotVerified,
}

impl Rejection {
    /// The HTTP status code.
    pub fn status(&self) -> u16 {
        use ValidationError as V;
        match self {
            Rejection::Signature(e) => match e {
                V::MissingSignature | V::MalformedSignature | V::MalformedSignatureSettings => 400,
                V::MissingBodyHash => 415,
                // Our own misconfiguration only: nothing a client sends can cause it.
                V::NoKey => 500,
                // A settings header on an Auth-Token route comes from the client (403).
                V::SharedKeyNotConfigured
                | V::SignatureMismatch
                | V::BodyHashMismatch
                | V::UnknownAccount
                | V::UnknownSharedKey
                | V::UnsupportedAlgorithm
                | V::MissingSignatureSettings => 403,
            },
            Rejection::MethodNotAllowed { .. } => 405,
            Rejection::Unauthorized { .. } => 401,
            Rejection::PayloadTooLarge => 413,
            Rejection::UnsupportedMediaType => 415,
            Rejection::MalformedForm
            | Rejection::RepeatedSignatureHeader
            | Rejection::MalformedHeader
            | Rejection::Url(_)
            | Rejection::BodyRead
            | Rejection::Deserialize => 400,
            Rejection::AmbiguousMethod => 403,
            Rejection::ReplayInFlight | Rejection::ReplayNotKept => 409,
            Rejection::ReplayUnavailable => 503,
            Rejection::NotVerified | Rejection::ResponseFailed => 500,
        }
    }

    /// The short, fixed response body for the status: never the reason itself.
    pub fn body(&self) -> &'static str {
        match self.status() {
            400 => "Bad request",
            401 => "Unauthorized",
            403 => "Twilio request validation failed",
            405 => "Method not allowed",
            409 => "Duplicate request",
            413 => "Payload too large",
            415 => "Unsupported media type",
            503 => "Service unavailable",
            _ => "Internal server error",
        }
    }

    /// The header the response must carry, if any: `Allow` for 405, `WWW-Authenticate`
    /// for 401.
    pub fn header(&self) -> Option<(&'static str, &str)> {
        match self {
            Rejection::MethodNotAllowed { allow } => Some(("allow", allow)),
            Rejection::Unauthorized { challenge } => Some(("www-authenticate", challenge)),
            _ => None,
        }
    }

    /// The content type of [`body`](Rejection::body).
    pub const CONTENT_TYPE: &'static str = "text/plain; charset=utf-8";
}

impl From<ValidationError> for Rejection {
    fn from(e: ValidationError) -> Self {
        Rejection::Signature(e)
    }
}

impl From<ResolveError> for Rejection {
    fn from(e: ResolveError) -> Self {
        Rejection::Url(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_follow_the_design_table() {
        use ValidationError as V;
        let cases = [
            (Rejection::Signature(V::MalformedSignature), 400),
            (Rejection::Signature(V::UnknownAccount), 403),
            (Rejection::Signature(V::UnsupportedAlgorithm), 403),
            (Rejection::Signature(V::MissingSignatureSettings), 403),
            (Rejection::Signature(V::SharedKeyNotConfigured), 403),
            (Rejection::Signature(V::NoKey), 500),
            (Rejection::MalformedForm, 400),
            (Rejection::UnsupportedMediaType, 415),
            (Rejection::ReplayInFlight, 409),
            (Rejection::NotVerified, 500),
        ];
        for (r, status) in cases {
            assert_eq!(r.status(), status, "{r:?}");
        }
        let r = Rejection::Unauthorized {
            challenge: "Basic realm=\"x\"".into(),
        };
        assert_eq!(r.header(), Some(("www-authenticate", "Basic realm=\"x\"")));
        assert_eq!(r.body(), "Unauthorized");
    }
}
