//! The HTTP server: routes, state, `run(listener, shutdown, app)`.
//!
//! | route | auth | what |
//! |---|---|---|
//! | `POST /sms` | Twilio signature | the messaging webhook; replies TwiML |
//! | `GET /api/events` | basic | events and their state |
//! | `GET /api/events/{code}/results` | basic | count, average, histogram |
//! | `GET /api/events/{code}/ratings` | basic | ratings, phones masked (JSON) |
//! | `GET /api/events/{code}/ratings.csv` | basic | the same as CSV |
//! | `GET /`, `/events/{code}`, `/events/{code}/live`, `/api/events/{code}/snapshot` | basic | the results pages, live (server-sent events) |
//! | `GET /assets/…` | none | the pages' CSS and script, compiled in |
//! | `GET /healthz` | none | 200 when the database answers, else 503 |
//! | `GET /metrics` | none | Prometheus text |
//!
//! Organiser pages belong in [`organiser_routes`] (they get basic auth from there); a live page
//! subscribes to [`crate::service::Ratings::subscribe`] through [`App::ratings`].
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use sms_ratings::server::{App, Config};
//! use sms_ratings::service::Ratings;
//!
//! let dir = tempfile::tempdir()?;
//! let store = sms_ratings::store::open(dir.path().join("r.db").to_str().unwrap()).await?;
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
//! let addr = listener.local_addr()?;
//! let config = Config::new("an auth token", &format!("http://{addr}"))?;
//! let app = App::new(Ratings::new(store), config);
//! let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
//! let server = tokio::spawn(sms_ratings::server::run(listener, async { let _ = stopped.await; }, app));
//! let health = reqwest::get(format!("http://{addr}/healthz")).await?;
//! assert_eq!(health.status(), 200);
//! stop.send(()).ok();
//! server.await??;
//! # Ok(()) }
//! ```

mod api;
mod auth;
mod error;
mod page;
pub mod tls;
mod webhook;

use std::future::Future;
use std::sync::Arc;

use axum::Router;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use metrics_exporter_prometheus::PrometheusHandle;
use tokio::net::TcpListener;
use twilio_webhook::{KeyError, Validator};

pub use api::{EventView, RatingView};
pub use auth::Credentials;
pub use error::HttpError;
pub use page::{BucketView, CONTENT_SECURITY_POLICY, CommentView, Snapshot, Timeline};
pub use webhook::BODY_LIMIT;

use crate::service::Ratings;

/// Server settings.
#[derive(Clone)]
pub struct Config {
    validator: Arc<Validator>,
    public_url: Arc<str>,
    admin: Option<Credentials>,
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("public_url", &self.public_url)
            .field("admin", &self.admin.is_some())
            .finish_non_exhaustive()
    }
}

impl Config {
    /// Verifies webhooks with `auth_token`; `public_url` is the scheme and host Twilio calls
    /// (`https://ratings.example.com`), to which the request path is appended for the signature.
    pub fn new(auth_token: &str, public_url: &str) -> Result<Self, KeyError> {
        Ok(Self {
            validator: Arc::new(Validator::from_token(auth_token)?),
            public_url: public_url.trim_end_matches('/').into(),
            admin: None,
        })
    }

    /// Organiser credentials; without them the organiser API refuses every request.
    #[must_use]
    pub fn admin(mut self, credentials: Credentials) -> Self {
        self.admin = Some(credentials);
        self
    }
}

/// What every handler can reach.
#[derive(Clone)]
pub struct App {
    ratings: Ratings,
    validator: Arc<Validator>,
    public_url: Arc<str>,
    admin: Option<Credentials>,
    metrics: Option<PrometheusHandle>,
    stopping: page::Stopping,
}

impl std::fmt::Debug for App {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("App")
            .field("public_url", &self.public_url)
            .finish_non_exhaustive()
    }
}

impl App {
    /// The application over a rating service.
    pub fn new(ratings: Ratings, config: Config) -> Self {
        Self {
            ratings,
            validator: config.validator,
            public_url: config.public_url,
            admin: config.admin,
            metrics: crate::metrics::handle(),
            stopping: page::Stopping::new(),
        }
    }

    /// The rating service (store, live notifications).
    pub fn ratings(&self) -> &Ratings {
        &self.ratings
    }
}

/// All routes.
pub fn router(app: App) -> Router {
    Router::new()
        .route(
            "/sms",
            post(webhook::sms).layer(DefaultBodyLimit::max(BODY_LIMIT)),
        )
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .merge(organiser_routes(app.clone()))
        .merge(page::assets())
        .with_state(app)
}

/// The organiser API and pages, behind basic auth.
pub fn organiser_routes(app: App) -> Router<App> {
    Router::new()
        .route("/api/events", get(api::events))
        .route("/api/events/{code}/results", get(api::results))
        .route("/api/events/{code}/ratings", get(api::ratings))
        .route(
            "/api/events/{code}/ratings.csv",
            get(api::ratings_csv_export),
        )
        .merge(page::routes())
        .route_layer(axum::middleware::from_fn_with_state(
            app.admin.clone(),
            auth::require_admin,
        ))
}

async fn healthz(State(app): State<App>) -> Result<&'static str, HttpError> {
    app.ratings.store().health().await?;
    Ok("ok")
}

async fn metrics(State(app): State<App>) -> Response {
    match &app.metrics {
        Some(handle) => (
            [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
            handle.render(),
        )
            .into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

/// Serves plain HTTP until `shutdown` resolves, then lets in-flight requests finish and
/// waits until every accepted vote is committed.
pub async fn run(
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
    app: App,
) -> std::io::Result<()> {
    let ratings = app.ratings.clone();
    let shutdown = app.stopping.wrap(shutdown);
    axum::serve(listener, router(app))
        .with_graceful_shutdown(shutdown)
        .await?;
    ratings.close().await;
    Ok(())
}

/// [`run`] over TLS.
pub async fn run_tls(
    listener: TcpListener,
    tls: Arc<rustls::ServerConfig>,
    shutdown: impl Future<Output = ()> + Send + 'static,
    app: App,
) -> std::io::Result<()> {
    let ratings = app.ratings.clone();
    let shutdown = app.stopping.wrap(shutdown);
    axum::serve(tls::TlsListener::new(listener, tls), router(app))
        .with_graceful_shutdown(shutdown)
        .await?;
    ratings.close().await;
    Ok(())
}
