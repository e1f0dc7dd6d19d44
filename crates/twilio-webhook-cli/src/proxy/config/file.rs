//! `--config FILE`: the routes, in TOML. Every key not set for a route takes the value of the
//! matching flag (or its default); an unknown key is an error that names its line.
//!
//! ```toml
//! [[route]]
//! prefix = "/sms"                       # path prefix (segment boundary); "/" for the rest
//! upstream = "http://127.0.0.1:3000"
//!
//! [[route]]
//! prefix = "/voice/gather"
//! upstream = "http://127.0.0.1:4000/voice"
//! methods = ["POST", "GET"]
//! replay_guard = false                  # Gather/Record action URLs repeat legitimately
//!
//! [[route]]
//! prefix = "/status"
//! upstream = "http://127.0.0.1:3000"
//! body_limit = 262144
//! basic_auth_file = "/run/secrets/status-basic-auth"   # USER:PASS
//! key_kind = "shared-key"
//! token_file = "/run/secrets/shared-keys"           # its keys: this file's alone
//! resign_secret_file = "/run/secrets/whsec"             # Standard Webhooks hop
//! ```

use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::{ConfigError, KeyKind};

/// The whole file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoutesFile {
    /// The routes, longest matching prefix first.
    pub route: Vec<RouteEntry>,
}

/// One `[[route]]` table.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RouteEntry {
    /// Path prefix the route serves.
    pub prefix: String,
    /// `http://host[:port][/prefix]`.
    pub upstream: String,
    /// Methods accepted (default: `--methods`).
    pub methods: Option<Vec<String>>,
    /// Largest body in bytes (default: `--body-limit`).
    pub body_limit: Option<usize>,
    /// File holding `USER:PASS` (default: `--basic-auth-file` / `TWILIO_PROXY_BASIC_AUTH`).
    pub basic_auth_file: Option<PathBuf>,
    /// Whether replays are suppressed (default: unless `--replay-store off`).
    pub replay_guard: Option<bool>,
    /// What signs this route's webhooks (default: `--key-kind`).
    pub key_kind: Option<KeyKind>,
    /// Tokens or shared keys for this route (default: `--token-file`). A route with a token
    /// file takes its keys from it alone, unless `env_tokens` says otherwise.
    pub token_file: Option<PathBuf>,
    /// Whether `TWILIO_AUTH_TOKEN(_SECONDARY)` are keys of this route as well as its token
    /// file's (default: only when it has no token file).
    pub env_tokens: Option<bool>,
    /// Standard Webhooks secret (`whsec_…`) to re-sign what this route forwards (default:
    /// `--resign-secret-file`).
    pub resign_secret_file: Option<PathBuf>,
}

impl RoutesFile {
    /// Reads and parses `path`; relative paths inside are taken from the file's directory.
    pub fn load(path: &Path) -> Result<RoutesFile, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::File {
            path: path.to_owned(),
            source,
        })?;
        let mut file = RoutesFile::parse(&text).map_err(|message| ConfigError::RoutesFile {
            path: path.to_owned(),
            message,
        })?;
        if let Some(dir) = path.parent() {
            file.resolve_relative(dir);
        }
        Ok(file)
    }

    /// Parses the TOML text; the error names the line and the key.
    pub fn parse(text: &str) -> Result<RoutesFile, String> {
        let file: RoutesFile = toml::from_str(text).map_err(|e| e.to_string())?;
        if file.route.is_empty() {
            return Err("no [[route]]".into());
        }
        Ok(file)
    }

    fn resolve_relative(&mut self, dir: &Path) {
        for route in &mut self.route {
            for path in [
                &mut route.basic_auth_file,
                &mut route.token_file,
                &mut route.resign_secret_file,
            ]
            .into_iter()
            .flatten()
            {
                if path.is_relative() {
                    *path = dir.join(&*path);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_keys_name_their_line() {
        let err = RoutesFile::parse(
            "[[route]]\nprefix = \"/sms\"\nupstream = \"http://a\"\nreplay = false\n",
        )
        .unwrap_err();
        assert!(err.contains("line 4"), "{err}");
        assert!(err.contains("replay"), "{err}");
        let err = RoutesFile::parse("[[route]]\nprefix = \"/sms\"\n").unwrap_err();
        assert!(err.contains("upstream"), "{err}");
        assert!(RoutesFile::parse("").is_err());
        let ok = RoutesFile::parse(
            "[[route]]\nprefix = \"/s\"\nupstream = \"http://a\"\nkey_kind = \"shared-key\"\n",
        )
        .unwrap();
        assert_eq!(ok.route[0].key_kind, Some(KeyKind::SharedKey));
    }
}
