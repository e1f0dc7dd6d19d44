//! Pointing a number at a webhook server, and checking that it points there: the rules both
//! `sms-ratings twilio …` and `twilio-webhook numbers …` follow.
//!
//! Twilio signs the URL exactly as stored in `SmsUrl`/`VoiceUrl`, so "points at" means the
//! very string the server verifies, with POST, and nothing overriding it: an application SID
//! on the number, or a Messaging Service holding the number that sends its messages to the
//! Service's `inbound_request_url` (Twilio error 11210 when that URL is dead).

use std::fmt;

use crate::client::Client;
use crate::error::ApiError;
use crate::messaging::MessagingService;
use crate::numbers::{IncomingNumber, NumberUpdate, Webhook};

/// Where a number should send its messages and calls (both with POST).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The `SmsUrl` the server verifies.
    pub sms: String,
    /// The `VoiceUrl` the server verifies; `None` leaves voice alone.
    pub voice: Option<String>,
}

impl Target {
    /// The update that sets both URLs, methods POST.
    pub fn update(&self) -> NumberUpdate {
        NumberUpdate {
            sms: Some(Webhook::post(&self.sms)),
            voice: self.voice.as_ref().map(Webhook::post),
        }
    }
}

/// A number as found in the account, with the Messaging Services holding it.
#[derive(Debug, Clone)]
pub struct Inspection {
    /// The number.
    pub number: IncomingNumber,
    /// The Messaging Services holding it.
    pub services: Vec<MessagingService>,
}

/// One field that `connect` changes: `field` goes from `old` to `new`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// `SmsUrl`, `SmsMethod`, `VoiceUrl` or `VoiceMethod`.
    pub field: &'static str,
    /// Its value now (empty: none).
    pub old: String,
    /// Its value after.
    pub new: String,
}

impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let old = if self.old.is_empty() {
            "(none)"
        } else {
            &self.old
        };
        write!(f, "{:<12} {old} -> {}", self.field, self.new)
    }
}

/// Asks `question` on the terminal: true only for `y`/`yes`. Without a terminal (a script,
/// a pipe) an error that says to pass `--yes`: nothing is changed unasked.
pub fn ask(question: &str) -> std::io::Result<bool> {
    use std::io::{BufRead, IsTerminal, Write};
    if !std::io::stdin().is_terminal() {
        return Err(std::io::Error::other(
            "not a terminal: add --yes to make the change",
        ));
    }
    print!("{question} [y/N] ");
    std::io::stdout().flush()?;
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    Ok(matches!(answer.trim(), "y" | "Y" | "yes"))
}

/// Something that keeps a number from calling exactly the target.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Problem {
    /// The number calls another URL or method than the target.
    Mismatch {
        /// `SmsUrl` or `VoiceUrl`.
        field: &'static str,
        /// What the number holds.
        found: Webhook,
        /// The URL the server verifies.
        want: String,
    },
    /// An application SID on the number takes its messages or calls instead of the URL.
    Application {
        /// `SmsApplicationSid` or `VoiceApplicationSid`.
        field: &'static str,
        /// `AP…`.
        sid: String,
    },
    /// A Messaging Service holding the number sends its messages to the Service's URL.
    Service(MessagingService),
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Mismatch { field, found, want } => {
                let found_url = if found.url.is_empty() {
                    "nothing"
                } else {
                    &found.url
                };
                write!(
                    f,
                    "{field} is {found_url} ({}), the server verifies {want} (POST): {}",
                    found.method,
                    mismatch(found, want)
                )
            }
            Self::Application { field, sid } => write!(
                f,
                "{field} is {sid}: that application takes the number's {} instead of its URL; \
                 remove it from the number (Console > Phone Numbers > the number)",
                if field.starts_with("Sms") {
                    "messages"
                } else {
                    "calls"
                }
            ),
            Self::Service(s) => write!(
                f,
                "Messaging Service {} \"{}\" holds the number and sends its messages to {} \
                 (use_inbound_webhook_on_number is false); in the Service's Integration \
                 settings choose \"Send a webhook\" with the number's URL, \
                 or connect again with --use-number-webhook",
                s.sid,
                s.friendly_name.as_deref().unwrap_or(""),
                s.inbound_request_url.as_deref().unwrap_or("")
            ),
        }
    }
}

/// Why `found` is not `want`, in words: the classic differences first.
pub fn mismatch(found: &Webhook, want: &str) -> String {
    let url = found.url.as_str();
    if url.is_empty() {
        return "no URL set".into();
    }
    if url == want {
        return format!("the method is {}, not POST", found.method);
    }
    let (found_scheme, found_rest) = url.split_once("://").unwrap_or(("", url));
    let (want_scheme, want_rest) = want.split_once("://").unwrap_or(("", want));
    let authority = |rest: &str| rest.split('/').next().unwrap_or("").to_ascii_lowercase();
    let port = |rest: &str| authority(rest).rsplit_once(':').map(|(_, p)| p.to_owned());
    let host = |rest: &str| {
        let a = authority(rest);
        a.rsplit_once(':').map_or(a.clone(), |(h, _)| h.to_owned())
    };
    if found_scheme != want_scheme && found_rest == want_rest {
        return format!("{found_scheme} instead of {want_scheme}");
    }
    if host(found_rest) != host(want_rest) {
        return "another host".into();
    }
    if port(found_rest) != port(want_rest) {
        return "the port differs".into();
    }
    if url.trim_end_matches('/') == want.trim_end_matches('/') {
        return "a trailing slash differs".into();
    }
    if found_scheme != want_scheme {
        return format!("{found_scheme} instead of {want_scheme}, and the path differs");
    }
    "the path differs".into()
}

impl Inspection {
    /// Finds `e164` in the account and the Messaging Services holding it; `None` when the
    /// account has no such number.
    pub async fn of(client: &Client, e164: &str) -> Result<Option<Self>, ApiError> {
        let Some(number) = client.find_number(e164).await? else {
            return Ok(None);
        };
        let services = client.services_holding(&number.sid).await?;
        Ok(Some(Self { number, services }))
    }

    /// What setting `target` changes (nothing when it is already set).
    pub fn changes(&self, target: &Target) -> Vec<Change> {
        let mut changes = Vec::new();
        let mut diff = |field, old: String, new: &str| {
            if old != new {
                changes.push(Change {
                    field,
                    old,
                    new: new.to_owned(),
                });
            }
        };
        let sms = self.number.sms();
        diff("SmsUrl", sms.url, &target.sms);
        diff("SmsMethod", sms.method, "POST");
        if let Some(voice_url) = &target.voice {
            let voice = self.number.voice();
            diff("VoiceUrl", voice.url, voice_url);
            diff("VoiceMethod", voice.method, "POST");
        }
        changes
    }

    /// What overrides the number's own URLs: application SIDs, overriding Services.
    pub fn overrides(&self) -> Vec<Problem> {
        let apps = [
            ("SmsApplicationSid", self.number.sms_application()),
            ("VoiceApplicationSid", self.number.voice_application()),
        ];
        let mut problems: Vec<Problem> = apps
            .into_iter()
            .filter_map(|(field, sid)| {
                sid.map(|sid| Problem::Application {
                    field,
                    sid: sid.to_owned(),
                })
            })
            .collect();
        problems.extend(
            self.services
                .iter()
                .filter(|s| s.overrides_numbers())
                .cloned()
                .map(Problem::Service),
        );
        problems
    }

    /// Everything that keeps the number from calling exactly `target` with POST.
    pub fn problems(&self, target: &Target) -> Vec<Problem> {
        let mut problems = Vec::new();
        let mut check = |field, found: Webhook, want: &str| {
            if found.url != want || found.method != "POST" {
                problems.push(Problem::Mismatch {
                    field,
                    found,
                    want: want.to_owned(),
                });
            }
        };
        check("SmsUrl", self.number.sms(), &target.sms);
        if let Some(voice) = &target.voice {
            check("VoiceUrl", self.number.voice(), voice);
        }
        problems.extend(self.overrides());
        problems
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mismatches_are_named() {
        let want = "https://r.example.com/sms";
        let said = |url: &str| mismatch(&Webhook::post(url), want);
        assert_eq!(said("http://r.example.com/sms"), "http instead of https");
        assert_eq!(said("https://r.example.com:8443/sms"), "the port differs");
        assert_eq!(
            said("https://r.example.com/sms/"),
            "a trailing slash differs"
        );
        assert_eq!(said("https://r.example.com/message"), "the path differs");
        assert_eq!(said("https://other.example.com/sms"), "another host");
        assert_eq!(said(""), "no URL set");
        let get = Webhook {
            url: want.into(),
            method: "GET".into(),
        };
        assert_eq!(mismatch(&get, want), "the method is GET, not POST");
    }
}
