//! `twilio-webhook`: sign, verify and batch-check Twilio webhook signatures from the shell.
//!
//! ```text
//! TWILIO_AUTH_TOKEN=12345 twilio-webhook sign --url 'https://example.com/sms' From=+15551234567 Body=Hi
//! twilio-webhook verify --url 'https://example.com/sms' --signature '…' From=+15551234567 Body=Hi
//! twilio-webhook batch < cases.jsonl > verdicts.jsonl
//! twilio-webhook send http://127.0.0.1:3000/sms --body Hi          # act as Twilio, follow the TwiML
//! twilio-webhook send http://127.0.0.1:3000/voice --kind call --digits 4,1#   # walk an IVR
//! twilio-webhook chat http://127.0.0.1:3000/sms                      # text a bot, interactively
//! twilio-webhook send http://127.0.0.1:3000/sms --duration 30s --concurrency 16   # load
//! twilio-webhook numbers connect +15017122661 --sms-url https://hooks.example.com/sms   # point a number
//! twilio-webhook proxy --upstream http://127.0.0.1:3000 --public-url https://hooks.example.com
//! ```

// mimalloc: the proxy's request path allocates many small, short-lived buffers (two HTTP
// exchanges, form pairs, the replay guard's copies); glibc's malloc took a ninth of the
// proxy's CPU under load (`PERF=… bench/floor.sh`), with its consolidation passes.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod batch;
mod chat;
mod lines;
mod numbers;
mod params;
mod send;
mod sign;

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use twilio_webhook_cli::proxy;

/// Sign, verify and batch-check Twilio webhook signatures (X-Twilio-Signature).
#[derive(Debug, Parser)]
#[command(name = "twilio-webhook", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

// A usage error's usage line is clap's: it lists the flags given as if they were required and
// drops `[OPTIONS]`; the commands with required arguments state their usage once, as `--help`
// shows it.
#[derive(Debug, Subcommand)]
enum Command {
    /// Print the X-Twilio-Signature Twilio would send for a URL and parameters (or a body).
    #[command(override_usage = "twilio-webhook sign [OPTIONS] --url <URL> [PARAMS]...")]
    Sign(sign::SignArgs),
    /// Check a signature; exit 0 if valid, 1 if not (with the reason), 2 on usage errors.
    #[command(
        override_usage = "twilio-webhook verify [OPTIONS] --signature <SIGNATURE> --url <URL> [PARAMS]..."
    )]
    Verify(sign::VerifyArgs),
    /// Sign and check JSON Lines from stdin, one verdict line out per line in, in order.
    Batch(batch::BatchArgs),
    /// Act as Twilio: send a signed webhook and follow the TwiML (messages, redirects,
    /// gathers, callbacks); with --repeat/--concurrency, a load generator reporting req/s
    /// and latency percentiles.
    #[command(override_usage = "twilio-webhook send [OPTIONS] <URL>")]
    Send(Box<send::SendArgs>),
    /// Text a bot interactively: each line is an SMS from the same number, replies printed;
    /// /call places a voice call, /quit leaves. Reads piped stdin too.
    #[command(override_usage = "twilio-webhook chat [OPTIONS] <URL>")]
    Chat(Box<chat::ChatArgs>),
    /// Validating reverse proxy: forwards only requests Twilio really signed to any backend.
    Proxy(Box<proxy::ProxyArgs>),
    /// Point a Twilio number at a webhook URL (`connect`), or `check` that it points there.
    #[command(subcommand)]
    Numbers(numbers::NumbersCommand),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Sign(args) => sign::sign(&args),
        Command::Verify(args) => sign::verify(&args),
        Command::Batch(args) => batch::main(&args),
        Command::Send(args) => return exit_code(send::send(*args)),
        Command::Chat(args) => return exit_code(chat::chat(*args)),
        Command::Proxy(args) => return exit_code(proxy::main(&args).map(|()| ExitCode::SUCCESS)),
        Command::Numbers(command) => return exit_code(numbers::main(command)),
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            eprintln!("twilio-webhook: {err}");
            ExitCode::from(2)
        }
    }
}

/// The exit code of a subcommand with its own error type: its code, or 2 with the message.
fn exit_code<E: std::fmt::Display>(result: Result<ExitCode, E>) -> ExitCode {
    result.unwrap_or_else(|err| {
        eprintln!("twilio-webhook: {err}");
        ExitCode::from(2)
    })
}
