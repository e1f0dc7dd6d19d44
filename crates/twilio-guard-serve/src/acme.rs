//! Automatic HTTPS: the certificate comes from an ACME server (Let's Encrypt by default)
//! and renews itself, for every binary that serves with [`crate::serve`].
//!
//! - [`AcmeArgs::start`] obtains the certificate before anything is served (a cached one is
//!   reused without a new order; never a self-signed stand-in), then renews it in the
//!   background: at two thirds of its lifetime, or inside the server's ARI window (RFC 9773)
//!   when it offers one. A renewed certificate is swapped in atomically: new handshakes get
//!   it, open connections carry on. A failed renewal keeps the old certificate, logs an
//!   error and tries again after a growing pause.
//! - Validation by TLS-ALPN-01 on the TLS listener itself (port 443 suffices), or by
//!   HTTP-01 on `--http-listen` (port 80), which also redirects browsers to https and
//!   refuses webhooks with 403.
//! - [`CertStatus`]: days to expiry for `/metrics` and the readiness answer.
//!
//! The ACME client is instant-acme: it retries `badNonce` refusals itself, speaks ARI, and
//! builds on rustls 0.23 with ring like the rest of this crate.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime};

use rustls::ServerConfig;
use tokio::net::TcpListener;
use tokio::task::AbortHandle;

mod args;
mod cache;
mod certificate;
mod http01;
mod order;
mod renew;
mod resolver;

pub use args::{AcmeArgs, LETS_ENCRYPT, LETS_ENCRYPT_STAGING, public_url};
pub use resolver::ACME_TLS_ALPN;

use cache::Cache;
use certificate::Issued;
use resolver::Resolver;

/// How long a validator may take over its TLS-ALPN-01 handshake.
const VALIDATION_HANDSHAKE: Duration = Duration::from_secs(10);

/// Why automatic HTTPS could not start or renew.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AcmeError {
    /// A flag is unusable (names it).
    #[error("{0}")]
    Config(String),
    /// The cache directory or one of its files cannot be read or written.
    #[error("ACME cache: {0}")]
    Cache(String),
    /// The issued or cached certificate cannot be read.
    #[error("certificate: {0}")]
    Certificate(String),
    /// The ACME server refused the order or a challenge failed.
    #[error("ACME order refused: {0}")]
    Refused(String),
    /// The exchange with the ACME server failed (network, protocol, an error document).
    #[error("ACME: {0}")]
    Acme(#[from] instant_acme::Error),
    /// A key or challenge certificate could not be made.
    #[error("key generation: {0}")]
    Key(#[from] rcgen::Error),
    /// rustls refused the certificate or the configuration.
    #[error("TLS: {0}")]
    Rustls(#[from] rustls::Error),
    /// The `--http-listen` address could not be bound.
    #[error("--http-listen {addr}: {source}")]
    HttpListen {
        /// The address.
        addr: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
}

/// What an order needs, resolved from the flags.
#[derive(Debug, Clone)]
pub(crate) struct Settings {
    pub(crate) domains: Vec<String>,
    pub(crate) contact: Vec<String>,
    pub(crate) directory: String,
    pub(crate) root_ca: Option<PathBuf>,
    /// Validate by HTTP-01 (on `--http-listen`) rather than TLS-ALPN-01.
    pub(crate) http01: bool,
}

/// The state of the served certificate, shared with `/metrics` and the readiness answer.
#[derive(Debug, Clone, Default)]
pub struct CertStatus(Arc<Mutex<Known>>);

#[derive(Debug, Default)]
struct Known {
    not_after: Option<SystemTime>,
    certificates: u64,
    failures: u64,
    /// The last renewal error, until a renewal succeeds.
    failing: Option<String>,
}

impl CertStatus {
    fn known(&self) -> std::sync::MutexGuard<'_, Known> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn serving(&self, issued: &Issued) {
        let mut known = self.known();
        known.not_after = Some(issued.not_after);
        known.certificates += 1;
        known.failing = None;
    }

    fn failed(&self, why: &str) {
        let mut known = self.known();
        known.failures += 1;
        known.failing = Some(why.to_owned());
    }

    /// When the served certificate expires.
    pub fn not_after(&self) -> Option<SystemTime> {
        self.known().not_after
    }

    /// Days until the served certificate expires (negative once expired).
    pub fn days_left(&self) -> Option<f64> {
        let not_after = self.not_after()?;
        Some(match not_after.duration_since(SystemTime::now()) {
            Ok(left) => left.as_secs_f64() / 86_400.0,
            Err(past) => -past.duration().as_secs_f64() / 86_400.0,
        })
    }

    /// Lines for the readiness answer: days left, and the last renewal error while failing.
    pub fn readiness(&self) -> String {
        let mut lines = match self.days_left() {
            Some(days) => format!("certificate: {days:.1} days left\n"),
            None => "certificate: none yet\n".to_owned(),
        };
        if let Some(why) = &self.known().failing {
            lines.push_str(&format!("certificate renewal failing: {why}\n"));
        }
        lines
    }

    /// Prometheus text: `tls_certificate_expiry_days`, `acme_certificates_total`,
    /// `acme_renewal_failures_total`.
    pub fn prometheus(&self) -> String {
        let days = self.days_left().unwrap_or(0.0);
        let known = self.known();
        format!(
            "# HELP tls_certificate_expiry_days Days until the served TLS certificate expires.\n\
             # TYPE tls_certificate_expiry_days gauge\n\
             tls_certificate_expiry_days {days:.4}\n\
             # HELP acme_certificates_total Certificates put in service (cached, issued, renewed).\n\
             # TYPE acme_certificates_total counter\n\
             acme_certificates_total {}\n\
             # HELP acme_renewal_failures_total Failed certificate renewals.\n\
             # TYPE acme_renewal_failures_total counter\n\
             acme_renewal_failures_total {}\n",
            known.certificates, known.failures
        )
    }
}

/// Automatic HTTPS, running: the TLS configuration to serve with and the certificate's
/// status. Dropping it stops renewal and the `--http-listen` listener.
#[derive(Debug)]
pub struct Acme {
    config: Arc<ServerConfig>,
    status: CertStatus,
    tasks: Vec<AbortHandle>,
}

impl Acme {
    /// The server configuration: the current certificate by atomic swap, HTTP/2 and
    /// HTTP/1.1 by ALPN, and `acme-tls/1` for validators (keep it when changing the ALPN
    /// list, or TLS-ALPN-01 renewals fail).
    pub fn server_config(&self) -> Arc<ServerConfig> {
        Arc::clone(&self.config)
    }

    /// The served certificate's status.
    pub fn status(&self) -> CertStatus {
        self.status.clone()
    }
}

impl Drop for Acme {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

impl AcmeArgs {
    /// Obtains the certificate (from the cache, else by a new order, answering TLS-ALPN-01
    /// validators on `tls_listener` meanwhile) and starts renewal and `--http-listen`.
    /// `beside` is the database file the cache defaults to sit next to. Returns only once a
    /// certificate is ready; an error means nothing should be served.
    pub async fn start(
        &self,
        tls_listener: &TcpListener,
        beside: Option<&Path>,
    ) -> Result<Acme, AcmeError> {
        let settings = self.settings()?;
        let cache = Cache::open(
            &self.cache_dir(beside),
            &settings.directory,
            &settings.domains,
        )?;
        let resolver = Arc::new(Resolver::default());
        let config = Arc::new(server_config(Arc::clone(&resolver))?);
        let mut tasks = Vec::new();
        if let Some(addr) = self.http_listen {
            let https_port = tls_listener.local_addr().map_or(443, |a| a.port());
            tasks.push(http_listener(addr, &resolver, &settings, https_port).await?);
        }
        let cached = cached(&cache, &settings.domains);
        let (current, account) = match cached {
            Some(issued) => {
                tracing::info!(
                    days_left = issued.days_left(SystemTime::now()),
                    "using the cached certificate"
                );
                (issued, None)
            }
            None => {
                let started = std::time::Instant::now();
                let validators = answer_validators(tls_listener, Arc::clone(&config));
                let (issued, account) = tokio::select! {
                    issued = first_order(&settings, &cache, &resolver) => issued?,
                    // The accept loop has no end of its own.
                    () = validators => return Err(AcmeError::Config("TLS listener stopped".into())),
                };
                tracing::info!(
                    seconds = started.elapsed().as_secs_f64(),
                    domains = %settings.domains.join(","),
                    "certificate issued"
                );
                (issued, Some(account))
            }
        };
        resolver.swap(Arc::clone(&current.key));
        let status = CertStatus::default();
        status.serving(&current);
        let renewer = renew::Renewer {
            settings,
            cache,
            resolver,
            status: status.clone(),
            account,
            current,
        };
        tasks.push(tokio::spawn(renewer.run()).abort_handle());
        Ok(Acme {
            config,
            status,
            tasks,
        })
    }

    fn settings(&self) -> Result<Settings, AcmeError> {
        let domains = self.domains()?;
        if domains.is_empty() {
            return Err(AcmeError::Config("no --acme-domain".into()));
        }
        if let Some(contact) = &self.acme_contact
            && !contact.starts_with("mailto:")
        {
            return Err(AcmeError::Config(format!(
                "--acme-contact {contact:?}: write it as mailto:you@example.com"
            )));
        }
        Ok(Settings {
            domains,
            contact: self.acme_contact.iter().cloned().collect(),
            directory: self.directory().to_owned(),
            root_ca: self.acme_root_ca.clone(),
            http01: self.http_listen.is_some(),
        })
    }
}

/// The cached certificate, if it covers the domains and has not expired.
fn cached(cache: &Cache, domains: &[String]) -> Option<Issued> {
    let pem = match cache.certificate() {
        Ok(pem) => pem?,
        Err(e) => {
            tracing::warn!(error = %e, "cached certificate unreadable: ordering a new one");
            return None;
        }
    };
    match Issued::from_pem(pem) {
        Ok(issued) if issued.covers(domains) && issued.not_after > SystemTime::now() => {
            Some(issued)
        }
        Ok(_) => None,
        Err(e) => {
            tracing::warn!(error = %e, "cached certificate unusable: ordering a new one");
            None
        }
    }
}

/// The first certificate: account, order, store.
async fn first_order(
    settings: &Settings,
    cache: &Cache,
    resolver: &Resolver,
) -> Result<(Issued, instant_acme::Account), AcmeError> {
    let account = order::account(settings, cache).await?;
    let issued = order::order(&account, settings, &resolver.challenges, None).await?;
    cache.store_certificate(&issued.pem)?;
    Ok((issued, account))
}

/// Until the first certificate is there, the TLS listener only completes handshakes of
/// TLS-ALPN-01 validators (anyone else finds no certificate and is refused).
async fn answer_validators(listener: &TcpListener, config: Arc<ServerConfig>) {
    let acceptor = tokio_rustls::TlsAcceptor::from(config);
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        };
        let acceptor = acceptor.clone();
        tokio::spawn(async move {
            let _ = tokio::time::timeout(VALIDATION_HANDSHAKE, acceptor.accept(stream)).await;
        });
    }
}

/// Binds `--http-listen` and serves HTTP-01 answers, redirects and refusals there.
async fn http_listener(
    addr: SocketAddr,
    resolver: &Arc<Resolver>,
    settings: &Settings,
    https_port: u16,
) -> Result<AbortHandle, AcmeError> {
    let listener = TcpListener::bind(addr)
        .await
        .map_err(|source| AcmeError::HttpListen { addr, source })?;
    let service = http01::Http01 {
        resolver: Arc::clone(resolver),
        domains: settings.domains.clone().into(),
        https_port,
    }
    .service();
    let never = std::future::pending::<()>();
    let task = tokio::spawn(crate::serve(
        listener,
        None,
        service,
        crate::Limits::default(),
        never,
    ));
    Ok(task.abort_handle())
}

/// The server configuration over `resolver`.
fn server_config(resolver: Arc<Resolver>) -> Result<ServerConfig, AcmeError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    // instant-acme's HTTPS client takes the process-wide provider: make it ring too.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_cert_resolver(resolver);
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec(), ACME_TLS_ALPN.to_vec()];
    Ok(config)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domains_are_checked_and_lowercased() {
        let args = |d: &[&str]| AcmeArgs {
            acme_domains: d.iter().map(|s| (*s).to_owned()).collect(),
            ..AcmeArgs::default()
        };
        assert_eq!(
            args(&["Ratings.Example.com.", "ratings.example.com"])
                .domains()
                .unwrap(),
            vec!["ratings.example.com".to_owned()]
        );
        for bad in [
            "*.example.com",
            "1.2.3.4",
            "example",
            "a..b",
            "host:443",
            "-a.b",
        ] {
            assert!(args(&[bad]).domains().is_err(), "{bad}");
        }
        assert_eq!(
            args(&["a.example", "b.example"]).public_url().unwrap(),
            "https://a.example"
        );
    }

    #[test]
    fn directory_and_cache_defaults() {
        let mut args = AcmeArgs::default();
        assert_eq!(args.directory(), LETS_ENCRYPT);
        args.acme_staging = true;
        assert_eq!(args.directory(), LETS_ENCRYPT_STAGING);
        assert_eq!(
            args.cache_dir(Some(Path::new("/var/lib/x/ratings.db"))),
            Path::new("/var/lib/x/acme")
        );
        args.acme_cache = Some("/c".into());
        assert_eq!(args.cache_dir(None), Path::new("/c"));
    }

    #[test]
    fn renewal_window_and_backoff() {
        let start = SystemTime::UNIX_EPOCH + Duration::from_secs(1000);
        let end = start + Duration::from_secs(100);
        for seed in [0, 7, u64::MAX] {
            let at = renew::in_window(start, end, seed);
            assert!(at >= start && at < end);
        }
        assert_eq!(renew::in_window(end, start, 3), end);
        let day = Duration::from_secs(86_400);
        assert_eq!(renew::backoff(1, 30 * day), Duration::from_secs(10));
        assert_eq!(renew::backoff(30, 30 * day), Duration::from_secs(3600));
        // Close to expiry the pause shrinks to a tenth of what is left.
        assert_eq!(
            renew::backoff(30, Duration::from_secs(100)),
            Duration::from_secs(10)
        );
    }
}
