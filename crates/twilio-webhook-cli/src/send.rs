//! `send`: act as Twilio against an endpoint — a whole conversation or call, or many
//! copies of one webhook as a load generator.
//!
//! Layout: [`fake`] makes up the parameters of each webhook kind, [`twilio`] builds and signs
//! a request, [`deliver`](mod@deliver) sends it (answering a basic-auth challenge),
//! [`twiml`] parses the reply, [`flow`] does what the TwiML says (with [`urls`] to know where
//! the next request goes), [`view`] shows it (never a control character the endpoint
//! sent), and [`load`](mod@load) runs `--repeat N --concurrency C`.

mod deliver;
mod fake;
pub(crate) mod flow;
mod load;
mod twilio;
mod twiml;
mod urls;
pub(crate) mod view;

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use clap::Args;
use std::io::IsTerminal as _;
use twilio_webhook::Algorithm;

use crate::lines::Lines;
use crate::params::{UsageError, key, parse_pairs};
use deliver::Reply;
pub(crate) use fake::Kind;
use fake::Scenario;
use flow::keypad::{Keypad, Scripted};
use flow::{FailStatus, Flow, Rules, Start};
use twilio::{Credentials, Method, Signer, Target};
use urls::{Place, Urls};
use view::View;

/// What `send` and `chat` share: where Twilio calls, who is talking, how it signs, how far
/// it follows the TwiML.
#[derive(Debug, Args)]
pub(crate) struct Endpoint {
    /// The endpoint to call, e.g. http://127.0.0.1:3000/sms. Credentials in it
    /// (https://user:pass@host/…) are used as Twilio uses them: only after a 401 challenge.
    pub(crate) url: String,
    /// The sender's number (E.164).
    #[arg(long, default_value = "+14155550100")]
    pub(crate) from: String,
    /// The Twilio number that received the message or call.
    #[arg(long, default_value = "+14155550199")]
    pub(crate) to: String,
    /// The base of the URL Twilio calls, when the endpoint sits behind a proxy or tunnel
    /// (`https://host[:port][/prefix]`, as for proxy and serve): the signature covers it joined
    /// with URL's path and query; the request goes to URL. Redirects and actions under it go
    /// to the same path under URL. A full URL ending in URL's path is accepted too.
    #[arg(long, value_name = "URL")]
    public_url: Option<String>,
    /// Basic-auth credentials, as if the console URL were https://USER:PASS@host/…
    #[arg(
        long,
        value_name = "USER:PASS",
        env = "TWILIO_WEBHOOK_BASIC_AUTH",
        hide_env_values = true
    )]
    basic_auth: Option<String>,
    /// The Auth Token that signs. Prefer the environment variable: command lines are visible
    /// to other users of the machine.
    #[arg(long, env = "TWILIO_AUTH_TOKEN", hide_env_values = true)]
    token: Option<String>,
    /// The MAC: hmac-sha1 for Auth Tokens, hmac-sha256 for Webhook Shared Keys.
    #[arg(long, default_value = "hmac-sha1")]
    algorithm: Algorithm,
    /// Sign as a Webhook Shared Key with this id: sends
    /// `X-Twilio-Webhooks-Signature-Settings: key=ID,algorithm=…` (with --algorithm).
    #[arg(long, value_name = "ID")]
    shared_key_id: Option<String>,
    /// The AccountSid sent (default: a random AC…, the same for the whole flow).
    #[arg(long, env = "TWILIO_ACCOUNT_SID", hide_env_values = true)]
    account_sid: Option<String>,
    /// Give up on a request after this many seconds (Twilio waits 15).
    #[arg(long, default_value_t = 15.0, value_name = "SECONDS")]
    timeout: f64,
    /// Stop a flow after this many requests, status callbacks included (a redirect loop
    /// ends here, exit 1).
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u32).range(1..))]
    max_steps: u32,
    /// End `<Message>` status callbacks in this status (with its ErrorCode) instead of
    /// `delivered`.
    #[arg(long, value_enum, value_name = "STATUS")]
    fail_status: Option<FailStatus>,
    /// The call's status callback: gets `completed` (or `busy`/`no-answer` after `<Reject>`)
    /// when a call ends.
    #[arg(long, value_name = "URL")]
    status_callback: Option<String>,
    /// Print every request and answer as JSON Lines instead of the conversation view.
    #[arg(long)]
    pub(crate) json: bool,
}

/// Arguments of `send`.
#[derive(Debug, Args)]
pub(crate) struct SendArgs {
    #[command(flatten)]
    endpoint: Endpoint,
    /// Which webhook to imitate (default: sms; with --params-file, guessed from its fields).
    #[arg(long, value_enum)]
    kind: Option<Kind>,
    /// The message text (sms, mms, whatsapp) or the digits pressed (gather).
    #[arg(long)]
    body: Option<String>,
    /// A media URL (mms, whatsapp); repeat for several.
    #[arg(long = "media", value_name = "URL")]
    media: Vec<String>,
    /// An extra or replacing parameter; a name given here replaces every generated value.
    #[arg(long = "param", value_name = "KEY=VALUE")]
    params: Vec<String>,
    /// Send the parameters of a recorded webhook (a JSON object of names to strings, or to
    /// arrays of strings for repeated names), signed anew; --param still replaces values.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["body", "media", "json_body"])]
    params_file: Option<PathBuf>,
    /// Send this file as a JSON body instead of form parameters; the URL gets `bodySHA256`.
    #[arg(long, value_name = "FILE")]
    json_body: Option<PathBuf>,
    /// How Twilio is configured to call: POST (form body) or GET (query string).
    #[arg(long, value_enum, default_value = "POST", ignore_case = true)]
    method: Method,
    /// Keys pressed at each `<Gather>` of a call, one entry per Gather, e.g. `4,1#`; an empty
    /// entry is no input. When they run out, a terminal asks the keyboard.
    #[arg(long, value_delimiter = ',', value_name = "KEYS")]
    digits: Vec<String>,
    /// What the caller says at a `<Gather input="speech">`; repeat, one per Gather.
    #[arg(long, value_name = "TEXT")]
    speech: Vec<String>,
    /// Send the webhook this many times and report throughput and latency percentiles.
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
    repeat: Option<u64>,
    /// Keep sending for this long (e.g. 60s), as a load generator; with --repeat, stop at
    /// whichever comes first.
    #[arg(long, value_parser = twilio_webhook_cli::proxy::config::parse_duration)]
    duration: Option<Duration>,
    /// Requests in flight at once with --repeat.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..))]
    concurrency: u16,
    /// Reuse one MessageSid/CallSid for every request (replays) instead of a new one each.
    #[arg(long)]
    same_message: bool,
}

/// Why `send` or `chat` could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub(crate) enum SendError {
    /// Token or parameter problems shared with the other subcommands.
    #[error(transparent)]
    Usage(#[from] UsageError),
    /// `--basic-auth` without a `:`.
    #[error("--basic-auth must be USER:PASS")]
    BasicAuth,
    /// `--public-url` that is not a base (or an unambiguous full URL).
    #[error("{0}")]
    PublicUrl(String),
    /// `--json-body` or `--params-file` unreadable.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// `--params-file` is not a JSON object of strings (or arrays of strings).
    #[error("{path}: {reason}")]
    ParamsFile {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// `--timeout` not a positive number of seconds.
    #[error("--timeout must be a positive number of seconds")]
    Timeout,
    /// The HTTP client could not be built.
    #[error("HTTP client: {0}")]
    Client(#[source] reqwest::Error),
    /// The operating system's random source failed.
    #[error("random source: {0}")]
    Random(#[from] getrandom::Error),
    /// The async runtime could not start, or reading the terminal failed.
    #[error("{0}")]
    Io(#[source] std::io::Error),
}

/// Fresh message/call SIDs and idempotency tokens, or one fixed SID with `--same-message`.
#[derive(Debug)]
pub(crate) struct Ids {
    fixed_sid: Option<String>,
}

impl Ids {
    /// The next (SID digits, idempotency token).
    pub(crate) fn next(&self) -> Result<(String, String), getrandom::Error> {
        let sid = match &self.fixed_sid {
            Some(sid) => sid.clone(),
            None => random_hex(16)?,
        };
        Ok((sid, idempotency_token()?))
    }
}

/// `bytes` random bytes as lowercase hex: the 32 digits of a SID from 16.
pub(crate) fn random_hex(bytes: usize) -> Result<String, getrandom::Error> {
    let mut buf = vec![0u8; bytes];
    getrandom::fill(&mut buf)?;
    Ok(hex::encode(buf))
}

/// A fresh `I-Twilio-Idempotency-Token`, UUID-shaped as Twilio's.
pub(crate) fn idempotency_token() -> Result<String, getrandom::Error> {
    let t = random_hex(16)?;
    Ok(format!(
        "{}-{}-{}-{}-{}",
        &t[..8],
        &t[8..12],
        &t[12..16],
        &t[16..20],
        &t[20..]
    ))
}

/// What `send` and `chat` build from [`Endpoint`] before the first request.
pub(crate) struct Setup {
    runtime: tokio::runtime::Runtime,
    client: reqwest::Client,
    signer: Signer,
    urls: Urls,
    rules: Rules,
    /// The first URL: what is signed and where it goes.
    place: Place,
    /// The account of every request.
    account_sid: String,
}

impl Setup {
    /// Checks `endpoint` and builds the client (keeping up to `pool` idle connections).
    pub(crate) fn new(endpoint: &Endpoint, pool: usize) -> Result<Setup, SendError> {
        let e = endpoint;
        if !(e.timeout.is_finite() && e.timeout > 0.0) {
            return Err(SendError::Timeout);
        }
        let key = key(e.token.as_deref(), e.algorithm)?;
        let settings = e
            .shared_key_id
            .as_ref()
            .map(|id| format!("key={id},algorithm={}", e.algorithm.settings_name()));
        let place = Setup::place_of(e, &e.url)?;
        let account_sid = match &e.account_sid {
            Some(sid) => sid.clone(),
            None => format!("AC{}", random_hex(16)?),
        };
        // reqwest is built without a default crypto provider: ours is ring, chosen
        // explicitly. An error only means one is installed already.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs_f64(e.timeout))
            .pool_max_idle_per_host(pool)
            .build()
            .map_err(SendError::Client)?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .map_err(SendError::Io)?;
        Ok(Setup {
            runtime,
            client,
            signer: Signer { key, settings },
            urls: Urls::new(&place.wire, &place.signed),
            rules: Rules {
                max_steps: e.max_steps,
                fail_status: e.fail_status,
                status_callback: e.status_callback.clone(),
            },
            place,
            account_sid,
        })
    }

    /// What is signed for the local `url`, and where it goes: `--public-url` maps it, the
    /// credentials (`--basic-auth` or the URL's own) answer a challenge.
    fn place_of(e: &Endpoint, url: &str) -> Result<Place, SendError> {
        let (wire, from_url) = twilio::split_userinfo(twilio::without_fragment(url));
        let credentials = match &e.basic_auth {
            Some(pair) => {
                let (user, password) = pair.split_once(':').ok_or(SendError::BasicAuth)?;
                Some(Credentials {
                    user: user.to_owned(),
                    password: password.to_owned(),
                })
            }
            None => from_url,
        };
        let public = match &e.public_url {
            Some(base) => urls::public_signed_url(twilio::without_fragment(url), base)
                .map_err(SendError::PublicUrl)?,
            None => twilio::without_fragment(url).to_owned(),
        };
        let signed = match &credentials {
            Some(c) => twilio::with_userinfo(&public, c),
            None => public,
        };
        Ok(Place {
            signed,
            wire,
            credentials,
        })
    }

    /// The place of another webhook of the same app: an absolute local URL as the endpoint's
    /// own, a relative one resolved against the endpoint's URL as Twilio resolves a
    /// `<Redirect>` (`voice` next to `/sms` is `/voice`).
    pub(crate) fn sibling(&self, e: &Endpoint, url: &str) -> Result<Place, SendError> {
        if url.contains("://") {
            return Setup::place_of(e, url);
        }
        self.urls
            .follow(&self.place.signed, url)
            .map_err(|err| SendError::PublicUrl(format!("--voice-url {url:?}: {err}")))
    }

    /// The made-up parameters of a `kind` webhook from `endpoint`'s numbers.
    pub(crate) fn scenario(&self, endpoint: &Endpoint, kind: Kind) -> Scenario {
        Scenario {
            kind,
            from: endpoint.from.clone(),
            to: endpoint.to.clone(),
            body: None,
            media: Vec::new(),
            account_sid: self.account_sid.clone(),
            overrides: Vec::new(),
            recorded: None,
        }
    }

    /// The first request of a flow to the endpoint with `params`.
    pub(crate) fn start(&self, kind: Kind, params: Vec<(String, String)>) -> Start {
        self.start_at(self.place.clone(), kind, params)
    }

    /// The first request of a flow to `place` with `params`.
    pub(crate) fn start_at(
        &self,
        place: Place,
        kind: Kind,
        params: Vec<(String, String)>,
    ) -> Start {
        Start {
            kind,
            method: Method::Post,
            place,
            params,
            json: None,
        }
    }

    /// Runs one flow, shown in `view`, with input from `keypad`: whether every step went well.
    pub(crate) fn run(&self, view: &mut View, start: Start, keypad: &mut dyn Keypad) -> bool {
        let flow = Flow::new(&self.client, &self.signer, &self.urls, &self.rules, view);
        self.runtime.block_on(flow.run(start, keypad))
    }
}

/// Runs `send`: exit 0 when every reply was 2xx with acceptable content, else 1.
pub(crate) fn send(args: SendArgs) -> Result<ExitCode, SendError> {
    let setup = Setup::new(&args.endpoint, usize::from(args.concurrency))?;
    let recorded = args.params_file.as_deref().map(read_params).transpose()?;
    let kind = args
        .kind
        .unwrap_or_else(|| recorded.as_deref().map_or(Kind::Sms, guess_kind));
    let mut scenario = setup.scenario(&args.endpoint, kind);
    scenario.body.clone_from(&args.body);
    scenario.media.clone_from(&args.media);
    scenario.recorded = recorded;
    scenario.overrides = parse_pairs(&args.params)?
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    let json_body = args
        .json_body
        .as_deref()
        .map(|path| read(path).map(Bytes::from))
        .transpose()?;
    let ok = if args.duration.is_none() && args.repeat.is_none_or(|n| n == 1) {
        let mut start = setup.start(kind, scenario.params(&random_hex(16)?));
        start.method = args.method;
        start.json = json_body;
        let mut keyboard = std::io::stdin().is_terminal().then(Lines::open);
        let mut keypad = Scripted::new(&args.digits, &args.speech, keyboard.as_mut());
        let mut view = View::new(args.endpoint.json, true);
        setup.run(&mut view, start, &mut keypad)
    } else {
        load(&setup, &args, scenario, json_body)?
    };
    Ok(if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// `--repeat`/`--duration`: the first webhook many times, measured.
fn load(
    setup: &Setup,
    args: &SendArgs,
    scenario: Scenario,
    json_body: Option<Bytes>,
) -> Result<bool, SendError> {
    let target = Arc::new(Target {
        method: args.method,
        url: setup.place.wire.clone(),
        signed_url: setup.place.signed.clone(),
        signer: setup.signer.clone(),
        scenario,
        json_body,
        credentials: setup.place.credentials.clone(),
    });
    let ids = Arc::new(Ids {
        fixed_sid: if args.same_message {
            Some(random_hex(16)?)
        } else {
            None
        },
    });
    let plan = load::Plan {
        repeat: args.repeat.unwrap_or(u64::MAX),
        duration: args.duration,
        concurrency: usize::from(args.concurrency),
    };
    let report = setup
        .runtime
        .block_on(load::run(setup.client.clone(), target, ids, plan));
    println!("{report}");
    Ok(report.all_ok())
}

fn read(path: &Path) -> Result<Vec<u8>, SendError> {
    std::fs::read(path).map_err(|source| SendError::Read {
        path: path.to_owned(),
        source,
    })
}

/// A recorded webhook's parameters: a JSON object of names to strings (numbers and booleans
/// as written), or to arrays of them for a repeated name.
fn read_params(path: &Path) -> Result<Vec<(String, String)>, SendError> {
    let bad = |reason: String| SendError::ParamsFile {
        path: path.to_owned(),
        reason,
    };
    let map: serde_json::Map<String, serde_json::Value> =
        serde_json::from_slice(&read(path)?).map_err(|e| bad(format!("not a JSON object: {e}")))?;
    let mut params = Vec::new();
    for (name, value) in map {
        let values = match value {
            serde_json::Value::Array(values) => values,
            one => vec![one],
        };
        for v in values {
            let text = match v {
                serde_json::Value::String(s) => s,
                serde_json::Value::Number(n) => n.to_string(),
                serde_json::Value::Bool(b) => b.to_string(),
                other => return Err(bad(format!("{name}: {other} is not a string"))),
            };
            params.push((name.clone(), text));
        }
    }
    Ok(params)
}

/// Which webhook recorded parameters come from.
fn guess_kind(params: &[(String, String)]) -> Kind {
    let has = |name: &str| params.iter().any(|(n, _)| n == name);
    match () {
        () if has("MessageStatus") => Kind::Status,
        () if has("CallSid") && has("Digits") => Kind::Gather,
        () if has("CallSid") => Kind::Call,
        () => Kind::Sms,
    }
}

/// Whether a reply is what Twilio accepts for `kind`: `Some` with the TwiML document, `None`
/// where none is needed (status callbacks ignore the body; an empty messaging reply sends
/// nothing). A reply over Twilio's 64 KiB limit is refused unparsed.
pub(crate) fn judge(kind: Kind, reply: &Reply) -> Result<Option<twiml::Twiml>, twiml::TwimlError> {
    let voice = matches!(kind, Kind::Call | Kind::Gather);
    match kind {
        Kind::Status => Ok(None),
        _ if reply.too_large => Err(twiml::TwimlError::TooLarge),
        _ if reply.body.iter().all(u8::is_ascii_whitespace) && !voice => Ok(None),
        _ => twiml::check(&reply.body).map(Some),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recorded_params_keep_repeats_and_guess_the_kind() {
        let dir = std::env::temp_dir().join(format!("twh-params-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("p.json");
        std::fs::write(
            &file,
            r#"{"CallSid":"CA1","Digits":4,"T":["a","b"],"B":true}"#,
        )
        .unwrap();
        let params = read_params(&file).unwrap();
        let pair = |k: &str, v: &str| (k.to_owned(), v.to_owned());
        assert!(params.contains(&pair("Digits", "4")));
        assert!(params.contains(&pair("T", "a")) && params.contains(&pair("T", "b")));
        assert!(params.contains(&pair("B", "true")));
        assert_eq!(guess_kind(&params), Kind::Gather);
        assert_eq!(guess_kind(&[pair("MessageStatus", "sent")]), Kind::Status);
        assert_eq!(guess_kind(&[pair("Body", "hi")]), Kind::Sms);
        std::fs::write(&file, r#"{"A":{"nested":1}}"#).unwrap();
        assert!(matches!(
            read_params(&file),
            Err(SendError::ParamsFile { .. })
        ));
        std::fs::write(&file, "[1]").unwrap();
        assert!(matches!(
            read_params(&file),
            Err(SendError::ParamsFile { .. })
        ));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
