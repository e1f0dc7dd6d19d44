//! `sign` and `verify`.

use std::process::ExitCode;

use clap::Args;
use twilio_webhook::signature::{body_sha256, url_with_body_hash};
use twilio_webhook::url::query_param;
use twilio_webhook::{Algorithm, KeySet, KeyStore, Validator};

use crate::params::{UsageError, key, parse_pairs, read_body};

/// What is signed, and with which key: shared by `sign` and `verify`.
#[derive(Debug, Args)]
pub(crate) struct Request {
    /// The URL exactly as Twilio requests it (scheme, host, port, path, query).
    #[arg(long)]
    url: String,
    /// Form parameters as KEY=VALUE (repeat a key for several values).
    params: Vec<String>,
    /// A raw (JSON) body: the URL carries `bodySHA256` and the signature covers the URL alone.
    #[arg(long, conflicts_with = "params")]
    body_file: Option<String>,
    /// The MAC: hmac-sha1 for Auth Tokens, hmac-sha256 for Webhook Shared Keys.
    #[arg(long, default_value = "hmac-sha1")]
    algorithm: Algorithm,
    /// The Auth Token (or shared-key secret). Prefer the environment variable: command lines
    /// are visible to other users of the machine.
    #[arg(long, env = "TWILIO_AUTH_TOKEN", hide_env_values = true)]
    token: Option<String>,
}

/// Arguments of `sign`.
#[derive(Debug, Args)]
pub(crate) struct SignArgs {
    #[command(flatten)]
    request: Request,
}

/// Arguments of `verify`.
#[derive(Debug, Args)]
pub(crate) struct VerifyArgs {
    /// The X-Twilio-Signature header value.
    #[arg(long)]
    signature: String,
    #[command(flatten)]
    request: Request,
}

/// The URL Twilio signs for a raw body: as given if it already has `bodySHA256`, else with it.
pub(crate) fn body_url(url: &str, body: &[u8]) -> String {
    if query_param(url, "bodySHA256").is_some() {
        url.to_owned()
    } else {
        url_with_body_hash(url, body)
    }
}

/// `sign`: prints the signature; with a body, then the URL that was signed and the body hash.
pub(crate) fn sign(args: &SignArgs) -> Result<ExitCode, UsageError> {
    let args = &args.request;
    let key = key(args.token.as_deref(), args.algorithm)?;
    match &args.body_file {
        Some(path) => {
            let body = read_body(path)?;
            let url = body_url(&args.url, &body);
            println!("{}", key.sign_url(&url));
            println!("{url}");
            println!("{}", body_sha256(&body));
        }
        None => println!("{}", key.sign(&args.url, parse_pairs(&args.params)?)),
    }
    Ok(ExitCode::SUCCESS)
}

/// `verify`: exit 0 and how it matched, or exit 1 and why not.
pub(crate) fn verify(args: &VerifyArgs) -> Result<ExitCode, UsageError> {
    let signature = Some(args.signature.as_str());
    let args = &args.request;
    let validator = Validator::new(KeyStore::single(KeySet::from(key(
        args.token.as_deref(),
        args.algorithm,
    )?)));
    let verdict = match &args.body_file {
        Some(path) => validator.validate_body(&args.url, &read_body(path)?, signature),
        None => validator.validate_params(&args.url, parse_pairs(&args.params)?, signature),
    };
    Ok(match verdict {
        Ok(v) => {
            println!(
                "valid (url form: {}, order: {})",
                v.url_form(),
                v.sort_order()
            );
            ExitCode::SUCCESS
        }
        Err(reason) => {
            println!("invalid: {reason}");
            ExitCode::from(1)
        }
    })
}
