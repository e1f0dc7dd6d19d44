//! What a REST call can fail with.

/// Twilio's JSON error body: `{"code", "message", "more_info", "status"}`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
pub struct TwilioError {
    /// Twilio's error code (20003: authentication failed, 20404: not found, …).
    pub code: Option<u32>,
    /// Twilio's message.
    pub message: String,
    /// A link to the error's page.
    #[serde(default)]
    pub more_info: Option<String>,
    /// The HTTP status.
    pub status: u16,
}

/// Why a REST call failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ApiError {
    /// Twilio refused the credentials (HTTP 401, code 20003).
    #[error(
        "Twilio refused the credentials (HTTP 401{}): check TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN (or TWILIO_API_KEY/TWILIO_API_SECRET)",
        code_suffix(.0)
    )]
    Unauthorized(TwilioError),
    /// Twilio answered with another error status and its error body.
    #[error("Twilio answered HTTP {}{}: {}", .0.status, code_suffix(.0), .0.message)]
    Twilio(TwilioError),
    /// The request did not complete (DNS, connection, TLS, timeout).
    #[error("cannot reach Twilio's API: {0}")]
    Transport(#[source] reqwest::Error),
    /// The answer is not the JSON the operation returns.
    #[error("unexpected answer from Twilio's API ({what}): {detail}")]
    Unexpected {
        /// The operation.
        what: &'static str,
        /// What was wrong.
        detail: String,
    },
    /// `TWILIO_API_BASE` or an argument is not usable.
    #[error("{0}")]
    Config(String),
}

impl ApiError {
    /// Twilio's error body, when Twilio answered with one.
    pub fn twilio(&self) -> Option<&TwilioError> {
        match self {
            Self::Unauthorized(e) | Self::Twilio(e) => Some(e),
            _ => None,
        }
    }
}

fn code_suffix(e: &TwilioError) -> String {
    e.code
        .map(|c| format!(", Twilio error {c}"))
        .unwrap_or_default()
}
