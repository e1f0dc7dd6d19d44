//! The organiser API (behind basic auth): events, results, ratings.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use super::App;
use super::error::HttpError;
use super::figures::{Figures, ResultsView};
use crate::export::{ExportError, ratings_csv, ratings_xlsx};
use crate::mask::{mask_numbers_in, mask_phone};
use crate::model::{Channel, Event, EventCode, Timestamp};

/// An event as `GET /api/events` lists it.
#[derive(Debug, Serialize)]
pub(crate) struct EventView {
    /// Code.
    pub(crate) code: String,
    /// Name.
    pub(crate) name: String,
    /// Serving number.
    pub(crate) number: Option<String>,
    /// Taking votes now.
    pub(crate) open: bool,
    /// Closed by hand.
    pub(crate) closed: bool,
    /// Opening time (RFC 3339).
    pub(crate) opens: Option<String>,
    /// Closing time (RFC 3339).
    pub(crate) closes: Option<String>,
}

impl From<Event> for EventView {
    fn from(e: Event) -> Self {
        Self {
            open: e.is_open_at(Timestamp::now()),
            code: e.code.to_string(),
            name: e.name,
            number: e.number,
            closed: e.closed,
            opens: e.opens.map(Timestamp::rfc3339),
            closes: e.closes.map(Timestamp::rfc3339),
        }
    }
}

/// A rating as `GET /api/events/{code}/ratings` lists it (phone masked).
#[derive(Debug, Serialize)]
pub(crate) struct RatingView {
    /// Masked phone.
    pub(crate) phone: String,
    /// Rating.
    pub(crate) rating: u8,
    /// How the latest vote came: `sms`, `whatsapp` or `voice`.
    pub(crate) channel: Channel,
    /// Comment, phone numbers in it masked (hostile input: escape before rendering).
    pub(crate) comment: String,
    /// Latest vote (RFC 3339).
    pub(crate) updated_at: String,
    /// Comment hidden by the organiser (off the projector and the audience link).
    pub(crate) hidden: bool,
}

fn code(raw: &str) -> Result<EventCode, HttpError> {
    raw.parse().map_err(|_| HttpError::NotFound)
}

pub(crate) async fn events(State(app): State<App>) -> Result<Json<Vec<EventView>>, HttpError> {
    let events = app.ratings.store().events().await?;
    Ok(Json(events.into_iter().map(EventView::from).collect()))
}

pub(crate) async fn results(
    State(app): State<App>,
    Path(raw): Path<String>,
) -> Result<Json<ResultsView>, HttpError> {
    let figures = Figures::read(&**app.ratings.store(), code(&raw)?).await?;
    let figures = figures.ok_or(HttpError::NotFound)?;
    Ok(Json(ResultsView::from(&figures)))
}

pub(crate) async fn ratings(
    State(app): State<App>,
    Path(raw): Path<String>,
) -> Result<Json<Vec<RatingView>>, HttpError> {
    let rows = app.ratings.store().ratings(code(&raw)?).await?;
    let rows = rows.ok_or(HttpError::NotFound)?;
    Ok(Json(
        rows.into_iter()
            .map(|r| RatingView {
                phone: mask_phone(&r.phone),
                rating: r.rating.get(),
                channel: r.channel,
                comment: mask_numbers_in(&r.comment),
                updated_at: r.updated_at.rfc3339(),
                hidden: r.hidden,
            })
            .collect(),
    ))
}

pub(crate) async fn ratings_csv_export(
    State(app): State<App>,
    Path(raw): Path<String>,
) -> Result<Response, HttpError> {
    let code = code(&raw)?;
    let (rows, flags) = export_rows(&app, &code).await?;
    download(
        &code,
        "csv",
        "text/csv; charset=utf-8",
        ratings_csv(&rows, &flags),
    )
}

pub(crate) async fn ratings_xlsx_export(
    State(app): State<App>,
    Path(raw): Path<String>,
) -> Result<Response, HttpError> {
    let code = code(&raw)?;
    let event = app.ratings.store().event(code.clone()).await?;
    let event = event.ok_or(HttpError::NotFound)?;
    let (rows, flags) = export_rows(&app, &code).await?;
    let xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
    download(&code, "xlsx", xlsx, ratings_xlsx(&event, &rows, &flags))
}

/// The rows an export lists, and their flag columns.
async fn export_rows(
    app: &App,
    code: &EventCode,
) -> Result<(Vec<crate::model::RatingRow>, crate::export::FlagColumns), HttpError> {
    let store = app.ratings.store();
    let rows = store.ratings(code.clone()).await?;
    let figures = Figures::read(&**store, code.clone()).await?;
    match (rows, figures) {
        (Some(rows), Some(figures)) => Ok((rows, figures.export_columns())),
        _ => Err(HttpError::NotFound),
    }
}

/// An export as a file to save (`CODE-ratings.EXT`); it is never cached, like every organiser
/// answer (see `no_store` on the organiser routes).
fn download(
    code: &EventCode,
    extension: &str,
    content_type: &'static str,
    body: Result<impl IntoResponse, ExportError>,
) -> Result<Response, HttpError> {
    let body = body.map_err(|e| {
        tracing::error!(error = %e, "export failed");
        HttpError::Internal
    })?;
    let disposition = format!("attachment; filename=\"{code}-ratings.{extension}\"");
    let headers = [
        (header::CONTENT_TYPE, content_type.to_owned()),
        (header::CONTENT_DISPOSITION, disposition),
    ];
    Ok((headers, body).into_response())
}
