//! `sms-ratings events add|list|close`: events from the command line, under the same rules
//! as the browser form ([`crate::rules`]).

use clap::Subcommand;

use super::CliError;
use crate::model::{EventCode, EventState, NewEvent, Timestamp, Zone};
use crate::phone::Region;
use crate::rules;
use crate::service::Ratings;
use crate::store;

/// Where new events are: the region national numbers are read in (`--default-region`) and
/// the time zone (`--timezone`, `TZ`) their times are read in and kept with them.
#[derive(Debug, Clone, Default)]
pub(super) struct Place {
    /// National numbers are read in this region.
    pub(super) region: Option<Region>,
    /// The new event's zone; none: times without an offset are UTC and the event is shown
    /// in the server's `--timezone`.
    pub(super) zone: Option<Zone>,
}

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
        /// Voting opens: RFC 3339 (2026-11-29T18:00:00Z), or a wall-clock time in
        /// --timezone (2026-11-29T19:30) [default: now].
        #[arg(long)]
        opens: Option<String>,
        /// Voting closes, like --opens [default: when closed by hand].
        #[arg(long)]
        closes: Option<String>,
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
/// National numbers and times are read in `place`.
pub(super) async fn run(
    database: Option<String>,
    place: Place,
    command: Events,
) -> Result<(), CliError> {
    let location = database.unwrap_or_else(|| "ratings.db".into());
    let ratings = Ratings::new(store::open(&location).await?);
    let result = run_on(&ratings, command, place).await;
    ratings.close().await;
    result
}

/// Writes through the service, like the browser form: the same rules, the same door.
async fn run_on(ratings: &Ratings, command: Events, place: Place) -> Result<(), CliError> {
    match command {
        Events::Add {
            code,
            name,
            number,
            opens,
            closes,
        } => {
            let times = (opens.as_deref(), closes.as_deref());
            let event = new_event(&code, name, number, times, &place)?;
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

/// The shared event rules ([`crate::rules`]): `times` (opens, closes) are read in the
/// place's zone; every error found is in the message.
pub(super) fn new_event(
    code: &str,
    name: String,
    number: Option<String>,
    times: (Option<&str>, Option<&str>),
    place: &Place,
) -> Result<NewEvent, CliError> {
    let typed = rules::Typed {
        code,
        name: &name,
        number: number.as_deref().unwrap_or(""),
        opens: times.0.unwrap_or(""),
        closes: times.1.unwrap_or(""),
        time_zone: place.zone.as_ref().map_or("", Zone::name),
    };
    rules::check_typed(&typed, &Zone::utc(), place.region).map_err(|errors| {
        let text: Vec<String> = errors.iter().map(ToString::to_string).collect();
        CliError::Usage(text.join("; "))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_names_must_be_printable() {
        let place = Place::default();
        assert!(new_event("RUST", "Rust Conf".into(), None, (None, None), &place).is_ok());
        for bad in ["", "   ", "Rust\u{0}Conf", "Rust\u{7}Conf", "Rust\nConf"] {
            assert!(
                new_event("RUST", bad.into(), None, (None, None), &place).is_err(),
                "{bad:?}"
            );
        }
    }
}
