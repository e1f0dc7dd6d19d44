//! The webhooks a Twilio number had before `sms-ratings twilio connect` pointed it at this
//! service, kept until `sms-ratings twilio undo` puts them back. One row per number: the
//! first values seen are the original ones, so connecting twice keeps them.

/// A number's webhooks as they were before `twilio connect`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NumberBackup {
    /// The number's SID (`PN…`).
    pub number_sid: String,
    /// The number (E.164).
    pub phone_number: String,
    /// `SmsUrl` (empty: none).
    pub sms_url: String,
    /// `SmsMethod`.
    pub sms_method: String,
    /// `VoiceUrl` (empty: none).
    pub voice_url: String,
    /// `VoiceMethod`.
    pub voice_method: String,
}

/// `$1..$7`: sid, number, sms url, sms method, voice url, voice method, saved at (ms). A row
/// already kept for the number stays (it holds the original values).
pub(crate) const KEEP_SQL: &str = "INSERT INTO twilio_number_backups
    (number_sid, phone_number, sms_url, sms_method, voice_url, voice_method, saved_at)
    VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (number_sid) DO NOTHING";

/// `$1`: sid. Number, sms url, sms method, voice url, voice method.
pub(crate) const GET_SQL: &str = "SELECT phone_number, sms_url, sms_method, voice_url,
    voice_method FROM twilio_number_backups WHERE number_sid = $1";

/// [`GET_SQL`]'s row, deleted (after `twilio undo` restored it).
pub(crate) const FORGET_SQL: &str = "DELETE FROM twilio_number_backups WHERE number_sid = $1
    RETURNING phone_number, sms_url, sms_method, voice_url, voice_method";

/// The text that reads a backup, and deletes it when `forget`.
pub(crate) fn read_sql(forget: bool) -> &'static str {
    if forget { FORGET_SQL } else { GET_SQL }
}
