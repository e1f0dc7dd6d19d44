//! `sms-ratings agenda import` and `sms-ratings rooms set|list`: a conference's talks from its
//! agenda file, its rooms' numbers. Both go through the service ([`crate::service`]).

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Subcommand};

use super::CliError;
use crate::conference::ConferenceCode;
use crate::phone::Region;
use crate::service::Ratings;
use crate::service::conference::{AgendaImport, ImportReport};
use crate::store;

/// The `agenda` subcommands.
#[derive(Debug, Subcommand)]
pub(super) enum Agenda {
    /// Import a conference's agenda: pretalx/frab schedule.json or schedule.xml, an .ics
    /// file, or CSV (code,title,speakers,room,start,end[,number]). Each talk becomes an
    /// event; importing again updates them (added / changed / unchanged / cancelled).
    Import(ImportArgs),
    /// Print every talk's private results link for its speakers, as CSV (code, title,
    /// speakers, room, start, link), giving a link to each talk that has none. A link shows
    /// its talk's results and visible comments, no phone numbers; revoke it on the talk's
    /// manage page.
    Links {
        /// The address the server is reached at, e.g. https://ratings.example.com.
        #[arg(long, env = "PUBLIC_URL")]
        public_url: String,
        /// The conference [default: the only one].
        #[arg(long)]
        conference: Option<ConferenceCode>,
    },
}

/// The arguments of `agenda import`.
#[derive(Debug, Args)]
pub(super) struct ImportArgs {
    /// The agenda file.
    file: PathBuf,
    /// The conference's code [default: the file's acronym].
    #[arg(long)]
    conference: Option<ConferenceCode>,
    /// The conference's time zone (IANA, e.g. Europe/Amsterdam): CSV times without an
    /// offset are in it [default: as before, else the file's, else UTC].
    #[arg(long)]
    time_zone: Option<String>,
    /// A talk's vote window opens this long before its scheduled end [default: as before,
    /// else 10m].
    #[arg(long, value_parser = humantime::parse_duration)]
    opens_before_end: Option<Duration>,
    /// A talk's vote window closes this long after its scheduled end [default: as before,
    /// else 20m].
    #[arg(long, value_parser = humantime::parse_duration)]
    closes_after_end: Option<Duration>,
    /// Show what would change; write nothing.
    #[arg(long)]
    dry_run: bool,
}

/// The `rooms` subcommands.
#[derive(Debug, Subcommand)]
pub(super) enum Rooms {
    /// Give a room its Twilio number: texts and calls to it without a code count for the
    /// talk in that room whose vote window is open.
    Set {
        /// The room, as the agenda names it.
        room: String,
        /// Its Twilio number (E.164, e.g. +442079460000, or national with --default-region).
        number: String,
        /// The conference [default: the only one].
        #[arg(long)]
        conference: Option<ConferenceCode>,
    },
    /// List a conference's rooms and their numbers.
    List {
        /// The conference [default: the only one].
        #[arg(long)]
        conference: Option<ConferenceCode>,
    },
}

/// Runs `agenda import`.
pub(super) async fn agenda(
    database: Option<String>,
    region: Option<Region>,
    command: Agenda,
) -> Result<(), CliError> {
    let args = match command {
        Agenda::Import(args) => args,
        Agenda::Links {
            public_url,
            conference,
        } => return links(database, &public_url, conference).await,
    };
    let file = args.file;
    let bytes = std::fs::read(&file)
        .map_err(|e| CliError::Usage(format!("cannot read {}: {e}", file.display())))?;
    let ratings = open(database).await?;
    let result = ratings
        .import_agenda(AgendaImport {
            conference: args.conference,
            file: bytes,
            time_zone: args.time_zone,
            opens_before_end: args.opens_before_end,
            closes_after_end: args.closes_after_end,
            region,
            dry_run: args.dry_run,
        })
        .await;
    ratings.close().await;
    let report = result.map_err(|e| CliError::Usage(format!("{}: {e}", file.display())))?;
    print!("{}", describe(&report));
    Ok(())
}

/// Prints the speaker links as CSV.
async fn links(
    database: Option<String>,
    public_url: &str,
    conference: Option<ConferenceCode>,
) -> Result<(), CliError> {
    let ratings = open(database).await?;
    let result = async {
        let conference = ratings.conference_or_only(conference).await?;
        ratings
            .speaker_links(conference, crate::server::new_token)
            .await
    }
    .await;
    ratings.close().await;
    let links = result.map_err(|e| CliError::Usage(e.to_string()))?;
    let base = public_url.trim_end_matches('/');
    let mut out = csv::Writer::from_writer(std::io::stdout());
    let io = |e: csv::Error| CliError::Usage(format!("cannot write the CSV: {e}"));
    out.write_record(["code", "title", "speakers", "room", "start", "link"])
        .map_err(io)?;
    for link in links {
        let t = &link.talk;
        out.write_record([
            t.code.as_str(),
            &t.title,
            &t.speakers.join("; "),
            &t.room,
            &t.start.rfc3339(),
            &format!("{base}/p/{}", link.token),
        ])
        .map_err(io)?;
    }
    out.flush()?;
    Ok(())
}

/// Runs `rooms set|list`.
pub(super) async fn rooms(
    database: Option<String>,
    region: Option<Region>,
    command: Rooms,
) -> Result<(), CliError> {
    let ratings = open(database).await?;
    let result = rooms_on(&ratings, region, command).await;
    ratings.close().await;
    result
}

async fn rooms_on(
    ratings: &Ratings,
    region: Option<Region>,
    command: Rooms,
) -> Result<(), CliError> {
    let usage = |e: crate::service::conference::ConferenceError| CliError::Usage(e.to_string());
    match command {
        Rooms::Set {
            room,
            number,
            conference,
        } => {
            let conference = ratings
                .conference_or_only(conference)
                .await
                .map_err(usage)?;
            let talks = ratings
                .set_room_number(conference.clone(), &room, &number, region)
                .await
                .map_err(usage)?;
            println!("Room {room:?} of {conference} now has its number ({talks} talks).");
        }
        Rooms::List { conference } => {
            let conference = ratings
                .conference_or_only(conference)
                .await
                .map_err(usage)?;
            for room in ratings.rooms(conference).await.map_err(usage)? {
                let number = room.number.as_deref().unwrap_or("(no number)");
                println!("{}\t{number}", room.name);
            }
        }
    }
    Ok(())
}

/// The service over the database (`ratings.db` by default).
async fn open(database: Option<String>) -> Result<Ratings, CliError> {
    let location = database.unwrap_or_else(|| "ratings.db".into());
    Ok(Ratings::new(store::open(&location).await?))
}

/// The report of an import, one line per talk that is not unchanged.
fn describe(report: &ImportReport) -> String {
    let c = &report.conference;
    let p = &report.plan;
    let mut out = format!(
        "{} {} into conference {} (time zone {}; vote windows open {} before a talk's end, \
         close {} after).\n{} added, {} changed, {} unchanged, {} cancelled.\n",
        if report.dry_run {
            "Would import"
        } else {
            "Imported"
        },
        report.format,
        c.code,
        c.time_zone,
        humantime::format_duration(c.windows.opens_before_end),
        humantime::format_duration(c.windows.closes_after_end),
        p.added.len(),
        p.changed.len(),
        p.unchanged.len(),
        p.cancelled.len(),
    );
    let talks = p
        .added
        .iter()
        .map(|t| ('+', t))
        .chain(p.changed.iter().map(|t| ('~', t)));
    for (mark, t) in talks {
        out.push_str(&format!(
            "{mark} {:<6} {}  {}  {}\n",
            t.code, t.start, t.room, t.title
        ));
    }
    for t in &p.cancelled {
        let votes = if t.votes > 0 {
            " (kept: it has votes)"
        } else {
            ""
        };
        out.push_str(&format!(
            "- {:<6} {}  {}  {}{votes}\n",
            t.code, t.start, t.room, t.title
        ));
    }
    if report.dry_run {
        out.push_str("Dry run: nothing was written.\n");
    }
    out
}
