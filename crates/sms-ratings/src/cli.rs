//! The `sms-ratings` command line: `serve` and `events add|list|close`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Args, Parser, Subcommand};

use crate::model::{EventCode, EventState, NewEvent, Timestamp};
use twilio_webhook::BasicAuth;
use twilio_webhook::Scheme;

use crate::server::{self, App, Config};
use crate::service::Ratings;
use crate::store::{self, Store, StoreError};

/// Rate an event by SMS: verified Twilio webhooks, durable votes, live results.
#[derive(Debug, Parser)]
#[command(name = "sms-ratings", version, about, long_about = None)]
pub struct Cli {
    /// SQLite file, or a `postgres://` URL to use PostgreSQL [default: ratings.db;
    /// with --demo: a new file in the temp directory]
    #[arg(long, global = true, env = "DATABASE_URL", hide_env_values = true)]
    database: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the webhook and organiser API server.
    Serve(Serve),
    /// Manage events.
    #[command(subcommand)]
    Events(Events),
}

#[derive(Debug, Args)]
struct Serve {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080", env = "LISTEN")]
    listen: SocketAddr,
    /// Twilio auth token that signs the webhooks (Console > Account > API keys & tokens).
    #[arg(long, env = "TWILIO_AUTH_TOKEN", hide_env_values = true)]
    auth_token: Option<String>,
    /// Scheme and host Twilio calls, e.g. https://ratings.example.com (the webhook URL
    /// configured in Twilio, without the path) [default: derived from --listen].
    #[arg(long, env = "PUBLIC_URL")]
    public_url: Option<String>,
    /// Organiser user name for the API and pages.
    #[arg(long, env = "ADMIN_USER", default_value = "admin")]
    admin_user: String,
    /// Organiser password; without it the organiser API refuses every request.
    #[arg(long, env = "ADMIN_PASSWORD", hide_env_values = true)]
    admin_password: Option<String>,
    /// Also require basic auth on the webhook: user name (put `user:password@` in the
    /// webhook URL in Twilio's console).
    #[arg(long, env = "WEBHOOK_USER", requires = "webhook_password")]
    webhook_user: Option<String>,
    /// Password for --webhook-user.
    #[arg(
        long,
        env = "WEBHOOK_PASSWORD",
        hide_env_values = true,
        requires = "webhook_user"
    )]
    webhook_password: Option<String>,
    /// TLS certificate chain (PEM); serve HTTPS.
    #[arg(long, requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// TLS private key (PEM).
    #[arg(long, requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// Slow and flooding clients: timeouts, connection cap, head size.
    #[command(flatten)]
    limits: twilio_guard_serve::LimitsArgs,
    /// Serve plain HTTP on a non-loopback address (only behind a TLS-terminating proxy).
    #[arg(long)]
    allow_plain_http: bool,
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
        Command::Serve(serve) => run_serve(cli.database, serve).await,
        Command::Events(events) => {
            let location = cli.database.unwrap_or_else(|| "ratings.db".into());
            let store = store::open(&location).await?;
            let result = run_events(store.as_ref(), events).await;
            store.close().await;
            result
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

fn new_event(
    code: &str,
    name: String,
    number: Option<String>,
    opens: Option<Timestamp>,
    closes: Option<Timestamp>,
) -> Result<NewEvent, CliError> {
    if name.trim().is_empty() {
        return Err(CliError::Usage("the event name is empty".into()));
    }
    // The name goes into every TwiML reply: a character XML cannot carry would make each
    // reply fail after its vote is stored.
    if name.chars().any(char::is_control) {
        return Err(CliError::Usage(
            "the event name contains a control character".into(),
        ));
    }
    if let (Some(o), Some(c)) = (opens, closes)
        && c <= o
    {
        return Err(CliError::Usage("--closes must be after --opens".into()));
    }
    if let Some(n) = &number
        && (n.is_empty() || n.len() > 64 || n.chars().any(|c| c.is_whitespace() || c.is_control()))
    {
        return Err(CliError::Usage(format!(
            "--number {n:?} is not a phone number (E.164, e.g. +15005550006)"
        )));
    }
    Ok(NewEvent {
        code: parse_code(code)?,
        name: name.trim().to_owned(),
        number,
        opens,
        closes,
    })
}

/// 32 random bytes as hex (demo token and password).
fn random_secret() -> Result<String, CliError> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes)
        .map_err(|e| CliError::Usage(format!("no randomness available: {e}")))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

const NO_TOKEN: &str = "no Twilio auth token: set TWILIO_AUTH_TOKEN (or --auth-token) to the \
    auth token of the Twilio account whose number calls this server (Twilio Console > Account \
    > API keys & tokens), or try `sms-ratings serve --demo`";

async fn run_serve(database: Option<String>, mut serve: Serve) -> Result<(), CliError> {
    if serve.demo {
        serve.auth_token = Some(random_secret()?);
        serve.admin_password = Some(random_secret()?);
    }
    let token = serve
        .auth_token
        .clone()
        .filter(|t| !t.trim().is_empty())
        .ok_or_else(|| CliError::Usage(NO_TOKEN.into()))?;
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
    let config = server_config(&serve, &token, &public_url)?;
    if serve.demo {
        demo_setup(store.as_ref(), &serve, &public_url, &token, &location).await?;
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

fn server_config(serve: &Serve, token: &str, public_url: &str) -> Result<Config, CliError> {
    let usage = |e: &dyn std::fmt::Display| CliError::Usage(e.to_string());
    let mut config = Config::new(token, public_url)
        .map_err(|e| usage(&e))?
        .limits(serve.limits.limits());
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

fn demo_database() -> Result<String, CliError> {
    let name = format!("sms-ratings-demo-{}.db", std::process::id());
    let path = std::env::temp_dir().join(name);
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
         \nSee the results (the live page: sign in as {user} / {password}):\n\
         \n  {public_url}/events/DEMO\n\
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
