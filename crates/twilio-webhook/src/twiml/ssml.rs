//! SSML inside `<Say>`: lower-case elements whose nesting follows Twilio's generator
//! (`<w>` takes no `<p>`, `<s>` takes no `<p>` or `<s>`, ...).
//!
//! ```
//! use twilio_webhook::twiml::{Say, VoiceResponse};
//! use twilio_webhook::twiml::ssml::{Break, BreakStrength, Emphasis, SayAs, SayAsInterpretAs};
//!
//! let xml = VoiceResponse::new()
//!     .say(
//!         Say::new("Your code is ")
//!             .say_as(SayAs::new("1234").interpret_as(SayAsInterpretAs::Digits))
//!             .break_(Break::new().strength(BreakStrength::Strong))
//!             .emphasis(Emphasis::new("Goodbye")),
//!     )
//!     .to_xml()?;
//! assert!(xml.ends_with(r#"<Say>Your code is <say-as interpret-as="digits">1234</say-as><break strength="strong"/><emphasis>Goodbye</emphasis></Say></Response>"#));
//! # Ok::<(), twilio_webhook::twiml::TwimlError>(())
//! ```

use super::Language;
use super::macros::{element, twiml_enum};

twiml_enum! {
    /// `strength` on `<break>`.
    BreakStrength {
        None = "none", XWeak = "x-weak", Weak = "weak", Medium = "medium", Strong = "strong", XStrong = "x-strong",
    }
}

twiml_enum! {
    /// `level` on `<emphasis>`.
    EmphasisLevel { Strong = "strong", Moderate = "moderate", Reduced = "reduced" }
}

twiml_enum! {
    /// `alphabet` on `<phoneme>`.
    PhonemeAlphabet {
        Ipa = "ipa",
        XSampa = "x-sampa",
        XAmazonJyutping = "x-amazon-jyutping",
        XAmazonPinyin = "x-amazon-pinyin",
        XAmazonPronKana = "x-amazon-pron-kana",
        XAmazonYomigana = "x-amazon-yomigana",
    }
}

twiml_enum! {
    /// `format` on `<say-as>` (for dates).
    SayAsFormat {
        Mdy = "mdy", Dmy = "dmy", Ymd = "ymd", Md = "md", Dm = "dm", Ym = "ym", My = "my",
        D = "d", M = "m", Y = "y", Yyyymmdd = "yyyymmdd",
    }
}

twiml_enum! {
    /// `interpret-as` on `<say-as>`.
    SayAsInterpretAs {
        Characters = "characters",
        SpellOut = "spell-out",
        Cardinal = "cardinal",
        Number = "number",
        Ordinal = "ordinal",
        Digits = "digits",
        Fraction = "fraction",
        Unit = "unit",
        Date = "date",
        Time = "time",
        Address = "address",
        Expletive = "expletive",
        Telephone = "telephone",
    }
}

element! {
    /// `<break>`: a pause in speech.
    Break = "break";
    attrs { strength: "strength" enm BreakStrength, time: "time" str }
    children {}
}

element! {
    /// `<emphasis>`: stress the words.
    Emphasis = "emphasis", text;
    attrs { level: "level" enm EmphasisLevel }
    children {
        break_: Break, emphasis: Emphasis, lang: Lang, phoneme: Phoneme, prosody: Prosody,
        say_as: SayAs, sub: Sub, w: W,
    }
}

element! {
    /// `<lang>`: speak the words in another language.
    Lang = "lang", text;
    attrs { xml_lang: "xml:lang" enm Language }
    children {
        break_: Break, emphasis: Emphasis, lang: Lang, p: P, phoneme: Phoneme, prosody: Prosody,
        s: S, say_as: SayAs, sub: Sub, w: W,
    }
}

element! {
    /// `<p>`: a paragraph.
    P = "p", text;
    attrs {}
    children {
        break_: Break, emphasis: Emphasis, lang: Lang, phoneme: Phoneme, prosody: Prosody,
        s: S, say_as: SayAs, sub: Sub, w: W,
    }
}

element! {
    /// `<phoneme>`: a phonetic pronunciation.
    Phoneme = "phoneme", text;
    attrs { alphabet: "alphabet" enm PhonemeAlphabet, ph: "ph" str }
    children {}
}

element! {
    /// `<prosody>`: pitch, rate and volume (free strings such as `x-low`, `+5%`, `-6dB`).
    Prosody = "prosody", text;
    attrs { pitch: "pitch" str, rate: "rate" str, volume: "volume" str }
    children {
        break_: Break, emphasis: Emphasis, lang: Lang, p: P, phoneme: Phoneme, prosody: Prosody,
        s: S, say_as: SayAs, sub: Sub, w: W,
    }
}

element! {
    /// `<s>`: a sentence.
    S = "s", text;
    attrs {}
    children {
        break_: Break, emphasis: Emphasis, lang: Lang, phoneme: Phoneme, prosody: Prosody,
        say_as: SayAs, sub: Sub, w: W,
    }
}

element! {
    /// `<say-as>`: how to read the words (digits, a date, spelled out, ...).
    SayAs = "say-as", text;
    attrs { format: "format" enm SayAsFormat, interpret_as: "interpret-as" enm SayAsInterpretAs }
    children {}
}

element! {
    /// `<sub>`: say `alias` instead of the words.
    Sub = "sub", text;
    attrs { alias: "alias" str }
    children {}
}

element! {
    /// `<w>`: a word with a part-of-speech `role`.
    W = "w", text;
    attrs { role: "role" str }
    children { break_: Break, emphasis: Emphasis, phoneme: Phoneme, prosody: Prosody, say_as: SayAs, sub: Sub }
}
