//! What a flow shows: a conversation for people (colour only on a terminal: `anstream`
//! strips it when stdout is piped or `NO_COLOR` is set), or JSON Lines for scripts (`--json`),
//! one object per request, answer and happening, each with an `"event"` name.
//!
//! Signatures and basic-auth credentials never appear: URLs are shown without userinfo.
//! Text that came from the endpoint never reaches the terminal raw ([`escape`]).

pub(crate) mod escape;

use std::io::Write as _;

use anstyle::{AnsiColor, Style};
use serde_json::{Map, Value, json};

use escape::{Escaped, json_line};

use super::deliver::Reply;
use super::twilio::Method;
use super::twiml::{Message, Twiml, TwimlError};

/// Why a request of the flow is made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Purpose {
    /// The first webhook (incoming message or call).
    Webhook,
    /// A `<Redirect>`.
    Redirect,
    /// A `<Gather>` action.
    Gather,
    /// A `<Dial>` action.
    Dial,
    /// A `<Record>` action.
    Record,
    /// A status callback of a `<Message>`.
    MessageStatus,
    /// The call's status callback.
    CallStatus,
}

impl Purpose {
    fn as_str(self) -> &'static str {
        match self {
            Purpose::Webhook => "webhook",
            Purpose::Redirect => "redirect",
            Purpose::Gather => "gather",
            Purpose::Dial => "dial",
            Purpose::Record => "record",
            Purpose::MessageStatus => "message-status",
            Purpose::CallStatus => "call-status",
        }
    }
}

/// Where and how a flow is shown.
pub(crate) struct View {
    json: bool,
    /// Print reply bodies (human view).
    raw: bool,
    out: anstream::Stdout,
}

const DIM: Style = Style::new().dimmed();
const BAD: Style = AnsiColor::Red.on_default().bold();
const GOOD: Style = AnsiColor::Green.on_default();
const BOT: Style = AnsiColor::Cyan.on_default().bold();
const YOU: Style = AnsiColor::Yellow.on_default().bold();

impl View {
    /// A view on stdout: JSON Lines with `json`, else the human view, reply bodies included
    /// with `raw`.
    pub(crate) fn new(json: bool, raw: bool) -> View {
        View {
            json,
            raw,
            out: anstream::stdout(),
        }
    }

    fn line(&mut self, text: std::fmt::Arguments<'_>) {
        // A closed stdout must not abort the flow half-way: the exit status still tells.
        let _ = writeln!(self.out, "{text}");
    }

    fn event(&mut self, value: &Value) {
        let line = json_line(&value.to_string());
        self.line(format_args!("{line}"));
    }

    /// A request about to be sent.
    pub(crate) fn request(
        &mut self,
        step: u32,
        purpose: Purpose,
        method: Method,
        url: &str,
        params: &[(String, String)],
    ) {
        if self.json {
            self.event(&json!({
                "event": "request", "step": step, "purpose": purpose.as_str(),
                "method": method.as_str(), "url": url, "params": object(params),
            }));
        } else {
            let what = purpose.as_str();
            let status = if matches!(purpose, Purpose::MessageStatus | Purpose::CallStatus) {
                params
                    .iter()
                    .find(|(k, _)| k == "MessageStatus" || k == "CallStatus")
                    .map(|(_, v)| format!(" {}", Escaped(v)))
                    .unwrap_or_default()
            } else {
                String::new()
            };
            self.line(format_args!(
                "{} {} {DIM}({what}{status}){DIM:#}",
                method.as_str(),
                Escaped(url)
            ));
            // The inbound message is the person's side of the conversation.
            if purpose == Purpose::Webhook
                && let Some((_, body)) = params.iter().find(|(k, _)| k == "Body")
            {
                self.line(format_args!("{YOU}you:{YOU:#} {}", Escaped(body)));
            }
        }
    }

    /// The answer to the last request, with its TwiML verdict where one was expected.
    pub(crate) fn answer(&mut self, reply: &Reply, verdict: Option<Result<&Twiml, &TwimlError>>) {
        let ms = reply.elapsed.as_secs_f64() * 1e3;
        if self.json {
            let mut v = json!({
                "event": "answer", "status": reply.status.as_u16(), "elapsed_ms": ms,
                "challenged": reply.challenged, "content_type": reply.content_type,
                "body": String::from_utf8_lossy(&reply.body),
            });
            match verdict {
                Some(Ok(doc)) => v["twiml"] = json!(doc.names()),
                Some(Err(e)) => v["twiml_error"] = json!(e.to_string()),
                None => {}
            }
            self.event(&v);
            return;
        }
        let style = if reply.status.is_success() { GOOD } else { BAD };
        let challenge = if reply.challenged {
            " (after a 401 basic-auth challenge)"
        } else {
            ""
        };
        let ct = reply.content_type.as_deref().unwrap_or("no content-type");
        self.line(format_args!(
            "  {style}status {}{style:#} in {ms:.1} ms{challenge}, {}",
            reply.status,
            Escaped(ct)
        ));
        if self.raw && !reply.body.is_empty() {
            let body = String::from_utf8_lossy(&reply.body);
            let more = if reply.too_large { "\n…" } else { "" };
            self.line(format_args!(
                "{DIM}{}{more}{DIM:#}",
                Escaped(body.trim_end())
            ));
        }
        match verdict {
            Some(Ok(doc)) => self.line(format_args!(
                "  well-formed TwiML: <Response> with {}",
                Escaped(&format!("{:?}", doc.names()))
            )),
            Some(Err(e)) => self.line(format_args!(
                "  {BAD}not acceptable TwiML: {}{BAD:#}",
                Escaped(&e.to_string())
            )),
            None => {}
        }
    }

    /// A request that got no answer at all.
    pub(crate) fn transport_error(&mut self, error: &str) {
        if self.json {
            self.event(&json!({"event": "error", "error": error}));
        } else {
            self.line(format_args!(
                "  {BAD}request failed: {}{BAD:#}",
                Escaped(error)
            ));
        }
    }

    /// A `<Message>` reply.
    pub(crate) fn message(&mut self, m: &Message, to: &str) {
        if self.json {
            self.event(&json!({"event": "message", "to": to, "body": m.body, "media": m.media}));
            return;
        }
        self.line(format_args!("{BOT}bot:{BOT:#} {}", Escaped(&m.body)));
        for url in &m.media {
            self.line(format_args!("     {DIM}[media]{DIM:#} {}", Escaped(url)));
        }
    }

    /// Something the caller hears or does (`say`, `play`, `pause`, `gather`, `input`, …).
    pub(crate) fn voice(&mut self, what: &str, detail: &str) {
        if self.json {
            self.event(&json!({"event": what, "detail": detail}));
        } else {
            let sep = if detail.is_empty() { "" } else { " " };
            self.line(format_args!(
                "{BOT}{what:>6}{BOT:#}{sep}{}",
                Escaped(detail)
            ));
        }
    }

    /// A remark: a verb not followed, what a `<Dial>` would do, no input.
    pub(crate) fn note(&mut self, text: &str) {
        if self.json {
            self.event(&json!({"event": "note", "note": text}));
        } else {
            self.line(format_args!("  {DIM}{}{DIM:#}", Escaped(text)));
        }
    }

    /// Why the flow went wrong (not a transport or HTTP error: those are shown with the answer).
    pub(crate) fn problem(&mut self, text: &str) {
        if self.json {
            self.event(&json!({"event": "problem", "problem": text}));
        } else {
            self.line(format_args!("{BAD}{}{BAD:#}", Escaped(text)));
        }
    }

    /// The end of a flow.
    pub(crate) fn end(&mut self, ok: bool, steps: u32) {
        if self.json {
            self.event(&json!({"event": "end", "ok": ok, "steps": steps}));
        } else if !ok {
            self.line(format_args!(
                "{BAD}flow failed{BAD:#} after {steps} step(s)"
            ));
        }
    }
}

/// Parameters as a JSON object; a repeated name becomes an array of its values.
fn object(params: &[(String, String)]) -> Value {
    let mut map = Map::new();
    for (k, v) in params {
        match map.get_mut(k) {
            Some(Value::Array(values)) => values.push(json!(v)),
            Some(first) => *first = json!([first.take(), v]),
            None => {
                map.insert(k.clone(), json!(v));
            }
        }
    }
    Value::Object(map)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_params_become_arrays() {
        let p = [("A", "1"), ("B", "2"), ("A", "3"), ("A", "4")]
            .map(|(k, v)| (k.to_owned(), v.to_owned()));
        assert_eq!(object(&p), json!({"A": ["1", "3", "4"], "B": "2"}));
    }
}
