//! Where a call's input comes from: `--digits`/`--speech` entries (one per `<Gather>`), then,
//! on a terminal, the keyboard; and how a `<Gather>` turns keys into `Digits`.

use std::collections::VecDeque;

use crate::lines::Lines;
use crate::send::twiml::Gather;
use crate::send::view::escape::Escaped;

/// A source of caller input, asked once per `<Gather>`.
pub(crate) trait Keypad {
    /// The keys the caller presses for `gather` (may include its `finishOnKey`); `None`: none.
    fn keys(&mut self, gather: &Gather) -> Option<String>;
    /// What the caller says for a `gather` that listens for speech; `None`: nothing.
    fn speech(&mut self, gather: &Gather) -> Option<String>;
}

/// What a `<Gather>` collected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Input {
    /// `Digits`, and the `finishOnKey` that ended them (empty when `numDigits` or the
    /// timeout did).
    Digits {
        /// The digits.
        digits: String,
        /// The key that ended the input, or empty.
        finished_on_key: String,
    },
    /// `SpeechResult`.
    Speech(String),
}

/// Asks `keypad` for `gather`'s input: digits first where DTMF is accepted, then speech.
pub(crate) fn gather(keypad: &mut dyn Keypad, gather: &Gather) -> Option<Input> {
    if gather.dtmf
        && let Some(input) = keypad.keys(gather).and_then(|keys| press(&keys, gather))
    {
        return Some(input);
    }
    if gather.speech {
        return keypad
            .speech(gather)
            .filter(|s| !s.trim().is_empty())
            .map(|s| Input::Speech(s.trim().to_owned()));
    }
    None
}

/// The keys as `gather` takes them: up to `finishOnKey` or `numDigits` keys; other
/// characters are not keys and are ignored. No digit at all is no input.
pub(crate) fn press(keys: &str, gather: &Gather) -> Option<Input> {
    let mut digits = String::new();
    let mut finished_on_key = String::new();
    for key in keys
        .chars()
        .filter(|c| c.is_ascii_digit() || *c == '*' || *c == '#')
    {
        if gather.finish_on_key.starts_with(key) {
            finished_on_key.push(key);
            break;
        }
        digits.push(key);
        if gather.num_digits == Some(digits.len()) {
            break;
        }
    }
    (!digits.is_empty()).then_some(Input::Digits {
        digits,
        finished_on_key,
    })
}

/// `--digits` and `--speech` entries, one of each kind per `<Gather>`; then `more`, if any.
pub(crate) struct Scripted<'a> {
    digits: VecDeque<String>,
    speech: VecDeque<String>,
    more: Option<&'a mut Lines>,
}

impl<'a> Scripted<'a> {
    /// Entries used in order; once they run out, `more` (the keyboard) is asked.
    pub(crate) fn new(digits: &[String], speech: &[String], more: Option<&'a mut Lines>) -> Self {
        Scripted {
            digits: digits.iter().cloned().collect(),
            speech: speech.iter().cloned().collect(),
            more,
        }
    }
}

impl Keypad for Scripted<'_> {
    fn keys(&mut self, gather: &Gather) -> Option<String> {
        match self.digits.pop_front() {
            Some(entry) => Some(entry),
            None => self.more.as_deref_mut()?.keys(gather),
        }
    }

    fn speech(&mut self, gather: &Gather) -> Option<String> {
        match self.speech.pop_front() {
            Some(entry) => Some(entry),
            None => self.more.as_deref_mut()?.speech(gather),
        }
    }
}

/// A person at the keyboard (or the next piped line): one line per `<Gather>`.
impl Keypad for Lines {
    fn keys(&mut self, gather: &Gather) -> Option<String> {
        let finish = match gather.finish_on_key.as_str() {
            "" => String::new(),
            // The attribute is the bot's: escaped like everything else it sends.
            key => format!(", ends with {}", Escaped(key)),
        };
        let prompt = format!(
            "keys (timeout {} s{finish}; Enter alone: no input)> ",
            gather.timeout
        );
        self.read(&prompt).ok().flatten()
    }

    fn speech(&mut self, _gather: &Gather) -> Option<String> {
        self.read("say> ").ok().flatten()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::send::twiml::{Verb, check};

    fn gather(xml: &str) -> Gather {
        match check(xml.as_bytes()).unwrap().verbs.remove(0) {
            Verb::Gather(g) => g,
            other => panic!("{other:?}"),
        }
    }

    fn digits(d: &str, f: &str) -> Option<Input> {
        Some(Input::Digits {
            digits: d.into(),
            finished_on_key: f.into(),
        })
    }

    #[test]
    fn finish_on_key_and_num_digits() {
        let g = gather("<Response><Gather/></Response>");
        assert_eq!(press("1#", &g), digits("1", "#"));
        assert_eq!(press("42", &g), digits("42", ""));
        assert_eq!(press("#", &g), None);
        assert_eq!(press("", &g), None);
        assert_eq!(press(" 1 2x3 ", &g), digits("123", ""));
        let g = gather(r#"<Response><Gather numDigits="2" finishOnKey=""/></Response>"#);
        assert_eq!(press("1#34", &g), digits("1#", ""));
        let g = gather(r#"<Response><Gather finishOnKey="*"/></Response>"#);
        assert_eq!(press("12*9", &g), digits("12", "*"));
    }

    #[test]
    fn one_entry_per_gather_then_speech() {
        let g = gather(r#"<Response><Gather input="dtmf speech"/></Response>"#);
        let mut pad = Scripted::new(&["4".into(), "".into()], &["agent".into()], None);
        assert_eq!(super::gather(&mut pad, &g), digits("4", ""));
        assert_eq!(
            super::gather(&mut pad, &g),
            Some(Input::Speech("agent".into()))
        );
        assert_eq!(super::gather(&mut pad, &g), None);
        let speech_only = gather(r#"<Response><Gather input="speech"/></Response>"#);
        let mut pad = Scripted::new(&["1".into()], &[], None);
        assert_eq!(super::gather(&mut pad, &speech_only), None);
    }
}
