//! Every HTTP error the server answers with, and its status, in one place.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::store::StoreError;

/// The realm of the organiser's basic-auth challenge, whether credentials are configured or
/// not (here, where [`HttpError::Unauthorized`] writes it, so `auth` and `error` do not
/// import each other).
pub(crate) const REALM: &str = "sms-ratings organisers";

/// An error response. The body is a fixed short text; details go to the log only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub(crate) enum HttpError {
    /// An organiser form naming an action there is none of. (A webhook's signature, method,
    /// size, content type and missing fields are the library layer's rejections.)
    #[error("bad request")]
    BadRequest,
    /// Organiser pages with no organiser credentials configured (fail closed).
    #[error("authentication required")]
    Unauthorized,
    /// A state-changing organiser request that did not come from our own page (cross-site
    /// origin, or no matching anti-forgery token).
    #[error("forbidden: this form did not come from this site; reload the page and try again")]
    Forbidden,
    /// No such event.
    #[error("not found")]
    NotFound,
    /// Too many failed organiser sign-ins from this client address; retry after this many
    /// seconds.
    #[error("too many failed sign-ins, retry later")]
    RateLimited(u64),
    /// The database cannot take the request now; retry (Twilio does).
    #[error("service unavailable")]
    Unavailable,
    /// A bug or corrupt data, or no key configured (fail closed).
    #[error("internal error")]
    Internal,
}

impl HttpError {
    /// The status code.
    pub(crate) fn status(self) -> StatusCode {
        match self {
            Self::BadRequest => StatusCode::BAD_REQUEST,
            Self::Unauthorized => StatusCode::UNAUTHORIZED,
            Self::Forbidden => StatusCode::FORBIDDEN,
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::RateLimited(_) => StatusCode::TOO_MANY_REQUESTS,
            Self::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl IntoResponse for HttpError {
    fn into_response(self) -> Response {
        let mut response = (self.status(), self.to_string()).into_response();
        let headers = response.headers_mut();
        match self {
            Self::Unauthorized => {
                // The same realm as the configured credentials' challenge.
                let challenge = format!("Basic realm=\"{}\", charset=\"UTF-8\"", REALM);
                if let Ok(value) = HeaderValue::from_str(&challenge) {
                    headers.insert(header::WWW_AUTHENTICATE, value);
                }
            }
            Self::Unavailable => {
                headers.insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
            }
            Self::RateLimited(seconds) => {
                headers.insert(header::RETRY_AFTER, HeaderValue::from(seconds));
            }
            _ => {}
        }
        response
    }
}

impl From<StoreError> for HttpError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Unavailable(_) | StoreError::Conflict(_) => Self::Unavailable,
            StoreError::UnknownEvent(_) => Self::NotFound,
            _ => Self::Internal,
        }
    }
}
