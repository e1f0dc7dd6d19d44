//! The parameters Twilio sends for each kind of webhook, with realistic made-up values.

use clap::ValueEnum;

/// Which Twilio webhook to imitate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Kind {
    /// An incoming SMS (Messaging webhook).
    Sms,
    /// An incoming MMS: the SMS fields plus `NumMedia`, `MediaUrl{N}`, `MediaContentType{N}`.
    Mms,
    /// An incoming WhatsApp message (`whatsapp:` addresses, `ProfileName`, `WaId`).
    Whatsapp,
    /// An incoming voice call (Voice URL).
    Call,
    /// A message status callback (`MessageStatus=delivered` unless `--param` says otherwise).
    Status,
    /// A `<Gather>` action: the call fields plus `Digits` (`--body` gives the digits).
    Gather,
}

/// What the user chose; everything else is made up per request.
#[derive(Debug, Clone)]
pub(crate) struct Scenario {
    /// The webhook kind.
    pub(crate) kind: Kind,
    /// The sender (E.164); `whatsapp:` is added for WhatsApp.
    pub(crate) from: String,
    /// The receiving Twilio number.
    pub(crate) to: String,
    /// The message text (SMS, MMS, WhatsApp) or the digits (Gather).
    pub(crate) body: Option<String>,
    /// Media URLs (MMS, WhatsApp).
    pub(crate) media: Vec<String>,
    /// The account, `AC` + 32 hex.
    pub(crate) account_sid: String,
    /// `--param` pairs: a name given here replaces every generated value of that name.
    pub(crate) overrides: Vec<(String, String)>,
    /// A recorded webhook's parameters (`--params-file`), sent instead of made-up ones.
    pub(crate) recorded: Option<Vec<(String, String)>>,
}

/// Twilio's API version, sent with every webhook.
const API_VERSION: &str = "2010-04-01";
/// A sample media URL for `--kind mms` without `--media`.
const SAMPLE_MEDIA: &str = "https://api.twilio.com/2010-04-01/Accounts/AC00000000000000000000000000000000/Messages/MM00000000000000000000000000000000/Media/ME00000000000000000000000000000000";

impl Scenario {
    /// The form parameters of one request; `sid` is the 32 hex digits of its Message/Call SID.
    pub(crate) fn params(&self, sid: &str) -> Vec<(String, String)> {
        if let Some(recorded) = &self.recorded {
            return replaced(recorded, &self.overrides);
        }
        let mut p = Params::default();
        match self.kind {
            Kind::Sms | Kind::Mms | Kind::Whatsapp => self.message(&mut p, sid),
            Kind::Status => self.status(&mut p, sid),
            Kind::Call | Kind::Gather => self.call(&mut p, sid),
        }
        p.apply(&self.overrides);
        p.0
    }

    fn message(&self, p: &mut Params, sid: &str) {
        let media = self.media_urls();
        let prefix = if media.is_empty() { "SM" } else { "MM" };
        let message_sid = format!("{prefix}{sid}");
        let body = self
            .body
            .as_deref()
            .unwrap_or("Hello from twilio-webhook send");
        let (from, to) = self.addresses();
        p.push("ToCountry", "US");
        p.push("ToState", "CA");
        p.push("SmsMessageSid", &message_sid);
        p.push("NumMedia", &media.len().to_string());
        p.push("ToCity", "SAN FRANCISCO");
        p.push("FromZip", "94105");
        p.push("SmsSid", &message_sid);
        p.push("FromState", "CA");
        p.push("SmsStatus", "received");
        p.push("FromCity", "SAN FRANCISCO");
        p.push("Body", body);
        p.push("FromCountry", "US");
        p.push("To", &to);
        p.push("ToZip", "94105");
        p.push("NumSegments", &segments(body).to_string());
        p.push("ReferralNumMedia", "0");
        p.push("MessageSid", &message_sid);
        p.push("AccountSid", &self.account_sid);
        p.push("From", &from);
        p.push("ApiVersion", API_VERSION);
        for (i, url) in media.iter().enumerate() {
            p.push(&format!("MediaContentType{i}"), content_type(url));
            p.push(&format!("MediaUrl{i}"), url);
        }
        if self.kind == Kind::Whatsapp {
            p.push("ProfileName", "Ada");
            p.push("WaId", self.from.trim_start_matches('+'));
            p.push(
                "MessageType",
                if media.is_empty() { "text" } else { "image" },
            );
        }
    }

    fn status(&self, p: &mut Params, sid: &str) {
        let sid = format!("SM{sid}");
        let (account, from, to) = (&self.account_sid, &self.to, &self.from);
        p.0 = message_status(&Party { account, from, to }, &sid, "delivered", None);
    }

    fn call(&self, p: &mut Params, sid: &str) {
        let status = if self.kind == Kind::Gather {
            "in-progress"
        } else {
            "ringing"
        };
        p.push("AccountSid", &self.account_sid);
        p.push("ApiVersion", API_VERSION);
        p.push("CallSid", &format!("CA{sid}"));
        p.push("CallStatus", status);
        p.push("Direction", "inbound");
        // Each party with its geography, under the current and the legacy names.
        for (name, number) in [
            ("Called", &self.to),
            ("Caller", &self.from),
            ("From", &self.from),
            ("To", &self.to),
        ] {
            p.push(name, number);
            p.push(&format!("{name}Country"), "US");
            p.push(&format!("{name}State"), "CA");
        }
        // A US caller whose carrier attested the number (SHAKEN/STIR level A), as Twilio
        // reports it; `--param StirVerstat=…` imitates any other verdict.
        p.push("StirVerstat", "TN-Validation-Passed-A");
        if self.kind == Kind::Gather {
            p.push("Digits", self.body.as_deref().unwrap_or("1"));
            p.push("FinishedOnKey", "");
        }
    }

    fn addresses(&self) -> (String, String) {
        if self.kind == Kind::Whatsapp {
            (
                format!("whatsapp:{}", self.from),
                format!("whatsapp:{}", self.to),
            )
        } else {
            (self.from.clone(), self.to.clone())
        }
    }

    fn media_urls(&self) -> Vec<&str> {
        if self.media.is_empty() && self.kind == Kind::Mms {
            vec![SAMPLE_MEDIA]
        } else {
            self.media.iter().map(String::as_str).collect()
        }
    }
}

/// Who a callback is about: the account and the two numbers.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Party<'a> {
    /// `AccountSid`.
    pub(crate) account: &'a str,
    /// `From`.
    pub(crate) from: &'a str,
    /// `To`.
    pub(crate) to: &'a str,
}

/// A message status callback: `MessageStatus` (and `SmsStatus`) `status`, with `ErrorCode`
/// when the message failed.
pub(crate) fn message_status(
    party: &Party<'_>,
    sid: &str,
    status: &str,
    error_code: Option<&str>,
) -> Vec<(String, String)> {
    let mut p = Params::default();
    p.push("SmsSid", sid);
    p.push("SmsStatus", status);
    p.push("MessageStatus", status);
    p.push("To", party.to);
    p.push("MessageSid", sid);
    p.push("AccountSid", party.account);
    p.push("From", party.from);
    p.push("ApiVersion", API_VERSION);
    if let Some(code) = error_code {
        p.push("ErrorCode", code);
    }
    p.0
}

/// `params` with every value of each name in `changes` replaced by the new values.
pub(crate) fn replaced(
    params: &[(String, String)],
    changes: &[(String, String)],
) -> Vec<(String, String)> {
    let mut p = Params(params.to_vec());
    p.apply(changes);
    p.0
}

/// The first value of `name` in `params`.
pub(crate) fn get<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

/// An ordered multimap of parameters, in the order Twilio tends to send them.
#[derive(Default)]
struct Params(Vec<(String, String)>);

impl Params {
    fn push(&mut self, name: &str, value: &str) {
        self.0.push((name.to_owned(), value.to_owned()));
    }

    /// Replaces every generated value of each overridden name by the given values.
    fn apply(&mut self, overrides: &[(String, String)]) {
        self.0
            .retain(|(name, _)| !overrides.iter().any(|(n, _)| n == name));
        self.0.extend(overrides.iter().cloned());
    }
}

/// SMS segments for `body`: 160/153 GSM-7 characters, 70/67 UCS-2 characters.
fn segments(body: &str) -> usize {
    let gsm = body.chars().all(|c| c.is_ascii() && c != '`');
    let (single, multi) = if gsm { (160, 153) } else { (70, 67) };
    let len = if gsm {
        body.len()
    } else {
        body.encode_utf16().count()
    };
    if len <= single {
        1
    } else {
        len.div_ceil(multi)
    }
}

/// The media type Twilio would report for a media URL, guessed from its extension.
fn content_type(url: &str) -> &'static str {
    let path = url.split(['?', '#']).next().unwrap_or(url);
    let ext = path.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase());
    match ext.as_deref() {
        Some("jpg" | "jpeg") => "image/jpeg",
        Some("png") => "image/png",
        Some("gif") => "image/gif",
        Some("mp4") => "video/mp4",
        Some("mp3") => "audio/mpeg",
        Some("pdf") => "application/pdf",
        _ => "image/jpeg",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scenario(kind: Kind) -> Scenario {
        Scenario {
            kind,
            from: "+14155550100".into(),
            to: "+14155550199".into(),
            body: None,
            media: vec![],
            account_sid: format!("AC{}", "0".repeat(32)),
            overrides: vec![],
            recorded: None,
        }
    }

    fn get<'a>(p: &'a [(String, String)], name: &str) -> Vec<&'a str> {
        p.iter()
            .filter(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    #[test]
    fn sms_has_the_fields_twilio_sends() {
        let p = scenario(Kind::Sms).params(&"a".repeat(32));
        assert_eq!(get(&p, "MessageSid"), [format!("SM{}", "a".repeat(32))]);
        assert_eq!(get(&p, "SmsSid"), get(&p, "MessageSid"));
        assert_eq!(get(&p, "NumSegments"), ["1"]);
        assert_eq!(get(&p, "NumMedia"), ["0"]);
        assert_eq!(get(&p, "ApiVersion"), [API_VERSION]);
        assert_eq!(get(&p, "FromCity"), ["SAN FRANCISCO"]);
    }

    #[test]
    fn mms_media_and_whatsapp_addresses() {
        let mut s = scenario(Kind::Mms);
        s.media = vec!["https://x.test/a.png".into(), "https://x.test/b".into()];
        let p = s.params("0");
        assert_eq!(get(&p, "NumMedia"), ["2"]);
        assert_eq!(get(&p, "MediaContentType0"), ["image/png"]);
        assert!(get(&p, "MessageSid")[0].starts_with("MM"));
        let p = scenario(Kind::Whatsapp).params("0");
        assert_eq!(get(&p, "From"), ["whatsapp:+14155550100"]);
        assert_eq!(get(&p, "WaId"), ["14155550100"]);
    }

    #[test]
    fn overrides_replace_every_generated_value() {
        let mut s = scenario(Kind::Status);
        s.overrides = vec![
            ("MessageStatus".into(), "failed".into()),
            ("ErrorCode".into(), "30003".into()),
        ];
        let p = s.params("0");
        assert_eq!(get(&p, "MessageStatus"), ["failed"]);
        assert_eq!(get(&p, "ErrorCode"), ["30003"]);
    }

    #[test]
    fn gather_digits_and_segment_counts() {
        let mut s = scenario(Kind::Gather);
        s.body = Some("42".into());
        assert_eq!(get(&s.params("0"), "Digits"), ["42"]);
        assert_eq!(segments(&"a".repeat(160)), 1);
        assert_eq!(segments(&"a".repeat(161)), 2);
        assert_eq!(segments(&"é".repeat(71)), 2);
    }
}
