//! The webhook keys of `serve`: where they come from (the library's one rule,
//! [`KeySource`]) and their reload on `SIGHUP`.

use twilio_webhook::keys::file::{PRIMARY_TOKEN_VAR, SECONDARY_TOKEN_VAR};
use twilio_webhook::keys::{KeyKind, KeySource, TokenFileError};
use twilio_webhook::{LiveKeys, Validator};

use super::Serve;
use crate::cli::CliError;

const NO_TOKEN: &str = "no Twilio auth token: set TWILIO_AUTH_TOKEN (or --token-file) to the \
    auth token of the Twilio account whose number calls this server (Twilio Console > Account \
    > API keys & tokens), or try `sms-ratings serve --demo`";

/// Where `serve`'s keys come from: `--token-file` alone when given, else `--auth-token`
/// (`TWILIO_AUTH_TOKEN`) and `--auth-token-secondary` (`TWILIO_AUTH_TOKEN_SECONDARY`).
pub(super) fn source(serve: &Serve) -> Result<KeySource, CliError> {
    let given = |name: &str| match name {
        PRIMARY_TOKEN_VAR => serve.auth_token.clone(),
        SECONDARY_TOKEN_VAR => serve.auth_token_secondary.clone(),
        _ => None,
    };
    let source =
        KeySource::new(serve.token_file.clone(), KeyKind::AuthToken, given).map_err(usage)?;
    for var in source.ignored() {
        tracing::warn!("{var} is set but not used: with a token file, its keys alone verify");
    }
    Ok(source)
}

/// The validator of the keys `source` holds now.
pub(super) fn validator(source: &KeySource) -> Result<Validator, CliError> {
    let (keys, _) = source.load().map_err(usage)?;
    Ok(Validator::new(keys))
}

fn usage(e: TokenFileError) -> CliError {
    match e {
        TokenFileError::Empty => CliError::Usage(NO_TOKEN.into()),
        e => CliError::Usage(format!("token file: {e}")),
    }
}

/// On each SIGHUP, re-reads the token file and swaps the keys of the running server (open
/// connections and the replay store stay). A file that does not parse keeps the old keys;
/// without a file there is nothing to reload, and the signal is only logged (it must not
/// end the server). Logs what happened, never a key.
pub(super) async fn reload_on_hangup(source: KeySource, live: LiveKeys) {
    twilio_guard_serve::on_hangup(move || match (source.reload(&live), source.file()) {
        (Ok(Some(count)), Some(file)) => {
            tracing::info!(file = %file.display(), "SIGHUP: token file reloaded, {count} keys in force");
        }
        (Ok(_), _) => {
            tracing::info!("SIGHUP: nothing to reload (no --token-file): the keys given at start stay");
        }
        (Err(e), _) => {
            tracing::warn!(error = %e, "SIGHUP: token file not reloaded, the previous keys stay");
        }
    })
    .await;
}
