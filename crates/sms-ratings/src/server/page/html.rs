//! A tiny HTML writer: markup only from `&'static str` literals, everything else escaped.
//!
//! Comments and event names are hostile input. The writer takes markup only as string
//! literals (`&'static str`), so text that came from a request or the database can only enter
//! through [`Html::text`] or an attribute value, both escaped the same way. Attribute values
//! are always double-quoted, so escaping `& < > " '` is enough for text and attributes alike.

use std::fmt::Write as _;

/// An HTML document being written.
#[derive(Debug, Default)]
pub(crate) struct Html(String);

impl Html {
    /// Trusted markup (a literal in this crate).
    pub(crate) fn raw(&mut self, markup: &'static str) -> &mut Self {
        self.0.push_str(markup);
        self
    }

    /// Text content, escaped.
    pub(crate) fn text(&mut self, text: &str) -> &mut Self {
        escape_into(&mut self.0, text);
        self
    }

    /// A number or other `Display` value, escaped like text.
    pub(crate) fn display(&mut self, value: impl std::fmt::Display) -> &mut Self {
        let mut s = String::new();
        let _ = write!(s, "{value}");
        self.text(&s)
    }

    /// `<tag a="v" …>` with every value escaped.
    pub(crate) fn open(&mut self, tag: &'static str, attrs: &[(&'static str, &str)]) -> &mut Self {
        self.0.push('<');
        self.0.push_str(tag);
        for (name, value) in attrs {
            self.0.push(' ');
            self.0.push_str(name);
            self.0.push_str("=\"");
            escape_into(&mut self.0, value);
            self.0.push('"');
        }
        self.0.push('>');
        self
    }

    /// `</tag>`.
    pub(crate) fn close(&mut self, tag: &'static str) -> &mut Self {
        self.0.push_str("</");
        self.0.push_str(tag);
        self.0.push('>');
        self
    }

    /// `<tag …>text</tag>`.
    pub(crate) fn element(
        &mut self,
        tag: &'static str,
        attrs: &[(&'static str, &str)],
        text: &str,
    ) -> &mut Self {
        self.open(tag, attrs).text(text).close(tag)
    }

    /// The document.
    pub(crate) fn finish(self) -> String {
        self.0
    }
}

/// Escapes the five characters that can end text or a quoted attribute value.
pub(crate) fn escape_into(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn unescape(s: &str) -> String {
        s.replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&quot;", "\"")
            .replace("&#39;", "'")
            .replace("&amp;", "&")
    }

    #[test]
    fn hostile_text_and_attributes_are_inert() {
        let mut h = Html::default();
        h.open("p", &[("title", "\" onmouseover=\"alert(1)")])
            .text("<img src=x onerror=alert(1)> & 'q'")
            .close("p");
        assert_eq!(
            h.finish(),
            "<p title=\"&quot; onmouseover=&quot;alert(1)\">\
             &lt;img src=x onerror=alert(1)&gt; &amp; &#39;q&#39;</p>"
        );
    }

    proptest! {
        #[test]
        fn escaping_round_trips_and_leaves_no_specials(s in "\\PC{0,60}") {
            let mut out = String::new();
            escape_into(&mut out, &s);
            prop_assert!(!out.contains(['<', '>', '"', '\'']));
            prop_assert_eq!(unescape(&out), s);
        }
    }
}
