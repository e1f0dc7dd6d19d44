//! Typed webhook payloads, read from the parameter pairs the validator verified.
//!
//! ```
//! use twilio_webhook::payload::{Channel, IncomingMessage};
//!
//! let pairs = [
//!     ("MessageSid", "SM0123456789abcdef0123456789abcdef"),
//!     ("AccountSid", "AC0123456789abcdef0123456789abcdef"),
//!     ("From", "+14155550100"),
//!     ("To", "+14155550199"),
//!     ("Body", "VOTE 3"),
//!     ("NumMedia", "0"),
//!     ("SomethingNew", "kept"),
//! ];
//! let msg = IncomingMessage::from_pairs(&pairs)?;
//! assert_eq!(msg.body, "VOTE 3");
//! assert_eq!(msg.channel(), Channel::Sms);
//! assert_eq!(msg.num_media.as_ref().and_then(|n| n.parsed()), Some(&0));
//! assert_eq!(msg.extra.get("SomethingNew"), Some("kept"));
//! # Ok::<(), twilio_webhook::payload::PayloadError>(())
//! ```
//!
//! Rules, because Twilio adds parameters without notice and a webhook must not fail on them:
//! - unknown parameters (and repeats of known ones) are kept in [`Extra`], in order;
//! - a missing or empty optional parameter is `None`;
//! - a number or enum that does not parse is kept as text ([`Lenient::Raw`], `Other(..)`);
//! - only the identifiers a payload cannot mean anything without are required
//!   ([`PayloadError::MissingField`]).
//!
//! Read a payload from exactly the pairs that were verified, never from a second parse.

use std::collections::BTreeMap;
use std::str::FromStr;

use crate::twiml::macros::twiml_enum;

/// Why a payload could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PayloadError {
    /// A parameter the payload is meaningless without is absent or empty.
    #[error("webhook parameter {0} is missing")]
    MissingField(&'static str),
}

/// A value that parsed into `T`, or the text Twilio sent when it did not.
#[derive(Debug, Clone, PartialEq)]
pub enum Lenient<T> {
    /// The value parsed.
    Parsed(T),
    /// The value as sent; it did not parse as `T`.
    Raw(String),
}

impl<T> Lenient<T> {
    /// The parsed value, if it parsed.
    pub fn parsed(&self) -> Option<&T> {
        match self {
            Self::Parsed(v) => Some(v),
            Self::Raw(_) => None,
        }
    }
}

/// Parameters no typed field claimed, in the order received (names may repeat).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Extra(Vec<(String, String)>);

impl Extra {
    /// The first value of `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.get_all(name).next()
    }

    /// Every value of `name`, in order.
    pub fn get_all<'a, 'n>(&'a self, name: &'n str) -> impl Iterator<Item = &'a str> + use<'a, 'n> {
        self.0
            .iter()
            .filter(move |(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// All pairs, in order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(n, v)| (n.as_str(), v.as_str()))
    }

    /// How many pairs.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// Geographic fields Twilio adds when it can resolve them (`FromCity`, `ToZip`, ...).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Geo {
    /// `…City`.
    pub city: Option<String>,
    /// `…State`.
    pub state: Option<String>,
    /// `…Zip`.
    pub zip: Option<String>,
    /// `…Country`.
    pub country: Option<String>,
}

/// One attachment of an incoming message (`MediaUrl{N}` with `MediaContentType{N}`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Media {
    /// `MediaUrl{N}`.
    pub url: String,
    /// `MediaContentType{N}`.
    pub content_type: Option<String>,
}

/// The channel a message came in on, from the `From` address and the attachments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Channel {
    /// A text message without attachments.
    Sms,
    /// A message with attachments on a phone number.
    Mms,
    /// `whatsapp:` addresses.
    WhatsApp,
    /// Another `prefix:` address (`messenger:`, `rcs:`, ...): the prefix.
    Other(String),
}

twiml_enum! {
    /// `MessageStatus` of a message status callback.
    MessageState {
        Accepted = "accepted",
        Scheduled = "scheduled",
        Canceled = "canceled",
        Queued = "queued",
        Sending = "sending",
        Sent = "sent",
        Failed = "failed",
        Delivered = "delivered",
        Undelivered = "undelivered",
        Receiving = "receiving",
        Received = "received",
        Read = "read",
        PartiallyDelivered = "partially_delivered",
    }
}

twiml_enum! {
    /// `CallStatus` of a call.
    CallState {
        Queued = "queued",
        Ringing = "ringing",
        InProgress = "in-progress",
        Completed = "completed",
        Busy = "busy",
        Failed = "failed",
        NoAnswer = "no-answer",
        Canceled = "canceled",
    }
}

twiml_enum! {
    /// `Direction` of a call.
    Direction { Inbound = "inbound", OutboundApi = "outbound-api", OutboundDial = "outbound-dial" }
}

twiml_enum! {
    /// `AnsweredBy` (answering-machine detection).
    AnsweredBy {
        Human = "human",
        MachineStart = "machine_start",
        MachineEndBeep = "machine_end_beep",
        MachineEndSilence = "machine_end_silence",
        MachineEndOther = "machine_end_other",
        Fax = "fax",
        Unknown = "unknown",
    }
}

twiml_enum! {
    /// `RecordingStatus` of a recording status callback.
    RecordingState { InProgress = "in-progress", Completed = "completed", Absent = "absent", Failed = "failed" }
}

twiml_enum! {
    /// `DialCallStatus` of a `<Dial>` action callback.
    DialCallState {
        Completed = "completed",
        Answered = "answered",
        Busy = "busy",
        NoAnswer = "no-answer",
        Failed = "failed",
        Canceled = "canceled",
    }
}

/// Takes fields out of the pairs one by one; what nobody took becomes [`Extra`].
struct Fields<'a> {
    pairs: Vec<(&'a str, &'a str)>,
    taken: Vec<bool>,
}

impl<'a> Fields<'a> {
    fn new<K: AsRef<str>, V: AsRef<str>>(pairs: &'a [(K, V)]) -> Self {
        let pairs: Vec<_> = pairs
            .iter()
            .map(|(k, v)| (k.as_ref(), v.as_ref()))
            .collect();
        let taken = vec![false; pairs.len()];
        Self { pairs, taken }
    }

    /// The first value of `name`, even if empty; later repeats stay for [`Extra`].
    fn raw(&mut self, name: &str) -> Option<&'a str> {
        let i = self.pairs.iter().position(|(n, _)| *n == name)?;
        self.taken[i] = true;
        Some(self.pairs[i].1)
    }

    fn opt(&mut self, name: &str) -> Option<String> {
        self.raw(name).filter(|v| !v.is_empty()).map(str::to_owned)
    }

    fn req(&mut self, name: &'static str) -> Result<String, PayloadError> {
        self.opt(name).ok_or(PayloadError::MissingField(name))
    }

    fn num<T: FromStr>(&mut self, name: &str) -> Option<Lenient<T>> {
        self.opt(name).map(|v| match v.trim().parse() {
            Ok(n) => Lenient::Parsed(n),
            Err(_) => Lenient::Raw(v),
        })
    }

    fn enm<E: From<String>>(&mut self, name: &str) -> Option<E> {
        self.opt(name).map(E::from)
    }

    fn geo(&mut self, prefix: &str) -> Geo {
        Geo {
            city: self.opt(&format!("{prefix}City")),
            state: self.opt(&format!("{prefix}State")),
            zip: self.opt(&format!("{prefix}Zip")),
            country: self.opt(&format!("{prefix}Country")),
        }
    }

    /// `MediaUrl{N}` / `MediaContentType{N}` in index order; a content type without its URL
    /// (or an index that is not a number) stays in [`Extra`].
    fn media(&mut self) -> Vec<Media> {
        let mut urls = BTreeMap::new();
        for (i, (name, _)) in self.pairs.iter().enumerate() {
            let index = name
                .strip_prefix("MediaUrl")
                .and_then(|n| n.parse::<u32>().ok());
            if let Some(n) = index.filter(|_| !self.taken[i]) {
                // The first URL of an index wins; a repeat stays in `Extra`.
                urls.entry(n).or_insert(i);
            }
        }
        urls.into_iter()
            .map(|(n, i)| {
                self.taken[i] = true;
                Media {
                    url: self.pairs[i].1.to_owned(),
                    content_type: self.opt(&format!("MediaContentType{n}")),
                }
            })
            .collect()
    }

    fn extra(self) -> Extra {
        let rest = self
            .pairs
            .into_iter()
            .zip(self.taken)
            .filter(|(_, taken)| !taken);
        Extra(
            rest.map(|((n, v), _)| (n.to_owned(), v.to_owned()))
                .collect(),
        )
    }
}

/// An incoming SMS, MMS or WhatsApp message (the messaging webhook).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct IncomingMessage {
    /// `MessageSid` (falls back to the deprecated `SmsMessageSid` / `SmsSid`).
    pub message_sid: String,
    /// `AccountSid`.
    pub account_sid: String,
    /// `MessagingServiceSid`.
    pub messaging_service_sid: Option<String>,
    /// `From`: E.164 or a channel address such as `whatsapp:+1…`.
    pub from: String,
    /// `To`.
    pub to: String,
    /// `Body`: empty for a media-only message (Twilio sends `Body=`) or when absent.
    pub body: String,
    /// `NumMedia`.
    pub num_media: Option<Lenient<u32>>,
    /// `NumSegments`.
    pub num_segments: Option<Lenient<u32>>,
    /// `MediaUrl{N}` / `MediaContentType{N}`, in index order.
    pub media: Vec<Media>,
    /// `FromCity`, `FromState`, `FromZip`, `FromCountry`.
    pub from_geo: Geo,
    /// `ToCity`, `ToState`, `ToZip`, `ToCountry`.
    pub to_geo: Geo,
    /// `SmsStatus` (`received`).
    pub sms_status: Option<String>,
    /// `ApiVersion`.
    pub api_version: Option<String>,
    /// WhatsApp `ProfileName`.
    pub profile_name: Option<String>,
    /// WhatsApp `WaId` (the sender's WhatsApp id).
    pub wa_id: Option<String>,
    /// WhatsApp `MessageType` (`text`, `image`, `button`, `location`, `interactive`, ...).
    pub message_type: Option<String>,
    /// WhatsApp `ButtonText`.
    pub button_text: Option<String>,
    /// WhatsApp `ButtonPayload`.
    pub button_payload: Option<String>,
    /// `Latitude` of a shared location.
    pub latitude: Option<Lenient<f64>>,
    /// `Longitude` of a shared location.
    pub longitude: Option<Lenient<f64>>,
    /// `Address` of a shared location.
    pub address: Option<String>,
    /// `Label` of a shared location.
    pub label: Option<String>,
    /// `OriginalRepliedMessageSid` (a reply).
    pub original_replied_message_sid: Option<String>,
    /// `OriginalRepliedMessageSender` (a reply).
    pub original_replied_message_sender: Option<String>,
    /// `ChannelMetadata` (JSON text, unparsed).
    pub channel_metadata: Option<String>,
    /// `AddOns` (JSON text, unparsed).
    pub add_ons: Option<String>,
    /// Everything else.
    pub extra: Extra,
}

impl IncomingMessage {
    /// Reads the message; `MessageSid`, `AccountSid`, `From` and `To` are required.
    pub fn from_pairs<K: AsRef<str>, V: AsRef<str>>(
        pairs: &[(K, V)],
    ) -> Result<Self, PayloadError> {
        let mut f = Fields::new(pairs);
        let message_sid = f.opt("MessageSid").or_else(|| f.opt("SmsMessageSid"));
        let message_sid = message_sid
            .or_else(|| f.opt("SmsSid"))
            .ok_or(PayloadError::MissingField("MessageSid"))?;
        Ok(Self {
            message_sid,
            account_sid: f.req("AccountSid")?,
            messaging_service_sid: f.opt("MessagingServiceSid"),
            from: f.req("From")?,
            to: f.req("To")?,
            body: f.opt("Body").unwrap_or_default(),
            num_media: f.num("NumMedia"),
            num_segments: f.num("NumSegments"),
            media: f.media(),
            from_geo: f.geo("From"),
            to_geo: f.geo("To"),
            sms_status: f.opt("SmsStatus"),
            api_version: f.opt("ApiVersion"),
            profile_name: f.opt("ProfileName"),
            wa_id: f.opt("WaId"),
            message_type: f.opt("MessageType"),
            button_text: f.opt("ButtonText"),
            button_payload: f.opt("ButtonPayload"),
            latitude: f.num("Latitude"),
            longitude: f.num("Longitude"),
            address: f.opt("Address"),
            label: f.opt("Label"),
            original_replied_message_sid: f.opt("OriginalRepliedMessageSid"),
            original_replied_message_sender: f.opt("OriginalRepliedMessageSender"),
            channel_metadata: f.opt("ChannelMetadata"),
            add_ons: f.opt("AddOns"),
            extra: f.extra(),
        })
    }

    /// The channel: the `From` address prefix (`whatsapp:`, ...), else MMS when there are
    /// attachments, else SMS.
    pub fn channel(&self) -> Channel {
        match self.from.split_once(':') {
            Some(("whatsapp", _)) => Channel::WhatsApp,
            Some((prefix, _)) if !prefix.starts_with('+') => Channel::Other(prefix.to_owned()),
            _ if !self.media.is_empty() => Channel::Mms,
            _ => Channel::Sms,
        }
    }
}

/// A message status callback.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct MessageStatus {
    /// `MessageSid`.
    pub message_sid: String,
    /// `AccountSid`.
    pub account_sid: String,
    /// `MessageStatus` (falls back to `SmsStatus`).
    pub status: MessageState,
    /// `MessagingServiceSid`.
    pub messaging_service_sid: Option<String>,
    /// `From`.
    pub from: Option<String>,
    /// `To`.
    pub to: Option<String>,
    /// `ApiVersion`.
    pub api_version: Option<String>,
    /// `ErrorCode` (failed / undelivered).
    pub error_code: Option<Lenient<u32>>,
    /// `ErrorMessage`.
    pub error_message: Option<String>,
    /// `RawDlrDoneDate` (carrier timestamp `YYMMDDhhmm`).
    pub raw_dlr_done_date: Option<String>,
    /// `ChannelToAddress`.
    pub channel_to_address: Option<String>,
    /// `ChannelPrefix`.
    pub channel_prefix: Option<String>,
    /// `ChannelInstallSid`.
    pub channel_install_sid: Option<String>,
    /// `ChannelStatusMessage`.
    pub channel_status_message: Option<String>,
    /// `EventType` (WhatsApp / RCS: `READ`, `DELIVERED`, ...).
    pub event_type: Option<String>,
    /// Everything else.
    pub extra: Extra,
}

impl MessageStatus {
    /// Reads the callback; `MessageSid`, `AccountSid` and a status are required.
    pub fn from_pairs<K: AsRef<str>, V: AsRef<str>>(
        pairs: &[(K, V)],
    ) -> Result<Self, PayloadError> {
        let mut f = Fields::new(pairs);
        let message_sid = f.req("MessageSid")?;
        let status = f.enm("MessageStatus").or_else(|| f.enm("SmsStatus"));
        Ok(Self {
            message_sid,
            account_sid: f.req("AccountSid")?,
            status: status.ok_or(PayloadError::MissingField("MessageStatus"))?,
            messaging_service_sid: f.opt("MessagingServiceSid"),
            from: f.opt("From"),
            to: f.opt("To"),
            api_version: f.opt("ApiVersion"),
            error_code: f.num("ErrorCode"),
            error_message: f.opt("ErrorMessage"),
            raw_dlr_done_date: f.opt("RawDlrDoneDate"),
            channel_to_address: f.opt("ChannelToAddress"),
            channel_prefix: f.opt("ChannelPrefix"),
            channel_install_sid: f.opt("ChannelInstallSid"),
            channel_status_message: f.opt("ChannelStatusMessage"),
            event_type: f.opt("EventType"),
            extra: f.extra(),
        })
    }

    /// The natural de-duplication key: a message legitimately reports several statuses.
    pub fn dedupe_key(&self) -> (&str, &str) {
        (&self.message_sid, self.status.as_str())
    }
}

/// The parameters every voice request carries.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Call {
    /// `CallSid`.
    pub call_sid: String,
    /// `AccountSid`.
    pub account_sid: String,
    /// `From`: E.164, `client:<identity>` or a `sip:` URI.
    pub from: Option<String>,
    /// `To`.
    pub to: Option<String>,
    /// `CallStatus`.
    pub call_status: Option<CallState>,
    /// `Direction`.
    pub direction: Option<Direction>,
    /// `ApiVersion`.
    pub api_version: Option<String>,
    /// `ForwardedFrom`.
    pub forwarded_from: Option<String>,
    /// `CallerName` (CNAM).
    pub caller_name: Option<String>,
    /// `ParentCallSid` (child legs).
    pub parent_call_sid: Option<String>,
    /// `CallToken`.
    pub call_token: Option<String>,
    /// `StirVerstat` (SHAKEN/STIR result).
    pub stir_verstat: Option<String>,
    /// `FromCity`, `FromState`, `FromZip`, `FromCountry`.
    pub from_geo: Geo,
    /// `ToCity`, `ToState`, `ToZip`, `ToCountry`.
    pub to_geo: Geo,
}

impl Call {
    fn read(f: &mut Fields<'_>) -> Result<Self, PayloadError> {
        Ok(Self {
            call_sid: f.req("CallSid")?,
            account_sid: f.req("AccountSid")?,
            from: f.opt("From"),
            to: f.opt("To"),
            call_status: f.enm("CallStatus"),
            direction: f.enm("Direction"),
            api_version: f.opt("ApiVersion"),
            forwarded_from: f.opt("ForwardedFrom"),
            caller_name: f.opt("CallerName"),
            parent_call_sid: f.opt("ParentCallSid"),
            call_token: f.opt("CallToken"),
            stir_verstat: f.opt("StirVerstat"),
            from_geo: f.geo("From"),
            to_geo: f.geo("To"),
        })
    }
}

/// Defines a voice payload: the common [`Call`] plus its own fields and [`Extra`].
macro_rules! call_payload {
    ($(#[$m:meta])* $name:ident { $($(#[$fm:meta])* $field:ident: $ty:ty = $how:ident($param:literal)),* $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, PartialEq)]
        #[non_exhaustive]
        pub struct $name {
            /// The standard call parameters.
            pub call: Call,
            $($(#[$fm])* pub $field: $ty,)*
            /// Everything else.
            pub extra: Extra,
        }

        impl $name {
            /// Reads the payload; `CallSid` and `AccountSid` are required.
            pub fn from_pairs<K: AsRef<str>, V: AsRef<str>>(
                pairs: &[(K, V)],
            ) -> Result<Self, PayloadError> {
                let mut f = Fields::new(pairs);
                Ok(Self {
                    call: Call::read(&mut f)?,
                    $($field: f.$how($param),)*
                    extra: f.extra(),
                })
            }
        }
    };
}

call_payload! {
    /// An incoming call (the Voice URL request).
    IncomingCall {}
}

call_payload! {
    /// A call status callback.
    CallStatus {
        /// `CallDuration` (seconds).
        call_duration: Option<Lenient<u32>> = num("CallDuration"),
        /// `Duration` (minutes, billed).
        duration: Option<Lenient<u32>> = num("Duration"),
        /// `Timestamp` (RFC 2822 text).
        timestamp: Option<String> = opt("Timestamp"),
        /// `CallbackSource`.
        callback_source: Option<String> = opt("CallbackSource"),
        /// `SequenceNumber` (orders callbacks that arrive out of order).
        sequence_number: Option<Lenient<u32>> = num("SequenceNumber"),
        /// `SipResponseCode`.
        sip_response_code: Option<Lenient<u32>> = num("SipResponseCode"),
        /// `RecordingUrl`.
        recording_url: Option<String> = opt("RecordingUrl"),
        /// `RecordingSid`.
        recording_sid: Option<String> = opt("RecordingSid"),
        /// `RecordingDuration`.
        recording_duration: Option<Lenient<u32>> = num("RecordingDuration"),
        /// `AnsweredBy`.
        answered_by: Option<AnsweredBy> = enm("AnsweredBy"),
        /// `MachineDetectionDuration` (ms).
        machine_detection_duration: Option<Lenient<u32>> = num("MachineDetectionDuration"),
    }
}

call_payload! {
    /// The `<Gather>` action request: digits and/or speech.
    GatherResult {
        /// `Digits` pressed.
        digits: Option<String> = opt("Digits"),
        /// `FinishedOnKey`.
        finished_on_key: Option<String> = opt("FinishedOnKey"),
        /// `SpeechResult`.
        speech_result: Option<String> = opt("SpeechResult"),
        /// `Confidence` of the speech result (0.0–1.0).
        confidence: Option<Lenient<f64>> = num("Confidence"),
    }
}

call_payload! {
    /// A `<Gather partialResultCallback>` request: speech recognised so far.
    PartialGatherResult {
        /// `UnstableSpeechResult`.
        unstable_speech_result: Option<String> = opt("UnstableSpeechResult"),
        /// `Stability` (0.0–1.0).
        stability: Option<Lenient<f64>> = num("Stability"),
        /// `SequenceNumber`.
        sequence_number: Option<Lenient<u32>> = num("SequenceNumber"),
    }
}

call_payload! {
    /// The `<Record>` action request.
    RecordResult {
        /// `RecordingUrl`.
        recording_url: Option<String> = opt("RecordingUrl"),
        /// `RecordingSid`.
        recording_sid: Option<String> = opt("RecordingSid"),
        /// `RecordingDuration` (seconds).
        recording_duration: Option<Lenient<u32>> = num("RecordingDuration"),
        /// `Digits`: the key that ended the recording, or `hangup`.
        digits: Option<String> = opt("Digits"),
    }
}

call_payload! {
    /// The `<Record transcribeCallback>` request.
    TranscriptionResult {
        /// `TranscriptionSid`.
        transcription_sid: Option<String> = opt("TranscriptionSid"),
        /// `TranscriptionText`.
        transcription_text: Option<String> = opt("TranscriptionText"),
        /// `TranscriptionStatus`.
        transcription_status: Option<String> = opt("TranscriptionStatus"),
        /// `TranscriptionUrl`.
        transcription_url: Option<String> = opt("TranscriptionUrl"),
        /// `RecordingSid`.
        recording_sid: Option<String> = opt("RecordingSid"),
        /// `RecordingUrl`.
        recording_url: Option<String> = opt("RecordingUrl"),
    }
}

call_payload! {
    /// The `<Dial>` action request.
    DialResult {
        /// `DialCallStatus`.
        dial_call_status: Option<DialCallState> = enm("DialCallStatus"),
        /// `DialCallSid`.
        dial_call_sid: Option<String> = opt("DialCallSid"),
        /// `DialCallDuration` (seconds).
        dial_call_duration: Option<Lenient<u32>> = num("DialCallDuration"),
        /// `DialBridged`.
        dial_bridged: Option<Lenient<bool>> = num("DialBridged"),
        /// `RecordingUrl`.
        recording_url: Option<String> = opt("RecordingUrl"),
        /// `DialSipCallId`.
        dial_sip_call_id: Option<String> = opt("DialSipCallId"),
        /// `DialSipResponseCode`.
        dial_sip_response_code: Option<Lenient<u32>> = num("DialSipResponseCode"),
    }
}

/// A `recordingStatusCallback` request (a recording of a call or a conference).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct RecordingStatus {
    /// `AccountSid`.
    pub account_sid: String,
    /// `RecordingSid`.
    pub recording_sid: String,
    /// `CallSid` (absent for conference recordings).
    pub call_sid: Option<String>,
    /// `RecordingUrl`.
    pub recording_url: Option<String>,
    /// `RecordingStatus`.
    pub status: Option<RecordingState>,
    /// `RecordingDuration` (seconds).
    pub recording_duration: Option<Lenient<u32>>,
    /// `RecordingChannels`.
    pub recording_channels: Option<Lenient<u32>>,
    /// `RecordingSource`.
    pub recording_source: Option<String>,
    /// `RecordingStartTime`.
    pub recording_start_time: Option<String>,
    /// `RecordingTrack`.
    pub recording_track: Option<String>,
    /// `ErrorCode`.
    pub error_code: Option<Lenient<u32>>,
    /// Everything else.
    pub extra: Extra,
}

impl RecordingStatus {
    /// Reads the callback; `AccountSid` and `RecordingSid` are required.
    pub fn from_pairs<K: AsRef<str>, V: AsRef<str>>(
        pairs: &[(K, V)],
    ) -> Result<Self, PayloadError> {
        let mut f = Fields::new(pairs);
        Ok(Self {
            account_sid: f.req("AccountSid")?,
            recording_sid: f.req("RecordingSid")?,
            call_sid: f.opt("CallSid"),
            recording_url: f.opt("RecordingUrl"),
            status: f.enm("RecordingStatus"),
            recording_duration: f.num("RecordingDuration"),
            recording_channels: f.num("RecordingChannels"),
            recording_source: f.opt("RecordingSource"),
            recording_start_time: f.opt("RecordingStartTime"),
            recording_track: f.opt("RecordingTrack"),
            error_code: f.num("ErrorCode"),
            extra: f.extra(),
        })
    }
}
