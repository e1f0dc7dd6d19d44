//! Lookup v2: the line type of a number (mobile, landline, VoIP…).

use serde::Deserialize;

use crate::client::{Client, segment};
use crate::error::ApiError;

/// Lookup's line type intelligence for a number.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct LineTypeIntelligence {
    /// Twilio's line type (`mobile`, `landline`, `fixedVoip`, `nonFixedVoip`, `tollFree`, …).
    #[serde(rename = "type", default)]
    pub line_type: Option<String>,
    /// The carrier.
    #[serde(default)]
    pub carrier_name: Option<String>,
    /// Set when Twilio could not tell.
    #[serde(default)]
    pub error_code: Option<i64>,
}

/// The answer of a line type lookup.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct LineType {
    /// The number in E.164.
    pub phone_number: String,
    /// Whether the number is valid.
    #[serde(default)]
    pub valid: bool,
    /// The line type, when asked for and known.
    #[serde(default)]
    pub line_type_intelligence: Option<LineTypeIntelligence>,
}

impl Client {
    /// `GET /v2/PhoneNumbers/{PhoneNumber}?Fields=line_type_intelligence`.
    pub async fn line_type(&self, e164: &str) -> Result<LineType, ApiError> {
        let url = format!("{}/v2/PhoneNumbers/{}", self.hosts().lookups, segment(e164));
        self.get(
            "lookup line type",
            url,
            &[("Fields", "line_type_intelligence")],
        )
        .await
    }
}
