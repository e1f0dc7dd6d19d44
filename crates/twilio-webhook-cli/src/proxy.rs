//! `twilio-webhook proxy`: a validating reverse proxy in front of any backend.
//!
//! Every request goes through the library's request-validation core (the tower layer of
//! [`twilio_webhook::tower`]: method, basic auth, body limit, public URL, signature, replay
//! guard, and the one rejection-to-status mapping) of the [`Route`] its path falls under.
//! Only what passes reaches [`forward`], which sends the verified bytes to the route's
//! upstream with our own `X-Forwarded-*` and `X-Twilio-Verified: <key slot>` (and, if asked,
//! a Standard Webhooks signature, see [`resign`]) and relays the answer back (502 if the
//! upstream refuses or breaks off, 504 if the whole answer is not in by the deadline).
//! `/healthz` and `/metrics` are answered by the proxy itself.
//!
//! The URL Twilio signed comes from a configured public URL or from listed proxies in front
//! ([`Public`]); never from the client's `Host` alone.
//!
//! ```no_run
//! use twilio_webhook::{Validator, WebhookConfig};
//! use twilio_webhook_cli::proxy::{self, Config, Public};
//!
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let validator = Validator::from_token("your-auth-token")?;
//! let config = Config::single(
//!     Public::base("https://hooks.example.com")?,
//!     "http://127.0.0.1:3000",
//!     move |public| WebhookConfig::new(validator, public),
//! )?;
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
//! proxy::run(listener, config, twilio_guard_serve::on_terminate()).await?;
//! # Ok(()) }
//! ```
//!
//! Layout: [`config`] turns flags, environment and the routes file into a [`Config`],
//! taking each route's keys by the library's rule (`keys::KeySource`); [`route`] picks the
//! route; [`public`] knows where the signed URL comes from; [`forward`] talks to the
//! upstream; [`resign`] signs the hop behind us; [`reload`] swaps each route's keys on
//! `SIGHUP`; `metrics`
//! counts; this module runs each request to its end even if the client hangs up, and hands
//! the service to [`twilio_guard_serve::serve`] (stopped by
//! [`twilio_guard_serve::on_terminate`]), which accepts
//! connections, holds slow clients to their limits, serves TLS and drains on shutdown.

pub mod config;
pub mod forward;
mod metrics;
pub mod public;
pub mod reload;
pub mod resign;
pub mod route;

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{Method, Request, Response, StatusCode};
use http_body_util::{BodyExt as _, Full};
use tokio::net::TcpListener;
use tower::ServiceExt as _;
use twilio_guard_serve::{CertStatus, ConnectInfo, Limits, RequestBody};
use twilio_webhook::tower::{PeerAddr, TwilioLayer, TwilioService};
use twilio_webhook::{Scheme, WebhookConfig};

pub use config::ProxyArgs;
use forward::{Answered, Forwarder};
pub use forward::{MAX_ANSWER, UpstreamError, VERIFIED_HEADER};
use metrics::{Metrics, Outcome};
pub use public::Public;
pub use resign::Resigner;
pub use route::{Refusal, Route, Upstream};

/// The body of every response the proxy sends.
pub type ResponseBody = twilio_webhook::tower::ResponseBody;

/// Why the proxy could not be configured or could not serve.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ProxyError {
    /// The upstream URL is not `http://host[:port][/prefix]`.
    #[error("upstream URL must be http://host[:port][/prefix] without credentials or query")]
    Upstream,
    /// Neither a public URL nor trusted proxies: the client's `Host` would decide the URL
    /// Twilio signed, so a request signed for another app of the account would pass.
    #[error(
        "refusing to start without --public-url (the URL Twilio calls, e.g. https://hooks.example.com) \
         or --trusted-proxy (the proxies in front whose X-Forwarded-Proto/-Host name it): \
         otherwise the client's Host header would decide which URL the signature is checked against"
    )]
    NoPublicUrl,
    /// The public URL is malformed.
    #[error("--public-url: {0}")]
    PublicUrl(String),
    /// A route is malformed, or two routes share a prefix, or there is none.
    #[error("route: {0}")]
    Route(String),
    /// Configuration from flags, files or environment is unusable.
    #[error(transparent)]
    Config(#[from] config::ConfigError),
    /// Listening or accepting failed.
    #[error("listener: {0}")]
    Io(#[from] std::io::Error),
}

/// A route with its checks built.
#[derive(Debug)]
pub(crate) struct Built {
    prefix: String,
    upstream: Upstream,
    webhook: WebhookConfig,
    resign: Option<Arc<Resigner>>,
    keys: Option<twilio_webhook::keys::KeySource>,
}

/// Everything one proxy instance needs.
#[derive(Debug)]
pub struct Config {
    public: Public,
    routes: Vec<Built>,
    upstream_timeout: Duration,
    drain_timeout: Duration,
    tls: Option<Arc<rustls::ServerConfig>>,
    limits: Limits,
    certificate: Option<CertStatus>,
}

impl Config {
    /// Forward what each route accepts to its upstream, with the signed URL from `public`;
    /// 10 s upstream deadline, 30 s drain.
    pub fn new(public: Public, routes: Vec<Route>) -> Result<Config, ProxyError> {
        if routes.is_empty() {
            return Err(ProxyError::Route("no route".into()));
        }
        let mut built: Vec<Built> = Vec::with_capacity(routes.len());
        for route in routes {
            if built.iter().any(|b| b.prefix == route.prefix) {
                return Err(ProxyError::Route(format!(
                    "two routes for {}",
                    route.prefix
                )));
            }
            built.push(Built {
                webhook: (route.make)(public.url()),
                prefix: route.prefix,
                upstream: route.upstream,
                resign: route.resign,
                keys: route.keys,
            });
        }
        Ok(Config {
            public,
            routes: built,
            upstream_timeout: Duration::from_secs(10),
            drain_timeout: Duration::from_secs(30),
            tls: None,
            limits: Limits::default(),
            certificate: None,
        })
    }

    /// One route for every path.
    pub fn single(
        public: Public,
        upstream: &str,
        webhook: impl FnOnce(twilio_webhook::PublicUrl) -> WebhookConfig + Send + 'static,
    ) -> Result<Config, ProxyError> {
        Config::new(public, vec![Route::new("/", upstream, webhook)?])
    }

    /// How long the upstream may take to answer, head and body, before the client gets 504.
    /// Keep it under Twilio's 15 s.
    #[must_use]
    pub fn upstream_timeout(mut self, deadline: Duration) -> Config {
        self.upstream_timeout = deadline;
        self
    }

    /// How long shutdown waits for in-flight requests.
    #[must_use]
    pub fn drain_timeout(mut self, drain: Duration) -> Config {
        self.drain_timeout = drain;
        self
    }

    /// What a client may take (timeouts, connections, head size); the drain bound is
    /// [`Config::drain_timeout`]'s.
    #[must_use]
    pub fn limits(mut self, limits: Limits) -> Config {
        self.limits = limits;
        self
    }

    /// Serve HTTPS with this configuration (see [`twilio_guard_serve::tls::load`]), offering
    /// HTTP/1.1 only: Twilio speaks it to webhooks, and the hop upstream is HTTP/1.1.
    #[must_use]
    pub fn tls(mut self, tls: Arc<rustls::ServerConfig>) -> Config {
        let mut tls = Arc::unwrap_or_clone(tls);
        // Keeps `acme-tls/1` where automatic HTTPS offers it (its validators need it).
        tls.alpn_protocols
            .retain(|p| p == b"http/1.1" || p == twilio_guard_serve::acme::ACME_TLS_ALPN);
        if tls.alpn_protocols.is_empty() {
            tls.alpn_protocols = vec![b"http/1.1".to_vec()];
        }
        self.tls = Some(Arc::new(tls));
        self
    }

    /// Automatic HTTPS: serve with its configuration ([`Config::tls`]), and report its
    /// certificate's days to expiry in `/healthz` and `/metrics`.
    #[must_use]
    pub fn acme(mut self, acme: &twilio_guard_serve::Acme) -> Config {
        self.certificate = Some(acme.status());
        self.tls(acme.server_config())
    }

    /// `upstream` for one route, `prefix → upstream, …` for several (no secrets in either).
    pub fn describe_upstreams(&self) -> String {
        match self.routes.as_slice() {
            [only] if only.prefix == "/" => only.upstream.to_string(),
            routes => routes
                .iter()
                .map(|r| format!("{} → {}", r.prefix, r.upstream))
                .collect::<Vec<_>>()
                .join(", "),
        }
    }

    /// Each route's checks, by prefix (e.g. to take their live key handles).
    pub fn webhooks(&self) -> impl Iterator<Item = (&str, &WebhookConfig)> {
        self.routes.iter().map(|r| (r.prefix.as_str(), &r.webhook))
    }

    /// The routes whose keys can be reloaded (those built with a [`Route::key_source`]).
    pub fn reloadable(&self) -> Vec<reload::Reloadable> {
        self.routes
            .iter()
            .filter_map(|r| {
                Some(reload::Reloadable {
                    prefix: r.prefix.clone(),
                    live: r.webhook.live_keys(),
                    source: r.keys.clone()?,
                })
            })
            .collect()
    }
}

/// What every connection shares.
struct Shared {
    public: Public,
    prefixes: Vec<String>,
    guarded: Vec<TwilioService<Handler>>,
    metrics: Arc<Metrics>,
    certificate: Option<CertStatus>,
}

/// The inner service of the validation layer: forwards what it lets through.
#[derive(Clone)]
struct Handler(Arc<Forwarder>);

impl tower::Service<Request<Full<Bytes>>> for Handler {
    type Response = Response<ResponseBody>;
    type Error = Infallible;
    type Future =
        std::pin::Pin<Box<dyn Future<Output = Result<Response<ResponseBody>, Infallible>> + Send>>;

    fn poll_ready(
        &mut self,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), Infallible>> {
        std::task::Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request<Full<Bytes>>) -> Self::Future {
        let forwarder = Arc::clone(&self.0);
        Box::pin(async move { Ok(forwarder.forward(request).await) })
    }
}

/// The shared state: one validation layer and forwarder per route.
fn shared(config: &Config, scheme: Scheme, metrics: &Arc<Metrics>) -> Shared {
    let guarded = config
        .routes
        .iter()
        .map(|route| {
            let webhook = route.webhook.clone().listener_scheme(scheme);
            let forwarder = Forwarder::new(
                route,
                config.upstream_timeout,
                config.public.clone(),
                webhook.clone(),
                Arc::clone(metrics),
            );
            tower::Layer::layer(&TwilioLayer::new(webhook), Handler(Arc::new(forwarder)))
        })
        .collect();
    Shared {
        public: config.public.clone(),
        prefixes: config.routes.iter().map(|r| r.prefix.clone()).collect(),
        guarded,
        metrics: Arc::clone(metrics),
        certificate: config.certificate.clone(),
    }
}

/// Serves `listener` until `shutdown` resolves, then stops accepting and waits (up to the
/// drain timeout) for in-flight requests to finish. Slow and flooding clients are held to
/// the configured [`Limits`] by [`twilio_guard_serve::serve`].
pub async fn run(
    listener: TcpListener,
    config: Config,
    shutdown: impl Future<Output = ()>,
) -> Result<(), ProxyError> {
    let scheme = if config.tls.is_some() {
        Scheme::Https
    } else {
        Scheme::Http
    };
    let metrics = Arc::new(Metrics::new());
    let shared = Arc::new(shared(&config, scheme, &metrics));
    let upkeep = tokio::spawn({
        let metrics = Arc::clone(&metrics);
        async move {
            let mut every = tokio::time::interval(Duration::from_secs(1));
            loop {
                every.tick().await;
                metrics.upkeep();
            }
        }
    });
    let service = tower::service_fn(move |mut request: Request<RequestBody>| {
        // The forwarder reads the library's peer type (it has no axum).
        if let Some(ConnectInfo(peer)) = request.extensions().get::<ConnectInfo<SocketAddr>>() {
            let peer = PeerAddr(*peer);
            request.extensions_mut().insert(peer);
        }
        let shared = Arc::clone(&shared);
        async move { Ok::<_, Infallible>(detached(shared, request).await) }
    });
    let limits = config.limits.drain_timeout(config.drain_timeout);
    let served = twilio_guard_serve::serve(listener, config.tls, service, limits, shutdown).await;
    upkeep.abort();
    Ok(served?)
}

/// Runs `request` to its end in a task of its own, so a client that hangs up cannot cut the
/// flow short: once the upstream has been called, the request is delivered and its answer
/// recorded for the replay guard (a dropped future delivered a signed
/// request once per reconnect, or — with the mark held — not at all and 409 until the lease
/// ran out). Bounded by the upstream deadline.
async fn detached(shared: Arc<Shared>, request: Request<RequestBody>) -> Response<ResponseBody> {
    let task = tokio::spawn(async move { dispatch(&shared, request).await });
    task.await.unwrap_or_else(|e| {
        tracing::error!(error = %e, "request task failed");
        text(
            StatusCode::INTERNAL_SERVER_ERROR,
            "text/plain; charset=utf-8",
            "Internal server error".into(),
        )
    })
}

async fn dispatch(shared: &Shared, request: Request<RequestBody>) -> Response<ResponseBody> {
    let path = request.uri().path();
    let certificate = shared.certificate.as_ref();
    if request.method() == Method::GET && path == "/healthz" {
        let days = certificate.map(CertStatus::readiness).unwrap_or_default();
        return text(
            StatusCode::OK,
            "text/plain; charset=utf-8",
            format!("ok\n{days}"),
        );
    }
    if request.method() == Method::GET && path == "/metrics" {
        let body =
            shared.metrics.render() + &certificate.map(CertStatus::prometheus).unwrap_or_default();
        return text(StatusCode::OK, "text/plain; version=0.0.4", body);
    }
    let peer = request.extensions().get::<PeerAddr>().map(|p| p.0.ip());
    if !shared.public.admits(peer) {
        return refuse(&shared.metrics, Refusal::UntrustedPeer);
    }
    let Some(route) = route::pick(shared.prefixes.iter().map(String::as_str), path) else {
        return refuse(&shared.metrics, Refusal::NoRoute);
    };
    let Ok(response) = shared.guarded[route].clone().oneshot(request).await;
    let outcome = match response.extensions().get::<Answered>() {
        Some(Answered(outcome)) => *outcome,
        // Not answered by the forwarder: the core turned it away or replayed a stored answer.
        None if response.status().is_client_error() || response.status().is_server_error() => {
            Outcome::Rejected
        }
        None => Outcome::Replayed,
    };
    shared.metrics.request(outcome, response.status().as_u16());
    response
}

/// The `proxy` subcommand: configure from flags and environment, serve until Ctrl-C or
/// SIGTERM, drain, exit.
pub fn main(args: &ProxyArgs) -> Result<(), ProxyError> {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .try_init();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let mut config = args.config(|name| std::env::var(name).ok()).await?;
        let listener = TcpListener::bind(args.listen).await?;
        // Kept alive while serving: dropping it stops renewal.
        let acme = if args.acme.enabled() {
            let acme = args.acme.start(&listener, None).await;
            Some(acme.map_err(config::ConfigError::Acme)?)
        } else {
            None
        };
        if let Some(acme) = &acme {
            config = config.acme(acme);
        }
        // Always said, whatever RUST_LOG is: scripts wait for this line (the port may be 0).
        eprintln!(
            "twilio-webhook proxy: listening on {}, forwarding to {}",
            listener.local_addr()?,
            config.describe_upstreams()
        );
        // Requests keep flowing while the keys are swapped: the reload only replaces each
        // route's live key slot.
        let reloader = tokio::spawn(reload::on_sighup(config.reloadable()));
        let served = run(listener, config, twilio_guard_serve::on_terminate()).await;
        reloader.abort();
        served
    })
}

/// The proxy's own refusal, counted as a rejection.
fn refuse(metrics: &Metrics, refusal: Refusal) -> Response<ResponseBody> {
    tracing::info!(reason = %refusal, "request refused");
    metrics.request(Outcome::Rejected, refusal.status().as_u16());
    text(
        refusal.status(),
        twilio_webhook::Rejection::CONTENT_TYPE,
        refusal.body().into(),
    )
}

fn text(status: StatusCode, content_type: &'static str, body: String) -> Response<ResponseBody> {
    let mut response = Response::new(
        Full::new(Bytes::from(body))
            .map_err(Into::into)
            .boxed_unsync(),
    );
    *response.status_mut() = status;
    response.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static(content_type),
    );
    response
}
