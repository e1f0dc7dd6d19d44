//! `sign` and `verify`.

use std::process::ExitCode;

use clap::Args;
use twilio_webhook::explain::{
    BODY_CHANGED, Clues, find_signed_url, found_sentence, token_sentence,
};
use twilio_webhook::signature::{SortOrder, body_sha256, canonical_string, url_with_body_hash};
use twilio_webhook::url::{UrlForm, query_param, url_forms};
use twilio_webhook::{Algorithm, Key, KeySet, KeyStore, ValidationError, Validator, Verified};

use crate::params::{SECRETS_HELP, TokenSource, UsageError, key, parse_pairs, read_body};

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
    #[command(flatten)]
    token: TokenSource,
}

/// Arguments of `sign`.
#[derive(Debug, Args)]
#[command(after_help = SECRETS_HELP)]
pub(crate) struct SignArgs {
    #[command(flatten)]
    request: Request,
}

/// Arguments of `verify`.
#[derive(Debug, Args)]
#[command(after_help = SECRETS_HELP)]
pub(crate) struct VerifyArgs {
    /// The X-Twilio-Signature header value.
    #[arg(long)]
    signature: String,
    /// Also print, for each form of the URL that is tried, the exact string Twilio signs,
    /// the signature the token gives for it and whether the header matches (shows the
    /// token's MACs: for your terminal, not for logs).
    #[arg(long)]
    explain: bool,
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
    let key = key(args.token.read()?.as_deref(), args.algorithm)?;
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
    let signature = args.signature.as_str();
    let request = &args.request;
    let key = key(request.token.read()?.as_deref(), request.algorithm)?;
    let validator = Validator::new(KeyStore::single(KeySet::from(key.clone())));
    let body = request.body_file.as_deref().map(read_body).transpose()?;
    let pairs = parse_pairs(&request.params)?;
    let check = |url: &str| match &body {
        Some(body) => validator.validate_body(url, body, Some(signature)),
        None => validator.validate_params(url, pairs.iter().copied(), Some(signature)),
    };
    if args.explain {
        explain(&key, &request.url, body.as_deref(), &pairs, check);
    }
    Ok(match check(&request.url) {
        Ok(v) => {
            let order = match v.sort_order() {
                SortOrder::CodePoint => "",
                _ => ", parameters sorted as JavaScript sorts them",
            };
            println!("valid (url form: {}{order})", v.url_form());
            ExitCode::SUCCESS
        }
        Err(reason) => {
            println!("invalid: {reason}");
            let account = pairs.iter().find(|(n, _)| *n == "AccountSid").map(|p| p.1);
            println!(
                "hint: {}",
                mismatch_hint(&request.url, reason, account, check)
            );
            ExitCode::from(1)
        }
    })
}

/// The same first sentence a route's 403 explanation starts with: the URL variant the
/// signature matches, the body, or the Auth Token. (No request headers here, so the variants
/// are the scheme, the trailing slash and the query order.)
fn mismatch_hint(
    url: &str,
    reason: ValidationError,
    account: Option<&str>,
    check: impl Fn(&str) -> Result<Verified, ValidationError>,
) -> String {
    let clues = Clues::none();
    match reason {
        ValidationError::BodyHashMismatch => BODY_CHANGED.to_owned(),
        ValidationError::SignatureMismatch => {
            match find_signed_url(url, &clues, |other| check(other).is_ok()) {
                Some(found) => found_sentence(url, &found, "given"),
                None => token_sentence(url, &clues, account),
            }
        }
        other => format!("the signature header is not one the key could have made ({other})"),
    }
}

/// `verify --explain`: each URL form with the string signed, its signature under the key,
/// and whether the header matches that form exactly; then the body hash for a raw body.
fn explain<E>(
    key: &Key,
    url: &str,
    body: Option<&[u8]>,
    pairs: &[(&str, &str)],
    check: impl Fn(&str) -> Result<Verified, E>,
) {
    let params = if body.is_some() { &[][..] } else { pairs };
    for (form, candidate) in url_forms(url) {
        // The check itself (constant time) decides; a match through another form of this
        // candidate is that other form's, reported on its own line.
        let result = match check(&candidate) {
            Ok(v) if v.url_form() == UrlForm::AS_RECEIVED => match v.sort_order() {
                SortOrder::CodePoint => "matches the header",
                _ => "matches the header (parameters in UTF-16 order)",
            },
            _ => "does not match",
        };
        println!("form {form}");
        println!(
            "  signed string: {}",
            canonical_string(&candidate, params.iter().copied())
        );
        println!(
            "  signature:     {}",
            key.sign(&candidate, params.iter().copied())
        );
        println!("  result:        {result}");
    }
    if let Some(body) = body {
        let claimed = query_param(url, "bodySHA256").unwrap_or_else(|| "(none)".into());
        let actual = body_sha256(body);
        let verdict = if claimed == actual { "equal" } else { "differ" };
        println!("bodySHA256 in the URL: {claimed}");
        println!("body's SHA-256:        {actual} ({verdict})");
    }
}
