//! The organiser's results pages: the events list, an event's live results page, its live
//! stream and the embedded assets.
//!
//! | route | auth | what |
//! |---|---|---|
//! | `GET /` | basic | events, their numbers, state and figures |
//! | `GET /events/{code}` | basic | the results page (add `?transport=poll` to skip SSE) |
//! | `GET /events/{code}/live` | basic | server-sent events: a `snapshot` on connect and after each vote |
//! | `GET /api/events/{code}/snapshot` | basic | the same snapshot as JSON (the page's polling fallback) |
//! | `GET /assets/app.css`, `/assets/app.js` | none | compiled into the binary |
//!
//! Every response here carries a Content-Security-Policy that allows only same-origin
//! scripts, styles and connections (no inline script, no inline event handlers), plus
//! `X-Content-Type-Options: nosniff` and `Referrer-Policy: no-referrer`. The page script
//! reads its data from a `data-` attribute and from JSON, and writes text with
//! `textContent` only, so a comment can never become markup.

mod html;
mod hub;
mod live;
mod render;
mod view;

use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;
use tokio::sync::watch;

use super::App;
use super::error::HttpError;
use crate::model::EventCode;
pub use live::StreamLimits;
pub(crate) use live::Streams;
pub use view::{BucketView, CommentView, Snapshot, Timeline};

/// The Content-Security-Policy of every page and asset.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; \
    style-src 'self'; img-src 'self'; connect-src 'self'; base-uri 'none'; \
    form-action 'none'; frame-ancestors 'none'";

const APP_CSS: &str = include_str!("assets/app.css");
const APP_JS: &str = include_str!("assets/app.js");

/// Tells live streams the server is stopping, so graceful shutdown does not wait on them
/// forever (an event stream never ends by itself).
#[derive(Debug, Clone)]
pub(crate) struct Stopping(Arc<watch::Sender<bool>>);

impl Stopping {
    pub(crate) fn new() -> Self {
        Self(Arc::new(watch::channel(false).0))
    }

    /// `shutdown`, which also ends every live stream when it resolves.
    pub(crate) fn wrap(
        &self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> impl Future<Output = ()> + Send + 'static {
        let sender = Arc::clone(&self.0);
        async move {
            shutdown.await;
            sender.send_replace(true);
        }
    }

    fn subscribe(&self) -> watch::Receiver<bool> {
        self.0.subscribe()
    }
}

/// The pages and the live stream (the caller puts them behind basic auth).
pub(crate) fn routes() -> Router<App> {
    Router::new()
        .route("/", get(index))
        .route("/events/{code}", get(event_page))
        .route("/events/{code}/live", get(live::stream))
        .route("/api/events/{code}/snapshot", get(snapshot))
        .layer(axum::middleware::map_response(security_headers))
}

/// The assets, public: they hold nothing private and load before any credentials prompt.
pub(crate) fn assets() -> Router<App> {
    Router::new()
        .route(
            "/assets/app.css",
            get(|| asset(APP_CSS, "text/css; charset=utf-8")),
        )
        .route(
            "/assets/app.js",
            get(|| asset(APP_JS, "text/javascript; charset=utf-8")),
        )
        .layer(axum::middleware::map_response(security_headers))
}

async fn security_headers(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers
        .entry(header::CACHE_CONTROL)
        .or_insert(HeaderValue::from_static("no-store"));
    response
}

async fn asset(body: &'static str, content_type: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        body,
    )
        .into_response()
}

fn code(raw: &str) -> Result<EventCode, HttpError> {
    raw.parse().map_err(|_| HttpError::NotFound)
}

async fn index(State(app): State<App>) -> Result<Html<String>, HttpError> {
    let store = app.ratings().store();
    let events = store.events().await?;
    let mut rows = Vec::with_capacity(events.len());
    for event in events {
        let results = store.results(event.code.clone()).await?;
        rows.push((event, results));
    }
    Ok(Html(render::index(&rows)))
}

/// `?transport=poll` makes the page poll instead of using the event stream.
#[derive(Debug, Deserialize)]
struct PageQuery {
    transport: Option<String>,
}

async fn event_page(
    State(app): State<App>,
    Path(raw): Path<String>,
    Query(query): Query<PageQuery>,
) -> Result<Html<String>, HttpError> {
    let code = code(&raw)?;
    let store = app.ratings().store();
    let all = store.events().await?;
    let event = all
        .iter()
        .find(|e| e.code == code)
        .ok_or(HttpError::NotFound)?;
    let snap = view::Snapshot::read(store.as_ref(), code.clone())
        .await?
        .ok_or(HttpError::NotFound)?;
    let urls = render::PageUrls {
        live: format!("/events/{code}/live"),
        poll: format!("/api/events/{code}/snapshot"),
        transport: match query.transport.as_deref() {
            Some("poll") => "poll",
            _ => "sse",
        },
    };
    let how = render::HowToVote::of(event, &all);
    Ok(Html(render::event_page(event, &how, &snap, &urls)))
}

async fn snapshot(
    State(app): State<App>,
    Path(raw): Path<String>,
) -> Result<axum::Json<Snapshot>, HttpError> {
    let snap = view::Snapshot::read(app.ratings().store().as_ref(), code(&raw)?).await?;
    snap.map(axum::Json).ok_or(HttpError::NotFound)
}
