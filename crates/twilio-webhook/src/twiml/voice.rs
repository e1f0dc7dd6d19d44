//! The voice response root and its verbs (the direct children of `<Response>`).

use super::macros::element;
use super::ssml::{Break, Emphasis, Lang, P, Phoneme, Prosody, S, SayAs, Sub, W};
use super::{
    AiSession, Application, Assistant, Autopilot, BankAccountType, CardType, Client, Conference,
    Conversation, ConversationRelay, ConversationRelaySession, DialRecord, GatherInput, Language,
    Method, Number, Parameter, PayInput, PaymentMethod, PromptErrorType, PromptFor, Queue,
    Recording, RecordingEvent, RecordingTrack, Redirect, ReferSip, RejectReason, RingTone, Room,
    Sim, Sip, Siprec, Stream, Task, TokenType, Transcription, Trim, Twiml, TwimlError,
    VirtualAgent, Voice, WhatsApp, document,
};

element! {
    /// The root of a reply to a call (or to a voice `action` callback).
    ///
    /// ```
    /// use twilio_webhook::twiml::{Dial, Number, VoiceResponse};
    ///
    /// let xml = VoiceResponse::new()
    ///     .dial(Dial::empty().timeout(5).number(Number::new("+11234567890")))
    ///     .hangup_now()
    ///     .to_xml()?;
    /// assert!(xml.ends_with(r#"<Response><Dial timeout="5"><Number>+11234567890</Number></Dial><Hangup/></Response>"#));
    /// # Ok::<(), twilio_webhook::twiml::TwimlError>(())
    /// ```
    VoiceResponse = "Response";
    attrs {}
    children {
        connect: Connect,
        dial: Dial,
        echo: Echo,
        enqueue: Enqueue,
        gather: Gather,
        hangup: Hangup,
        leave: Leave,
        pause: Pause,
        pay: Pay,
        play: Play,
        prompt: Prompt,
        queue: Queue,
        record: Record,
        redirect: Redirect,
        refer: Refer,
        reject: Reject,
        say: Say,
        sms: Sms,
        start: Start,
        stop: Stop,
    }
}
document!(VoiceResponse);

impl VoiceResponse {
    /// Appends `<Hangup/>`.
    pub fn hangup_now(self) -> Self {
        self.hangup(Hangup::new())
    }

    /// Appends `<Leave/>`.
    pub fn leave_now(self) -> Self {
        self.leave(Leave::new())
    }
}

element! {
    /// `<Connect>`: connect the call to a room, stream, AI session, ...
    Connect = "Connect";
    attrs { action: "action" str, method: "method" enm Method }
    children {
        ai_session: AiSession,
        assistant: Assistant,
        autopilot: Autopilot,
        conversation: Conversation,
        conversation_relay: ConversationRelay,
        conversation_relay_session: ConversationRelaySession,
        room: Room,
        stream: Stream,
        virtual_agent: VirtualAgent,
    }
}

element! {
    /// `<Dial>`: call a number (as text) or the typed parties nested in it.
    Dial = "Dial", text;
    attrs {
        action: "action" str,
        answer_on_bridge: "answerOnBridge" bool,
        caller_id: "callerId" str,
        events: "events" str,
        hangup_on_star: "hangupOnStar" bool,
        method: "method" enm Method,
        record: "record" enm DialRecord,
        recording_configuration_id: "recordingConfigurationId" str,
        recording_status_callback: "recordingStatusCallback" str,
        recording_status_callback_event: "recordingStatusCallbackEvent" list RecordingEvent,
        recording_status_callback_method: "recordingStatusCallbackMethod" enm Method,
        recording_track: "recordingTrack" enm RecordingTrack,
        refer_method: "referMethod" enm Method,
        refer_url: "referUrl" str,
        ring_tone: "ringTone" enm RingTone,
        sequential: "sequential" bool,
        time_limit: "timeLimit" num,
        timeout: "timeout" num,
        trim: "trim" enm Trim,
    }
    children {
        application: Application,
        client: Client,
        conference: Conference,
        number: Number,
        queue: Queue,
        sim: Sim,
        sip: Sip,
        whatsapp: WhatsApp,
    }
}

element! {
    /// `<Echo>`: echo the caller's audio back (testing).
    Echo = "Echo";
    attrs {}
    children {}
}

element! {
    /// `<Enqueue>`: put the caller in the named queue (or a TaskRouter task).
    Enqueue = "Enqueue", text;
    attrs {
        action: "action" str,
        max_queue_size: "maxQueueSize" num,
        method: "method" enm Method,
        wait_url: "waitUrl" str,
        wait_url_method: "waitUrlMethod" enm Method,
        workflow_sid: "workflowSid" str,
    }
    children { task: Task }
}

element! {
    /// `<Gather>`: collect digits or speech while prompting with [`Say`], [`Play`], [`Pause`].
    Gather = "Gather";
    attrs {
        action: "action" str,
        action_on_empty_result: "actionOnEmptyResult" bool,
        barge_in: "bargeIn" bool,
        debug: "debug" bool,
        enhanced: "enhanced" bool,
        finish_on_key: "finishOnKey" str,
        hints: "hints" str,
        input: "input" list GatherInput,
        language: "language" enm Language,
        max_speech_time: "maxSpeechTime" num,
        method: "method" enm Method,
        num_digits: "numDigits" num,
        partial_result_callback: "partialResultCallback" str,
        partial_result_callback_method: "partialResultCallbackMethod" enm Method,
        profanity_filter: "profanityFilter" bool,
        speech_model: "speechModel" str,
        speech_timeout: "speechTimeout" str,
        timeout: "timeout" num,
    }
    children { say: Say, play: Play, pause: Pause }
}

element! {
    /// `<Hangup>`: end the call.
    Hangup = "Hangup";
    attrs {}
    children { parameter: Parameter }
}

element! {
    /// `<Leave>`: leave the queue the caller waits in.
    Leave = "Leave";
    attrs {}
    children {}
}

element! {
    /// `<Pause>`: wait in silence.
    Pause = "Pause";
    attrs { length: "length" num }
    children {}
}

impl Pause {
    /// `<Pause length="seconds"/>`.
    pub fn seconds(seconds: u32) -> Self {
        Self::new().length(seconds)
    }
}

element! {
    /// `<Pay>`: collect a payment.
    Pay = "Pay";
    attrs {
        action: "action" str,
        bank_account_type: "bankAccountType" enm BankAccountType,
        charge_amount: "chargeAmount" str,
        currency: "currency" str,
        description: "description" str,
        input: "input" enm PayInput,
        language: "language" enm Language,
        max_attempts: "maxAttempts" num,
        min_postal_code_length: "minPostalCodeLength" num,
        payment_connector: "paymentConnector" str,
        payment_method: "paymentMethod" enm PaymentMethod,
        postal_code: "postalCode" str,
        security_code: "securityCode" bool,
        status_callback: "statusCallback" str,
        status_callback_method: "statusCallbackMethod" enm Method,
        timeout: "timeout" num,
        token_type: "tokenType" enm TokenType,
        valid_card_types: "validCardTypes" list CardType,
    }
    children { prompt: Prompt, parameter: Parameter }
}

element! {
    /// `<Play>`: play the audio at a URL (or DTMF `digits`).
    Play = "Play", text;
    attrs { digits: "digits" str, loop_: "loop" num }
    children {}
}

element! {
    /// `<Prompt>`: replace one of [`Pay`]'s spoken prompts.
    Prompt = "Prompt";
    attrs {
        attempt: "attempt" nums,
        card_type: "cardType" list CardType,
        error_type: "errorType" list PromptErrorType,
        for_: "for" enm PromptFor,
        require_matching_inputs: "requireMatchingInputs" bool,
    }
    children { say: Say, play: Play, pause: Pause }
}

element! {
    /// `<Record>`: record the caller.
    Record = "Record";
    attrs {
        action: "action" str,
        finish_on_key: "finishOnKey" str,
        max_length: "maxLength" num,
        method: "method" enm Method,
        play_beep: "playBeep" bool,
        recording_configuration_id: "recordingConfigurationId" str,
        recording_status_callback: "recordingStatusCallback" str,
        recording_status_callback_event: "recordingStatusCallbackEvent" list RecordingEvent,
        recording_status_callback_method: "recordingStatusCallbackMethod" enm Method,
        timeout: "timeout" num,
        transcribe: "transcribe" bool,
        transcribe_callback: "transcribeCallback" str,
        trim: "trim" enm Trim,
    }
    children {}
}

element! {
    /// `<Refer>`: transfer a SIP call with a SIP REFER.
    Refer = "Refer";
    attrs { action: "action" str, method: "method" enm Method }
    children { sip: ReferSip }
}

element! {
    /// `<Reject>`: decline the call without answering (no charge).
    Reject = "Reject";
    attrs { reason: "reason" enm RejectReason }
    children { parameter: Parameter }
}

element! {
    /// `<Say>`: text to speech; its content may mix text and [SSML](super::ssml) elements.
    Say = "Say", text;
    attrs { language: "language" enm Language, loop_: "loop" num, voice: "voice" enm Voice }
    children {
        break_: Break,
        emphasis: Emphasis,
        lang: Lang,
        p: P,
        phoneme: Phoneme,
        prosody: Prosody,
        s: S,
        say_as: SayAs,
        sub: Sub,
        w: W,
    }
}

element! {
    /// `<Sms>`: the legacy in-call SMS verb.
    Sms = "Sms", text;
    attrs {
        action: "action" str,
        from: "from" str,
        method: "method" enm Method,
        status_callback: "statusCallback" str,
        to: "to" str,
    }
    children {}
}

element! {
    /// `<Start>`: start a background recording, stream, SIPREC or transcription.
    Start = "Start";
    attrs { action: "action" str, method: "method" enm Method }
    children { recording: Recording, siprec: Siprec, stream: Stream, transcription: Transcription }
}

element! {
    /// `<Stop>`: stop what a [`Start`] began (by name).
    Stop = "Stop";
    attrs {}
    children { siprec: Siprec, stream: Stream, transcription: Transcription }
}
