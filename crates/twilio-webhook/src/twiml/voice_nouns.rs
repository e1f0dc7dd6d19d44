//! The nouns nested inside voice verbs: what `<Dial>` calls, what `<Connect>` connects to,
//! what `<Start>`/`<Stop>` control, and their own children.

use super::macros::element;
use super::{
    CallEvent, ConferenceBeep, ConferenceEvent, ConferenceRecord, ConferenceRegion,
    ConversationEvent, ConversationRecord, JitterBufferSize, Method, RecordingChannels,
    RecordingEvent, RecordingTrack, StreamTrack, Trim,
};

element! {
    /// `<Application>` in `<Dial>`: call a TwiML App.
    Application = "Application", text;
    attrs {
        copy_parent_to: "copyParentTo" bool,
        customer_id: "customerId" str,
        method: "method" enm Method,
        status_callback: "statusCallback" str,
        status_callback_event: "statusCallbackEvent" list CallEvent,
        status_callback_method: "statusCallbackMethod" enm Method,
        url: "url" str,
    }
    children { application_sid: ApplicationSid, parameter: Parameter }
}

element! {
    /// `<ApplicationSid>` in `<Application>`.
    ApplicationSid = "ApplicationSid", text;
    attrs {}
    children {}
}

element! {
    /// `<Client>` in `<Dial>`: call a Voice SDK client by identity.
    Client = "Client", text;
    attrs {
        method: "method" enm Method,
        status_callback: "statusCallback" str,
        status_callback_event: "statusCallbackEvent" list CallEvent,
        status_callback_method: "statusCallbackMethod" enm Method,
        url: "url" str,
    }
    children { identity: Identity, parameter: Parameter }
}

element! {
    /// `<Identity>` in `<Client>`.
    Identity = "Identity", text;
    attrs {}
    children {}
}

element! {
    /// `<Conference>` in `<Dial>`: join the named conference room.
    Conference = "Conference", text;
    attrs {
        beep: "beep" enm ConferenceBeep,
        coach: "coach" str,
        end_conference_on_exit: "endConferenceOnExit" bool,
        event_callback_url: "eventCallbackUrl" str,
        jitter_buffer_size: "jitterBufferSize" enm JitterBufferSize,
        max_participants: "maxParticipants" num,
        muted: "muted" bool,
        participant_label: "participantLabel" str,
        record: "record" enm ConferenceRecord,
        recording_configuration_id: "recordingConfigurationId" str,
        recording_status_callback: "recordingStatusCallback" str,
        recording_status_callback_event: "recordingStatusCallbackEvent" list RecordingEvent,
        recording_status_callback_method: "recordingStatusCallbackMethod" enm Method,
        region: "region" enm ConferenceRegion,
        start_conference_on_enter: "startConferenceOnEnter" bool,
        status_callback: "statusCallback" str,
        status_callback_event: "statusCallbackEvent" list ConferenceEvent,
        status_callback_method: "statusCallbackMethod" enm Method,
        trim: "trim" enm Trim,
        wait_method: "waitMethod" enm Method,
        wait_url: "waitUrl" str,
    }
    children {}
}

element! {
    /// `<Number>` in `<Dial>`: a phone number to call.
    Number = "Number", text;
    attrs {
        amd_status_callback: "amdStatusCallback" str,
        amd_status_callback_method: "amdStatusCallbackMethod" enm Method,
        byoc: "byoc" str,
        machine_detection: "machineDetection" str,
        machine_detection_silence_timeout: "machineDetectionSilenceTimeout" num,
        machine_detection_speech_end_threshold: "machineDetectionSpeechEndThreshold" num,
        machine_detection_speech_threshold: "machineDetectionSpeechThreshold" num,
        machine_detection_timeout: "machineDetectionTimeout" num,
        method: "method" enm Method,
        send_digits: "sendDigits" str,
        status_callback: "statusCallback" str,
        status_callback_event: "statusCallbackEvent" list CallEvent,
        status_callback_method: "statusCallbackMethod" enm Method,
        url: "url" str,
    }
    children {}
}

element! {
    /// `<Queue>` in `<Dial>`: take the next caller from the named queue.
    Queue = "Queue", text;
    attrs {
        method: "method" enm Method,
        post_work_activity_sid: "postWorkActivitySid" str,
        reservation_sid: "reservationSid" str,
        url: "url" str,
    }
    children {}
}

element! {
    /// `<Sim>` in `<Dial>`: call a Twilio SIM by SID.
    Sim = "Sim", text;
    attrs {}
    children {}
}

element! {
    /// `<Sip>` in `<Dial>`: call a SIP URI.
    Sip = "Sip", text;
    attrs {
        amd_status_callback: "amdStatusCallback" str,
        amd_status_callback_method: "amdStatusCallbackMethod" enm Method,
        machine_detection: "machineDetection" str,
        machine_detection_silence_timeout: "machineDetectionSilenceTimeout" num,
        machine_detection_speech_end_threshold: "machineDetectionSpeechEndThreshold" num,
        machine_detection_speech_threshold: "machineDetectionSpeechThreshold" num,
        machine_detection_timeout: "machineDetectionTimeout" num,
        method: "method" enm Method,
        password: "password" str,
        status_callback: "statusCallback" str,
        status_callback_event: "statusCallbackEvent" list CallEvent,
        status_callback_method: "statusCallbackMethod" enm Method,
        url: "url" str,
        username: "username" str,
    }
    children { headers: Headers, uri: SipUri }
}

element! {
    /// `<Headers>` in `<Sip>`.
    Headers = "Headers";
    attrs {}
    children { header: Header }
}

element! {
    /// `<Header>` in `<Headers>`: one custom SIP header.
    Header = "Header";
    attrs { name: "name" str, value: "value" str }
    children {}
}

element! {
    /// `<Uri>` in `<Sip>`: one SIP URI to try, with its credentials and weight.
    SipUri = "Uri", text;
    attrs { password: "password" str, priority: "priority" str, username: "username" str, weight: "weight" str }
    children {}
}

element! {
    /// `<WhatsApp>` in `<Dial>`: a WhatsApp number to call.
    WhatsApp = "WhatsApp", text;
    attrs {
        method: "method" enm Method,
        status_callback: "statusCallback" str,
        status_callback_event: "statusCallbackEvent" list CallEvent,
        status_callback_method: "statusCallbackMethod" enm Method,
        url: "url" str,
    }
    children {}
}

element! {
    /// `<Sip>` in `<Refer>`: the SIP URI to refer the call to.
    ReferSip = "Sip", text;
    attrs {}
    children {}
}

element! {
    /// `<Task>` in `<Enqueue>`: the TaskRouter task's JSON attributes.
    Task = "Task", text;
    attrs { priority: "priority" num, timeout: "timeout" num }
    children {}
}

element! {
    /// `<Parameter>`: a custom name/value passed along (in `<Stream>`, `<Client>`, ...).
    Parameter = "Parameter";
    attrs { name: "name" str, value: "value" str }
    children {}
}

impl Parameter {
    /// `<Parameter name=".." value=".."/>`.
    pub fn pair(name: impl Into<String>, value: impl Into<String>) -> Self {
        Self::new().name(name).value(value)
    }
}

element! {
    /// `<Config>` in `<Transcription>` and `<VirtualAgent>`.
    Config = "Config";
    attrs { name: "name" str, value: "value" str }
    children {}
}

element! {
    /// `<Language>` in `<Assistant>` and `<ConversationRelay>` (named so it does not clash
    /// with the [`Language`](super::Language) code enum).
    RelayLanguage = "Language";
    attrs {
        code: "code" str,
        speech_model: "speechModel" str,
        transcription_provider: "transcriptionProvider" str,
        tts_provider: "ttsProvider" str,
        voice: "voice" str,
    }
    children {}
}

element! {
    /// `<AiSession>` in `<Connect>`.
    AiSession = "AiSession";
    attrs { ai_connector: "aiConnector" str, ai_session_configuration: "aiSessionConfiguration" str }
    children {}
}

element! {
    /// `<Assistant>` in `<Connect>`.
    Assistant = "Assistant";
    attrs {
        debug: "debug" str,
        dtmf_detection: "dtmfDetection" bool,
        elevenlabs_text_normalization: "elevenlabsTextNormalization" str,
        hints: "hints" str,
        id: "id" str,
        intelligence_service: "intelligenceService" str,
        interrupt_sensitivity: "interruptSensitivity" str,
        interruptible: "interruptible" str,
        language: "language" str,
        partial_prompts: "partialPrompts" bool,
        preemptible: "preemptible" bool,
        profanity_filter: "profanityFilter" bool,
        report_input_during_agent_speech: "reportInputDuringAgentSpeech" bool,
        speech_model: "speechModel" str,
        transcription_language: "transcriptionLanguage" str,
        transcription_provider: "transcriptionProvider" str,
        tts_language: "ttsLanguage" str,
        tts_provider: "ttsProvider" str,
        voice: "voice" str,
        welcome_greeting: "welcomeGreeting" str,
        welcome_greeting_interruptible: "welcomeGreetingInterruptible" str,
    }
    children { language_config: RelayLanguage, parameter: Parameter }
}

element! {
    /// `<Autopilot>` in `<Connect>` (a retired product, kept for old documents).
    Autopilot = "Autopilot", text;
    attrs {}
    children {}
}

element! {
    /// `<Conversation>` in `<Connect>`: route the call into a Flex conversation.
    Conversation = "Conversation";
    attrs {
        inbound_autocreation: "inboundAutocreation" bool,
        inbound_timeout: "inboundTimeout" num,
        method: "method" enm Method,
        record: "record" enm ConversationRecord,
        recording_status_callback: "recordingStatusCallback" str,
        recording_status_callback_event: "recordingStatusCallbackEvent" list RecordingEvent,
        recording_status_callback_method: "recordingStatusCallbackMethod" enm Method,
        routing_assignment_timeout: "routingAssignmentTimeout" num,
        service_instance_sid: "serviceInstanceSid" str,
        status_callback: "statusCallback" str,
        status_callback_event: "statusCallbackEvent" list ConversationEvent,
        status_callback_method: "statusCallbackMethod" enm Method,
        trim: "trim" enm Trim,
        url: "url" str,
    }
    children {}
}

element! {
    /// `<ConversationRelay>` in `<Connect>`: speech to and from your WebSocket.
    ConversationRelay = "ConversationRelay";
    attrs {
        background_noise_reduction: "backgroundnoisereduction" str,
        debug: "debug" str,
        deepgram_smart_format: "deepgramsmartformat" str,
        dtmf_detection: "dtmfDetection" bool,
        elevenlabs_text_normalization: "elevenlabsTextNormalization" str,
        events: "events" str,
        hints: "hints" str,
        ignore_backchannel: "ignorebackchannel" str,
        intelligence_service: "intelligenceService" str,
        interrupt_sensitivity: "interruptSensitivity" str,
        interruptible: "interruptible" str,
        language: "language" str,
        partial_prompts: "partialPrompts" bool,
        preemptible: "preemptible" bool,
        profanity_filter: "profanityFilter" bool,
        report_input_during_agent_speech: "reportInputDuringAgentSpeech" bool,
        speech_model: "speechModel" str,
        speech_timeout: "speechtimeout" str,
        transcription_language: "transcriptionLanguage" str,
        transcription_provider: "transcriptionProvider" str,
        tts_language: "ttsLanguage" str,
        tts_provider: "ttsProvider" str,
        url: "url" str,
        voice: "voice" str,
        welcome_greeting: "welcomeGreeting" str,
        welcome_greeting_interruptible: "welcomeGreetingInterruptible" str,
    }
    children { language_config: RelayLanguage, parameter: Parameter }
}

element! {
    /// `<ConversationRelaySession>` in `<Connect>`.
    ConversationRelaySession = "ConversationRelaySession";
    attrs { connector: "connector" str, session_configuration: "sessionConfiguration" str }
    children {}
}

element! {
    /// `<Room>` in `<Connect>`: join a Video room by name.
    Room = "Room", text;
    attrs { participant_identity: "participantIdentity" str }
    children {}
}

element! {
    /// `<Stream>` in `<Connect>`, `<Start>`, `<Stop>`: media over a WebSocket.
    Stream = "Stream";
    attrs {
        connector_name: "connectorName" str,
        name: "name" str,
        status_callback: "statusCallback" str,
        status_callback_method: "statusCallbackMethod" enm Method,
        track: "track" enm StreamTrack,
        url: "url" str,
    }
    children { parameter: Parameter }
}

element! {
    /// `<VirtualAgent>` in `<Connect>`: a Dialogflow CX agent.
    VirtualAgent = "VirtualAgent";
    attrs {
        connector_name: "connectorName" str,
        language: "language" str,
        sentiment_analysis: "sentimentAnalysis" bool,
        status_callback: "statusCallback" str,
        status_callback_method: "statusCallbackMethod" enm Method,
    }
    children { config: Config, parameter: Parameter }
}

element! {
    /// `<Recording>` in `<Start>`: record the call in the background.
    Recording = "Recording";
    attrs {
        channels: "channels" enm RecordingChannels,
        recording_configuration_id: "recordingConfigurationId" str,
        recording_status_callback: "recordingStatusCallback" str,
        recording_status_callback_event: "recordingStatusCallbackEvent" list RecordingEvent,
        recording_status_callback_method: "recordingStatusCallbackMethod" enm Method,
        track: "track" enm RecordingTrack,
        trim: "trim" enm Trim,
    }
    children {}
}

element! {
    /// `<Siprec>` in `<Start>`/`<Stop>`: fork the call to a SIPREC recorder.
    Siprec = "Siprec";
    attrs {
        connector_name: "connectorName" str,
        name: "name" str,
        status_callback: "statusCallback" str,
        status_callback_method: "statusCallbackMethod" enm Method,
        track: "track" enm StreamTrack,
    }
    children { parameter: Parameter }
}

element! {
    /// `<Transcription>` in `<Start>`/`<Stop>`: real-time transcription.
    Transcription = "Transcription";
    attrs {
        enable_automatic_punctuation: "enableAutomaticPunctuation" bool,
        hints: "hints" str,
        inbound_track_label: "inboundTrackLabel" str,
        intelligence_service: "intelligenceService" str,
        language_code: "languageCode" str,
        name: "name" str,
        outbound_track_label: "outboundTrackLabel" str,
        partial_results: "partialResults" bool,
        profanity_filter: "profanityFilter" bool,
        speech_model: "speechModel" str,
        status_callback_method: "statusCallbackMethod" enm Method,
        status_callback_url: "statusCallbackUrl" str,
        track: "track" enm StreamTrack,
        transcription_engine: "transcriptionEngine" str,
    }
    children { config: Config, parameter: Parameter }
}
