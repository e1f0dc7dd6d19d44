//! The audience's read-only view behind a share link, `/p/{token}`: live figures and
//! comments without phone numbers, hidden comments or anything else of the organiser's. The
//! token is 32 random bytes; revoking or regenerating it makes the old link answer 404 and
//! ends its open streams at their next update. Every read is the event's latest public
//! frame from the [`hub`](super::hub), the bytes its streams get: no read builds a snapshot.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::{App, PageQuery, live, qr, render};
use crate::model::Event;
use crate::server::error::HttpError;

/// The event behind `token`; 404 for a malformed, revoked or unknown token.
async fn shared(app: &App, token: &str) -> Result<Event, HttpError> {
    if !crate::server::csrf::is_token(token) {
        return Err(HttpError::NotFound);
    }
    let event = app
        .ratings
        .store()
        .event_by_share_token(token.to_owned())
        .await?;
    event.ok_or(HttpError::NotFound)
}

pub(crate) async fn page(
    State(app): State<App>,
    Path(token): Path<String>,
    Query(query): Query<PageQuery>,
) -> Result<Response, HttpError> {
    let event = shared(&app, &token).await?;
    let snap = app
        .streams
        .public_snapshot(&app.ratings, &event.code, &token)
        .await?;
    let all = app.ratings.store().events().await?;
    let urls = render::PageUrls {
        live: format!("/p/{token}/live"),
        poll: format!("/p/{token}/snapshot"),
        transport: query.transport(),
    };
    let how = render::HowToVote::of(&event, &all);
    let origins = app
        .ratings
        .store()
        .event_settings(event.code.clone())
        .await?
        .map(|s| s.frame_origins())
        .unwrap_or_default();
    let mut page = render::EventPage::new(&event, how, snap, urls, &app.default_zone);
    page.qr_url = page.sms_link.as_ref().map(|_| format!("/p/{token}/qr.svg"));
    let mut response = render::page(StatusCode::OK, &page);
    response
        .extensions_mut()
        .insert(super::FrameOrigins(origins));
    Ok(response)
}

pub(crate) async fn stream(
    State(app): State<App>,
    Path(token): Path<String>,
) -> Result<impl IntoResponse, HttpError> {
    let event = shared(&app, &token).await?;
    live::public_stream(&app, event.code, token).await
}

pub(crate) async fn snapshot(
    State(app): State<App>,
    Path(token): Path<String>,
) -> Result<Response, HttpError> {
    let event = shared(&app, &token).await?;
    let snap = app
        .streams
        .public_snapshot(&app.ratings, &event.code, &token)
        .await?;
    Ok(live::json_response(&snap))
}

pub(crate) async fn qr_svg(
    State(app): State<App>,
    Path(token): Path<String>,
) -> Result<Response, HttpError> {
    qr::svg_response(&shared(&app, &token).await?)
}
