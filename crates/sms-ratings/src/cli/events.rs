//! `sms-ratings events add|list|close`: events from the command line, under the same rules
//! as the browser form ([`crate::rules`]).

use clap::Subcommand;

use super::CliError;
use crate::model::{EventCode, EventState, NewEvent, Timestamp};
use crate::phone::Region;
use crate::service::Ratings;
use crate::store;

/// The `events` subcommands.
#[derive(Debug, Subcommand)]
pub(super) enum Events {
    /// Create an event.
    Add {
        /// Code people text, e.g. RUST25 (case-insensitive).
        code: String,
        /// Name shown in replies and results.
        name: String,
        /// Twilio number serving it (E.164, e.g. +15005550006, or national with
        /// --default-region): texts to it need no code while it is the number's only open
        /// event.
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

/// Opens the database (`ratings.db` by default), runs `command`, closes it.
/// National numbers are read in `region`.
pub(super) async fn run(
    database: Option<String>,
    region: Option<Region>,
    command: Events,
) -> Result<(), CliError> {
    let location = database.unwrap_or_else(|| "ratings.db".into());
    let ratings = Ratings::new(store::open(&location).await?);
    let result = run_on(&ratings, command, region).await;
    ratings.close().await;
    result
}

/// Writes through the service, like the browser form: the same rules, the same door.
async fn run_on(
    ratings: &Ratings,
    command: Events,
    region: Option<Region>,
) -> Result<(), CliError> {
    match command {
        Events::Add {
            code,
            name,
            number,
            opens,
            closes,
        } => {
            let event = new_event(&code, name, number, opens, closes, region)?;
            ratings
                .check_number_free(&event)
                .await?
                .map_err(|e| CliError::Usage(e.to_string()))?;
            let e = ratings.create_event(event).await?;
            println!("added {} \"{}\"", e.code, e.name);
        }
        Events::List => {
            let now = Timestamp::now();
            println!("{:<12} {:<7} {:<16} NAME", "CODE", "STATE", "NUMBER");
            for e in ratings.store().events().await? {
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
            let e = ratings.close_event(parse_code(&code)?).await?;
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
pub(super) fn new_event(
    code: &str,
    name: String,
    number: Option<String>,
    opens: Option<Timestamp>,
    closes: Option<Timestamp>,
    region: Option<Region>,
) -> Result<NewEvent, CliError> {
    let number = number.as_deref().unwrap_or("");
    crate::rules::check_event(code, &name, number, opens, closes, region).map_err(|errors| {
        let text: Vec<String> = errors.iter().map(ToString::to_string).collect();
        CliError::Usage(text.join("; "))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_names_must_be_printable() {
        assert!(new_event("RUST", "Rust Conf".into(), None, None, None, None).is_ok());
        for bad in ["", "   ", "Rust\u{0}Conf", "Rust\u{7}Conf", "Rust\nConf"] {
            assert!(
                new_event("RUST", bad.into(), None, None, None, None).is_err(),
                "{bad:?}"
            );
        }
    }
}
