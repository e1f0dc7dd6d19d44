//! `twilio-webhook numbers connect|check`: point a Twilio number at a webhook URL through
//! Twilio's REST API, or check that it points there with nothing overriding it. The same
//! rules as `sms-ratings twilio …` (`twilio_api::setup`), for the library and proxy's users.

use std::process::ExitCode;

use clap::{Args, Subcommand};
use twilio_api::Client;
use twilio_api::setup::{Inspection, Problem, Target};

/// `numbers connect` or `numbers check`.
#[derive(Debug, Subcommand)]
pub(crate) enum NumbersCommand {
    /// Set the number's SmsUrl (and VoiceUrl) with POST, after showing old -> new.
    Connect(ConnectArgs),
    /// Exit 0 when the number calls exactly these URLs with POST and nothing overrides them;
    /// else one line per problem with the fix, exit 1.
    Check(CheckArgs),
}

/// The number and where it should call.
#[derive(Debug, Args)]
pub(crate) struct Urls {
    /// The Twilio number (E.164, e.g. +15017122661), in the account of TWILIO_ACCOUNT_SID
    /// (with TWILIO_AUTH_TOKEN, or TWILIO_API_KEY/TWILIO_API_SECRET).
    number: String,
    /// The webhook URL for messages, exactly as your server verifies it (Twilio signs it).
    #[arg(long)]
    sms_url: String,
    /// The webhook URL for calls; without it, voice is left alone.
    #[arg(long)]
    voice_url: Option<String>,
}

/// `numbers connect`.
#[derive(Debug, Args)]
pub(crate) struct ConnectArgs {
    #[command(flatten)]
    urls: Urls,
    /// Change without asking.
    #[arg(long)]
    yes: bool,
    /// Show what would change, change nothing.
    #[arg(long, conflicts_with = "yes")]
    dry_run: bool,
}

/// `numbers check`.
#[derive(Debug, Args)]
pub(crate) struct CheckArgs {
    #[command(flatten)]
    urls: Urls,
}

/// Why a `numbers` command could not run.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub(crate) enum NumbersError {
    /// A URL, the credentials or the answer from Twilio.
    #[error("{0}")]
    Setup(String),
}

fn setup(message: impl std::fmt::Display) -> NumbersError {
    NumbersError::Setup(message.to_string())
}

/// Runs a `numbers` command.
pub(crate) fn main(command: NumbersCommand) -> Result<ExitCode, NumbersError> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(setup)?;
    runtime.block_on(async {
        match command {
            NumbersCommand::Connect(args) => connect(args).await,
            NumbersCommand::Check(args) => check(args).await,
        }
    })
}

/// The target, each URL an absolute http(s) URL.
fn target(urls: &Urls) -> Result<Target, NumbersError> {
    for url in std::iter::once(&urls.sms_url).chain(&urls.voice_url) {
        let parsed = url::Url::parse(url).map_err(|e| setup(format_args!("{url}: {e}")))?;
        if !matches!(parsed.scheme(), "https" | "http") {
            return Err(setup(format_args!("{url}: not an http(s) URL")));
        }
    }
    Ok(Target {
        sms: urls.sms_url.clone(),
        voice: urls.voice_url.clone(),
    })
}

async fn inspect(urls: &Urls) -> Result<(Client, Inspection), NumbersError> {
    let client = Client::from_env().map_err(setup)?;
    let found = Inspection::of(&client, &urls.number)
        .await
        .map_err(setup)?
        .ok_or_else(|| {
            setup(format_args!(
                "{} is not a number of Twilio account {}; nothing was changed",
                urls.number,
                client.account_sid()
            ))
        })?;
    Ok((client, found))
}

async fn connect(args: ConnectArgs) -> Result<ExitCode, NumbersError> {
    let target = target(&args.urls)?;
    let (client, found) = inspect(&args.urls).await?;
    let changes = found.changes(&target);
    println!("{} ({}):", found.number.phone_number, found.number.sid);
    if changes.is_empty() {
        println!("  nothing to change");
    }
    for c in &changes {
        println!("  {c}");
    }
    let overrides = found.overrides();
    for p in &overrides {
        println!("override: {p}");
    }
    if args.dry_run {
        println!("dry run: nothing changed");
        return Ok(ExitCode::SUCCESS);
    }
    if !changes.is_empty() {
        if !args.yes && !twilio_api::setup::ask("Apply?").map_err(setup)? {
            return Err(setup("nothing changed"));
        }
        client
            .update_number(&found.number.sid, &target.update())
            .await
            .map_err(|e| setup(format_args!("{e}; the number was not changed")))?;
        println!("done (the old values are above, to put them back)");
    }
    Ok(if overrides.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

async fn check(args: CheckArgs) -> Result<ExitCode, NumbersError> {
    let target = target(&args.urls)?;
    let (_, found) = inspect(&args.urls).await?;
    let problems = found.problems(&target);
    for p in &problems {
        let fix = match p {
            Problem::Mismatch { .. } => format!(
                "; run `twilio-webhook numbers connect {} --sms-url {}{}`",
                args.urls.number,
                target.sms,
                target
                    .voice
                    .as_ref()
                    .map(|v| format!(" --voice-url {v}"))
                    .unwrap_or_default()
            ),
            _ => String::new(),
        };
        println!("problem: {p}{fix}");
    }
    if problems.is_empty() {
        println!("ok: {} calls {} (POST)", args.urls.number, target.sms);
        Ok(ExitCode::SUCCESS)
    } else {
        Ok(ExitCode::from(1))
    }
}
