//! The token file: the signing secrets of a deployment in one text file, so they stay off
//! command lines and out of the environment, and can be re-read on reload (SIGHUP); and
//! [`KeySource`], the one rule every server follows to choose between a token file and the
//! environment's `TWILIO_AUTH_TOKEN` / `TWILIO_AUTH_TOKEN_SECONDARY`.
//!
//! One key per line; `#` starts a comment; blank lines are skipped:
//!
//! ```text
//! TOKEN                       a key for every request, slot "file-<line>"
//! SLOT TOKEN                  the same, with its slot named (reported when it verifies)
//! ACCOUNT_SID SLOT TOKEN      a key only for requests whose AccountSid is ACCOUNT_SID
//! ```
//!
//! For [`KeyKind::SharedKey`] every line is `KEY_ID SLOT SECRET` (Webhook Shared Keys are
//! chosen by the id in `X-Twilio-Webhooks-Signature-Settings`). Lines with an account and
//! lines without one do not mix: which keys would an unlisted account get? Errors name the
//! line, never a secret.
//!
//! ```
//! use twilio_webhook::keys::{KeyKind, TokenFile, TokenFileError};
//!
//! let text = "# rotation in progress\nnext 0123456789abcdef\nprevious fedcba9876543210\n";
//! let store = TokenFile::parse(text, KeyKind::AuthToken)?.into_key_store()?;
//! # let _ = store;
//!
//! let err = TokenFile::parse("AC1 primary secret-value extra\n", KeyKind::AuthToken).unwrap_err();
//! assert_eq!(err.to_string(), "token file line 1: expected TOKEN, SLOT TOKEN or ACCOUNT_SID SLOT TOKEN");
//! assert!(!err.to_string().contains("secret-value"));
//! # Ok::<(), TokenFileError>(())
//! ```

use std::path::{Path, PathBuf};

use super::{Key, KeyError, KeySet, KeyStore};
use crate::{LiveKeys, Validator};

/// What the secrets of a token file are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum KeyKind {
    /// Account Auth Tokens (HMAC-SHA1), Twilio's default.
    AuthToken,
    /// Webhook Shared Keys (HMAC-SHA256), named by key id in the settings header.
    SharedKey,
}

impl KeyKind {
    /// The key for `secret` of this kind, reported as `slot` when it verifies.
    pub fn key(self, slot: &str, secret: &str) -> Result<Key, KeyError> {
        match self {
            KeyKind::AuthToken => Key::auth_token(slot, secret),
            KeyKind::SharedKey => Key::shared_key(slot, secret),
        }
    }

    /// The line shapes a file of this kind may hold, for error messages.
    fn expected(self) -> &'static str {
        match self {
            KeyKind::AuthToken => "TOKEN, SLOT TOKEN or ACCOUNT_SID SLOT TOKEN",
            KeyKind::SharedKey => "KEY_ID SLOT SECRET",
        }
    }
}

/// Why a token file (or the keys added to it) cannot make a key store.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TokenFileError {
    /// A line with too many or too few fields for the file's kind.
    #[error("token file line {line}: expected {expected}")]
    Line {
        /// The line number, from 1.
        line: usize,
        /// The shapes allowed.
        expected: &'static str,
    },
    /// A secret the key refused (empty, white space around it); names the slot, never the
    /// secret.
    #[error("token {slot}: {source}")]
    Secret {
        /// The slot the secret was for.
        slot: String,
        /// Why.
        source: KeyError,
    },
    /// Keys with an account SID (or key id) and keys without one.
    #[error("tokens with and without an account SID (or key id): give every token one, or none")]
    Mixed,
    /// No key at all: refusing to build a store that verifies nothing.
    #[error("no token: the token file holds no key")]
    Empty,
    /// The file could not be read.
    #[error("cannot read token file {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

/// The keys of a token file, plus any added from elsewhere (an environment variable), ready
/// to become a [`KeyStore`].
#[derive(Debug, Clone)]
pub struct TokenFile {
    kind: KeyKind,
    /// Keys for every request.
    unkeyed: KeySet,
    /// Keys per account SID (or shared-key id), in first-seen order.
    by_id: Vec<(String, KeySet)>,
}

impl TokenFile {
    /// No keys yet.
    pub fn new(kind: KeyKind) -> Self {
        TokenFile {
            kind,
            unkeyed: KeySet::default(),
            by_id: Vec::new(),
        }
    }

    /// Parses the text of a token file holding `kind` secrets.
    pub fn parse(text: &str, kind: KeyKind) -> Result<Self, TokenFileError> {
        let mut file = TokenFile::new(kind);
        for (index, line) in text.lines().enumerate() {
            file.parse_line(index + 1, line)?;
        }
        Ok(file)
    }

    /// Reads and parses the token file at `path`.
    pub fn read(path: &Path, kind: KeyKind) -> Result<Self, TokenFileError> {
        let text = std::fs::read_to_string(path).map_err(|source| TokenFileError::Read {
            path: path.to_owned(),
            source,
        })?;
        TokenFile::parse(&text, kind)
    }

    fn parse_line(&mut self, number: usize, line: &str) -> Result<(), TokenFileError> {
        let line = line.split('#').next().unwrap_or_default();
        let fields: Vec<&str> = line.split_whitespace().collect();
        let shared = self.kind == KeyKind::SharedKey;
        match fields.as_slice() {
            [] => Ok(()),
            [token] if !shared => self.add(&format!("file-{number}"), token),
            [slot, token] if !shared => self.add(slot, token),
            [id, slot, token] => {
                let key = self.key(slot, token)?;
                match self.by_id.iter_mut().find(|(known, _)| known == id) {
                    Some((_, set)) => set.push(key),
                    None => self.by_id.push(((*id).to_owned(), KeySet::from(key))),
                }
                Ok(())
            }
            _ => Err(TokenFileError::Line {
                line: number,
                expected: self.kind.expected(),
            }),
        }
    }

    /// Adds a key for every request, reported as `slot` (e.g. `TWILIO_AUTH_TOKEN` as
    /// `primary`).
    pub fn add(&mut self, slot: &str, secret: &str) -> Result<(), TokenFileError> {
        let key = self.key(slot, secret)?;
        self.unkeyed.push(key);
        Ok(())
    }

    fn key(&self, slot: &str, secret: &str) -> Result<Key, TokenFileError> {
        self.kind
            .key(slot, secret)
            .map_err(|source| TokenFileError::Secret {
                slot: slot.to_owned(),
                source,
            })
    }

    /// These keys and `other`'s keys for every request (the environment's, where a source
    /// opted in to them).
    fn with(mut self, other: &TokenFile) -> TokenFile {
        for key in other.unkeyed.iter() {
            self.unkeyed.push(key.clone());
        }
        self
    }

    /// How many keys the file (and what was added) holds, for a log line that names no key.
    pub fn key_count(&self) -> usize {
        self.unkeyed.iter().count()
            + self
                .by_id
                .iter()
                .map(|(_, set)| set.iter().count())
                .sum::<usize>()
    }

    /// The key store: one set for every request, a set per account SID, or shared keys by
    /// id. Refuses an empty file and a mix of lines with and without an account.
    pub fn into_key_store(self) -> Result<KeyStore, TokenFileError> {
        match (self.by_id.is_empty(), self.unkeyed.is_empty(), self.kind) {
            (true, true, _) => Err(TokenFileError::Empty),
            (true, false, KeyKind::AuthToken) => Ok(KeyStore::single(self.unkeyed)),
            (false, true, KeyKind::AuthToken) => Ok(KeyStore::accounts(self.by_id)),
            (false, true, KeyKind::SharedKey) => Ok(KeyStore::shared_keys(self.by_id)),
            _ => Err(TokenFileError::Mixed),
        }
    }
}

/// `TWILIO_AUTH_TOKEN`: the account's Auth Token, slot `primary` (when no token file is given).
pub const PRIMARY_TOKEN_VAR: &str = "TWILIO_AUTH_TOKEN";
/// `TWILIO_AUTH_TOKEN_SECONDARY`: a second Auth Token during a rotation, slot `secondary`
/// (when no token file is given).
pub const SECONDARY_TOKEN_VAR: &str = "TWILIO_AUTH_TOKEN_SECONDARY";

/// Where a server's keys come from, by one rule for every binary:
///
/// - with a token file, its keys **alone**, at start and on every reload: deleting a line
///   and reloading retires that key. The environment's tokens are then not used (see
///   [`KeySource::ignored`], for a warning at start): mixed in, they could never be retired
///   without a restart.
/// - without one, [`PRIMARY_TOKEN_VAR`] (slot `primary`) and [`SECONDARY_TOKEN_VAR`]
///   (`secondary`), read once at start: there is nothing to reload. Auth Tokens only; shared
///   keys come from a file.
///
/// An empty variable counts as unset. Errors name the slot or line, never a secret.
///
/// ```
/// use twilio_webhook::keys::{KeyKind, KeySource};
///
/// let env = |name: &str| (name == "TWILIO_AUTH_TOKEN").then(|| "env-token".to_owned());
/// let source = KeySource::new(None, KeyKind::AuthToken, env)?;
/// assert_eq!(source.load()?.1, 1);
/// assert!(source.file().is_none() && source.ignored().is_empty());
///
/// let file = std::env::temp_dir().join(format!("keys-doc-{}", std::process::id()));
/// std::fs::write(&file, "next file-token-1\nprevious file-token-0\n").unwrap();
/// let source = KeySource::new(Some(file.clone()), KeyKind::AuthToken, env)?;
/// assert_eq!(source.load()?.1, 2, "the file alone");
/// assert_eq!(source.ignored(), ["TWILIO_AUTH_TOKEN"]);
/// # std::fs::remove_file(file).unwrap();
/// # Ok::<(), twilio_webhook::keys::TokenFileError>(())
/// ```
#[derive(Debug, Clone)]
pub struct KeySource {
    kind: KeyKind,
    file: Option<PathBuf>,
    /// The environment's keys; empty when a file is given (unless opted in).
    env: TokenFile,
    /// The variables set but not used.
    ignored: Vec<&'static str>,
}

impl KeySource {
    /// Keys of `kind` from `file` if given, else from the two token variables looked up in
    /// `env` (e.g. `|name| std::env::var(name).ok()`). Refuses a malformed environment token
    /// now; the file is read by [`KeySource::load`].
    pub fn new(
        file: Option<PathBuf>,
        kind: KeyKind,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<KeySource, TokenFileError> {
        let use_env = file.is_none();
        let mut source = KeySource {
            kind,
            file,
            env: TokenFile::new(kind),
            ignored: Vec::new(),
        };
        source.read_env(&env, use_env)?;
        Ok(source)
    }

    /// Adds `TWILIO_AUTH_TOKEN(_SECONDARY)` to a token file's keys: an explicit opt-in (such
    /// as a proxy route's `env_tokens = true`) that steps outside the rule, as the environment's
    /// tokens then verify beside the file's and no reload can retire them. Auth Tokens only.
    pub fn with_env_tokens(
        mut self,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<KeySource, TokenFileError> {
        if self.file.is_some() {
            self.ignored.clear();
            self.read_env(&env, true)?;
        }
        Ok(self)
    }

    /// Reads the token variables: their keys when `use_env` (Auth Tokens only), else their
    /// names into [`KeySource::ignored`].
    fn read_env(
        &mut self,
        env: &impl Fn(&str) -> Option<String>,
        use_env: bool,
    ) -> Result<(), TokenFileError> {
        for (var, slot) in [
            (PRIMARY_TOKEN_VAR, "primary"),
            (SECONDARY_TOKEN_VAR, "secondary"),
        ] {
            let Some(token) = env(var).filter(|token| !token.is_empty()) else {
                continue;
            };
            if use_env && self.kind == KeyKind::AuthToken {
                self.env.add(slot, &token)?;
            } else {
                self.ignored.push(var);
            }
        }
        Ok(())
    }

    /// The token file, if the keys come from one (and so can be reloaded).
    pub fn file(&self) -> Option<&Path> {
        self.file.as_deref()
    }

    /// The token variables that are set but not used (a file is given, or the keys are not
    /// Auth Tokens): worth a warning at start, naming the variable, never its value.
    pub fn ignored(&self) -> &[&'static str] {
        &self.ignored
    }

    /// The key store now, and how many keys it holds (for a log line that names no key).
    /// Reads the file again on every call. Refuses to verify with no key at all
    /// ([`TokenFileError::Empty`]).
    pub fn load(&self) -> Result<(KeyStore, usize), TokenFileError> {
        let keys = match &self.file {
            Some(path) => TokenFile::read(path, self.kind)?.with(&self.env),
            None => self.env.clone(),
        };
        let count = keys.key_count();
        Ok((keys.into_key_store()?, count))
    }

    /// Reads the file again and swaps its keys into `live`: `Some(count)`. Without a file,
    /// `None` and `live` is untouched (there is nothing to reload). On an error `live`
    /// keeps the keys in force.
    pub fn reload(&self, live: &LiveKeys) -> Result<Option<usize>, TokenFileError> {
        if self.file.is_none() {
            return Ok(None);
        }
        let (store, count) = self.load()?;
        live.replace(Validator::new(store));
        Ok(Some(count))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Validator;

    const AUTH: KeyKind = KeyKind::AuthToken;

    fn verifies(store: KeyStore, token: &str, account: Option<&str>) -> bool {
        let url = "https://example.com/sms";
        let params: Vec<(&str, &str)> = account.map(|a| ("AccountSid", a)).into_iter().collect();
        let sig = Key::auth_token("t", token)
            .unwrap()
            .sign(url, params.iter().copied());
        Validator::new(store)
            .validate_params(url, params, Some(&sig))
            .is_ok()
    }

    #[test]
    fn every_line_shape() {
        let text = "# comment\n\n  tok-1  \nnext tok-2 # trailing comment\n";
        let file = TokenFile::parse(text, AUTH).unwrap();
        let labels: Vec<_> = file.unkeyed.iter().map(|k| k.label().to_owned()).collect();
        assert_eq!(labels, ["file-3", "next"]);
        let store = file.into_key_store().unwrap();
        assert!(verifies(store.clone(), "tok-1", None));
        assert!(verifies(store.clone(), "tok-2", None));
        assert!(!verifies(store, "tok-3", None));

        let text = "AC1 a tok-a1\nAC2 b tok-b\nAC1 a2 tok-a2\n";
        let store = TokenFile::parse(text, AUTH)
            .unwrap()
            .into_key_store()
            .unwrap();
        assert!(verifies(store.clone(), "tok-a2", Some("AC1")));
        assert!(verifies(store.clone(), "tok-b", Some("AC2")));
        assert!(!verifies(store.clone(), "tok-b", Some("AC1")));
        assert!(!verifies(store, "tok-a1", None));
    }

    #[test]
    fn errors_name_the_line_never_the_secret() {
        let err = TokenFile::parse("ok-token\na b c-secret d\n", AUTH).unwrap_err();
        assert!(matches!(err, TokenFileError::Line { line: 2, .. }), "{err}");
        assert!(!err.to_string().contains("secret"), "{err}");
        let err = TokenFile::parse("slot s3cr3t-value\n", KeyKind::SharedKey).unwrap_err();
        assert_eq!(
            err.to_string(),
            "token file line 1: expected KEY_ID SLOT SECRET"
        );
        let mixed = TokenFile::parse("AC1 a t1\nt2\n", AUTH).unwrap();
        assert!(matches!(mixed.into_key_store(), Err(TokenFileError::Mixed)));
        let empty = TokenFile::parse("# nothing yet\n", AUTH).unwrap();
        assert!(matches!(empty.into_key_store(), Err(TokenFileError::Empty)));
        let mut env = TokenFile::new(AUTH);
        let err = env.add("primary", " padded").unwrap_err().to_string();
        assert!(err.contains("primary") && !err.contains("padded"), "{err}");
        let missing = Path::new("/nonexistent/twilio-tokens");
        let err = TokenFile::read(missing, AUTH).unwrap_err();
        assert!(matches!(err, TokenFileError::Read { .. }), "{err}");
    }

    #[test]
    fn shared_keys_by_id() {
        let text = "KS1 current s-1\nKS1 old s-0\nKS2 only s-2\n";
        let store = TokenFile::parse(text, KeyKind::SharedKey)
            .unwrap()
            .into_key_store()
            .unwrap();
        let url = "https://example.com/sms";
        let sig = Key::shared_key("x", "s-0").unwrap().sign(url, []);
        let request = crate::SignedRequest::params(url, [])
            .signature(Some(&sig))
            .settings(Some("key=KS1,algorithm=HMAC_SHA256"));
        assert_eq!(
            Validator::new(store).validate(&request).unwrap().key(),
            "old"
        );
    }

    /// With a token file, an environment token never verifies, neither at
    /// start nor after a reload; without a file both variables do.
    #[test]
    fn a_token_file_is_the_only_source_when_given() {
        let dir = std::env::temp_dir().join(format!("twh-key-source-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("tokens");
        std::fs::write(&path, "from-file\n").unwrap();
        let env = |name: &str| match name {
            PRIMARY_TOKEN_VAR => Some("env-primary".to_owned()),
            SECONDARY_TOKEN_VAR => Some("env-secondary".to_owned()),
            _ => None,
        };
        let source = KeySource::new(Some(path.clone()), AUTH, env).unwrap();
        assert_eq!(source.ignored(), [PRIMARY_TOKEN_VAR, SECONDARY_TOKEN_VAR]);
        let (store, count) = source.load().unwrap();
        assert_eq!(count, 1);
        assert!(verifies(store.clone(), "from-file", None));
        assert!(!verifies(store.clone(), "env-primary", None));
        assert!(!verifies(store.clone(), "env-secondary", None));
        let live = LiveKeys::new(Validator::new(store));
        std::fs::write(&path, "next\tnew-from-file\n").unwrap();
        assert_eq!(source.reload(&live).unwrap(), Some(1));
        let now = live.current();
        let url = "https://example.com/sms";
        for (token, expected) in [
            ("new-from-file", true),
            ("from-file", false),
            ("env-primary", false),
        ] {
            let sig = Key::auth_token("t", token).unwrap().sign(url, []);
            assert_eq!(
                now.validate_params(url, [], Some(&sig)).is_ok(),
                expected,
                "{token}"
            );
        }
        // A file that no longer parses: an error, and the keys in force stay.
        std::fs::write(&path, "a b c d\n").unwrap();
        assert!(source.reload(&live).is_err());
        let sig = Key::auth_token("t", "new-from-file").unwrap().sign(url, []);
        assert!(live.current().validate_params(url, [], Some(&sig)).is_ok());

        let source = KeySource::new(None, AUTH, env).unwrap();
        assert!(source.ignored().is_empty() && source.file().is_none());
        let (store, count) = source.load().unwrap();
        assert_eq!(count, 2);
        assert!(verifies(store.clone(), "env-primary", None));
        assert!(verifies(store, "env-secondary", None));
        assert_eq!(source.reload(&live).unwrap(), None, "nothing to reload");

        // The explicit opt-in: the file's keys and the environment's.
        std::fs::write(&path, "from-file\n").unwrap();
        let both = KeySource::new(Some(path.clone()), AUTH, env)
            .unwrap()
            .with_env_tokens(env)
            .unwrap();
        assert!(both.ignored().is_empty());
        let (store, count) = both.load().unwrap();
        assert_eq!(count, 3);
        assert!(verifies(store.clone(), "from-file", None));
        assert!(verifies(store, "env-primary", None));
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn environment_tokens_empty_blank_and_shared_keys() {
        let blank = |_: &str| Some(String::new());
        let source = KeySource::new(None, AUTH, blank).unwrap();
        assert!(matches!(source.load(), Err(TokenFileError::Empty)));
        let padded = |name: &str| (name == PRIMARY_TOKEN_VAR).then(|| " s3cret ".to_owned());
        let err = KeySource::new(None, AUTH, padded).unwrap_err().to_string();
        assert!(err.contains("primary") && !err.contains("s3cret"), "{err}");
        // Shared keys come from a file: the Auth Token variables play no part.
        let token = |name: &str| (name == PRIMARY_TOKEN_VAR).then(|| "tok".to_owned());
        let source = KeySource::new(None, KeyKind::SharedKey, token).unwrap();
        assert_eq!(source.ignored(), [PRIMARY_TOKEN_VAR]);
        assert!(matches!(source.load(), Err(TokenFileError::Empty)));
    }
}
