//! `SIGHUP`: read every route's token file again and swap its keys in place.
//!
//! Where a route's keys come from is the library's one rule ([`KeySource`]): its token file
//! alone when it has one (unless its entry sets `env_tokens = true`), else
//! `TWILIO_AUTH_TOKEN(_SECONDARY)`. The swap goes through the
//! library's [`LiveKeys`] slot of each route, so connections, requests being checked and the
//! replay store are untouched; the log says how many keys each route now has, never which. A
//! file that no longer parses keeps the keys in force (and says why, naming the line, never a
//! secret). A route without a file has nothing to reload.

use std::path::Path;

use twilio_webhook::keys::{self, KeySource, TokenFileError};
use twilio_webhook::{KeyStore, LiveKeys};

use super::config::{ConfigError, KeyKind};

/// The key source of route `prefix` with `kind` keys and `file` (if any), the token variables
/// looked up in `env` (e.g. `|name| std::env::var(name).ok()`); `env_tokens` (a routes-file
/// entry's `env_tokens = true`) adds them to the file's. A route with a token file otherwise
/// takes its keys from it alone (issue 22 item 4: the environment's token is another
/// account's as far as that route knows); a token variable it leaves unused is warned of.
pub fn key_source(
    prefix: &str,
    file: Option<&Path>,
    kind: KeyKind,
    env_tokens: bool,
    env: &impl Fn(&str) -> Option<String>,
) -> Result<KeySource, ConfigError> {
    let kind = keys::KeyKind::from(kind);
    let mut source =
        KeySource::new(file.map(Path::to_path_buf), kind, env).map_err(ConfigError::Tokens)?;
    if env_tokens {
        source = source.with_env_tokens(env).map_err(ConfigError::Tokens)?;
    }
    if source.file().is_some() {
        for var in source.ignored() {
            tracing::warn!(
                route = %prefix,
                "{var} is set but not used: this route takes its keys from its token file \
                 alone (env_tokens = true in its routes-file entry adds it)"
            );
        }
    }
    Ok(source)
}

/// The key store of `source` now, and how many keys it holds.
pub fn load(source: &KeySource) -> Result<(KeyStore, usize), ConfigError> {
    source.load().map_err(|e| match e {
        TokenFileError::Empty => ConfigError::NoToken,
        e => ConfigError::Tokens(e),
    })
}

/// One route's live keys and where they come from.
#[derive(Debug, Clone)]
pub struct Reloadable {
    /// The route's prefix, for the log.
    pub prefix: String,
    /// The slot the route's checks read.
    pub live: LiveKeys,
    /// Where its keys come from.
    pub source: KeySource,
}

/// Reloads every route's keys from their token files; the log says what happened per route.
pub fn reload_all(routes: &[Reloadable]) {
    for route in routes {
        match route.source.reload(&route.live) {
            Ok(Some(count)) => {
                tracing::info!(route = %route.prefix, "keys reloaded: {count} keys");
            }
            Ok(None) => {
                tracing::info!(route = %route.prefix, "no token file: nothing to reload, the keys given at start stay");
            }
            Err(e) => {
                tracing::warn!(route = %route.prefix, error = %e, "keys not reloaded, the previous keys stay in force");
            }
        }
    }
}

/// Reloads on every `SIGHUP` until the process ends (Unix only; elsewhere a no-op).
pub async fn on_sighup(routes: Vec<Reloadable>) {
    twilio_guard_serve::on_hangup(move || reload_all(&routes)).await;
}
