//! `sms-ratings twilio connect|undo|check`: point an event's Twilio number at exactly the
//! URLs this service verifies, put back what was there, and check the whole chain (token,
//! number, overrides, `PUBLIC_URL`, certificate) before the first vote fails.
//!
//! The URLs come from [`WebhookUrls`], the server's own; Twilio is reached through
//! `twilio-api` (`TWILIO_API_BASE` points it elsewhere); the values a number had before are
//! kept in the database ([`NumberBackup`]) until `undo` restores them.

mod certificate;

use clap::{Args, Subcommand};
use twilio_api::setup::{Change, Inspection, Problem, Target};
use twilio_api::{ApiError, Client, NumberUpdate, Webhook};

use super::CliError;
use crate::model::{Event, EventCode, EventState, Timestamp};
use crate::server::WebhookUrls;
use crate::store::{self, NumberBackup, Store};

/// Point an event's Twilio number at this service, undo that, or check the setup.
#[derive(Debug, Subcommand)]
pub(super) enum Twilio {
    /// Set the event's number's SmsUrl to PUBLIC_URL/sms and VoiceUrl to PUBLIC_URL/voice
    /// (both POST), after showing old -> new; the old values are kept for `twilio undo`.
    Connect(Connect),
    /// Put back the number's SmsUrl, SmsMethod, VoiceUrl and VoiceMethod from before
    /// `twilio connect`.
    Undo(Undo),
    /// Check the token, each event's number, overrides, PUBLIC_URL and its certificate;
    /// one line per problem with the fix, exit status 1 if any.
    Check(Check),
}

/// Where Twilio reaches this service.
#[derive(Debug, Args)]
struct Public {
    /// Scheme and host Twilio calls, as given to `serve`, e.g. https://ratings.example.com.
    #[arg(long, env = "PUBLIC_URL", hide_env_values = true)]
    public_url: Option<String>,
    /// The domain of automatic HTTPS, as given to `serve`: without PUBLIC_URL, it is
    /// `https://<first domain>`.
    #[arg(
        long = "acme-domain",
        env = "ACME_DOMAINS",
        hide_env_values = true,
        value_delimiter = ','
    )]
    acme_domains: Vec<String>,
}

#[derive(Debug, Args)]
pub(super) struct Connect {
    /// The event code.
    code: String,
    /// Change without asking.
    #[arg(long)]
    yes: bool,
    /// Show what would change, change nothing.
    #[arg(long, conflicts_with = "yes")]
    dry_run: bool,
    /// Also make a Messaging Service that holds the number use the number's own URL
    /// (UseInboundWebhookOnNumber=true). This changes the Service for all its numbers and
    /// `undo` does not revert it.
    #[arg(long)]
    use_number_webhook: bool,
    #[command(flatten)]
    public: Public,
}

#[derive(Debug, Args)]
pub(super) struct Undo {
    /// The event code.
    code: String,
    /// Change without asking.
    #[arg(long)]
    yes: bool,
}

#[derive(Debug, Args)]
pub(super) struct Check {
    #[command(flatten)]
    public: Public,
}

/// Runs a `twilio` command on the database at `location`.
pub(super) async fn run(location: &str, command: Twilio) -> Result<(), CliError> {
    let store = store::open(location).await?;
    let result = match command {
        Twilio::Connect(c) => connect(store.as_ref(), c).await,
        Twilio::Undo(u) => undo(store.as_ref(), u).await,
        Twilio::Check(c) => check(store.as_ref(), c).await,
    };
    store.close().await;
    result
}

fn usage(message: impl std::fmt::Display) -> CliError {
    CliError::Usage(message.to_string())
}

/// `PUBLIC_URL`, or `https://<first ACME domain>`, checked as the server checks it.
fn public_url(public: &Public) -> Result<String, CliError> {
    let implied = twilio_guard_serve::acme::public_url(&public.acme_domains);
    let url = match public.public_url.clone().or(implied) {
        Some(url) => url,
        None => {
            return Err(usage(
                "set PUBLIC_URL (or --public-url) to the scheme and host Twilio calls, as given \
                 to `serve`, e.g. https://ratings.example.com",
            ));
        }
    };
    twilio_webhook::PublicUrl::base(&url).map_err(|e| usage(format_args!("PUBLIC_URL: {e}")))?;
    Ok(url)
}

fn target(public_url: &str) -> Target {
    let urls = WebhookUrls::new(public_url);
    Target {
        sms: urls.sms,
        voice: Some(urls.voice),
    }
}

/// The event and its number.
async fn event_number(store: &dyn Store, code: &str) -> Result<(Event, String), CliError> {
    let code: EventCode = code
        .parse()
        .map_err(|e: crate::model::InvalidCode| usage(e))?;
    let event = store.event(code.clone()).await?.ok_or_else(|| {
        usage(format_args!(
            "no event {code} (see `sms-ratings events list`)"
        ))
    })?;
    let number = event.number.clone().ok_or_else(|| {
        usage(format_args!(
            "event {code} has no Twilio number: create it with --number, e.g. \
             `sms-ratings events add {code} NAME --number +15551230000`"
        ))
    })?;
    Ok((event, number))
}

fn client() -> Result<Client, CliError> {
    Client::from_env().map_err(usage)
}

/// The number in the account, or the message that it is not there.
async fn inspect(client: &Client, number: &str) -> Result<Inspection, CliError> {
    Inspection::of(client, number)
        .await
        .map_err(usage)?
        .ok_or_else(|| {
            usage(format_args!(
                "{number} is not a number of Twilio account {}: check TWILIO_ACCOUNT_SID and \
                 the event's number; nothing was changed",
                client.account_sid()
            ))
        })
}

fn print_changes(changes: &[Change]) {
    for c in changes {
        println!("  {c}");
    }
}

/// Asks on the terminal; without one, `--yes` is required.
fn confirm(question: &str) -> Result<bool, CliError> {
    twilio_api::setup::ask(question).map_err(usage)
}

async fn connect(store: &dyn Store, args: Connect) -> Result<(), CliError> {
    let url = public_url(&args.public)?;
    let target = target(&url);
    let (event, number) = event_number(store, &args.code).await?;
    let client = client()?;
    let found = inspect(&client, &number).await?;
    let n = &found.number;
    println!(
        "{} {number} ({}, \"{}\") for event {}:",
        if args.dry_run {
            "would change"
        } else {
            "changing"
        },
        n.sid,
        n.friendly_name.as_deref().unwrap_or(""),
        event.code
    );
    let changes = found.changes(&target);
    if changes.is_empty() {
        println!(
            "  nothing: it already calls {} and {}",
            target.sms,
            url_or(&target.voice)
        );
    }
    print_changes(&changes);
    let overrides = found.overrides();
    let services: Vec<_> = overriding_services(&overrides, args.use_number_webhook);
    for p in &overrides {
        println!("override: {p}");
    }
    for s in &services {
        println!("  {s}: use_inbound_webhook_on_number false -> true (--use-number-webhook)");
    }
    if args.dry_run {
        println!("dry run: nothing changed");
        return Ok(());
    }
    if (!changes.is_empty() || !services.is_empty()) && !args.yes && !confirm("Apply?")? {
        return Err(usage("nothing changed"));
    }
    if !changes.is_empty() {
        let kept = store.keep_number_backup(backup_of(&found)).await?;
        if !kept {
            println!("(the values from before the first `twilio connect` stay kept for undo)");
        }
        client
            .update_number(&n.sid, &target.update())
            .await
            .map_err(|e| usage(format_args!("{e}; the number was not changed")))?;
        println!(
            "done: {number} calls {} and {} (POST). `sms-ratings twilio undo {}` puts back \
             the old values.",
            target.sms,
            url_or(&target.voice),
            event.code
        );
    }
    for sid in &services {
        client
            .set_use_inbound_webhook_on_number(sid, true)
            .await
            .map_err(usage)?;
        println!("done: Messaging Service {sid} now uses each number's own URL");
    }
    let left = overrides.len() - services.len();
    if left > 0 {
        return Err(usage(format_args!(
            "{left} override(s) above still keep Twilio from calling {}: fix them as said",
            target.sms
        )));
    }
    Ok(())
}

fn url_or(url: &Option<String>) -> &str {
    url.as_deref().unwrap_or("(voice unchanged)")
}

/// The Services to change: the overriding ones, only with the explicit flag.
fn overriding_services(overrides: &[Problem], flag: bool) -> Vec<String> {
    if !flag {
        return Vec::new();
    }
    overrides
        .iter()
        .filter_map(|p| match p {
            Problem::Service(s) => Some(s.sid.clone()),
            _ => None,
        })
        .collect()
}

fn backup_of(found: &Inspection) -> NumberBackup {
    let (sms, voice) = (found.number.sms(), found.number.voice());
    NumberBackup {
        number_sid: found.number.sid.clone(),
        phone_number: found.number.phone_number.clone(),
        sms_url: sms.url,
        sms_method: sms.method,
        voice_url: voice.url,
        voice_method: voice.method,
    }
}

async fn undo(store: &dyn Store, args: Undo) -> Result<(), CliError> {
    let (event, number) = event_number(store, &args.code).await?;
    let client = client()?;
    let found = inspect(&client, &number).await?;
    let sid = found.number.sid.clone();
    let Some(backup) = store.number_backup(sid.clone(), false).await? else {
        return Err(usage(format_args!(
            "nothing to undo for {number}: `sms-ratings twilio connect {}` did not change it \
             (or undo ran already)",
            event.code
        )));
    };
    let restore = NumberUpdate {
        sms: Some(Webhook {
            url: backup.sms_url.clone(),
            method: backup.sms_method.clone(),
        }),
        voice: Some(Webhook {
            url: backup.voice_url.clone(),
            method: backup.voice_method.clone(),
        }),
    };
    let (sms, voice) = (found.number.sms(), found.number.voice());
    let changes: Vec<Change> = [
        ("SmsUrl", sms.url, backup.sms_url),
        ("SmsMethod", sms.method, backup.sms_method),
        ("VoiceUrl", voice.url, backup.voice_url),
        ("VoiceMethod", voice.method, backup.voice_method),
    ]
    .into_iter()
    .filter(|(_, old, new)| old != new)
    .map(|(field, old, new)| Change { field, old, new })
    .collect();
    println!("restoring {number} ({sid}) for event {}:", event.code);
    print_changes(&changes);
    if !changes.is_empty() && !args.yes && !confirm("Apply?")? {
        return Err(usage("nothing changed"));
    }
    client
        .update_number(&sid, &restore)
        .await
        .map_err(|e| usage(format_args!("{e}; the number was not changed")))?;
    store.number_backup(sid, true).await?;
    println!("done: {number} has its webhooks from before `twilio connect` again");
    Ok(())
}

async fn check(store: &dyn Store, args: Check) -> Result<(), CliError> {
    let mut problems = Vec::new();
    let url = match public_url(&args.public) {
        Ok(url) => {
            check_public_url(&url, &mut problems).await;
            Some(url)
        }
        Err(e) => {
            problems.push(e.to_string());
            None
        }
    };
    if let Some(client) = check_token(&mut problems).await
        && let Some(url) = &url
    {
        check_numbers(store, &client, &target(url), &mut problems).await?;
    }
    for p in &problems {
        println!("problem: {p}");
    }
    if problems.is_empty() {
        println!("all good");
        Ok(())
    } else {
        Err(usage(format_args!(
            "{} problem(s), see above",
            problems.len()
        )))
    }
}

/// The client, when the credentials work (a read of the account with them).
async fn check_token(problems: &mut Vec<String>) -> Option<Client> {
    let client = match client() {
        Ok(c) => c,
        Err(e) => {
            problems.push(e.to_string());
            return None;
        }
    };
    match client.account().await {
        Ok(account) => {
            println!("ok: the credentials work for account {}", account.sid);
            Some(client)
        }
        Err(ApiError::Unauthorized(_)) => {
            problems.push(format!(
                "Twilio refused the credentials for account {} (error 20003): set \
                 TWILIO_AUTH_TOKEN to that account's Auth Token (Console > Account > API keys \
                 & tokens), or TWILIO_API_KEY/TWILIO_API_SECRET to a key of that account",
                client.account_sid()
            ));
            None
        }
        Err(e) => {
            problems.push(e.to_string());
            None
        }
    }
}

/// Each event not closed: its number calls exactly the verified URLs, nothing overrides it.
async fn check_numbers(
    store: &dyn Store,
    client: &Client,
    target: &Target,
    problems: &mut Vec<String>,
) -> Result<(), CliError> {
    let now = Timestamp::now();
    for event in store.events().await? {
        let (Some(number), false) = (&event.number, event.state_at(now) == EventState::Closed)
        else {
            continue;
        };
        let code = &event.code;
        let found = match Inspection::of(client, number).await {
            Ok(Some(found)) => found,
            Ok(None) => {
                problems.push(format!(
                    "event {code}: {number} is not a number of account {}: fix the event's \
                     number or TWILIO_ACCOUNT_SID",
                    client.account_sid()
                ));
                continue;
            }
            Err(e) => {
                problems.push(format!("event {code}: {e}"));
                continue;
            }
        };
        let found_problems = found.problems(target);
        if found_problems.is_empty() {
            println!(
                "ok: event {code}: {number} calls {} and {}",
                target.sms,
                url_or(&target.voice)
            );
        }
        for p in found_problems {
            let fix = match p {
                Problem::Mismatch { .. } => format!("; run `sms-ratings twilio connect {code}`"),
                _ => String::new(),
            };
            problems.push(format!("event {code}: {number}: {p}{fix}"));
        }
    }
    Ok(())
}

/// `PUBLIC_URL` is https (or http on loopback); for https, the certificate at it.
async fn check_public_url(url: &str, problems: &mut Vec<String>) {
    let (scheme, rest) = url.split_once("://").unwrap_or(("", url));
    let authority = rest.split('/').next().unwrap_or("");
    let authority = authority.rsplit_once('@').map_or(authority, |(_, a)| a);
    let (host, port) = split_host_port(authority);
    let loopback = host == "localhost"
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    if scheme != "https" {
        if !loopback {
            problems.push(format!(
                "PUBLIC_URL {url} is not https: Twilio's requests would cross the internet in \
                 the clear; serve with --acme-domain {host} (or --tls-cert) and set PUBLIC_URL \
                 to https://{authority}"
            ));
        }
        return;
    }
    let port = port.unwrap_or(443);
    match certificate::inspect(host, port).await {
        Err(e) => problems.push(format!(
            "certificate at {host}:{port}: {e}; is `sms-ratings serve` running with TLS there?"
        )),
        Ok(report) => certificate_problems(host, &report, problems),
    }
}

fn certificate_problems(host: &str, report: &certificate::Report, problems: &mut Vec<String>) {
    if !report.covers_host {
        problems.push(format!(
            "the certificate at {host} does not name {host}: serve with --acme-domain {host} \
             (or a --tls-cert for it)"
        ));
    }
    if let Err(e) = &report.trusted {
        problems.push(format!(
            "the certificate at {host} is not trusted ({e}): Twilio refuses it too; use \
             --acme-domain (a public CA) instead of a private certificate"
        ));
    }
    match report.days_left {
        d if d < 0 => problems.push(format!(
            "the certificate at {host} has expired: restart `serve` with --acme-domain to \
             renew it"
        )),
        d if d < 14 => problems.push(format!(
            "the certificate at {host} expires in {d} days and was not renewed: check the \
             server's log for ACME errors"
        )),
        d => println!("ok: the certificate at {host} has {d} days left"),
    }
}

/// `host[:port]`, with `[v6]` brackets removed.
fn split_host_port(authority: &str) -> (&str, Option<u16>) {
    if let Some(rest) = authority.strip_prefix('[') {
        let (host, after) = rest.split_once(']').unwrap_or((rest, ""));
        return (host, after.strip_prefix(':').and_then(|p| p.parse().ok()));
    }
    match authority.rsplit_once(':') {
        Some((host, port)) => (host, port.parse().ok()),
        None => (authority, None),
    }
}
