//! The organiser's pages (events list, event management, the projector's live results page
//! and its stream), the audience's share-link pages and the embedded assets.
//!
//! | route | auth | what |
//! |---|---|---|
//! | `GET /` (`?archived=1`) | basic | events, their numbers, state and figures |
//! | `GET /events/new`, `POST /events` | basic + CSRF | create an event |
//! | `GET /events/{code}/manage` | basic | state, results, audience link, comments, details, reset |
//! | `POST /events/{code}/edit` | basic + CSRF | change name, number, times |
//! | `POST /events/{code}/state` | basic + CSRF | `action=open\|close\|archive\|unarchive` |
//! | `POST /events/{code}/results` | basic + CSRF | `action=hide\|reveal` |
//! | `POST /events/{code}/calls` | basic + CSRF | `action=count\|hold` (calls whose caller ID was not verified) |
//! | `POST /events/{code}/share` | basic + CSRF | `action=new\|revoke` (the audience link) |
//! | `POST /events/{code}/comments` | basic + CSRF | `id=…&action=hide\|unhide` |
//! | `POST /events/{code}/reset` | basic + CSRF | `confirm={code}`: removes every vote |
//! | `POST /events/{code}/figures` | basic + CSRF | `public=raw\|cleaned`, `exclude=REASON` (repeated): what the projector and the audience link show, recorded |
//! | `POST /events/{code}/votes` | basic + CSRF | `id={MessageSid}&action=in\|out\|auto`: a flagged vote counted or set aside by hand, or back to its flags, recorded |
//! | `GET /events/{code}` | basic | the projector page (add `?transport=poll` to skip SSE) |
//! | `GET /events/{code}/live` | basic | server-sent events: a `snapshot` on connect and after each change |
//! | `GET /api/events/{code}/snapshot` | basic | the same snapshot as JSON (the page's polling fallback) |
//! | `GET /events/{code}/qr.svg` | basic | QR code of the `sms:` link |
//! | `GET /p/{token}`, `/p/{token}/live`, `/p/{token}/snapshot`, `/p/{token}/qr.svg` | the link | the audience's read-only view |
//! | `GET /assets/app.css`, `/assets/app.js` | none | compiled into the binary |
//!
//! Pages are askama templates (`templates/`), HTML-escaped by default. Every state-changing
//! route sits behind [`super::csrf::protect`].
//!
//! Every response here carries a Content-Security-Policy that allows only same-origin
//! scripts, styles and connections (no inline script, no inline event handlers), plus
//! `X-Content-Type-Options: nosniff` and `Referrer-Policy: no-referrer`. The page script
//! reads its data from a `data-` attribute and from JSON, and writes text with
//! `textContent` only, so a comment can never become markup.

mod flags;
mod form;
mod hub;
mod live;
mod manage;
mod public;
mod qr;
mod render;
mod view;

use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use tokio::sync::watch;

use super::App;
use super::csrf::{self, SecureCookie};
use super::error::HttpError;
use crate::model::EventCode;
pub(crate) use live::Streams;

/// The Content-Security-Policy of every page and asset.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; \
    style-src 'self'; img-src 'self'; connect-src 'self'; base-uri 'none'; \
    form-action 'self'; frame-ancestors 'none'";

const APP_CSS: &str = include_str!("page/assets/app.css");
const APP_JS: &str = include_str!("page/assets/app.js");

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

/// The organiser's pages, forms and live stream (the caller puts them behind basic auth).
/// `secure`: the anti-forgery cookie is marked `Secure` (served over HTTPS).
pub(crate) fn routes(secure: bool) -> Router<App> {
    Router::new()
        .route("/", get(index))
        .route("/events", post(manage::create))
        .route("/events/new", get(manage::new_form))
        .route("/events/{code}", get(event_page))
        .route("/events/{code}/manage", get(manage::page))
        .route("/events/{code}/edit", post(manage::edit))
        .route("/events/{code}/state", post(manage::state))
        .route("/events/{code}/results", post(manage::results))
        .route("/events/{code}/calls", post(manage::calls))
        .route("/events/{code}/share", post(manage::share))
        .route("/events/{code}/embed", post(manage::embed))
        .route("/events/{code}/comments", post(manage::comments))
        .route("/events/{code}/reset", post(manage::reset))
        .route("/events/{code}/figures", post(flags::figures))
        .route("/events/{code}/votes", post(flags::votes))
        .route("/events/{code}/qr.svg", get(qr_svg))
        .route("/events/{code}/live", get(live::stream))
        .route("/api/events/{code}/snapshot", get(snapshot))
        .layer(axum::middleware::from_fn_with_state(
            SecureCookie(secure),
            csrf::protect,
        ))
        .layer(axum::middleware::map_response(security_headers))
}

/// The audience's pages behind a share link: no credentials, the link is the key.
pub(crate) fn public_routes() -> Router<App> {
    Router::new()
        .route("/p/{token}", get(public::page))
        .route("/p/{token}/live", get(public::stream))
        .route("/p/{token}/snapshot", get(public::snapshot))
        .route("/p/{token}/qr.svg", get(public::qr_svg))
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

/// Origins a page may be framed by (the audience link's, put in its response's extensions);
/// without it every page is `frame-ancestors 'none'` and `X-Frame-Options: DENY`.
#[derive(Debug, Clone)]
pub(crate) struct FrameOrigins(pub(crate) Vec<String>);

/// The policy with `frame-ancestors` listing `origins` (validated by [`crate::embed`]).
fn policy_framed_by(origins: &[String]) -> Option<HeaderValue> {
    let base = CONTENT_SECURITY_POLICY.strip_suffix("'none'")?;
    HeaderValue::try_from(format!("{base}{}", crate::embed::frame_ancestors(origins))).ok()
}

async fn security_headers(mut response: Response) -> Response {
    let framed = response
        .extensions_mut()
        .remove::<FrameOrigins>()
        .filter(|o| !o.0.is_empty())
        .and_then(|o| policy_framed_by(&o.0));
    let headers = response.headers_mut();
    let allows_framing = framed.is_some();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        framed.unwrap_or(HeaderValue::from_static(CONTENT_SECURITY_POLICY)),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    // X-Frame-Options cannot list origins: browsers that read CSP ignore it, older ones
    // would refuse the frame, so it is left out where framing is allowed.
    if !allows_framing {
        headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    }
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

/// `?archived=1` lists the archived events instead.
#[derive(Debug, Deserialize)]
struct IndexQuery {
    archived: Option<String>,
}

async fn index(
    State(app): State<App>,
    Query(query): Query<IndexQuery>,
) -> Result<Response, HttpError> {
    let store = app.ratings.store();
    let archived = query.archived.is_some_and(|a| a == "1");
    let mut rows = Vec::new();
    let mut archived_count = 0;
    for event in store.events().await? {
        let settings = store.event_settings(event.code.clone()).await?;
        let is_archived = settings.is_some_and(|s| s.archived);
        archived_count += usize::from(is_archived);
        if is_archived != archived {
            continue;
        }
        if let Some(results) = store.results(event.code.clone()).await? {
            rows.push(render::IndexRow::new(&event, &results, &app.default_zone));
        }
    }
    Ok(render::page(
        StatusCode::OK,
        &render::IndexPage {
            rows,
            archived,
            archived_count,
        },
    ))
}

/// `?transport=poll` makes the page poll instead of using the event stream.
#[derive(Debug, Deserialize)]
struct PageQuery {
    transport: Option<String>,
}

impl PageQuery {
    fn transport(&self) -> &'static str {
        match self.transport.as_deref() {
            Some("poll") => "poll",
            _ => "sse",
        }
    }
}

async fn event_page(
    State(app): State<App>,
    Path(raw): Path<String>,
    Query(query): Query<PageQuery>,
) -> Result<Response, HttpError> {
    let code = code(&raw)?;
    let store = app.ratings.store();
    let all = store.events().await?;
    let event = all
        .iter()
        .find(|e| e.code == code)
        .ok_or(HttpError::NotFound)?;
    let snap = app.streams.snapshot(&app.ratings, &code).await?;
    let urls = render::PageUrls {
        live: format!("/events/{code}/live"),
        poll: format!("/api/events/{code}/snapshot"),
        transport: query.transport(),
    };
    let how = render::HowToVote::of(event, &all);
    let mut page = render::EventPage::new(event, how, snap, urls, &app.default_zone);
    page.qr_url = page
        .sms_link
        .as_ref()
        .map(|_| format!("/events/{code}/qr.svg"));
    Ok(render::page(StatusCode::OK, &page))
}

/// The event's latest snapshot from the hub, the bytes its streams get.
async fn snapshot(State(app): State<App>, Path(raw): Path<String>) -> Result<Response, HttpError> {
    let snap = app.streams.snapshot(&app.ratings, &code(&raw)?).await?;
    Ok(live::json_response(&snap))
}

async fn qr_svg(State(app): State<App>, Path(raw): Path<String>) -> Result<Response, HttpError> {
    let event = app.ratings.store().event(code(&raw)?).await?;
    qr::svg_response(&event.ok_or(HttpError::NotFound)?)
}
