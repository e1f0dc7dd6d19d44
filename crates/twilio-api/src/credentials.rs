//! Who the client authenticates as: the account's Auth Token, or an API key.

use std::fmt;

/// The environment variables [`Credentials::from_env`] reads.
const ACCOUNT_SID: &str = "TWILIO_ACCOUNT_SID";
const AUTH_TOKEN: &str = "TWILIO_AUTH_TOKEN";
const API_KEY: &str = "TWILIO_API_KEY";
const API_SECRET: &str = "TWILIO_API_SECRET";

/// HTTP basic credentials for Twilio's REST API, with the account they act on. `Debug`
/// never shows the secret.
#[derive(Clone)]
pub struct Credentials {
    account_sid: String,
    user: String,
    secret: String,
}

/// Why credentials could not be formed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CredentialsError {
    /// No account SID was given.
    #[error(
        "set TWILIO_ACCOUNT_SID to the account's SID (AC…, Twilio Console > Account > API keys & tokens)"
    )]
    NoAccount,
    /// Neither an Auth Token nor an API key and secret were given.
    #[error(
        "set TWILIO_AUTH_TOKEN, or TWILIO_API_KEY and TWILIO_API_SECRET (an API key: Twilio Console > Account > API keys & tokens)"
    )]
    NoSecret,
    /// An account SID, key SID or secret is malformed.
    #[error("{0}")]
    Malformed(&'static str),
}

impl Credentials {
    /// The account's own SID and Auth Token.
    pub fn auth_token(account_sid: &str, auth_token: &str) -> Result<Self, CredentialsError> {
        check_sid(
            account_sid,
            "AC",
            "TWILIO_ACCOUNT_SID must be AC followed by 32 hex digits",
        )?;
        check_secret(auth_token)?;
        Ok(Self {
            account_sid: account_sid.to_owned(),
            user: account_sid.to_owned(),
            secret: auth_token.to_owned(),
        })
    }

    /// An API key (`SK…`) and its secret, acting on `account_sid` (which stays in the paths).
    pub fn api_key(
        account_sid: &str,
        key_sid: &str,
        secret: &str,
    ) -> Result<Self, CredentialsError> {
        check_sid(
            account_sid,
            "AC",
            "TWILIO_ACCOUNT_SID must be AC followed by 32 hex digits",
        )?;
        check_sid(
            key_sid,
            "SK",
            "TWILIO_API_KEY must be SK followed by 32 hex digits",
        )?;
        check_secret(secret)?;
        Ok(Self {
            account_sid: account_sid.to_owned(),
            user: key_sid.to_owned(),
            secret: secret.to_owned(),
        })
    }

    /// From `TWILIO_ACCOUNT_SID` with `TWILIO_API_KEY`/`TWILIO_API_SECRET` (preferred when
    /// set) or `TWILIO_AUTH_TOKEN`.
    pub fn from_env() -> Result<Self, CredentialsError> {
        let var = |name| std::env::var(name).ok().filter(|v: &String| !v.is_empty());
        let account = var(ACCOUNT_SID).ok_or(CredentialsError::NoAccount)?;
        match (var(API_KEY), var(API_SECRET), var(AUTH_TOKEN)) {
            (Some(key), Some(secret), _) => Self::api_key(&account, &key, &secret),
            (_, _, Some(token)) => Self::auth_token(&account, &token),
            _ => Err(CredentialsError::NoSecret),
        }
    }

    /// The account the requests act on (`AC…`).
    pub fn account_sid(&self) -> &str {
        &self.account_sid
    }

    pub(crate) fn user(&self) -> &str {
        &self.user
    }

    pub(crate) fn secret(&self) -> &str {
        &self.secret
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("account_sid", &self.account_sid)
            .field("user", &self.user)
            .field("secret", &"[redacted]")
            .finish()
    }
}

/// `prefix` then 32 hex digits: Twilio's SID shape (the spec's `^AC[0-9a-fA-F]{32}$`).
pub(crate) fn is_sid(value: &str, prefix: &str) -> bool {
    value.len() == 34
        && value.starts_with(prefix)
        && value[2..].bytes().all(|b| b.is_ascii_hexdigit())
}

fn check_sid(value: &str, prefix: &str, what: &'static str) -> Result<(), CredentialsError> {
    if is_sid(value, prefix) {
        Ok(())
    } else {
        Err(CredentialsError::Malformed(what))
    }
}

fn check_secret(secret: &str) -> Result<(), CredentialsError> {
    if secret.is_empty() || secret.trim() != secret || secret.contains(':') {
        return Err(CredentialsError::Malformed(
            "the Auth Token or API secret is empty, padded with white space or holds ':'",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const AC: &str = "AC0123456789abcdef0123456789abcdef";

    #[test]
    fn debug_hides_the_secret() {
        let c = Credentials::auth_token(AC, "s3cr3t-token").unwrap();
        assert!(!format!("{c:?}").contains("s3cr3t"));
    }

    #[test]
    fn malformed_sids_are_refused() {
        assert!(Credentials::auth_token("AC123", "t").is_err());
        assert!(Credentials::api_key(AC, "AC0123456789abcdef0123456789abcdef", "s").is_err());
        assert!(Credentials::api_key(AC, "SK0123456789abcdef0123456789abcdef", "s").is_ok());
        assert!(Credentials::auth_token(AC, " t").is_err());
    }
}
