//! The one HTTP client for Twilio's REST API: hosts, authentication, error answers, paging.

use std::time::Duration;

use serde::de::DeserializeOwned;

use crate::credentials::Credentials;
use crate::error::{ApiError, TwilioError};

/// The environment variable that replaces the scheme and host of every Twilio REST host.
pub const API_BASE_ENV: &str = "TWILIO_API_BASE";

/// How long one REST call may take, connection included.
const TIMEOUT: Duration = Duration::from_secs(30);

/// The scheme and host of each Twilio REST API the project calls; paths are appended as
/// Twilio's documentation spells them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hosts {
    /// The 2010 API (numbers, accounts): `https://api.twilio.com`.
    pub api: String,
    /// Messaging Services: `https://messaging.twilio.com`.
    pub messaging: String,
    /// Lookup v2: `https://lookups.twilio.com`.
    pub lookups: String,
}

impl Default for Hosts {
    fn default() -> Self {
        Self {
            api: "https://api.twilio.com".into(),
            messaging: "https://messaging.twilio.com".into(),
            lookups: "https://lookups.twilio.com".into(),
        }
    }
}

impl Hosts {
    /// Every host replaced by `base` (`scheme://host[:port]`, no path): a test server, or a
    /// gateway in front of Twilio.
    pub fn with_base(base: &str) -> Result<Self, ApiError> {
        let base = base.trim_end_matches('/');
        let rest = base
            .strip_prefix("https://")
            .or_else(|| base.strip_prefix("http://"));
        match rest {
            Some(host) if !host.is_empty() && !host.contains(['/', '?', '#', '@']) => Ok(Self {
                api: base.to_owned(),
                messaging: base.to_owned(),
                lookups: base.to_owned(),
            }),
            _ => Err(ApiError::Config(format!(
                "{API_BASE_ENV} must be scheme://host[:port] without a path, e.g. \
                 http://127.0.0.1:8081 (got {base:?})"
            ))),
        }
    }

    /// Twilio's hosts, or all replaced by `TWILIO_API_BASE` when it is set.
    pub fn from_env() -> Result<Self, ApiError> {
        match std::env::var(API_BASE_ENV) {
            Ok(base) if !base.is_empty() => Self::with_base(&base),
            _ => Ok(Self::default()),
        }
    }
}

/// A client of Twilio's REST API acting on one account.
#[derive(Debug, Clone)]
pub struct Client {
    http: reqwest::Client,
    hosts: Hosts,
    credentials: Credentials,
}

impl Client {
    /// A client for `credentials` against `hosts`.
    pub fn new(credentials: Credentials, hosts: Hosts) -> Result<Self, ApiError> {
        // reqwest is built without a default crypto provider: ours is ring, as everywhere
        // in the workspace. An error only means one is installed already.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = reqwest::Client::builder()
            .timeout(TIMEOUT)
            .user_agent(concat!("twilio-guard/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(ApiError::Transport)?;
        Ok(Self {
            http,
            hosts,
            credentials,
        })
    }

    /// A client from the environment: [`Credentials::from_env`] and [`Hosts::from_env`].
    pub fn from_env() -> Result<Self, ApiError> {
        let credentials = Credentials::from_env().map_err(|e| ApiError::Config(e.to_string()))?;
        Self::new(credentials, Hosts::from_env()?)
    }

    /// The account the client acts on.
    pub fn account_sid(&self) -> &str {
        self.credentials.account_sid()
    }

    pub(crate) fn hosts(&self) -> &Hosts {
        &self.hosts
    }

    /// `GET base + path ? query`, the answer decoded as `T`.
    pub(crate) async fn get<T: DeserializeOwned>(
        &self,
        what: &'static str,
        url: String,
        query: &[(&str, &str)],
    ) -> Result<T, ApiError> {
        let request = self.http.get(url).query(query);
        self.send(what, request).await
    }

    /// `POST base + path` with a form body, the answer decoded as `T`.
    pub(crate) async fn post<T: DeserializeOwned>(
        &self,
        what: &'static str,
        url: String,
        form: &[(&str, &str)],
    ) -> Result<T, ApiError> {
        let request = self.http.post(url).form(form);
        self.send(what, request).await
    }

    async fn send<T: DeserializeOwned>(
        &self,
        what: &'static str,
        request: reqwest::RequestBuilder,
    ) -> Result<T, ApiError> {
        let response = request
            .basic_auth(self.credentials.user(), Some(self.credentials.secret()))
            .send()
            .await
            .map_err(ApiError::Transport)?;
        let status = response.status();
        let body = response.bytes().await.map_err(ApiError::Transport)?;
        if !status.is_success() {
            return Err(error_answer(status, &body));
        }
        serde_json::from_slice(&body).map_err(|e| ApiError::Unexpected {
            what,
            detail: e.to_string(),
        })
    }

    /// A next-page link as Twilio gives it (absolute, or a path on the 2010 API) made to
    /// point at `host`: with `TWILIO_API_BASE` set, Twilio's own host is replaced too.
    pub(crate) fn next_page(host: &str, link: &str) -> String {
        let path = match link.split_once("://") {
            Some((_, rest)) => rest.find('/').map_or("/", |i| &rest[i..]),
            None => link,
        };
        format!("{host}{path}")
    }
}

/// Twilio's error body, or one made from the status when the body is not JSON.
fn error_answer(status: reqwest::StatusCode, body: &[u8]) -> ApiError {
    let error = serde_json::from_slice::<TwilioError>(body).unwrap_or_else(|_| TwilioError {
        code: None,
        message: status
            .canonical_reason()
            .unwrap_or("no error body")
            .to_owned(),
        more_info: None,
        status: status.as_u16(),
    });
    if status == reqwest::StatusCode::UNAUTHORIZED {
        ApiError::Unauthorized(error)
    } else {
        ApiError::Twilio(error)
    }
}

/// One path segment, percent-encoded (a phone number's `+` must not become a space).
pub(crate) fn segment(value: &str) -> String {
    percent_encoding::utf8_percent_encode(value, percent_encoding::NON_ALPHANUMERIC).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_replaces_scheme_and_host_only() {
        let hosts = Hosts::with_base("http://127.0.0.1:9/").unwrap();
        assert_eq!(hosts.lookups, "http://127.0.0.1:9");
        assert!(Hosts::with_base("http://127.0.0.1:9/v1").is_err());
        assert!(Hosts::with_base("ftp://x").is_err());
        assert!(Hosts::with_base("https://u:p@x").is_err());
    }

    #[test]
    fn next_page_keeps_path_and_query() {
        assert_eq!(
            Client::next_page(
                "http://127.0.0.1:9",
                "https://messaging.twilio.com/v1/Services?PageSize=1&Page=1"
            ),
            "http://127.0.0.1:9/v1/Services?PageSize=1&Page=1"
        );
        assert_eq!(
            Client::next_page(
                "http://h",
                "/2010-04-01/Accounts/AC1/IncomingPhoneNumbers.json?Page=1"
            ),
            "http://h/2010-04-01/Accounts/AC1/IncomingPhoneNumbers.json?Page=1"
        );
    }
}
