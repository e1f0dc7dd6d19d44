//! `send`: act as Twilio against an endpoint — once, verbosely, or as a load generator.
//!
//! Layout: [`fake`] makes up the parameters of each webhook kind, [`twilio`] builds and signs
//! the request, [`deliver`](mod@deliver) sends it (answering a basic-auth challenge), [`twiml`] checks the
//! reply and [`load`] runs `--repeat N --concurrency C`.

mod deliver;
mod fake;
mod load;
mod twilio;
mod twiml;

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use clap::Args;
use twilio_webhook::Algorithm;

use crate::params::{UsageError, key, parse_pairs};
use deliver::{Reply, deliver};
use fake::{Kind, Scenario};
use twilio::{Credentials, Method, Target};

/// Arguments of `send`.
#[derive(Debug, Args)]
pub(crate) struct SendArgs {
    /// The endpoint to call, e.g. http://127.0.0.1:3000/sms. Credentials in it
    /// (https://user:pass@host/…) are used as Twilio uses them: only after a 401 challenge.
    url: String,
    /// Which webhook to imitate.
    #[arg(long, value_enum, default_value = "sms")]
    kind: Kind,
    /// The sender's number (E.164).
    #[arg(long, default_value = "+14155550100")]
    from: String,
    /// The Twilio number that received the message or call.
    #[arg(long, default_value = "+14155550199")]
    to: String,
    /// The message text (sms, mms, whatsapp) or the digits pressed (gather).
    #[arg(long)]
    body: Option<String>,
    /// A media URL (mms, whatsapp); repeat for several.
    #[arg(long = "media", value_name = "URL")]
    media: Vec<String>,
    /// An extra or replacing parameter; a name given here replaces every generated value.
    #[arg(long = "param", value_name = "KEY=VALUE")]
    params: Vec<String>,
    /// Send this file as a JSON body instead of form parameters; the URL gets `bodySHA256`.
    #[arg(long, value_name = "FILE")]
    json_body: Option<PathBuf>,
    /// The URL as Twilio knows it, when the endpoint sits behind a proxy or tunnel: the
    /// signature covers this URL, the request goes to URL.
    #[arg(long, value_name = "URL")]
    public_url: Option<String>,
    /// How Twilio is configured to call: POST (form body) or GET (query string).
    #[arg(long, value_enum, default_value = "POST", ignore_case = true)]
    method: Method,
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
    /// The AccountSid sent (default: a random AC…).
    #[arg(long, env = "TWILIO_ACCOUNT_SID")]
    account_sid: Option<String>,
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
    /// Give up on a request after this many seconds (Twilio waits 15).
    #[arg(long, default_value_t = 15.0, value_name = "SECONDS")]
    timeout: f64,
}

/// Why `send` could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub(crate) enum SendError {
    /// Token or parameter problems shared with the other subcommands.
    #[error(transparent)]
    Usage(#[from] UsageError),
    /// `--basic-auth` without a `:`.
    #[error("--basic-auth must be USER:PASS")]
    BasicAuth,
    /// `--json-body` unreadable.
    #[error("cannot read --json-body {path}: {source}")]
    JsonBody {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
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
    /// The async runtime could not start.
    #[error("runtime: {0}")]
    Runtime(#[source] std::io::Error),
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
        let t = random_hex(16)?;
        let token = format!(
            "{}-{}-{}-{}-{}",
            &t[..8],
            &t[8..12],
            &t[12..16],
            &t[16..20],
            &t[20..]
        );
        Ok((sid, token))
    }
}

fn random_hex(bytes: usize) -> Result<String, getrandom::Error> {
    let mut buf = vec![0u8; bytes];
    getrandom::fill(&mut buf)?;
    Ok(hex::encode(buf))
}

/// Runs `send`: exit 0 when every reply was 2xx with acceptable content, else 1.
pub(crate) fn send(args: SendArgs) -> Result<ExitCode, SendError> {
    let target = Arc::new(target(&args)?);
    let ids = Arc::new(Ids {
        fixed_sid: if args.same_message {
            Some(random_hex(16)?)
        } else {
            None
        },
    });
    if !(args.timeout.is_finite() && args.timeout > 0.0) {
        return Err(SendError::Timeout);
    }
    // reqwest is built without a default crypto provider: ours is ring, chosen explicitly.
    // An error only means one is installed already.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs_f64(args.timeout))
        .pool_max_idle_per_host(usize::from(args.concurrency))
        .build()
        .map_err(SendError::Client)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(SendError::Runtime)?;
    let ok = if args.duration.is_none() && args.repeat.is_none_or(|n| n == 1) {
        runtime.block_on(once(&client, &target, &ids))?
    } else {
        let plan = load::Plan {
            repeat: args.repeat.unwrap_or(u64::MAX),
            duration: args.duration,
            concurrency: usize::from(args.concurrency),
        };
        let report = runtime.block_on(load::run(client, target, ids, plan));
        println!("{report}");
        report.all_ok()
    };
    Ok(if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn target(args: &SendArgs) -> Result<Target, SendError> {
    let key = key(args.token.as_deref(), args.algorithm)?;
    let (url, from_url) = twilio::split_userinfo(twilio::without_fragment(&args.url));
    let credentials = match &args.basic_auth {
        Some(pair) => {
            let (user, password) = pair.split_once(':').ok_or(SendError::BasicAuth)?;
            Some(Credentials {
                user: user.to_owned(),
                password: password.to_owned(),
            })
        }
        None => from_url,
    };
    let signed = twilio::without_fragment(args.public_url.as_deref().unwrap_or(&args.url));
    let signed_url = match &credentials {
        Some(c) => twilio::with_userinfo(signed, c),
        None => signed.to_owned(),
    };
    let json_body = args
        .json_body
        .as_ref()
        .map(|path| {
            std::fs::read(path)
                .map(Bytes::from)
                .map_err(|source| SendError::JsonBody {
                    path: path.clone(),
                    source,
                })
        })
        .transpose()?;
    let account_sid = match &args.account_sid {
        Some(sid) => sid.clone(),
        None => format!("AC{}", random_hex(16)?),
    };
    let overrides = parse_pairs(&args.params)?
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    let scenario = Scenario {
        kind: args.kind,
        from: args.from.clone(),
        to: args.to.clone(),
        body: args.body.clone(),
        media: args.media.clone(),
        account_sid,
        overrides,
    };
    let settings = args
        .shared_key_id
        .as_ref()
        .map(|id| format!("key={id},algorithm={}", args.algorithm.settings_name()));
    Ok(Target {
        settings,
        method: args.method,
        url,
        signed_url,
        key,
        scenario,
        json_body,
        credentials,
    })
}

/// One request, described on stdout.
async fn once(client: &reqwest::Client, target: &Target, ids: &Ids) -> Result<bool, SendError> {
    let (sid, token) = ids.next()?;
    let request = target.prepare(&sid, token);
    println!("{} {}", target.method.as_str(), request.url);
    let reply = match deliver(client, &request, target.credentials.as_ref()).await {
        Ok(reply) => reply,
        Err(e) => {
            // reqwest's message names the URL without userinfo (we removed it).
            println!("request failed: {e}");
            return Ok(false);
        }
    };
    let challenge = if reply.challenged {
        " (after a 401 basic-auth challenge)"
    } else {
        ""
    };
    println!(
        "status {} in {:.1} ms{challenge}",
        reply.status,
        reply.elapsed.as_secs_f64() * 1e3
    );
    if let Some(ct) = &reply.content_type {
        println!("content-type: {ct}");
    }
    println!("{}", String::from_utf8_lossy(&reply.body));
    let verdict = judge(target.scenario.kind, &reply);
    match &verdict {
        Ok(Some(doc)) => println!("well-formed TwiML: <Response> with {:?}", doc.verbs),
        Ok(None) => println!("no TwiML expected or sent"),
        Err(e) => println!("not acceptable TwiML: {e}"),
    }
    Ok(reply.status.is_success() && verdict.is_ok())
}

/// Whether a reply is what Twilio accepts for `kind`: `Some` with the TwiML document, `None`
/// where none is needed (status callbacks ignore the body; an empty messaging reply sends
/// nothing).
pub(crate) fn judge(kind: Kind, reply: &Reply) -> Result<Option<twiml::Twiml>, twiml::TwimlError> {
    let voice = matches!(kind, Kind::Call | Kind::Gather);
    match kind {
        Kind::Status => Ok(None),
        _ if reply.body.iter().all(u8::is_ascii_whitespace) && !voice => Ok(None),
        _ => twiml::check(&reply.body).map(Some),
    }
}
