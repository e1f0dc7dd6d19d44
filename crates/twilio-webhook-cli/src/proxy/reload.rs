//! `SIGHUP`: read every route's token file again and swap its keys in place.
//!
//! The swap goes through the library's [`LiveKeys`] slot of each route, so connections,
//! requests being checked and the replay store are untouched; the log says how many keys each
//! route now has, never which. A file that no longer parses keeps the keys in force (and says
//! why, naming the line, never a secret).

use std::path::PathBuf;

use twilio_webhook::keys::{self, TokenFile, TokenFileError};
use twilio_webhook::{KeyStore, LiveKeys, Validator};

use super::config::{ConfigError, KeyKind};

/// Where a route's keys come from: its token file, or `TWILIO_AUTH_TOKEN(_SECONDARY)` (Auth
/// Tokens only), or both where the route asks for both.
///
/// A route with a token file takes its keys from the file alone: the environment's token is
/// another account's as far as that route knows (issue 22 item 4: it got 200 on a route whose
/// file named only its own token, and reached that backend marked verified).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeySource {
    pub(crate) file: Option<PathBuf>,
    pub(crate) kind: KeyKind,
    /// Whether `TWILIO_AUTH_TOKEN(_SECONDARY)` are keys of this route.
    pub(crate) env_tokens: bool,
}

impl KeySource {
    /// Keys of `kind` from `file`, or from the environment when there is no file.
    pub fn new(file: Option<PathBuf>, kind: KeyKind) -> KeySource {
        let env_tokens = file.is_none();
        KeySource {
            file,
            kind,
            env_tokens,
        }
    }

    /// The environment's tokens as well as the file's (a route's explicit `env_tokens = true`).
    #[must_use]
    pub fn with_env_tokens(mut self, env_tokens: bool) -> KeySource {
        self.env_tokens = env_tokens || self.file.is_none();
        self
    }

    /// The key store and how many keys it holds, with secrets from `env` (a lookup such as
    /// `|name| std::env::var(name).ok()`).
    pub fn load(
        &self,
        env: &impl Fn(&str) -> Option<String>,
    ) -> Result<(KeyStore, usize), ConfigError> {
        let kind = keys::KeyKind::from(self.kind);
        let mut file = match &self.file {
            Some(path) => TokenFile::read(path, kind).map_err(ConfigError::Tokens)?,
            None => TokenFile::new(kind),
        };
        for (var, slot) in [
            ("TWILIO_AUTH_TOKEN", "primary"),
            ("TWILIO_AUTH_TOKEN_SECONDARY", "secondary"),
        ] {
            let from_env = self.env_tokens && kind == keys::KeyKind::AuthToken;
            if let Some(token) = env(var).filter(|_| from_env) {
                file.add(slot, &token).map_err(ConfigError::Tokens)?;
            }
        }
        let count = file.key_count();
        let store = file.into_key_store().map_err(|e| match e {
            TokenFileError::Empty => ConfigError::NoToken,
            e => ConfigError::Tokens(e),
        })?;
        Ok((store, count))
    }
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

/// Reloads every route's keys from their sources; returns what the log says per route.
pub fn reload_all(routes: &[Reloadable], env: &impl Fn(&str) -> Option<String>) {
    for route in routes {
        match route.source.load(env) {
            Ok((store, count)) => {
                route.live.replace(Validator::new(store));
                tracing::info!(route = %route.prefix, "keys reloaded: {count} keys");
            }
            Err(e) => {
                tracing::warn!(route = %route.prefix, error = %e, "keys not reloaded, the previous keys stay in force");
            }
        }
    }
}

/// Reloads on every `SIGHUP` until the process ends (Unix only; elsewhere a no-op).
pub async fn on_sighup(routes: Vec<Reloadable>) {
    twilio_guard_serve::on_hangup(move || {
        reload_all(&routes, &|name: &str| std::env::var(name).ok());
    })
    .await;
}
