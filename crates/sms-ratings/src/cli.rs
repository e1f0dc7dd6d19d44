//! The `sms-ratings` command line: `serve` and `events add|list|close`.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Args, Parser, Subcommand};

mod twilio;

use crate::model::{EventCode, EventState, NewEvent, Timestamp};
use twilio_webhook::Scheme;
use twilio_webhook::keys::{KeyKind, TokenFile, TokenFileError};
use twilio_webhook::{BasicAuth, KeyStore, LiveKeys, TrustedProxies, Validator};

use crate::server::{self, App, Config};
use crate::service::Ratings;
use crate::store::{self, Store, StoreError};

/// Rate an event by SMS: verified Twilio webhooks, durable votes, live results.
#[derive(Debug, Parser)]
#[command(name = "sms-ratings", version, about, long_about = None)]
pub struct Cli {
    /// SQLite file, or a `postgres://` URL to use PostgreSQL [default: ratings.db;
    /// with --demo: a new private file in the temp directory]
    #[arg(long, global = true, env = "DATABASE_URL", hide_env_values = true)]
    database: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the webhook and organiser API server.
    Serve(Box<Serve>),
    /// Manage events.
    #[command(subcommand)]
    Events(Events),
    /// Point an event's Twilio number at this service (`connect`, `undo`), or `check` it.
    #[command(subcommand)]
    Twilio(twilio::Twilio),
}

#[derive(Debug, Args)]
struct Serve {
    /// Address to listen on.
    #[arg(
        long,
        default_value = "127.0.0.1:8080",
        env = "LISTEN",
        hide_env_values = true
    )]
    listen: SocketAddr,
    /// Twilio auth token that signs the webhooks (Console > Account > API keys & tokens).
    /// Prefer the environment variable or --token-file: a flag's value shows in `ps`.
    #[arg(long, env = "TWILIO_AUTH_TOKEN", hide_env_values = true)]
    auth_token: Option<String>,
    /// File of auth tokens: one token, or `SLOT TOKEN` / `ACCOUNT_SID SLOT TOKEN` lines
    /// (rotation, several accounts). Re-read on SIGHUP: rotate keys without a restart.
    #[arg(
        long,
        env = "TOKEN_FILE",
        hide_env_values = true,
        visible_alias = "auth-token-file"
    )]
    token_file: Option<PathBuf>,
    /// Scheme and host Twilio calls, e.g. https://ratings.example.com (the webhook URL
    /// configured in Twilio, without the path) [default: derived from --listen].
    #[arg(long, env = "PUBLIC_URL", hide_env_values = true)]
    public_url: Option<String>,
    /// Organiser user name for the API and pages.
    #[arg(
        long,
        env = "ADMIN_USER",
        hide_env_values = true,
        default_value = "admin"
    )]
    admin_user: String,
    /// Organiser password (12+ characters beyond common words); without it the organiser
    /// API refuses every request. Prefer the environment variable or --admin-password-file:
    /// a flag's value shows in `ps`.
    #[arg(long, env = "ADMIN_PASSWORD", hide_env_values = true)]
    admin_password: Option<String>,
    /// File holding the organiser password (its first line).
    #[arg(
        long,
        env = "ADMIN_PASSWORD_FILE",
        hide_env_values = true,
        conflicts_with = "admin_password"
    )]
    admin_password_file: Option<PathBuf>,
    /// Also require basic auth on the webhook: user name (put `user:password@` in the
    /// webhook URL in Twilio's console).
    #[arg(long, env = "WEBHOOK_USER", hide_env_values = true)]
    webhook_user: Option<String>,
    /// Password for --webhook-user. Prefer the environment variable or
    /// --webhook-password-file: a flag's value shows in `ps`.
    #[arg(
        long,
        env = "WEBHOOK_PASSWORD",
        hide_env_values = true,
        requires = "webhook_user"
    )]
    webhook_password: Option<String>,
    /// File holding the --webhook-user password (its first line).
    #[arg(
        long,
        env = "WEBHOOK_PASSWORD_FILE",
        hide_env_values = true,
        conflicts_with = "webhook_password",
        requires = "webhook_user"
    )]
    webhook_password_file: Option<PathBuf>,
    /// TLS certificate chain (PEM); serve HTTPS.
    #[arg(long, requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// TLS private key (PEM).
    #[arg(long, requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// Slow and flooding clients: timeouts, connection and live-stream caps, head size.
    #[command(flatten)]
    limits: twilio_guard_serve::LimitsArgs,
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
    demo: bool,
}

#[derive(Debug, Subcommand)]
enum Events {
    /// Create an event.
    Add {
        /// Code people text, e.g. RUST25 (case-insensitive).
        code: String,
        /// Name shown in replies and results.
        name: String,
        /// Twilio number serving it (E.164, e.g. +15005550006): texts to it need no code
        /// while it is the number's only open event.
        #[arg(long)]
        number: Option<String>,
        /// Voting opens (RFC 3339, e.g. 2026-11-29T18:00:00Z) [default: now].
        #[arg(long)]
        opens: Option<Timestamp>,
        /// Voting closes (RFC 3339) [default: when closed by hand].
        #[arg(long)]
        closes: Option<Timestamp>,
    },
    /// List events.
    List,
    /// Close an event: later votes are refused.
    Close {
        /// The event code.
        code: String,
    },
}

/// Why a command failed; printed as one line.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CliError {
    /// A usage or configuration problem, with what to do about it.
    #[error("{0}")]
    Usage(String),
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Network or file error.
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

/// Runs the command line; the process exit code.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    init_tracing();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    // tokio-postgres logs statement parameters (phone numbers, comments) at debug level:
    // keep it at info whatever RUST_LOG says.
    let filter = match "tokio_postgres=info".parse() {
        Ok(directive) => filter.add_directive(directive),
        Err(_) => filter,
    };
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

async fn run(cli: Cli) -> Result<(), CliError> {
    match cli.command {
        Command::Serve(serve) => run_serve(cli.database, *serve).await,
        Command::Events(events) => {
            let location = cli.database.unwrap_or_else(|| "ratings.db".into());
            let store = store::open(&location).await?;
            let result = run_events(store.as_ref(), events).await;
            store.close().await;
            result
        }
        Command::Twilio(command) => {
            let location = cli.database.unwrap_or_else(|| "ratings.db".into());
            twilio::run(&location, command).await
        }
    }
}

async fn run_events(store: &dyn Store, command: Events) -> Result<(), CliError> {
    match command {
        Events::Add {
            code,
            name,
            number,
            opens,
            closes,
        } => {
            let event = new_event(&code, name, number, opens, closes)?;
            crate::rules::check_number_free(&event, &store.events().await?, Timestamp::now())
                .map_err(|e| CliError::Usage(e.to_string()))?;
            let e = store.add_event(event).await?;
            println!("added {} \"{}\"", e.code, e.name);
        }
        Events::List => {
            let now = Timestamp::now();
            println!("{:<12} {:<7} {:<16} NAME", "CODE", "STATE", "NUMBER");
            for e in store.events().await? {
                let state = match e.state_at(now) {
                    EventState::Open => "open",
                    EventState::NotYetOpen(_) => "pending",
                    EventState::Closed => "closed",
                };
                let number = e.number.as_deref().unwrap_or("-");
                println!("{:<12} {state:<7} {number:<16} {}", e.code.as_str(), e.name);
            }
        }
        Events::Close { code } => {
            let e = store.close_event(parse_code(&code)?).await?;
            println!("closed {} \"{}\"", e.code, e.name);
        }
    }
    Ok(())
}

fn parse_code(code: &str) -> Result<EventCode, CliError> {
    code.parse()
        .map_err(|e: crate::model::InvalidCode| CliError::Usage(e.to_string()))
}

/// The shared event rules ([`crate::rules`]); the first error found is the message.
fn new_event(
    code: &str,
    name: String,
    number: Option<String>,
    opens: Option<Timestamp>,
    closes: Option<Timestamp>,
) -> Result<NewEvent, CliError> {
    crate::rules::check_event(code, &name, number.as_deref().unwrap_or(""), opens, closes).map_err(
        |errors| {
            let text: Vec<String> = errors.iter().map(ToString::to_string).collect();
            CliError::Usage(text.join("; "))
        },
    )
}

/// 32 random bytes as hex (demo token and password).
fn random_secret() -> Result<String, CliError> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes)
        .map_err(|e| CliError::Usage(format!("no randomness available: {e}")))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

const NO_TOKEN: &str = "no Twilio auth token: set TWILIO_AUTH_TOKEN (or --token-file) to the \
    auth token of the Twilio account whose number calls this server (Twilio Console > Account \
    > API keys & tokens), or try `sms-ratings serve --demo`";

async fn run_serve(database: Option<String>, mut serve: Serve) -> Result<(), CliError> {
    if serve.demo {
        serve.auth_token = Some(random_secret()?);
        serve.admin_password = Some(random_secret()?);
    }
    read_secret_files(&mut serve)?;
    let validator = validator(&serve)?;
    check_plain_http(&serve)?;
    let location = match (database, serve.demo) {
        (Some(db), _) => db,
        (None, false) => "ratings.db".into(),
        (None, true) => demo_database()?,
    };
    let store = store::open(&location).await?;
    let listener = tokio::net::TcpListener::bind(serve.listen).await?;
    let addr = listener.local_addr()?;
    let scheme = if serve.tls_cert.is_some() {
        "https"
    } else {
        "http"
    };
    let public_url = match &serve.public_url {
        Some(url) => url.clone(),
        // Twilio signs the URL it calls; an unspecified address is not one it can call.
        None if addr.ip().is_unspecified() => {
            return Err(CliError::Usage(format!(
                "set PUBLIC_URL (or --public-url) to the scheme and host Twilio calls, e.g. \
                 https://ratings.example.com: {addr} is not an address Twilio signs for"
            )));
        }
        None => format!("{scheme}://{addr}"),
    };
    let config = server_config(&serve, validator, &public_url)?;
    if let (Some(path), true) = (&serve.token_file, cfg!(unix)) {
        tokio::spawn(reload_on_hangup(
            path.clone(),
            serve.auth_token.clone(),
            config.live_keys(),
        ));
    }
    if serve.demo {
        let token = serve.auth_token.as_deref().unwrap_or_default();
        demo_setup(store.as_ref(), &serve, &public_url, token, &location).await?;
    }
    tracing::info!(%addr, %public_url, database = %redact(&location), "listening");
    let app = App::new(Ratings::new(store), config);
    match (&serve.tls_cert, &serve.tls_key) {
        (Some(cert), Some(key)) => {
            let tls = twilio_guard_serve::tls::load(cert, key)
                .map_err(|e| CliError::Usage(e.to_string()))?;
            server::run_tls(listener, Arc::new(tls), shutdown_signal(), app).await?;
        }
        _ => server::run(listener, shutdown_signal(), app).await?,
    }
    tracing::info!("stopped; every accepted vote is committed");
    Ok(())
}

/// Replaces each `--…-file` secret by the file's first line.
fn read_secret_files(serve: &mut Serve) -> Result<(), CliError> {
    if let Some(path) = &serve.admin_password_file {
        serve.admin_password = Some(secret_file(path)?);
    }
    if let Some(path) = &serve.webhook_password_file {
        serve.webhook_password = Some(secret_file(path)?);
    }
    if serve.webhook_user.is_some() != serve.webhook_password.is_some() {
        return Err(CliError::Usage(
            "--webhook-user and a webhook password (WEBHOOK_PASSWORD or \
             --webhook-password-file) go together"
                .into(),
        ));
    }
    Ok(())
}

/// The first line of a secret file, without its line end.
fn secret_file(path: &Path) -> Result<String, CliError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| CliError::Usage(format!("cannot read {}: {e}", path.display())))?;
    let line = text.lines().next().unwrap_or_default();
    if line.trim().is_empty() {
        return Err(CliError::Usage(format!("{} is empty", path.display())));
    }
    Ok(line.to_owned())
}

/// The webhook keys: the token file's, plus `--auth-token` / `TWILIO_AUTH_TOKEN` as `primary`.
fn key_store(file: Option<&Path>, token: Option<&str>) -> Result<KeyStore, CliError> {
    let bad = |e: TokenFileError| match e {
        TokenFileError::Empty => CliError::Usage(NO_TOKEN.into()),
        e => CliError::Usage(format!("token file: {e}")),
    };
    let mut keys = match file {
        Some(path) => TokenFile::read(path, KeyKind::AuthToken).map_err(bad)?,
        None => TokenFile::new(KeyKind::AuthToken),
    };
    if let Some(token) = token.filter(|t| !t.trim().is_empty()) {
        keys.add("primary", token).map_err(bad)?;
    }
    keys.into_key_store().map_err(bad)
}

fn validator(serve: &Serve) -> Result<Validator, CliError> {
    let keys = key_store(serve.token_file.as_deref(), serve.auth_token.as_deref())?;
    Ok(Validator::new(keys))
}

/// On each SIGHUP, re-reads the token file and swaps the keys of the running server (open
/// connections and the replay store stay). A file that does not parse keeps the old keys.
/// Logs what happened, never a key.
async fn reload_on_hangup(path: PathBuf, token: Option<String>, live: LiveKeys) {
    twilio_guard_serve::on_hangup(move || match key_store(Some(&path), token.as_deref()) {
        Ok(keys) => {
            live.replace(Validator::new(keys));
            tracing::info!(file = %path.display(), "SIGHUP: token file reloaded, new keys in force");
        }
        Err(e) => {
            tracing::warn!(file = %path.display(), error = %e, "SIGHUP: token file not reloaded, the previous keys stay");
        }
    })
    .await;
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
    if serve.tls_cert.is_some() {
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
    if serve.tls_cert.is_some() || serve.listen.ip().is_loopback() {
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

/// The URL without credentials, for logs: the user info before the `@` and every
/// `…password=` parameter of the query are replaced by `…`.
fn redact(location: &str) -> String {
    let Some((scheme, rest)) = location.split_once("://") else {
        return location.to_owned();
    };
    let (base, query) = match rest.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (rest, None),
    };
    let base = match base.rsplit_once('@') {
        Some((_, host)) => format!("…@{host}"),
        None => base.to_owned(),
    };
    let Some(query) = query else {
        return format!("{scheme}://{base}");
    };
    let query: Vec<String> = query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((key, _)) if key.to_ascii_lowercase().contains("password") => {
                format!("{key}=…")
            }
            _ => pair.to_owned(),
        })
        .collect();
    format!("{scheme}://{base}?{}", query.join("&"))
}

/// A new demo database nobody else can read or guess: `ratings.db` (mode 0600) in a new
/// directory (mode 0700) with a random name in the temp directory. SQLite gives its `-wal`
/// and `-shm` files the database file's mode. Kept after the run, so it can be inspected.
fn demo_database() -> Result<String, CliError> {
    let mut builder = tempfile::Builder::new();
    builder.prefix("sms-ratings-demo-");
    #[cfg(unix)]
    builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o700));
    let dir = builder.tempdir()?.keep();
    let path = dir.join("ratings.db");
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(&path)?;
    path.to_str()
        .map(str::to_owned)
        .ok_or_else(|| CliError::Usage("the temp directory path is not UTF-8".into()))
}

const DEMO_NUMBER: &str = "+15005550006";

async fn demo_setup(
    store: &dyn Store,
    serve: &Serve,
    public_url: &str,
    token: &str,
    location: &str,
) -> Result<(), CliError> {
    let event = new_event(
        "DEMO",
        "Demo event".into(),
        Some(DEMO_NUMBER.into()),
        None,
        None,
    )?;
    match store.add_event(event).await {
        Ok(_) | Err(StoreError::DuplicateEvent(_)) => {}
        Err(e) => return Err(e.into()),
    }
    let password = serve.admin_password.as_deref().unwrap_or_default();
    let user = &serve.admin_user;
    println!(
        "\nsms-ratings demo: event DEMO (\"Demo event\") on {DEMO_NUMBER}, database {location}\n\
         \nIn Twilio's console the number's Messaging webhook is {public_url}/sms and its \
         Voice URL is {public_url}/voice (both POST).\n\
         \nRate it, signed like Twilio would (in another terminal, from the repository):\n\
         \n  cargo run -q -p twilio-webhook-cli -- send {public_url}/sms --kind sms \
         --from +15551234567 --to {DEMO_NUMBER} --body '5 great demo' --token {token}\n\
         \nor by phone call, pressing 4:\n\
         \n  cargo run -q -p twilio-webhook-cli -- send {public_url}/voice --kind call \
         --from +15551234567 --to {DEMO_NUMBER} --digits 4 --token {token}\n\
         \nRun it in the browser (sign in as {user} / {password}):\n\
         \n  {public_url}/events/DEMO          projector page: live results, QR code to text\n\
         \x20 {public_url}/events/DEMO/manage   open/close, moderate, audience link, reset\n\
         \x20 {public_url}/                     all events; \"New event\" creates one\n\
         \n  curl -u {user}:{password} {public_url}/api/events/DEMO/results\n\
         \nDemo credentials (generated, valid for this run only): \
         TWILIO_AUTH_TOKEN={token} ADMIN_USER={user} ADMIN_PASSWORD={password}\n\
         Stop with Ctrl-C.\n"
    );
    Ok(())
}

/// Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = term => {}
    }
    tracing::info!("shutting down: finishing in-flight votes");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redact_hides_passwords_in_user_info_and_query() {
        assert_eq!(
            redact("postgres://u:pw1@db:5432/x?sslmode=require&password=pw2&sslpassword=pw3"),
            "postgres://…@db:5432/x?sslmode=require&password=…&sslpassword=…"
        );
        assert_eq!(
            redact("postgres://db/x?PASSWORD=pw"),
            "postgres://db/x?PASSWORD=…"
        );
        assert_eq!(redact("ratings.db"), "ratings.db");
    }

    #[test]
    fn event_names_must_be_printable() {
        assert!(new_event("RUST", "Rust Conf".into(), None, None, None).is_ok());
        for bad in ["", "   ", "Rust\u{0}Conf", "Rust\u{7}Conf", "Rust\nConf"] {
            assert!(
                new_event("RUST", bad.into(), None, None, None).is_err(),
                "{bad:?}"
            );
        }
    }
}
