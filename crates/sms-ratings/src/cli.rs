//! The `sms-ratings` command line: `serve`, `events add|list|close`, `agenda import`,
//! `rooms set|list` and `twilio connect|undo|check`.
//!
//! Each command is a module with its arguments and its `run`: `serve` (the server, with
//! `serve::secrets`, `serve::keys` and their reload, and `serve::demo` for `--demo`),
//! `events` and `twilio` (pointing a number at the service). This module parses, sets up
//! logging and the runtime, and sends each command to its module: a new command is a variant
//! of `Command` and an arm of `run`.

mod conference;
mod events;
mod redact;
mod serve;
mod twilio;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::model::Zone;
use crate::phone::Region;
use crate::store::StoreError;

/// Rate an event by SMS: verified Twilio webhooks, durable votes, live results.
#[derive(Debug, Parser)]
#[command(name = "sms-ratings", version, about, long_about = None)]
pub struct Cli {
    /// SQLite file, or a `postgres://` URL to use PostgreSQL [default: ratings.db;
    /// with --demo: a new private file in the temp directory]
    #[arg(long, global = true, env = "DATABASE_URL", hide_env_values = true)]
    database: Option<String>,
    /// Region (two-letter country code, e.g. GB) whose national numbers the form and
    /// `events add` accept without a country code [default: none, only +E.164 numbers]
    #[arg(long, global = true, env = "DEFAULT_REGION", hide_env_values = true)]
    default_region: Option<Region>,
    /// IANA time zone (e.g. Europe/Amsterdam) that events' times are typed and shown in
    /// when an event has none of its own; for `events add`, the new event's zone
    /// [default: UTC]
    #[arg(long, global = true, env = "TZ", hide_env_values = true)]
    timezone: Option<Zone>,
    #[command(subcommand)]
    command: Command,
}

/// One variant per command; each runs in its own module.
#[derive(Debug, Subcommand)]
enum Command {
    /// Run the webhook and organiser API server.
    Serve(Box<serve::Serve>),
    /// Manage events.
    #[command(subcommand)]
    Events(events::Events),
    /// Import a conference's agenda: each talk an event, rated as it ends.
    #[command(subcommand)]
    Agenda(conference::Agenda),
    /// Give a conference's rooms their Twilio numbers.
    #[command(subcommand)]
    Rooms(conference::Rooms),
    /// Point an event's Twilio number at this service (`connect`, `undo`), or `check` it.
    #[command(subcommand)]
    Twilio(twilio::Twilio),
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
        Command::Serve(args) => {
            let zone = cli.timezone.unwrap_or_default();
            serve::run(cli.database, cli.default_region, zone, *args).await
        }
        Command::Events(command) => {
            let place = events::Place {
                region: cli.default_region,
                zone: cli.timezone,
            };
            events::run(cli.database, place, command).await
        }
        Command::Agenda(command) => {
            conference::agenda(cli.database, cli.default_region, command).await
        }
        Command::Rooms(command) => {
            conference::rooms(cli.database, cli.default_region, command).await
        }
        Command::Twilio(command) => {
            let location = cli.database.unwrap_or_else(|| "ratings.db".into());
            twilio::run(&location, command).await
        }
    }
}
