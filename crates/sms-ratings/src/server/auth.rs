//! HTTP basic auth for the organiser pages and API (the library's constant-time check).

use axum::extract::{Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use twilio_webhook::BasicAuth;

use super::error::HttpError;

/// Middleware: lets the request through only with the organiser's credentials.
///
/// A refusal is the library's rejection, so its challenge carries the configured realm.
/// Without configured credentials every request is refused (fail closed).
pub(crate) async fn require_admin(
    State(credentials): State<Option<BasicAuth>>,
    request: Request,
    next: Next,
) -> Response {
    let Some(credentials) = credentials else {
        return HttpError::Unauthorized.into_response();
    };
    let given = request
        .headers()
        .get(header::AUTHORIZATION)
        .map(|v| v.as_bytes());
    match credentials.check(given) {
        Ok(()) => next.run(request).await,
        Err(rejection) => rejection.into_response(),
    }
}
