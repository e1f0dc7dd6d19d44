//! HTTP basic auth for the organiser pages and API (the library's constant-time check).

use axum::extract::{Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::Response;
use twilio_webhook::BasicAuth;

use super::error::HttpError;

/// Middleware: lets the request through only with the organiser's credentials.
/// Without configured credentials every request is refused (fail closed).
pub(crate) async fn require_admin(
    State(credentials): State<Option<BasicAuth>>,
    request: Request,
    next: Next,
) -> Result<Response, HttpError> {
    let given = request
        .headers()
        .get(header::AUTHORIZATION)
        .map(|v| v.as_bytes());
    match credentials.map(|c| c.check(given)) {
        Some(Ok(())) => Ok(next.run(request).await),
        _ => Err(HttpError::Unauthorized),
    }
}
