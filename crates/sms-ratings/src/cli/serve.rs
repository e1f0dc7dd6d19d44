//! `sms-ratings serve`: its options, and the start-up from them to a listening server that
//! stops on Ctrl-C or SIGTERM once every accepted vote is committed.

mod demo;
mod keys;
mod secrets;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use clap::Args;
use twilio_webhook::{BasicAuth, Scheme, TrustedProxies, Validator};

use super::CliError;
use super::redact::redact;
use crate::model::Zone;
use crate::phone::Region;
use crate::server::{self, App, Config};
use crate::service::{BudgetLimits, Ratings};
use crate::store;

/// The options of `serve`.
#[derive(Debug, Args)]
pub(super) struct Serve {
    /// Address to listen on.
    #[arg(
        long,
        default_value = "127.0.0.1:8080",
        env = "LISTEN",
        hide_env_values = true
    )]
    pub(super) listen: SocketAddr,
    /// Twilio auth token that signs the webhooks (Console > Account > API keys & tokens).
    /// Prefer the environment variable or --token-file: a flag's value shows in `ps`.
    /// Not used with --token-file (the file's tokens alone verify).
    #[arg(long, env = "TWILIO_AUTH_TOKEN", hide_env_values = true)]
    pub(super) auth_token: Option<String>,
    /// A second auth token that also verifies (while rotating: the secondary token Twilio
    /// shows beside the primary). Not used with --token-file.
    #[arg(long, env = "TWILIO_AUTH_TOKEN_SECONDARY", hide_env_values = true)]
    pub(super) auth_token_secondary: Option<String>,
    /// File of auth tokens: one token, or `SLOT TOKEN` / `ACCOUNT_SID SLOT TOKEN` lines
    /// (rotation, several accounts). Given, its tokens alone verify (TWILIO_AUTH_TOKEN is
    /// not used), and it is re-read on SIGHUP: rotate keys without a restart.
    #[arg(
        long,
        env = "TOKEN_FILE",
        hide_env_values = true,
        visible_alias = "auth-token-file"
    )]
    pub(super) token_file: Option<PathBuf>,
    /// Scheme and host Twilio calls, e.g. https://ratings.example.com (the webhook URL
    /// configured in Twilio, without the path) [default: derived from --listen].
    #[arg(long, env = "PUBLIC_URL", hide_env_values = true)]
    pub(super) public_url: Option<String>,
    /// Organiser user name for the API and pages.
    #[arg(
        long,
        env = "ADMIN_USER",
        hide_env_values = true,
        default_value = "admin"
    )]
    pub(super) admin_user: String,
    /// Organiser password (12+ characters beyond common words); without it the organiser
    /// API refuses every request. Prefer the environment variable or --admin-password-file:
    /// a flag's value shows in `ps`.
    #[arg(long, env = "ADMIN_PASSWORD", hide_env_values = true)]
    pub(super) admin_password: Option<String>,
    /// File holding the organiser password (its first line).
    #[arg(
        long,
        env = "ADMIN_PASSWORD_FILE",
        hide_env_values = true,
        conflicts_with = "admin_password"
    )]
    pub(super) admin_password_file: Option<PathBuf>,
    /// Also require basic auth on the webhook: user name (put `user:password@` in the
    /// webhook URL in Twilio's console).
    #[arg(long, env = "WEBHOOK_USER", hide_env_values = true)]
    pub(super) webhook_user: Option<String>,
    /// Password for --webhook-user. Prefer the environment variable or
    /// --webhook-password-file: a flag's value shows in `ps`.
    #[arg(
        long,
        env = "WEBHOOK_PASSWORD",
        hide_env_values = true,
        requires = "webhook_user"
    )]
    pub(super) webhook_password: Option<String>,
    /// File holding the --webhook-user password (its first line).
    #[arg(
        long,
        env = "WEBHOOK_PASSWORD_FILE",
        hide_env_values = true,
        conflicts_with = "webhook_password",
        requires = "webhook_user"
    )]
    pub(super) webhook_password_file: Option<PathBuf>,
    /// TLS certificate chain (PEM); serve HTTPS.
    #[arg(long, requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// TLS private key (PEM).
    #[arg(long, requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// Slow and flooding clients: timeouts, connection and live-stream caps, head size.
    #[command(flatten)]
    limits: twilio_guard_serve::LimitsArgs,
    /// Automatic HTTPS: certificates from Let's Encrypt (or another ACME server).
    #[command(flatten)]
    acme: twilio_guard_serve::AcmeArgs,
    /// Serve plain HTTP on a non-loopback address (only behind a TLS-terminating proxy).
    #[arg(long)]
    allow_plain_http: bool,
    /// A proxy in front (IP or CIDR; repeat or comma-separate) whose X-Forwarded-For names
    /// the client the organiser sign-in limits count.
    #[arg(
        long = "trusted-proxy",
        env = "TRUSTED_PROXIES",
        hide_env_values = true,
        value_delimiter = ','
    )]
    trusted_proxies: Vec<String>,
    /// Demo: generated token and admin password, a demo event, and the commands to try it.
    #[arg(long)]
    pub(super) demo: bool,
    /// Look up each new voter's number once with Twilio Lookup v2 (line type; costs money
    /// per number) and flag virtual, toll-free and premium numbers. Uses the credentials of
    /// the `twilio` commands (TWILIO_ACCOUNT_SID, …; TWILIO_API_BASE replaces the host).
    #[arg(long)]
    lookup: bool,
    /// Replies per sender per hour; past it a sender's votes still count, answered with
    /// nothing (Twilio sends no text).
    #[arg(long, env = "REPLY_BUDGET", default_value_t = 5)]
    reply_budget: usize,
    /// Replies to all senders per minute (a flood costs money per reply, and a long code
    /// sends about one text a second); past it votes count, answered with nothing.
    #[arg(long, env = "REPLY_RATE", default_value_t = 300)]
    reply_rate: usize,
}

/// Runs the server `serve` describes over the database at `database` until Ctrl-C or
/// SIGTERM.
/// National numbers in the event form are read in `region`; events without a zone of their
/// own are typed and shown in `zone`.
pub(super) async fn run(
    database: Option<String>,
    region: Option<Region>,
    zone: Zone,
    mut serve: Serve,
) -> Result<(), CliError> {
    if serve.demo {
        demo::generate_secrets(&mut serve)?;
    }
    secrets::read_secret_files(&mut serve)?;
    let keys = keys::source(&serve)?;
    let validator = keys::validator(&keys)?;
    check_plain_http(&serve)?;
    let location = match (database, serve.demo) {
        (Some(db), _) => db,
        (None, false) => "ratings.db".into(),
        (None, true) => demo::database()?,
    };
    let store = store::open(&location).await?;
    let listener = tokio::net::TcpListener::bind(serve.listen).await?;
    let addr = listener.local_addr()?;
    let acme = start_acme(&serve, &listener, &location).await?;
    let public_url = public_url(&serve, addr)?;
    let mut config = server_config(&serve, validator, &public_url)?
        .default_region(region)
        .default_zone(zone);
    if let Some(acme) = &acme {
        config = config.certificate(acme.status());
    }
    // Always: without a file there is nothing to reload, but SIGHUP must not end the server.
    tokio::spawn(keys::reload_on_hangup(keys, config.live_keys()));
    let ratings = ratings(&serve, store)?;
    if serve.demo {
        demo::setup(&ratings, &serve, &public_url, &location).await?;
    }
    tracing::info!(%addr, %public_url, database = %redact(&location), "listening");
    let app = App::new(ratings, config);
    let shutdown = twilio_guard_serve::on_terminate();
    match (&serve.tls_cert, &serve.tls_key, &acme) {
        (_, _, Some(acme)) => {
            server::run_tls(listener, acme.server_config(), app, shutdown).await?;
        }
        (Some(cert), Some(key), None) => {
            let tls = twilio_guard_serve::tls::load(cert, key)
                .map_err(|e| CliError::Usage(e.to_string()))?;
            server::run_tls(listener, Arc::new(tls), app, shutdown).await?;
        }
        _ => server::run(listener, app, shutdown).await?,
    }
    tracing::info!("stopped; every accepted vote is committed");
    Ok(())
}

/// Whether the server speaks TLS: a certificate file or automatic HTTPS.
fn serves_tls(serve: &Serve) -> bool {
    serve.tls_cert.is_some() || serve.acme.enabled()
}

/// With `--acme-domain`: the certificate, obtained before anything is served (the cache
/// defaults to `acme/` beside a SQLite database).
async fn start_acme(
    serve: &Serve,
    listener: &tokio::net::TcpListener,
    location: &str,
) -> Result<Option<twilio_guard_serve::Acme>, CliError> {
    if !serve.acme.enabled() {
        return Ok(None);
    }
    if serve.tls_cert.is_some() {
        return Err(CliError::Usage(
            "--acme-domain and --tls-cert exclude each other: the certificate comes from one"
                .into(),
        ));
    }
    let beside = (!location.contains("://")).then(|| Path::new(location));
    let acme = serve
        .acme
        .start(listener, beside)
        .await
        .map_err(|e| CliError::Usage(format!("automatic HTTPS: {e}")))?;
    Ok(Some(acme))
}

/// The scheme and host Twilio signs: `--public-url`, `https://` and the first ACME domain,
/// or the address listened on.
fn public_url(serve: &Serve, addr: SocketAddr) -> Result<String, CliError> {
    let scheme = if serves_tls(serve) { "https" } else { "http" };
    match serve.public_url.clone().or_else(|| serve.acme.public_url()) {
        Some(url) => Ok(url),
        // Twilio signs the URL it calls; an unspecified address is not one it can call.
        None if addr.ip().is_unspecified() => Err(CliError::Usage(format!(
            "set PUBLIC_URL (or --public-url) to the scheme and host Twilio calls, e.g. \
             https://ratings.example.com: {addr} is not an address Twilio signs for"
        ))),
        None => Ok(format!("{scheme}://{addr}")),
    }
}

fn server_config(
    serve: &Serve,
    validator: Validator,
    public_url: &str,
) -> Result<Config, CliError> {
    let usage = |e: &dyn std::fmt::Display| CliError::Usage(e.to_string());
    let mut config = Config::with_validator(validator, public_url)
        .map_err(|e| usage(&e))?
        .trusted_proxies(
            TrustedProxies::new(&serve.trusted_proxies)
                .map_err(|e| usage(&format_args!("--trusted-proxy: {e}")))?,
        )
        .limits(serve.limits.limits().map_err(|e| usage(&e))?);
    if serves_tls(serve) {
        config = config.listener_scheme(Scheme::Https);
    }
    match &serve.admin_password {
        Some(password) => {
            server::check_password_strength(&serve.admin_user, password)
                .map_err(|e| usage(&format_args!("ADMIN_PASSWORD is refused: {e}")))?;
            let admin = BasicAuth::new(&serve.admin_user, password)
                .map_err(|e| usage(&format_args!("ADMIN_USER/ADMIN_PASSWORD: {e}")))?;
            config = config.admin(admin);
        }
        None => {
            tracing::warn!("ADMIN_PASSWORD is not set: the organiser API refuses every request");
        }
    }
    if let (Some(user), Some(password)) = (&serve.webhook_user, &serve.webhook_password) {
        let auth = BasicAuth::new(user, password)
            .map_err(|e| usage(&format_args!("WEBHOOK_USER/WEBHOOK_PASSWORD: {e}")))?;
        config = config.webhook_auth(auth);
    }
    Ok(config)
}

/// Plain HTTP is for loopback; elsewhere only with `--allow-plain-http`, and loudly.
fn check_plain_http(serve: &Serve) -> Result<(), CliError> {
    if serves_tls(serve) || serve.listen.ip().is_loopback() {
        return Ok(());
    }
    if !serve.allow_plain_http {
        return Err(CliError::Usage(format!(
            "refusing plain HTTP on {}: give --tls-cert and --tls-key, listen on 127.0.0.1, or \
             add --allow-plain-http if a TLS-terminating proxy sits in front",
            serve.listen
        )));
    }
    let banner = "!".repeat(72);
    eprintln!(
        "{banner}\n!! WARNING: serving PLAIN HTTP on {} (--allow-plain-http).",
        serve.listen
    );
    eprintln!("!! Votes and organiser passwords cross the network unencrypted unless a");
    eprintln!("!! TLS-terminating proxy is the only thing that can reach this port.\n{banner}");
    tracing::warn!(listen = %serve.listen, "serving plain HTTP on a non-loopback address");
    Ok(())
}

/// The rating service with the reply budget and Lookup `serve` asks for.
fn ratings(serve: &Serve, store: Arc<dyn store::Store>) -> Result<Ratings, CliError> {
    let ratings = Ratings::new(store).with_reply_budget(BudgetLimits {
        per_sender_per_hour: serve.reply_budget,
        per_minute: serve.reply_rate,
    });
    if !serve.lookup {
        return Ok(ratings);
    }
    let client = twilio_api::Client::from_env()
        .map_err(|e| CliError::Usage(format!("--lookup needs Twilio credentials: {e}")))?;
    Ok(ratings.with_lookup(client))
}
