//! `twilio-webhook proxy`: a validating reverse proxy in front of any backend.
//!
//! Every request goes through the library's request-validation core (the tower layer of
//! [`twilio_webhook::tower`]: method, basic auth, body limit, public URL, signature, replay
//! guard, and the one rejection-to-status mapping). Only what passes reaches [`forward`],
//! which sends the verified bytes upstream with `X-Forwarded-*` and `X-Twilio-Verified: <key
//! slot>` and relays the answer back (502 if the upstream refuses or breaks off, 504 if the
//! whole answer is not in by the deadline).
//! `/healthz` and `/metrics` are answered by the proxy itself.
//!
//! ```no_run
//! use twilio_webhook::{PublicUrl, Validator, WebhookConfig};
//! use twilio_webhook_cli::proxy::{self, Config};
//!
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let webhook = WebhookConfig::new(
//!     Validator::from_token("your-auth-token")?,
//!     PublicUrl::base("https://hooks.example.com")?,
//! );
//! let config = Config::new("http://127.0.0.1:3000", webhook)?;
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
//! proxy::run(listener, config, async { let _ = tokio::signal::ctrl_c().await; }).await?;
//! # Ok(()) }
//! ```
//!
//! Layout: [`config`] turns flags and environment into a [`Config`]; [`forward`] talks to
//! the upstream; `metrics` counts; this module hands the service to
//! [`twilio_guard_serve::serve`], which accepts connections, holds slow clients to their
//! limits, serves TLS and drains on shutdown.

pub mod config;
pub mod forward;
mod metrics;

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
use twilio_guard_serve::{ConnectInfo, Limits, RequestBody};
use twilio_webhook::tower::{PeerAddr, TwilioLayer, TwilioService};
use twilio_webhook::{Scheme, TrustedProxies, WebhookConfig};

pub use config::ProxyArgs;
use forward::{Answered, Forwarder};
pub use forward::{MAX_ANSWER, UpstreamError, VERIFIED_HEADER};
use metrics::{Metrics, Outcome};

/// The body of every response the proxy sends.
pub type ResponseBody = twilio_webhook::tower::ResponseBody;

/// Why the proxy could not be configured or could not serve.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ProxyError {
    /// The upstream URL is not `http://host[:port][/prefix]`.
    #[error("upstream URL must be http://host[:port][/prefix] without credentials or query")]
    Upstream,
    /// Configuration from flags, files or environment is unusable.
    #[error(transparent)]
    Config(#[from] config::ConfigError),
    /// Listening or accepting failed.
    #[error("listener: {0}")]
    Io(#[from] std::io::Error),
}

/// Where verified requests go: an `http://` origin and an optional path prefix.
#[derive(Debug, Clone)]
pub struct Upstream {
    origin: String,
    prefix: String,
}

impl Upstream {
    /// Parses `http://host[:port][/prefix]`.
    pub fn parse(url: &str) -> Result<Upstream, ProxyError> {
        let rest = url.strip_prefix("http://").ok_or(ProxyError::Upstream)?;
        let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
        let bad = authority.is_empty()
            || authority.contains('@')
            || path.contains(['?', '#'])
            || format!("http://{authority}/").parse::<http::Uri>().is_err();
        if bad {
            return Err(ProxyError::Upstream);
        }
        Ok(Upstream {
            origin: format!("http://{authority}"),
            prefix: path.trim_end_matches('/').to_owned(),
        })
    }
}

/// Everything one proxy instance needs.
#[derive(Debug)]
pub struct Config {
    upstream: Upstream,
    webhook: WebhookConfig,
    upstream_timeout: Duration,
    drain_timeout: Duration,
    tls: Option<Arc<rustls::ServerConfig>>,
    trusted: TrustedProxies,
    limits: Limits,
}

impl Config {
    /// Forward what `webhook` accepts to `upstream`; 10 s upstream deadline, 30 s drain.
    pub fn new(upstream: &str, webhook: WebhookConfig) -> Result<Config, ProxyError> {
        Ok(Config {
            upstream: Upstream::parse(upstream)?,
            webhook,
            upstream_timeout: Duration::from_secs(10),
            drain_timeout: Duration::from_secs(30),
            tls: None,
            trusted: TrustedProxies::default(),
            limits: Limits::default(),
        })
    }

    /// How long the upstream may take to answer (head) before the client gets 504. Keep it
    /// under Twilio's 15 s.
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
        tls.alpn_protocols = vec![b"http/1.1".to_vec()];
        self.tls = Some(Arc::new(tls));
        self
    }

    /// Peers whose `X-Forwarded-Proto/-Host/-For` are passed on (and extended) rather than
    /// replaced. Give the same list to the [`PublicUrl`](twilio_webhook::PublicUrl).
    #[must_use]
    pub fn trusted_proxies(mut self, trusted: TrustedProxies) -> Config {
        self.trusted = trusted;
        self
    }
}

/// What every connection shares.
struct Shared {
    guarded: TwilioService<Handler>,
    metrics: Arc<Metrics>,
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
    let forwarder = Forwarder::new(
        &config.upstream,
        config.upstream_timeout,
        config.trusted.clone(),
        scheme.as_str(),
        Arc::clone(&metrics),
    );
    let webhook = config.webhook.listener_scheme(scheme);
    let guarded = tower::Layer::layer(&TwilioLayer::new(webhook), Handler(Arc::new(forwarder)));
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
    let shared = Arc::new(Shared { guarded, metrics });
    let service = tower::service_fn(move |mut request: Request<RequestBody>| {
        // The forwarder reads the library's peer type (it has no axum).
        if let Some(ConnectInfo(peer)) = request.extensions().get::<ConnectInfo<SocketAddr>>() {
            let peer = PeerAddr(*peer);
            request.extensions_mut().insert(peer);
        }
        let shared = Arc::clone(&shared);
        async move { Ok::<_, Infallible>(dispatch(&shared, request).await) }
    });
    let limits = config.limits.drain_timeout(config.drain_timeout);
    let served = twilio_guard_serve::serve(listener, config.tls, service, limits, shutdown).await;
    upkeep.abort();
    Ok(served?)
}

async fn dispatch(shared: &Shared, request: Request<RequestBody>) -> Response<ResponseBody> {
    let path = request.uri().path();
    if request.method() == Method::GET && path == "/healthz" {
        return text(StatusCode::OK, "text/plain; charset=utf-8", "ok\n".into());
    }
    if request.method() == Method::GET && path == "/metrics" {
        let body = shared.metrics.render();
        return text(StatusCode::OK, "text/plain; version=0.0.4", body);
    }
    let Ok(response) = shared.guarded.clone().oneshot(request).await;
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
        let config = args.config(|name| std::env::var(name).ok()).await?;
        let listener = TcpListener::bind(args.listen).await?;
        // Always said, whatever RUST_LOG is: scripts wait for this line (the port may be 0).
        eprintln!(
            "twilio-webhook proxy: listening on {}, forwarding to {}",
            listener.local_addr()?,
            args.upstream
        );
        run(listener, config, shutdown_signal()).await
    })
}

/// Ctrl-C or SIGTERM (what container runtimes send).
async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
    tracing::info!("shutting down: draining in-flight requests");
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upstream_urls() {
        let u = Upstream::parse("http://127.0.0.1:3000/app/").unwrap();
        assert_eq!(
            (u.origin.as_str(), u.prefix.as_str()),
            ("http://127.0.0.1:3000", "/app")
        );
        let u = Upstream::parse("http://backend").unwrap();
        assert_eq!(u.prefix, "");
        for bad in [
            "https://x",
            "http://",
            "http://u:p@x/",
            "http://x/?a=1",
            "ftp://x",
            "http://bad host/",
        ] {
            assert!(Upstream::parse(bad).is_err(), "{bad}");
        }
    }
}
