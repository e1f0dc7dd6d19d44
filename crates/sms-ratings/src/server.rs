//! The HTTP server: routes, state, `run(listener, app, shutdown)`.
//!
//! | route | auth | what |
//! |---|---|---|
//! | `POST /sms` | Twilio signature | the messaging webhook; replies TwiML |
//! | `POST /voice`, `POST /voice/rate` | Twilio signature | vote by phone call (the Voice URL and its `<Gather>` action) |
//! | `GET /api/events` | basic | events and their state |
//! | `GET /api/events/{code}/results` | basic | count, average, histogram: raw, and cleaned of flagged votes; flagged votes by reason |
//! | `GET /api/events/{code}/ratings` | basic | ratings, phones masked (JSON) |
//! | `GET /api/events/{code}/ratings.csv` | basic | the same as CSV (UTF-8 BOM) |
//! | `GET /api/events/{code}/ratings.xlsx` | basic | the same as a workbook, with a summary sheet |
//! | `GET /`, `/events/{code}`, `/events/{code}/live`, `/api/events/{code}/snapshot` | basic | the results pages, live (server-sent events) |
//! | `GET /events/new`, `/events/{code}/manage`; `POST /events`, `/events/{code}/…` | basic + CSRF | event management and moderation (see `page`) |
//! | `GET /p/{token}…` | the share link | the audience's read-only results |
//! | `GET /assets/…` | none | the pages' CSS and script, compiled in |
//! | `GET /healthz` | none | 200 when the database answers, else 503; with automatic HTTPS also the certificate's days left |
//! | `GET /livez` | none | 200 while the process serves (no database: the bench baseline) |
//! | `GET /metrics` | none | Prometheus text |
//!
//! Organiser pages belong in [`organiser_routes`] (they get basic auth from there); a live page
//! subscribes to [`crate::service::Ratings::subscribe`] through the `App`'s rating service.
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
//! let server = tokio::spawn(sms_ratings::server::run(listener, app, async { let _ = stopped.await; }));
//! # // In a whole-workspace build reqwest carries the CLI's `rustls-no-provider`.
//! # let _ = rustls::crypto::ring::default_provider().install_default();
//! let health = reqwest::get(format!("http://{addr}/healthz")).await?;
//! assert_eq!(health.status(), 200);
//! stop.send(()).ok();
//! server.await??;
//! # Ok(()) }
//! ```

mod api;
mod auth;
mod csrf;
/// Random link tokens (speaker links are share links made from the command line).
pub(crate) use csrf::new_token;
mod error;
mod figures;
mod page;
mod voice;
mod webhook;

use std::future::Future;
use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use metrics_exporter_prometheus::PrometheusHandle;
use tokio::net::TcpListener;
use twilio_guard_serve::{CertStatus, Limits};
use twilio_webhook::tower::TwilioLayer;
use twilio_webhook::url::UrlError;
use twilio_webhook::{
    BasicAuth, KeyError, PublicUrl, Scheme, TrustedProxies, Validator, WebhookConfig,
};

pub use auth::{
    GLOBAL_FAILURES, MAX_FAILURES, MIN_DISTINCT_CHARS, MIN_PASSWORD_CHARS, NETWORK_FAILURES,
    WeakPassword, check_password_strength,
};
pub use figures::{FigureView, FlaggedView, ReasonGroup, ResultsView};
pub use page::CONTENT_SECURITY_POLICY;

use error::HttpError;
pub use webhook::BODY_LIMIT;

use crate::model::Zone;
use crate::phone::Region;
use crate::service::Ratings;

/// Why the server settings are invalid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The Twilio auth token is empty or padded with white space.
    #[error("Twilio auth token: {0}")]
    Token(#[from] KeyError),
    /// The public URL is not `http(s)://host[:port][/prefix]`.
    #[error("public URL: {0}")]
    PublicUrl(#[from] UrlError),
}

/// Server settings.
#[derive(Debug, Clone)]
pub struct Config {
    webhook: WebhookConfig,
    admin: Option<BasicAuth>,
    public_url: String,
    limits: Limits,
    voice_action: String,
    certificate: Option<CertStatus>,
    trusted_proxies: TrustedProxies,
    default_region: Option<Region>,
    default_zone: Zone,
}

impl Config {
    /// Verifies webhooks with `auth_token`; `public_url` is the scheme, host and optional
    /// path prefix Twilio calls (`https://ratings.example.com`), to which the request path is
    /// appended for the signature. Bodies over [`BODY_LIMIT`] get 413; replays of a handled
    /// request get its stored answer.
    pub fn new(auth_token: &str, public_url: &str) -> Result<Self, ConfigError> {
        Self::with_validator(Validator::from_token(auth_token)?, public_url)
    }

    /// [`Config::new`] with every key of `validator` (several tokens, per account).
    pub fn with_validator(validator: Validator, public_url: &str) -> Result<Self, ConfigError> {
        let webhook =
            WebhookConfig::new(validator, PublicUrl::base(public_url)?).body_limit(BODY_LIMIT);
        Ok(Self {
            webhook,
            admin: None,
            public_url: public_base(public_url).to_owned(),
            limits: Limits::default(),
            voice_action: format!("{}{}", path_prefix(public_url), VOICE_RATE),
            certificate: None,
            trusted_proxies: TrustedProxies::default(),
            default_region: None,
            default_zone: Zone::utc(),
        })
    }

    /// The automatically renewed certificate's status: its days to expiry join `/healthz`
    /// and `/metrics`.
    #[must_use]
    pub fn certificate(mut self, status: CertStatus) -> Self {
        self.certificate = Some(status);
        self
    }

    /// The region whose national numbers the event form reads (`0207 946 0000` in GB);
    /// none by default: numbers need their country code.
    #[must_use]
    pub fn default_region(mut self, region: Option<Region>) -> Self {
        self.default_region = region;
        self
    }

    /// The time zone of events without one of their own: their times are typed and shown in
    /// it. UTC by default.
    #[must_use]
    pub fn default_zone(mut self, zone: Zone) -> Self {
        self.default_zone = zone;
        self
    }

    /// The handle that swaps the webhook keys of the running server (token-file reload).
    pub fn live_keys(&self) -> twilio_webhook::LiveKeys {
        self.webhook.live_keys()
    }

    /// Organiser credentials; without them the organiser API refuses every request.
    #[must_use]
    pub fn admin(mut self, credentials: BasicAuth) -> Self {
        self.admin = Some(credentials.realm(error::REALM));
        self
    }

    /// Also requires basic auth on the webhook (put the credentials in the webhook URL in
    /// Twilio's console: `https://user:password@host/sms`; Twilio answers the challenge).
    #[must_use]
    pub fn webhook_auth(mut self, credentials: BasicAuth) -> Self {
        self.webhook = self.webhook.basic_auth(credentials);
        self
    }

    /// What a client may take (timeouts, connections and live streams, head size);
    /// [`Limits::default`] unless set here. [`run`] refuses limits that fail
    /// [`Limits::check`].
    #[must_use]
    pub fn limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// Proxies in front (a TLS-terminating one): from these peers the organiser sign-in limits
    /// take the client address from `X-Forwarded-For` (none by default: the peer counts).
    #[must_use]
    pub fn trusted_proxies(mut self, proxies: TrustedProxies) -> Self {
        self.trusted_proxies = proxies;
        self
    }

    /// The scheme of the listener (https with TLS), for URLs rebuilt from `Host`.
    #[must_use]
    pub fn listener_scheme(mut self, scheme: Scheme) -> Self {
        self.webhook = self.webhook.listener_scheme(scheme);
        self
    }
}

/// The `<Gather>` action of a call, below the public URL's path prefix.
const VOICE_RATE: &str = "/voice/rate";
/// The messaging webhook's path, below the public URL.
const SMS_PATH: &str = "/sms";
/// The Voice URL's path, below the public URL.
const VOICE_PATH: &str = "/voice";

/// The URLs a Twilio number must call, exactly as this server verifies them: what
/// `sms-ratings twilio connect` stores as the number's `SmsUrl` and `VoiceUrl` (Twilio signs
/// the stored string).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookUrls {
    /// `PUBLIC_URL` + `/sms`.
    pub sms: String,
    /// `PUBLIC_URL` + `/voice`.
    pub voice: String,
}

impl WebhookUrls {
    /// The URLs under `public_url` (scheme, host and optional path prefix).
    pub fn new(public_url: &str) -> Self {
        let base = public_base(public_url);
        Self {
            sms: format!("{base}{SMS_PATH}"),
            voice: format!("{base}{VOICE_PATH}"),
        }
    }
}

/// The public URL as the server keeps it (no trailing slash).
fn public_base(public_url: &str) -> &str {
    public_url.trim_end_matches('/')
}

/// The path of `https://host[:port][/prefix]` without a trailing slash (`""` for none).
fn path_prefix(public_url: &str) -> &str {
    let after_scheme = public_url
        .split_once("://")
        .map_or(public_url, |(_, rest)| rest);
    after_scheme
        .find('/')
        .map_or("", |i| &after_scheme[i..])
        .trim_end_matches('/')
}

/// What every handler can reach, through `Deref` to [`Shared`]: a shared handle, because axum
/// clones the state for every request (the fields by value cost an allocation and a dozen
/// reference counts per vote).
#[derive(Clone)]
pub struct App(Arc<Shared>);

/// The state behind [`App`] (its fields are the server's own).
pub struct Shared {
    ratings: Ratings,
    webhook: Arc<WebhookConfig>,
    /// The same checks without the replay guard, for `<Gather>` actions (see `voice`).
    gather_webhook: Arc<WebhookConfig>,
    voice_action: String,
    admin: auth::Guard,
    metrics: Option<PrometheusHandle>,
    stopping: page::Stopping,
    /// Scheme, host and prefix the server is reached at (share links are absolute).
    public_url: Arc<str>,
    limits: Limits,
    streams: page::Streams,
    certificate: Option<CertStatus>,
    /// National numbers in the event form are read in this region.
    default_region: Option<Region>,
    /// Events without a zone of their own are typed and shown in this one.
    default_zone: Zone,
}

impl std::fmt::Debug for App {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("App").finish_non_exhaustive()
    }
}

impl App {
    /// The application over a rating service.
    pub fn new(ratings: Ratings, config: Config) -> Self {
        App(Arc::new(Shared {
            gather_webhook: Arc::new(config.webhook.clone().without_replay_guard()),
            webhook: Arc::new(config.webhook),
            voice_action: config.voice_action,
            admin: auth::Guard::new(
                config.admin,
                config.trusted_proxies,
                config.public_url.starts_with("https://"),
            ),
            metrics: crate::metrics::handle(),
            stopping: page::Stopping::new(),
            public_url: config.public_url.into(),
            limits: config.limits,
            certificate: config.certificate,
            default_region: config.default_region,
            default_zone: config.default_zone,
            streams: page::Streams::new(Arc::clone(ratings.store())),
            ratings,
        }))
    }
}

impl std::ops::Deref for App {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// All routes.
pub fn router(app: App) -> Router {
    Router::new()
        .route(
            SMS_PATH,
            post(webhook::sms).layer(TwilioLayer::shared(Arc::clone(&app.webhook))),
        )
        .route(
            VOICE_PATH,
            post(voice::call).layer(TwilioLayer::shared(Arc::clone(&app.webhook))),
        )
        .route(
            VOICE_RATE,
            post(voice::rate).layer(TwilioLayer::shared(Arc::clone(&app.gather_webhook))),
        )
        .route("/healthz", get(healthz))
        .route("/livez", get(|| async { "ok" }))
        .route("/metrics", get(metrics))
        .merge(organiser_routes(app.clone()))
        .merge(page::public_routes())
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
        .route(
            "/api/events/{code}/ratings.xlsx",
            get(api::ratings_xlsx_export),
        )
        .merge(page::routes(app.public_url.starts_with("https://")))
        .route_layer(axum::middleware::map_response(no_store))
        .route_layer(axum::middleware::from_fn_with_state(
            app.admin.clone(),
            auth::require_admin,
        ))
}

/// Organiser answers (pages, JSON, CSV: phone numbers, comments) stay out of every cache,
/// the browser's included, unless a handler chose otherwise.
async fn no_store(mut response: Response) -> Response {
    response
        .headers_mut()
        .entry(header::CACHE_CONTROL)
        .or_insert(header::HeaderValue::from_static("no-store"));
    response
}

async fn healthz(State(app): State<App>) -> Result<String, HttpError> {
    app.ratings.store().health().await?;
    Ok(match &app.certificate {
        Some(certificate) => format!("ok\n{}", certificate.readiness()),
        None => "ok".to_owned(),
    })
}

async fn metrics(State(app): State<App>) -> Response {
    match &app.metrics {
        Some(handle) => (
            [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
            handle.render()
                + &app
                    .certificate
                    .as_ref()
                    .map(CertStatus::prometheus)
                    .unwrap_or_default(),
        )
            .into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

/// Serves plain HTTP until `shutdown` resolves, then lets in-flight requests finish (open
/// live streams end at once; the drain is bounded by [`Limits::drain_timeout`]) and waits
/// until every accepted vote is committed. Slow clients are held to the configured
/// [`Limits`] by [`twilio_guard_serve::serve`].
pub async fn run(
    listener: TcpListener,
    app: App,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    serve(listener, None, app, shutdown).await
}

/// [`run`] over TLS (a configuration from [`twilio_guard_serve::tls::load`]).
pub async fn run_tls(
    listener: TcpListener,
    tls: Arc<rustls::ServerConfig>,
    app: App,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    serve(listener, Some(tls), app, shutdown).await
}

async fn serve(
    listener: TcpListener,
    tls: Option<Arc<rustls::ServerConfig>>,
    app: App,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let ratings = app.ratings.clone();
    let limits = app.limits.clone();
    // Stopping ends the live streams first: they never finish on their own, and the drain
    // waits for every open response.
    let shutdown = app.stopping.wrap(shutdown);
    twilio_guard_serve::serve(listener, tls, router(app), limits, shutdown).await?;
    ratings.close().await;
    Ok(())
}
