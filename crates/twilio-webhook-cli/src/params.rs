//! What the subcommands share: where the token comes from, the key from a token and
//! algorithm, `KEY=VALUE` arguments.

use std::path::PathBuf;

use clap::Args;
use twilio_webhook::{Algorithm, Key, Secret};

/// How `sign`, `verify` and `batch` say where secrets come from (`after_help`).
pub(crate) const SECRETS_HELP: &str = "\
Secrets: set TWILIO_AUTH_TOKEN, or point --token-file (TWILIO_AUTH_TOKEN_FILE) at a file
holding the token alone. --token works too, but a command line is visible to every user of
the machine (ps, /proc): keep tokens out of it.";

/// Where the Auth Token (or shared-key secret) comes from: a file, the environment, or (not
/// recommended) the command line.
#[derive(Debug, Args)]
pub(crate) struct TokenSource {
    /// A file holding the token alone (a final newline is ignored); wins over the others.
    #[arg(long, env = "TWILIO_AUTH_TOKEN_FILE", hide_env_values = true)]
    token_file: Option<PathBuf>,
    /// The token itself. Prefer TWILIO_AUTH_TOKEN or --token-file: other users of the
    /// machine can read command lines.
    #[arg(long, env = "TWILIO_AUTH_TOKEN", hide_env_values = true)]
    token: Option<String>,
}

impl TokenSource {
    /// The token, if one was given.
    pub(crate) fn read(&self) -> Result<Option<String>, UsageError> {
        let Some(path) = &self.token_file else {
            return Ok(self.token.clone());
        };
        let text = std::fs::read_to_string(path).map_err(|source| UsageError::TokenFile {
            path: path.display().to_string(),
            source,
        })?;
        let token = text.strip_suffix('\n').unwrap_or(&text);
        Ok(Some(token.strip_suffix('\r').unwrap_or(token).to_owned()))
    }
}

/// A usage error: exit code 2 with this message.
#[derive(Debug, thiserror::Error)]
pub(crate) enum UsageError {
    /// No token from `--token-file`, `TWILIO_AUTH_TOKEN` or `--token`.
    #[error("no auth token: set TWILIO_AUTH_TOKEN or pass --token-file")]
    MissingToken,
    /// `--token-file` could not be read.
    #[error("cannot read token file {path}: {source}")]
    TokenFile {
        /// The file named.
        path: String,
        /// Why it failed.
        source: std::io::Error,
    },
    /// The token is unusable (empty, white space around it).
    #[error("auth token: {0}")]
    BadToken(#[from] twilio_webhook::KeyError),
    /// A parameter argument without `=`.
    #[error("parameter {0:?} is not KEY=VALUE")]
    BadParam(String),
    /// `--body-file` could not be read.
    #[error("cannot read body file {path}: {source}")]
    BodyFile {
        /// The file named.
        path: String,
        /// Why it failed.
        source: std::io::Error,
    },
    /// Writing the output failed.
    #[error("writing output: {0}")]
    Io(#[from] std::io::Error),
}

/// The signing key for `token` (labelled `token`) with `algorithm`.
pub(crate) fn key(token: Option<&str>, algorithm: Algorithm) -> Result<Key, UsageError> {
    let token = token.ok_or(UsageError::MissingToken)?;
    Ok(Key::new("token", &Secret::new(token)?, algorithm))
}

/// Splits `KEY=VALUE` arguments at the first `=`; values may contain `=` and be empty.
pub(crate) fn parse_pairs(args: &[String]) -> Result<Vec<(&str, &str)>, UsageError> {
    args.iter()
        .map(|arg| {
            arg.split_once('=')
                .ok_or_else(|| UsageError::BadParam(arg.clone()))
        })
        .collect()
}

/// Reads `--body-file`.
pub(crate) fn read_body(path: &str) -> Result<Vec<u8>, UsageError> {
    std::fs::read(path).map_err(|source| UsageError::BodyFile {
        path: path.to_owned(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairs_split_at_first_equals() {
        let args = vec!["A=1".to_owned(), "B=x=y".to_owned(), "C=".to_owned()];
        assert_eq!(
            parse_pairs(&args).unwrap(),
            [("A", "1"), ("B", "x=y"), ("C", "")]
        );
        assert!(parse_pairs(&["nope".to_owned()]).is_err());
    }
}
