//! `chat URL`: text a bot under development as one person would, offline.
//!
//! Each line typed is one inbound SMS from the same number (`--from`) to the same Twilio
//! number (`--to`), signed as Twilio signs it, with a new `MessageSid` each; the bot's replies
//! are printed and its TwiML followed as `send` follows it. `/call` places a voice call to `--voice-url`
//! (default: the sibling `voice` of the SMS URL; each `<Gather>` reads the next line as the keys pressed), `/help` lists the commands, `/quit`
//! (or end of input) leaves. On a terminal lines are edited with `rustyline`; piped, stdin is
//! read as it is, so a script can hold a whole conversation.

use std::process::ExitCode;

use clap::Args;

use crate::lines::Lines;
use crate::send::view::View;
use crate::send::{Endpoint, Kind, SendError, Setup, random_hex};

/// Arguments of `chat`.
#[derive(Debug, Args)]
pub(crate) struct ChatArgs {
    #[command(flatten)]
    endpoint: Endpoint,
    /// Where /call posts the call: the voice webhook's URL, absolute, or relative to URL as
    /// Twilio resolves a `<Redirect>` (default: `voice`, the sibling of URL: /sms → /voice).
    #[arg(long, value_name = "URL", default_value = "voice")]
    voice_url: String,
}

/// One line of input.
#[derive(Debug, PartialEq, Eq)]
enum Line<'a> {
    /// Text to send as an SMS.
    Text(&'a str),
    /// `/call`.
    Call,
    /// `/help`.
    Help,
    /// `/quit` or `/exit`.
    Quit,
    /// A blank line: nothing to send.
    Blank,
    /// A `/word` that is no command.
    Unknown(&'a str),
}

impl<'a> Line<'a> {
    fn read(line: &'a str) -> Line<'a> {
        let trimmed = line.trim();
        match trimmed {
            "" => Line::Blank,
            "/call" => Line::Call,
            "/help" | "/?" => Line::Help,
            "/quit" | "/exit" => Line::Quit,
            // `//text` sends `/text`.
            _ if trimmed.starts_with("//") => Line::Text(&trimmed[1..]),
            _ if trimmed.starts_with('/') => Line::Unknown(trimmed),
            _ => Line::Text(line),
        }
    }
}

const HELP: &str = "Each line is an SMS to the bot. /call places a voice call (each <Gather> \
                    reads the next line as the keys pressed), //text sends /text, /quit leaves.";

/// Runs `chat`: exit 0 when every exchange went well, 1 if any step failed, 2 on usage errors.
pub(crate) fn chat(args: ChatArgs) -> Result<ExitCode, SendError> {
    let setup = Setup::new(&args.endpoint, 1)?;
    let voice = setup.sibling(&args.endpoint, &args.voice_url)?;
    let mut lines = Lines::open();
    let mut view = View::new(args.endpoint.json, false);
    if lines.is_terminal() {
        println!(
            "chat with {} as {} → {}. {HELP}",
            args.endpoint.url, args.endpoint.from, args.endpoint.to
        );
    }
    let mut ok = true;
    while let Some(line) = lines.read("> ").map_err(SendError::Io)? {
        let (kind, body) = match Line::read(&line) {
            Line::Text(text) => (Kind::Sms, Some(text.to_owned())),
            Line::Call => (Kind::Call, None),
            Line::Quit => break,
            Line::Blank => continue,
            Line::Help => {
                println!("{HELP}");
                continue;
            }
            Line::Unknown(word) => {
                println!("unknown command {word}; {HELP}");
                continue;
            }
        };
        let mut scenario = setup.scenario(&args.endpoint, kind);
        scenario.body = body;
        let params = scenario.params(&random_hex(16)?);
        let start = match kind {
            Kind::Call => setup.start_at(voice.clone(), kind, params),
            _ => setup.start(kind, params),
        };
        ok &= setup.run(&mut view, start, &mut lines);
    }
    Ok(if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_and_texts() {
        assert_eq!(Line::read("5 great talk"), Line::Text("5 great talk"));
        assert_eq!(Line::read(" /call "), Line::Call);
        assert_eq!(Line::read("/quit"), Line::Quit);
        assert_eq!(Line::read("   "), Line::Blank);
        assert_eq!(Line::read("//call"), Line::Text("/call"));
        assert_eq!(Line::read("/nope"), Line::Unknown("/nope"));
    }
}
