//! The verbs `send` follows, with the attributes that change what Twilio does next.
//! Everything else is kept by name only ([`Verb::Other`]) and reported, never fatal.

use super::Element;
use crate::send::twilio::Method;

/// One verb of a `<Response>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Verb {
    /// `<Message>`: a reply text (messaging).
    Message(Message),
    /// `<Redirect>`: fetch TwiML from another URL.
    Redirect(Redirect),
    /// `<Say>`: text read to the caller.
    Say {
        /// The text.
        text: String,
        /// How many times (0 = until the call ends).
        times: u32,
    },
    /// `<Play>`: an audio URL, or DTMF tones with `digits`.
    Play {
        /// The audio URL (may be empty when `digits` is set).
        url: String,
        /// DTMF tones played.
        digits: Option<String>,
    },
    /// `<Pause length>` in seconds.
    Pause(u32),
    /// `<Gather>`: collect digits or speech.
    Gather(Gather),
    /// `<Hangup>`.
    Hangup,
    /// `<Reject>`; `busy` when `reason="busy"`.
    Reject {
        /// Whether the reason is `busy` (else `rejected`).
        busy: bool,
    },
    /// `<Dial>`: connect the caller elsewhere.
    Dial(Dial),
    /// `<Record>`: record the caller.
    Record(Record),
    /// A verb `send` does not follow, by name.
    Other(String),
}

/// A URL with the method to request it with: `<Redirect>`, or an `action`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Redirect {
    /// The URL as written (relative or absolute).
    pub(crate) url: String,
    /// `method` (default POST).
    pub(crate) method: Method,
}

/// `<Message>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Message {
    /// Direct text plus any `<Body>`.
    pub(crate) body: String,
    /// `<Media>` URLs.
    pub(crate) media: Vec<String>,
    /// `to` (default: the sender of the inbound message).
    pub(crate) to: Option<String>,
    /// `from` (default: the number that received it).
    pub(crate) from: Option<String>,
    /// `action` with `method`, else the deprecated `statusCallback` (always POST).
    pub(crate) callback: Option<Redirect>,
}

/// `<Gather>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Gather {
    /// `action` with `method`; no `action` means the current URL.
    pub(crate) action: Option<String>,
    /// `method` for the action (default POST).
    pub(crate) method: Method,
    /// `finishOnKey` (default `#`; empty: none).
    pub(crate) finish_on_key: String,
    /// `numDigits` (default: unlimited).
    pub(crate) num_digits: Option<usize>,
    /// `timeout` in seconds (default 5).
    pub(crate) timeout: u32,
    /// `input` contains `dtmf` (the default).
    pub(crate) dtmf: bool,
    /// `input` contains `speech`.
    pub(crate) speech: bool,
    /// `actionOnEmptyResult`: post the action even without input.
    pub(crate) action_on_empty_result: bool,
    /// The nested `<Say>`/`<Play>`/`<Pause>`, in order.
    pub(crate) prompts: Vec<Verb>,
}

/// `<Dial>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Dial {
    /// Who is called: the number text or the nouns inside (`Number`, `Client`, …).
    pub(crate) target: String,
    /// `action`: requested when the dialled call ends; without it the call goes on.
    pub(crate) action: Option<Redirect>,
}

/// `<Record>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Record {
    /// `action` with `method`; no `action` means the current URL.
    pub(crate) action: Option<String>,
    /// `method` for the action (default POST).
    pub(crate) method: Method,
    /// `maxLength` in seconds (default 3600).
    pub(crate) max_length: u32,
}

impl Verb {
    /// The verb read from `el`.
    pub(crate) fn read(el: &Element) -> Verb {
        match el.name.as_str() {
            "Message" => Verb::Message(message(el)),
            "Redirect" => Verb::Redirect(Redirect {
                url: el.text.trim().to_owned(),
                method: method(el),
            }),
            "Say" => Verb::Say {
                text: el.text.trim().to_owned(),
                times: number(el, "loop", 1),
            },
            "Play" => Verb::Play {
                url: el.text.trim().to_owned(),
                digits: el.attr("digits").map(str::to_owned),
            },
            "Pause" => Verb::Pause(number(el, "length", 1)),
            "Gather" => Verb::Gather(gather(el)),
            "Hangup" => Verb::Hangup,
            "Reject" => Verb::Reject {
                busy: el.attr("reason") == Some("busy"),
            },
            "Dial" => Verb::Dial(dial(el)),
            "Record" => Verb::Record(Record {
                action: el.attr("action").map(str::to_owned),
                method: method(el),
                max_length: number(el, "maxLength", 3600),
            }),
            other => Verb::Other(other.to_owned()),
        }
    }

    /// A verb nested in `<Gather>`: `<Say>`, `<Play>` and `<Pause>` are read, anything else
    /// (a `<Gather>` inside a `<Gather>` too) is kept by name, so reading never recurses.
    fn prompt(el: &Element) -> Verb {
        match el.name.as_str() {
            "Say" | "Play" | "Pause" => Verb::read(el),
            other => Verb::Other(other.to_owned()),
        }
    }

    /// The element name.
    pub(crate) fn name(&self) -> &str {
        match self {
            Verb::Message(_) => "Message",
            Verb::Redirect(_) => "Redirect",
            Verb::Say { .. } => "Say",
            Verb::Play { .. } => "Play",
            Verb::Pause(_) => "Pause",
            Verb::Gather(_) => "Gather",
            Verb::Hangup => "Hangup",
            Verb::Reject { .. } => "Reject",
            Verb::Dial(_) => "Dial",
            Verb::Record(_) => "Record",
            Verb::Other(name) => name,
        }
    }
}

fn message(el: &Element) -> Message {
    let mut body = el.text.trim().to_owned();
    let mut media = Vec::new();
    for child in &el.children {
        match child.name.as_str() {
            "Body" => body.push_str(child.text.trim()),
            "Media" => media.push(child.text.trim().to_owned()),
            _ => {}
        }
    }
    let callback = match (el.attr("action"), el.attr("statusCallback")) {
        (Some(url), _) => Some(Redirect {
            url: url.to_owned(),
            method: method(el),
        }),
        (None, Some(url)) => Some(Redirect {
            url: url.to_owned(),
            method: Method::Post,
        }),
        (None, None) => None,
    };
    Message {
        body,
        media,
        to: el.attr("to").map(str::to_owned),
        from: el.attr("from").map(str::to_owned),
        callback,
    }
}

fn gather(el: &Element) -> Gather {
    let input = el.attr("input").unwrap_or("dtmf");
    let has = |kind: &str| input.split_ascii_whitespace().any(|i| i == kind);
    Gather {
        action: el.attr("action").map(str::to_owned),
        method: method(el),
        finish_on_key: el.attr("finishOnKey").unwrap_or("#").to_owned(),
        num_digits: el.attr("numDigits").and_then(|n| n.trim().parse().ok()),
        timeout: number(el, "timeout", 5),
        dtmf: has("dtmf"),
        speech: has("speech"),
        action_on_empty_result: el.attr("actionOnEmptyResult") == Some("true"),
        prompts: el.children.iter().map(Verb::prompt).collect(),
    }
}

fn dial(el: &Element) -> Dial {
    let mut target = el.text.trim().to_owned();
    for noun in &el.children {
        if !target.is_empty() {
            target.push_str(", ");
        }
        target.push_str(&format!("{} {}", noun.name, noun.text.trim()));
    }
    Dial {
        target: target.trim().to_owned(),
        action: el.attr("action").map(|url| Redirect {
            url: url.to_owned(),
            method: method(el),
        }),
    }
}

/// `method`: GET or POST (Twilio's default), any case.
fn method(el: &Element) -> Method {
    match el.attr("method") {
        Some(m) if m.trim().eq_ignore_ascii_case("GET") => Method::Get,
        _ => Method::Post,
    }
}

/// A whole-number attribute; absent or unreadable gives `default`, as Twilio falls back.
fn number(el: &Element, name: &str, default: u32) -> u32 {
    el.attr(name)
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(default)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::send::twiml::check;

    #[test]
    fn voice_verbs_and_defaults() {
        let doc = check(
            br#"<Response>
              <Gather action="/menu" numDigits="1" timeout="3" input="dtmf speech">
                <Say loop="2">Press 1</Say><Pause length="2"/><Play>https://x.test/a.mp3</Play>
              </Gather>
              <Gather/>
              <Dial action="/dialled" method="GET"><Number>+15550001</Number></Dial>
              <Record maxLength="30"/>
              <Reject reason="busy"/><Hangup/><Enqueue>support</Enqueue>
            </Response>"#,
        )
        .unwrap();
        let Verb::Gather(g) = &doc.verbs[0] else {
            panic!("{doc:?}")
        };
        assert_eq!(g.action.as_deref(), Some("/menu"));
        assert_eq!(
            (g.num_digits, g.timeout, g.dtmf, g.speech),
            (Some(1), 3, true, true)
        );
        assert_eq!(
            g.prompts,
            [
                Verb::Say {
                    text: "Press 1".into(),
                    times: 2
                },
                Verb::Pause(2),
                Verb::Play {
                    url: "https://x.test/a.mp3".into(),
                    digits: None
                }
            ]
        );
        let Verb::Gather(g) = &doc.verbs[1] else {
            panic!()
        };
        assert_eq!(
            (g.finish_on_key.as_str(), g.num_digits, g.timeout, g.speech),
            ("#", None, 5, false)
        );
        let Verb::Dial(d) = &doc.verbs[2] else {
            panic!()
        };
        assert_eq!(d.target, "Number +15550001");
        assert_eq!(d.action.as_ref().unwrap().method, Method::Get);
        assert_eq!(doc.names()[3..], ["Record", "Reject", "Hangup", "Enqueue"]);
        assert_eq!(doc.verbs[4], Verb::Reject { busy: true });
    }

    #[test]
    fn message_body_media_and_callbacks() {
        let doc = check(
            br#"<Response><Message to="+1555" statusCallback="/st"><Body>Hi</Body><Media>https://x.test/a.png</Media></Message><Message action="/a" method="GET">Yo</Message><Redirect method="get"> /next </Redirect></Response>"#,
        )
        .unwrap();
        let Verb::Message(m) = &doc.verbs[0] else {
            panic!()
        };
        assert_eq!((m.body.as_str(), m.to.as_deref()), ("Hi", Some("+1555")));
        assert_eq!(m.media, ["https://x.test/a.png"]);
        assert_eq!(
            m.callback,
            Some(Redirect {
                url: "/st".into(),
                method: Method::Post
            })
        );
        let Verb::Message(m) = &doc.verbs[1] else {
            panic!()
        };
        assert_eq!(m.callback.as_ref().unwrap().method, Method::Get);
        assert_eq!(
            doc.verbs[2],
            Verb::Redirect(Redirect {
                url: "/next".into(),
                method: Method::Get
            })
        );
    }
}
