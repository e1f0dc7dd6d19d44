//! Lines typed by a person: line editing and history with `rustyline` on a terminal, plain
//! stdin when piped (so scripts and tests drive `chat` and keyboard `<Gather>`s alike).

use std::io::{BufRead as _, IsTerminal as _};

/// A source of lines.
pub(crate) enum Lines {
    /// A terminal: prompts, editing, history.
    Editor(Box<rustyline::DefaultEditor>),
    /// Piped stdin: no prompt.
    Plain(std::io::StdinLock<'static>),
}

impl Lines {
    /// The editor when stdin and stdout are terminals (and it starts), else plain stdin.
    pub(crate) fn open() -> Lines {
        if std::io::stdin().is_terminal()
            && std::io::stdout().is_terminal()
            && let Ok(editor) = rustyline::DefaultEditor::new()
        {
            return Lines::Editor(Box::new(editor));
        }
        Lines::Plain(std::io::stdin().lock())
    }

    /// Whether a person is typing (the prompts are shown).
    pub(crate) fn is_terminal(&self) -> bool {
        matches!(self, Lines::Editor(_))
    }

    /// The next line without its line end; `None` at the end of input (or Ctrl-C/Ctrl-D).
    pub(crate) fn read(&mut self, prompt: &str) -> std::io::Result<Option<String>> {
        match self {
            Lines::Editor(editor) => match editor.readline(prompt) {
                Ok(line) => {
                    if !line.trim().is_empty() {
                        // History is a convenience: a failure to record it loses nothing.
                        let _ = editor.add_history_entry(line.as_str());
                    }
                    Ok(Some(line))
                }
                Err(rustyline::error::ReadlineError::Eof)
                | Err(rustyline::error::ReadlineError::Interrupted) => Ok(None),
                Err(rustyline::error::ReadlineError::Io(e)) => Err(e),
                Err(e) => Err(std::io::Error::other(e.to_string())),
            },
            Lines::Plain(stdin) => {
                let mut line = String::new();
                if stdin.read_line(&mut line)? == 0 {
                    return Ok(None);
                }
                let end = line.trim_end_matches(['\r', '\n']).len();
                line.truncate(end);
                Ok(Some(line))
            }
        }
    }
}
