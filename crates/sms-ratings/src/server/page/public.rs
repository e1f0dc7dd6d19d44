//! The audience's read-only view behind a share link, `/p/{token}`: live figures and
//! comments without phone numbers, hidden comments or anything else of the organiser's. The
//! token is 32 random bytes; revoking or regenerating it makes the old link answer 404 and
//! ends its open streams at their next update.

use axum::extract::{Path, Query, State};
use axum::http::{Extensions, StatusCode};
use axum::response::{IntoResponse, Response};

use super::view::Snapshot;
use super::{App, PageQuery, live, qr, render};
use crate::model::{Event, EventCode};
use crate::server::error::HttpError;
use crate::store::{Store, StoreError};

/// Who a snapshot is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Audience {
    /// The organiser's projector page.
    Organiser,
    /// A share link's page, with its token (checked again at each read).
    Public(String),
}

impl Audience {
    /// The snapshot of `code` this audience sees: the organiser's as read, the public view
    /// derived from it; `None` when the event is gone or the link no longer leads to it.
    pub(crate) async fn read(
        &self,
        store: &dyn Store,
        code: &EventCode,
    ) -> Result<Option<Snapshot>, StoreError> {
        let Some(snap) = Snapshot::read(store, code.clone()).await? else {
            return Ok(None);
        };
        match self {
            Self::Organiser => Ok(Some(snap)),
            Self::Public(token) => {
                let current = store.event_by_share_token(token.clone()).await?;
                Ok(current.filter(|e| e.code == *code).map(|_| snap.public()))
            }
        }
    }
}

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
    let store = app.ratings.store();
    let audience = Audience::Public(token.clone());
    let snap = audience
        .read(store.as_ref(), &event.code)
        .await?
        .ok_or(HttpError::NotFound)?;
    let all = store.events().await?;
    let urls = render::PageUrls {
        live: format!("/p/{token}/live"),
        poll: format!("/p/{token}/snapshot"),
        transport: query.transport(),
    };
    let how = render::HowToVote::of(&event, &all);
    let mut page = render::EventPage::new(&event, how, snap, urls);
    page.qr_url = page.sms_link.as_ref().map(|_| format!("/p/{token}/qr.svg"));
    Ok(render::page(StatusCode::OK, &page))
}

pub(crate) async fn stream(
    State(app): State<App>,
    Path(token): Path<String>,
    extensions: Extensions,
) -> Result<impl IntoResponse, HttpError> {
    let event = shared(&app, &token).await?;
    live::public_stream(&app, &extensions, event.code, token).await
}

pub(crate) async fn snapshot(
    State(app): State<App>,
    Path(token): Path<String>,
) -> Result<axum::Json<Snapshot>, HttpError> {
    let event = shared(&app, &token).await?;
    let snap = Audience::Public(token)
        .read(app.ratings.store().as_ref(), &event.code)
        .await?;
    snap.map(axum::Json).ok_or(HttpError::NotFound)
}

pub(crate) async fn qr_svg(
    State(app): State<App>,
    Path(token): Path<String>,
) -> Result<Response, HttpError> {
    qr::svg_response(&shared(&app, &token).await?)
}
