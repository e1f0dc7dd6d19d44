//! What the subcommands share: the key from a token and algorithm, `KEY=VALUE` arguments.

use twilio_webhook::{Algorithm, Key, Secret};

/// A usage error: exit code 2 with this message.
#[derive(Debug, thiserror::Error)]
pub(crate) enum UsageError {
    /// No token from `--token` or `TWILIO_AUTH_TOKEN`.
    #[error("no auth token: set TWILIO_AUTH_TOKEN (or pass --token)")]
    MissingToken,
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
