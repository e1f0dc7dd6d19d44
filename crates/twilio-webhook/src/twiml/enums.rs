//! Enumerated attribute values. Each has `Other(String)`: Twilio adds voices, languages
//! and events without notice, and a new value must not wait for a crate release.

use super::macros::twiml_enum;

twiml_enum! {
    /// An HTTP method for a callback (`method`, `statusCallbackMethod`, ...).
    Method { Get = "GET", Post = "POST" }
}

twiml_enum! {
    /// `trim` on `<Dial>`, `<Record>`, `<Conference>`, `<Conversation>`, `<Recording>`.
    Trim { TrimSilence = "trim-silence", DoNotTrim = "do-not-trim" }
}

twiml_enum! {
    /// `record` on `<Dial>`.
    DialRecord {
        DoNotRecord = "do-not-record",
        RecordFromAnswer = "record-from-answer",
        RecordFromRinging = "record-from-ringing",
        RecordFromAnswerDual = "record-from-answer-dual",
        RecordFromRingingDual = "record-from-ringing-dual",
    }
}

twiml_enum! {
    /// `record` on `<Conversation>` (the `<Dial>` values plus `true`/`false`).
    ConversationRecord {
        DoNotRecord = "do-not-record",
        RecordFromAnswer = "record-from-answer",
        RecordFromRinging = "record-from-ringing",
        RecordFromAnswerDual = "record-from-answer-dual",
        RecordFromRingingDual = "record-from-ringing-dual",
        True = "true",
        False = "false",
    }
}

twiml_enum! {
    /// `record` on `<Conference>`.
    ConferenceRecord { DoNotRecord = "do-not-record", RecordFromStart = "record-from-start" }
}

twiml_enum! {
    /// A `recordingStatusCallbackEvent` list item.
    RecordingEvent { InProgress = "in-progress", Completed = "completed", Absent = "absent" }
}

twiml_enum! {
    /// `recordingTrack` on `<Dial>`, `track` on `<Recording>`.
    RecordingTrack { Both = "both", Inbound = "inbound", Outbound = "outbound" }
}

twiml_enum! {
    /// `channels` on `<Recording>`.
    RecordingChannels { Mono = "mono", Dual = "dual" }
}

twiml_enum! {
    /// `ringTone` on `<Dial>` (a country's ringback tone).
    RingTone {
        At = "at",
        Au = "au",
        Bg = "bg",
        Br = "br",
        Be = "be",
        Ch = "ch",
        Cl = "cl",
        Cn = "cn",
        Cz = "cz",
        De = "de",
        Dk = "dk",
        Ee = "ee",
        Es = "es",
        Fi = "fi",
        Fr = "fr",
        Gr = "gr",
        Hu = "hu",
        Il = "il",
        In = "in",
        It = "it",
        Lt = "lt",
        Jp = "jp",
        Mx = "mx",
        My = "my",
        Nl = "nl",
        No = "no",
        Nz = "nz",
        Ph = "ph",
        Pl = "pl",
        Pt = "pt",
        Ru = "ru",
        Se = "se",
        Sg = "sg",
        Th = "th",
        Uk = "uk",
        Us = "us",
        UsOld = "us-old",
        Tw = "tw",
        Ve = "ve",
        Za = "za",
    }
}

twiml_enum! {
    /// A `statusCallbackEvent` list item of a dialled party (`<Number>`, `<Client>`, ...).
    CallEvent { Initiated = "initiated", Ringing = "ringing", Answered = "answered", Completed = "completed" }
}

twiml_enum! {
    /// A `statusCallbackEvent` list item of `<Conference>`.
    ConferenceEvent {
        Start = "start",
        End = "end",
        Join = "join",
        Leave = "leave",
        Mute = "mute",
        Hold = "hold",
        Modify = "modify",
        Speaker = "speaker",
        Announcement = "announcement",
    }
}

twiml_enum! {
    /// A `statusCallbackEvent` list item of `<Conversation>`.
    ConversationEvent {
        CallInitiated = "call-initiated",
        CallRinging = "call-ringing",
        CallAnswered = "call-answered",
        CallCompleted = "call-completed",
    }
}

twiml_enum! {
    /// `beep` on `<Conference>`.
    ConferenceBeep { True = "true", False = "false", OnEnter = "onEnter", OnExit = "onExit" }
}

twiml_enum! {
    /// `jitterBufferSize` on `<Conference>`.
    JitterBufferSize { Large = "large", Medium = "medium", Small = "small", Off = "off" }
}

twiml_enum! {
    /// `region` on `<Conference>`.
    ConferenceRegion {
        Us1 = "us1", Us2 = "us2", Ie1 = "ie1", Sg1 = "sg1", Br1 = "br1", Au1 = "au1", Jp1 = "jp1", De1 = "de1",
    }
}

twiml_enum! {
    /// An `input` list item of `<Gather>`.
    GatherInput { Dtmf = "dtmf", Speech = "speech" }
}

twiml_enum! {
    /// `input` on `<Pay>`.
    PayInput { Dtmf = "dtmf" }
}

twiml_enum! {
    /// `reason` on `<Reject>`.
    RejectReason { Rejected = "rejected", Busy = "busy" }
}

twiml_enum! {
    /// `track` on `<Stream>`, `<Siprec>`, `<Transcription>`.
    StreamTrack { InboundTrack = "inbound_track", OutboundTrack = "outbound_track", BothTracks = "both_tracks" }
}

twiml_enum! {
    /// `bankAccountType` on `<Pay>`.
    BankAccountType {
        ConsumerChecking = "consumer-checking",
        ConsumerSavings = "consumer-savings",
        CommercialChecking = "commercial-checking",
        CommercialSavings = "commercial-savings",
    }
}

twiml_enum! {
    /// `paymentMethod` on `<Pay>`.
    PaymentMethod { AchDebit = "ach-debit", CreditCard = "credit-card" }
}

twiml_enum! {
    /// `tokenType` on `<Pay>`.
    TokenType { OneTime = "one-time", Reusable = "reusable", PaymentMethod = "payment-method" }
}

twiml_enum! {
    /// A card brand (`validCardTypes` on `<Pay>`, `cardType` on `<Prompt>`).
    CardType {
        Visa = "visa",
        Mastercard = "mastercard",
        Amex = "amex",
        Maestro = "maestro",
        Discover = "discover",
        Optima = "optima",
        Jcb = "jcb",
        DinersClub = "diners-club",
        Enroute = "enroute",
    }
}

twiml_enum! {
    /// An `errorType` list item of `<Prompt>`.
    PromptErrorType {
        Timeout = "timeout",
        InvalidCardNumber = "invalid-card-number",
        InvalidCardType = "invalid-card-type",
        InvalidDate = "invalid-date",
        InvalidSecurityCode = "invalid-security-code",
        InternalError = "internal-error",
        InputMatchingFailed = "input-matching-failed",
    }
}

twiml_enum! {
    /// `for` on `<Prompt>`: which step of `<Pay>` the prompt replaces.
    PromptFor {
        PaymentCardNumber = "payment-card-number",
        ExpirationDate = "expiration-date",
        SecurityCode = "security-code",
        PostalCode = "postal-code",
        PaymentProcessing = "payment-processing",
        BankAccountNumber = "bank-account-number",
        BankRoutingNumber = "bank-routing-number",
    }
}

twiml_enum! {
    /// `voice` on `<Say>`. Twilio lists some 900 Polly and Google voices that churn often:
    /// use [`Voice::polly`] / [`Voice::google`] rather than a variant per voice.
    Voice { Man = "man", Woman = "woman", Alice = "alice" }
}

impl Voice {
    /// An Amazon Polly voice: `Voice::polly("Joanna-Neural")` is `Polly.Joanna-Neural`.
    pub fn polly(name: &str) -> Self {
        Self::Other(format!("Polly.{name}"))
    }

    /// A Google voice: `Voice::google("en-US-Neural2-F")` is `Google.en-US-Neural2-F`.
    pub fn google(name: &str) -> Self {
        Self::Other(format!("Google.{name}"))
    }
}

twiml_enum! {
    /// A language code (`language` on `<Say>`, `<Gather>`, `<Pay>`; `xml:lang` on SSML
    /// `<lang>`): the union of the values Twilio's generator lists for them.
    Language {
        AfZa = "af-ZA",
        AmEt = "am-ET",
        ArAe = "ar-AE",
        ArXa = "ar-XA",
        Arb = "arb",
        BgBg = "bg-BG",
        BnIn = "bn-IN",
        CaEs = "ca-ES",
        CmnCn = "cmn-CN",
        CmnTw = "cmn-TW",
        CsCz = "cs-CZ",
        CyGb = "cy-GB",
        DaDk = "da-DK",
        DeAt = "de-AT",
        DeDe = "de-DE",
        ElGr = "el-GR",
        EnAu = "en-AU",
        EnCa = "en-CA",
        EnGb = "en-GB",
        EnGbWls = "en-GB-WLS",
        EnIe = "en-IE",
        EnIn = "en-IN",
        EnNz = "en-NZ",
        EnUs = "en-US",
        EnZa = "en-ZA",
        EsEs = "es-ES",
        EsMx = "es-MX",
        EsUs = "es-US",
        FiFi = "fi-FI",
        FilPh = "fil-PH",
        FrCa = "fr-CA",
        FrFr = "fr-FR",
        FrBe = "fr-BE",
        GuIn = "gu-IN",
        HeIl = "he-IL",
        HiIn = "hi-IN",
        HuHu = "hu-HU",
        IdId = "id-ID",
        IsIs = "is-IS",
        ItIt = "it-IT",
        JaJp = "ja-JP",
        KnIn = "kn-IN",
        KoKr = "ko-KR",
        LvLv = "lv-LV",
        MlIn = "ml-IN",
        MrIn = "mr-IN",
        MsMy = "ms-MY",
        NbNo = "nb-NO",
        NlBe = "nl-BE",
        NlNl = "nl-NL",
        PaIn = "pa-IN",
        PlPl = "pl-PL",
        PtBr = "pt-BR",
        PtPt = "pt-PT",
        RoRo = "ro-RO",
        RuRu = "ru-RU",
        SkSk = "sk-SK",
        SrRs = "sr-RS",
        SvSe = "sv-SE",
        TaIn = "ta-IN",
        TeIn = "te-IN",
        ThTh = "th-TH",
        TrTr = "tr-TR",
        UkUa = "uk-UA",
        ViVn = "vi-VN",
        YueHk = "yue-HK",
        ZhCn = "zh-CN",
        ZhHk = "zh-HK",
        ZhTw = "zh-TW",
        ArBh = "ar-BH",
        ArDz = "ar-DZ",
        ArEg = "ar-EG",
        ArIl = "ar-IL",
        ArIq = "ar-IQ",
        ArJo = "ar-JO",
        ArKw = "ar-KW",
        ArLb = "ar-LB",
        ArMa = "ar-MA",
        ArOm = "ar-OM",
        ArPs = "ar-PS",
        ArQa = "ar-QA",
        ArSa = "ar-SA",
        ArTn = "ar-TN",
        AzAz = "az-AZ",
        BnBd = "bn-BD",
        EnGh = "en-GH",
        EnKe = "en-KE",
        EnNg = "en-NG",
        EnPh = "en-PH",
        EnSg = "en-SG",
        EnTz = "en-TZ",
        EsAr = "es-AR",
        EsBo = "es-BO",
        EsCl = "es-CL",
        EsCo = "es-CO",
        EsCr = "es-CR",
        EsDo = "es-DO",
        EsEc = "es-EC",
        EsGt = "es-GT",
        EsHn = "es-HN",
        EsNi = "es-NI",
        EsPa = "es-PA",
        EsPe = "es-PE",
        EsPr = "es-PR",
        EsPy = "es-PY",
        EsSv = "es-SV",
        EsUy = "es-UY",
        EsVe = "es-VE",
        EtEe = "et-EE",
        EuEs = "eu-ES",
        FaIr = "fa-IR",
        GlEs = "gl-ES",
        HrHr = "hr-HR",
        HyAm = "hy-AM",
        JvId = "jv-ID",
        KaGe = "ka-GE",
        KmKh = "km-KH",
        LoLa = "lo-LA",
        LtLt = "lt-LT",
        MkMk = "mk-MK",
        MnMn = "mn-MN",
        MyMm = "my-MM",
        NarIq = "nar-IQ",
        NeNp = "ne-NP",
        PaGuruIn = "pa-guru-IN",
        SiLk = "si-LK",
        SlSi = "sl-SI",
        SqAl = "sq-AL",
        SuId = "su-ID",
        SwKe = "sw-KE",
        SwTz = "sw-TZ",
        TaLk = "ta-LK",
        TaMy = "ta-MY",
        TaSg = "ta-SG",
        UrIn = "ur-IN",
        UrPk = "ur-PK",
        UzUz = "uz-UZ",
        YueHantHk = "yue-Hant-HK",
        Zh = "zh",
        CmnHansCn = "cmn-Hans-CN",
        CmnHantTw = "cmn-Hant-TW",
        ZuZa = "zu-ZA",
        Lang = "lang",
    }
}
