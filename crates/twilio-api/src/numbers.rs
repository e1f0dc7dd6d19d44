//! Incoming phone numbers (2010 API): find one, read it, point its webhooks.

use serde::{Deserialize, Serialize};

use crate::client::{Client, segment};
use crate::error::ApiError;

/// The fields of an `IncomingPhoneNumber` the project reads (Twilio sends more).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct IncomingNumber {
    /// `PN…`.
    pub sid: String,
    /// E.164, e.g. `+15017122661`.
    pub phone_number: String,
    /// The name shown in the console.
    #[serde(default)]
    pub friendly_name: Option<String>,
    /// Where incoming messages go (unless an application or Messaging Service overrides it).
    #[serde(default)]
    pub sms_url: Option<String>,
    /// `GET` or `POST`.
    #[serde(default)]
    pub sms_method: Option<String>,
    /// Where incoming calls go (unless an application overrides it).
    #[serde(default)]
    pub voice_url: Option<String>,
    /// `GET` or `POST`.
    #[serde(default)]
    pub voice_method: Option<String>,
    /// When set, Twilio ignores the `sms_*` URLs and uses this application's.
    #[serde(default)]
    pub sms_application_sid: Option<String>,
    /// When set, Twilio ignores the `voice_*` URLs and uses this application's.
    #[serde(default)]
    pub voice_application_sid: Option<String>,
}

/// A URL and the method Twilio calls it with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Webhook {
    /// The URL exactly as stored (Twilio signs this string).
    pub url: String,
    /// `GET` or `POST`.
    pub method: String,
}

impl Webhook {
    /// `url` called with POST.
    pub fn post(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            method: "POST".into(),
        }
    }
}

impl IncomingNumber {
    /// The SMS webhook as stored (empty URL when none), whatever overrides it.
    pub fn sms(&self) -> Webhook {
        webhook(self.sms_url.as_deref(), self.sms_method.as_deref())
    }

    /// The voice webhook as stored (empty URL when none), whatever overrides it.
    pub fn voice(&self) -> Webhook {
        webhook(self.voice_url.as_deref(), self.voice_method.as_deref())
    }
}

fn webhook(url: Option<&str>, method: Option<&str>) -> Webhook {
    Webhook {
        url: url.unwrap_or_default().to_owned(),
        method: method.unwrap_or("POST").to_owned(),
    }
}

/// What to change on a number; `None` leaves a field as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NumberUpdate {
    /// `SmsUrl` and `SmsMethod`.
    pub sms: Option<Webhook>,
    /// `VoiceUrl` and `VoiceMethod`.
    pub voice: Option<Webhook>,
}

impl NumberUpdate {
    fn form(&self) -> Vec<(&str, &str)> {
        let mut form = Vec::new();
        if let Some(sms) = &self.sms {
            form.extend([
                ("SmsUrl", sms.url.as_str()),
                ("SmsMethod", sms.method.as_str()),
            ]);
        }
        if let Some(voice) = &self.voice {
            form.extend([
                ("VoiceUrl", voice.url.as_str()),
                ("VoiceMethod", voice.method.as_str()),
            ]);
        }
        form
    }
}

#[derive(Deserialize)]
struct NumberPage {
    incoming_phone_numbers: Vec<IncomingNumber>,
    #[serde(default)]
    next_page_uri: Option<String>,
}

impl Client {
    fn numbers_url(&self) -> String {
        format!(
            "{}/2010-04-01/Accounts/{}/IncomingPhoneNumbers",
            self.hosts().api,
            segment(self.account_sid())
        )
    }

    /// The account's number `e164` (exactly that number), or `None` when the account has it
    /// not.
    pub async fn find_number(&self, e164: &str) -> Result<Option<IncomingNumber>, ApiError> {
        let mut url = format!("{}.json", self.numbers_url());
        let mut query = vec![("PhoneNumber", e164)];
        // The filter also matches partial numbers and `*` patterns: keep only the exact one.
        loop {
            let page: NumberPage = self.get("list numbers", url, &query).await?;
            if let Some(n) = page
                .incoming_phone_numbers
                .into_iter()
                .find(|n| n.phone_number == e164)
            {
                return Ok(Some(n));
            }
            match page.next_page_uri {
                Some(next) => {
                    url = Client::next_page(&self.hosts().api, &next);
                    query.clear();
                }
                None => return Ok(None),
            }
        }
    }

    /// The number `sid` (`PN…`).
    pub async fn number(&self, sid: &str) -> Result<IncomingNumber, ApiError> {
        let url = format!("{}/{}.json", self.numbers_url(), segment(sid));
        self.get("fetch number", url, &[]).await
    }

    /// Sets the webhooks of number `sid`; the number as Twilio now holds it.
    pub async fn update_number(
        &self,
        sid: &str,
        update: &NumberUpdate,
    ) -> Result<IncomingNumber, ApiError> {
        let url = format!("{}/{}.json", self.numbers_url(), segment(sid));
        self.post("update number", url, &update.form()).await
    }
}

impl IncomingNumber {
    /// The application that takes the number's messages instead of `sms_url`, if any
    /// (Twilio sends an empty string for none).
    pub fn sms_application(&self) -> Option<&str> {
        self.sms_application_sid
            .as_deref()
            .filter(|s| !s.is_empty())
    }

    /// The application that takes the number's calls instead of `voice_url`, if any.
    pub fn voice_application(&self) -> Option<&str> {
        self.voice_application_sid
            .as_deref()
            .filter(|s| !s.is_empty())
    }
}
