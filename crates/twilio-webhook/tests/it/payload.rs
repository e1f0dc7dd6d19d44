//! Typed payloads read from realistic form bodies, parsed as the validator parses them.

use twilio_webhook::payload::*;

/// Parses an `application/x-www-form-urlencoded` body into ordered pairs (repeats kept).
fn pairs(body: &str) -> Vec<(String, String)> {
    form_urlencoded::parse(body.as_bytes())
        .into_owned()
        .collect()
}

const SMS: &str = "ToCountry=US&ToState=CA&SmsMessageSid=SM1f0e8ae6ade43cb3c0ce4525424e404f&NumMedia=0&ToCity=SAN+FRANCISCO&FromZip=&SmsSid=SM1f0e8ae6ade43cb3c0ce4525424e404f&FromState=NY&SmsStatus=received&FromCity=NEW+YORK&Body=VOTE+3+%F0%9F%8E%89+%26+thanks%21&FromCountry=US&To=%2B14155550199&ToZip=94105&NumSegments=1&ReferralNumMedia=0&MessageSid=SM1f0e8ae6ade43cb3c0ce4525424e404f&AccountSid=AC0123456789abcdef0123456789abcdef&From=%2B12125550123&ApiVersion=2010-04-01";

#[test]
fn plain_sms() {
    let p = pairs(SMS);
    let msg = IncomingMessage::from_pairs(&p).unwrap();
    assert_eq!(msg.message_sid, "SM1f0e8ae6ade43cb3c0ce4525424e404f");
    assert_eq!(msg.account_sid, "AC0123456789abcdef0123456789abcdef");
    assert_eq!(msg.from, "+12125550123");
    assert_eq!(msg.to, "+14155550199");
    assert_eq!(msg.body, "VOTE 3 🎉 & thanks!");
    assert_eq!(msg.num_media, Some(Lenient::Parsed(0)));
    assert_eq!(msg.num_segments, Some(Lenient::Parsed(1)));
    assert!(msg.media.is_empty());
    assert_eq!(msg.channel(), Channel::Sms);
    assert_eq!(msg.from_geo.city.as_deref(), Some("NEW YORK"));
    assert_eq!(msg.from_geo.zip, None, "FromZip= is empty, so absent");
    assert_eq!(msg.to_geo.zip.as_deref(), Some("94105"));
    assert_eq!(msg.sms_status.as_deref(), Some("received"));
    assert_eq!(msg.api_version.as_deref(), Some("2010-04-01"));
    assert_eq!(msg.profile_name, None);
    // The deprecated duplicates and ReferralNumMedia are not typed: kept, not lost.
    assert_eq!(
        msg.extra.get("SmsSid"),
        Some("SM1f0e8ae6ade43cb3c0ce4525424e404f")
    );
    assert_eq!(
        msg.extra.get("SmsMessageSid"),
        Some("SM1f0e8ae6ade43cb3c0ce4525424e404f")
    );
    assert_eq!(msg.extra.get("ReferralNumMedia"), Some("0"));
    assert_eq!(msg.extra.len(), 3);
}

#[test]
fn borrowed_pairs_work_too() {
    let owned = pairs(SMS);
    let borrowed: Vec<(&str, &str)> = owned
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    assert_eq!(
        IncomingMessage::from_pairs(&borrowed).unwrap(),
        IncomingMessage::from_pairs(&owned).unwrap()
    );
}

#[test]
fn mms_with_three_media_in_index_order() {
    // Out of order on purpose, and index 10 after 2 to prove numeric (not text) ordering.
    let body = "MessageSid=MM00000000000000000000000000000001&AccountSid=AC1&From=%2B12125550123&To=%2B14155550199&Body=&NumMedia=3\
        &MediaContentType10=video%2Fmp4&MediaUrl10=https%3A%2F%2Fapi.twilio.com%2F2010-04-01%2FAccounts%2FAC1%2FMessages%2FMM1%2FMedia%2FME10\
        &MediaUrl0=https%3A%2F%2Fapi.twilio.com%2FMedia%2FME0&MediaContentType0=image%2Fjpeg\
        &MediaUrl2=https%3A%2F%2Fapi.twilio.com%2FMedia%2FME2&MediaContentType7=orphan%2Ftype";
    let msg = IncomingMessage::from_pairs(&pairs(body)).unwrap();
    assert_eq!(msg.body, "");
    assert_eq!(msg.channel(), Channel::Mms);
    assert_eq!(msg.num_media, Some(Lenient::Parsed(3)));
    let urls: Vec<_> = msg
        .media
        .iter()
        .map(|m| (m.url.as_str(), m.content_type.as_deref()))
        .collect();
    assert_eq!(
        urls,
        [
            ("https://api.twilio.com/Media/ME0", Some("image/jpeg")),
            ("https://api.twilio.com/Media/ME2", None),
            (
                "https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME10",
                Some("video/mp4")
            ),
        ]
    );
    assert_eq!(msg.extra.get("MediaContentType7"), Some("orphan/type"));
}

#[test]
fn whatsapp_with_profile_name_and_wa_id() {
    let body = "SmsMessageSid=SM9&NumMedia=0&ProfileName=Ana+Mar%C3%ADa&MessageType=location&SmsSid=SM9&WaId=447700900123&SmsStatus=received\
        &Body=&To=whatsapp%3A%2B14155238886&NumSegments=1&ReferralNumMedia=0&MessageSid=SM9&AccountSid=AC1\
        &From=whatsapp%3A%2B447700900123&ApiVersion=2010-04-01&Latitude=51.5072&Longitude=not-a-number&Address=London&Label=Office\
        &ChannelMetadata=%7B%22type%22%3A%22whatsapp%22%7D&Forwarded=true";
    let msg = IncomingMessage::from_pairs(&pairs(body)).unwrap();
    assert_eq!(msg.channel(), Channel::WhatsApp);
    assert_eq!(msg.from, "whatsapp:+447700900123");
    assert_eq!(msg.profile_name.as_deref(), Some("Ana María"));
    assert_eq!(msg.wa_id.as_deref(), Some("447700900123"));
    assert_eq!(msg.message_type.as_deref(), Some("location"));
    assert_eq!(msg.latitude, Some(Lenient::Parsed(51.5072)));
    assert_eq!(
        msg.longitude,
        Some(Lenient::Raw("not-a-number".into())),
        "kept as text, not an error"
    );
    assert_eq!(msg.address.as_deref(), Some("London"));
    assert_eq!(msg.label.as_deref(), Some("Office"));
    assert_eq!(
        msg.channel_metadata.as_deref(),
        Some(r#"{"type":"whatsapp"}"#)
    );
    assert_eq!(msg.extra.get("Forwarded"), Some("true"));
}

#[test]
fn other_channel_prefix() {
    let msg = IncomingMessage::from_pairs(&[
        ("MessageSid", "SM1"),
        ("AccountSid", "AC1"),
        ("From", "messenger:123"),
        ("To", "messenger:456"),
    ])
    .unwrap();
    assert_eq!(msg.channel(), Channel::Other("messenger".into()));
    assert_eq!(msg.body, "");
}

#[test]
fn missing_required_fields_are_clear_errors() {
    let err = IncomingMessage::from_pairs(&[("AccountSid", "AC1"), ("From", "+1"), ("To", "+2")]);
    assert_eq!(err, Err(PayloadError::MissingField("MessageSid")));
    let err =
        IncomingMessage::from_pairs(&[("MessageSid", "SM1"), ("AccountSid", "AC1"), ("To", "+2")]);
    assert_eq!(err, Err(PayloadError::MissingField("From")));
    let err = IncomingCall::from_pairs(&[("CallSid", "CA1"), ("AccountSid", "")]);
    assert_eq!(err, Err(PayloadError::MissingField("AccountSid")));
    assert_eq!(
        PayloadError::MissingField("From").to_string(),
        "webhook parameter From is missing"
    );
}

#[test]
fn message_status_callback() {
    let body = "SmsSid=SM2&SmsStatus=undelivered&MessageStatus=undelivered&To=%2B14155550199&MessagingServiceSid=MG1\
        &MessageSid=SM2&AccountSid=AC1&From=%2B12125550123&ApiVersion=2010-04-01&ErrorCode=30003&RawDlrDoneDate=2611290645";
    let st = MessageStatus::from_pairs(&pairs(body)).unwrap();
    assert_eq!(st.status, MessageState::Undelivered);
    assert_eq!(st.error_code, Some(Lenient::Parsed(30003)));
    assert_eq!(st.messaging_service_sid.as_deref(), Some("MG1"));
    assert_eq!(st.raw_dlr_done_date.as_deref(), Some("2611290645"));
    assert_eq!(st.dedupe_key(), ("SM2", "undelivered"));
    assert_eq!(st.extra.get("SmsStatus"), Some("undelivered"));

    let new_status = MessageStatus::from_pairs(&[
        ("MessageSid", "SM3"),
        ("AccountSid", "AC1"),
        ("MessageStatus", "teleported"),
        ("ErrorCode", "E-42"),
    ])
    .unwrap();
    assert_eq!(new_status.status, MessageState::Other("teleported".into()));
    assert_eq!(new_status.error_code, Some(Lenient::Raw("E-42".into())));
    assert_eq!(new_status.from, None);
}

const CALL: &str = "AccountSid=AC1&ApiVersion=2010-04-01&CallSid=CA5&CallStatus=in-progress&Called=%2B14155550199&CalledCity=SAN+FRANCISCO\
    &Caller=%2B12125550123&Direction=inbound&From=%2B12125550123&FromCity=NEW+YORK&FromCountry=US&To=%2B14155550199&ToCountry=US\
    &StirVerstat=TN-Validation-Passed-A&CallToken=%7B%22parentCallInfoToken%22%3A%22x%22%7D";

#[test]
fn incoming_call() {
    let call = IncomingCall::from_pairs(&pairs(CALL)).unwrap();
    assert_eq!(call.call.call_sid, "CA5");
    assert_eq!(call.call.call_status, Some(CallState::InProgress));
    assert_eq!(call.call.direction, Some(Direction::Inbound));
    assert_eq!(call.call.from.as_deref(), Some("+12125550123"));
    assert_eq!(
        call.call.stir_verstat.as_deref(),
        Some("TN-Validation-Passed-A")
    );
    assert_eq!(call.call.from_geo.country.as_deref(), Some("US"));
    assert_eq!(call.extra.get("Caller"), Some("+12125550123"));
    assert_eq!(call.extra.get("CalledCity"), Some("SAN FRANCISCO"));
}

#[test]
fn gather_with_digits_and_speech() {
    let body = format!(
        "{CALL}&Digits=3&FinishedOnKey=%23&SpeechResult=Three%2C+please.&Confidence=0.9132&msg=Gather+End"
    );
    let g = GatherResult::from_pairs(&pairs(&body)).unwrap();
    assert_eq!(g.call.call_sid, "CA5");
    assert_eq!(g.digits.as_deref(), Some("3"));
    assert_eq!(g.finished_on_key.as_deref(), Some("#"));
    assert_eq!(g.speech_result.as_deref(), Some("Three, please."));
    assert_eq!(g.confidence, Some(Lenient::Parsed(0.9132)));
    assert_eq!(g.extra.get("msg"), Some("Gather End"));

    let timeout = GatherResult::from_pairs(&pairs(CALL)).unwrap();
    assert_eq!(
        (timeout.digits, timeout.speech_result, timeout.confidence),
        (None, None, None)
    );
}

#[test]
fn partial_gather_result() {
    let body = format!("{CALL}&UnstableSpeechResult=three+pl&Stability=0.4&SequenceNumber=2");
    let p = PartialGatherResult::from_pairs(&pairs(&body)).unwrap();
    assert_eq!(p.unstable_speech_result.as_deref(), Some("three pl"));
    assert_eq!(p.stability, Some(Lenient::Parsed(0.4)));
    assert_eq!(p.sequence_number, Some(Lenient::Parsed(2)));
}

#[test]
fn call_status_with_amd_and_sequence() {
    let body = format!(
        "{CALL}&CallDuration=42&Duration=1&Timestamp=Sun%2C+29+Nov+2026+06%3A45%3A00+%2B0000&CallbackSource=call-progress-events\
         &SequenceNumber=3&AnsweredBy=machine_end_beep&SipResponseCode=200"
    );
    let s = CallStatus::from_pairs(&pairs(&body)).unwrap();
    assert_eq!(s.call_duration, Some(Lenient::Parsed(42)));
    assert_eq!(s.sequence_number, Some(Lenient::Parsed(3)));
    assert_eq!(s.answered_by, Some(AnsweredBy::MachineEndBeep));
    assert_eq!(
        s.timestamp.as_deref(),
        Some("Sun, 29 Nov 2026 06:45:00 +0000")
    );
    assert_eq!(s.sip_response_code, Some(Lenient::Parsed(200)));
}

#[test]
fn record_and_recording_callbacks() {
    let body = format!(
        "{CALL}&RecordingUrl=https%3A%2F%2Fapi.twilio.com%2FRecordings%2FRE1&RecordingSid=RE1&RecordingDuration=7&Digits=hangup"
    );
    let r = RecordResult::from_pairs(&pairs(&body)).unwrap();
    assert_eq!(r.recording_sid.as_deref(), Some("RE1"));
    assert_eq!(r.recording_duration, Some(Lenient::Parsed(7)));
    assert_eq!(r.digits.as_deref(), Some("hangup"));

    let body = "AccountSid=AC1&CallSid=CA5&RecordingSid=RE1&RecordingUrl=https%3A%2F%2Fapi.twilio.com%2FRecordings%2FRE1\
        &RecordingStatus=completed&RecordingDuration=7&RecordingChannels=2&RecordingSource=RecordVerb&RecordingStartTime=Sun%2C+29+Nov+2026+06%3A45%3A00+%2B0000&RecordingTrack=both";
    let s = RecordingStatus::from_pairs(&pairs(body)).unwrap();
    assert_eq!(s.status, Some(RecordingState::Completed));
    assert_eq!(s.recording_channels, Some(Lenient::Parsed(2)));
    assert_eq!(s.call_sid.as_deref(), Some("CA5"));
    assert!(s.extra.is_empty());
    assert_eq!(
        RecordingStatus::from_pairs(&[("AccountSid", "AC1")]),
        Err(PayloadError::MissingField("RecordingSid"))
    );

    let body = format!(
        "{CALL}&TranscriptionSid=TR1&TranscriptionText=hello+there&TranscriptionStatus=completed&RecordingSid=RE1"
    );
    let t = TranscriptionResult::from_pairs(&pairs(&body)).unwrap();
    assert_eq!(t.transcription_text.as_deref(), Some("hello there"));

    let body = format!(
        "{CALL}&DialCallStatus=no-answer&DialCallSid=CA6&DialCallDuration=0&DialBridged=false"
    );
    let d = DialResult::from_pairs(&pairs(&body)).unwrap();
    assert_eq!(d.dial_call_status, Some(DialCallState::NoAnswer));
    assert_eq!(d.dial_bridged, Some(Lenient::Parsed(false)));
}

#[test]
fn unknown_and_repeated_fields_are_kept_in_order() {
    let body = format!(
        "{SMS}&BrandNewParam=1&Body=second+body&BrandNewParam=2&AddOns=%7B%22status%22%3A%22successful%22%7D"
    );
    let msg = IncomingMessage::from_pairs(&pairs(&body)).unwrap();
    assert_eq!(
        msg.body, "VOTE 3 🎉 & thanks!",
        "the first Body is the typed one"
    );
    assert_eq!(
        msg.extra.get("Body"),
        Some("second body"),
        "the repeat is not lost"
    );
    assert_eq!(
        msg.extra.get_all("BrandNewParam").collect::<Vec<_>>(),
        ["1", "2"]
    );
    assert_eq!(msg.add_ons.as_deref(), Some(r#"{"status":"successful"}"#));
    let names: Vec<_> = msg.extra.iter().map(|(n, _)| n).collect();
    assert_eq!(
        names,
        [
            "SmsMessageSid",
            "SmsSid",
            "ReferralNumMedia",
            "BrandNewParam",
            "Body",
            "BrandNewParam"
        ]
    );
}

proptest::proptest! {
    /// Any pairs at all: either a clear MissingField error or a payload; every pair that is
    /// not a typed field survives in `extra` (nothing is lost, nothing panics).
    #[test]
    fn arbitrary_pairs_never_panic(
        extra in proptest::collection::vec(("[A-Za-z0-9]{0,12}", "\\PC{0,12}"), 0..12)
    ) {
        let mut p = vec![
            ("MessageSid".to_owned(), "SM1".to_owned()),
            ("AccountSid".to_owned(), "AC1".to_owned()),
            ("From".to_owned(), "+1".to_owned()),
            ("To".to_owned(), "+2".to_owned()),
        ];
        p.extend(extra.iter().cloned());
        let msg = IncomingMessage::from_pairs(&p).unwrap();
        let typed = msg.extra.len() <= extra.len();
        proptest::prop_assert!(typed);
        let _ = IncomingCall::from_pairs(&extra);
        let _ = MessageStatus::from_pairs(&extra);
        let _ = RecordingStatus::from_pairs(&extra);
    }
}
