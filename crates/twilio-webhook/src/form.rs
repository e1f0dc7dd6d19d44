//! `application/x-www-form-urlencoded`, decoded strictly: the pairs that are verified and
//! then handed to the handler come from this one parse.
//!
//! A [`Form`] holds every decoded name and value in one string, the pairs as offsets into
//! it: two allocations per request however many parameters there are (an incoming SMS has
//! about twenty), where a `String` per name and value would take forty-odd.

use std::sync::OnceLock;

use serde::Deserialize;

use crate::Rejection;

pub mod de;

/// Whether a `Content-Type` value names a form body (parameters such as `charset` allowed).
pub(crate) fn is_form(content_type: &str) -> bool {
    content_type.split(';').next().is_some_and(|t| {
        t.trim()
            .eq_ignore_ascii_case("application/x-www-form-urlencoded")
    })
}

/// Parses `application/x-www-form-urlencoded` strictly into owned pairs; see [`Form::parse`].
///
/// ```
/// use twilio_webhook::form::parse_form;
/// let pairs = parse_form(b"Body=Hi+there%21&To=%2B1&To=&Empty").unwrap();
/// assert_eq!(pairs, [
///     ("Body".into(), "Hi there!".into()),
///     ("To".into(), "+1".into()),
///     ("To".into(), "".into()),
///     ("Empty".into(), "".into()),
/// ]);
/// assert_eq!(parse_form(b"a=%ZZ").unwrap_err().status(), 400);
/// assert_eq!(parse_form(b"a=%").unwrap_err().status(), 400);
/// assert_eq!(parse_form(b"a=%FF").unwrap_err().status(), 400);
/// ```
pub fn parse_form(input: &[u8]) -> Result<Vec<(String, String)>, Rejection> {
    Form::parse(input).map(|form| form.to_pairs())
}

/// Decoded form pairs, in received order, repeats kept, borrowed as `(&str, &str)`.
///
/// ```
/// use twilio_webhook::form::Form;
/// let form = Form::parse(b"Body=Hi+there%21&To=%2B1&To=&Empty").unwrap();
/// assert_eq!(form.get("To"), Some("+1"));
/// assert_eq!(
///     form.iter().collect::<Vec<_>>(),
///     [("Body", "Hi there!"), ("To", "+1"), ("To", ""), ("Empty", "")],
/// );
/// ```
#[derive(Clone, Default)]
pub struct Form {
    /// Every name and value, decoded, one after the other.
    text: String,
    /// Per pair, where its name begins, where it ends and its value begins, and where its
    /// value ends.
    ends: Vec<(usize, usize, usize)>,
    /// The pairs as owned strings, made on the first call of [`Form::pairs`].
    owned: OnceLock<Vec<(String, String)>>,
}

impl Form {
    /// Parses `application/x-www-form-urlencoded` strictly: order and repeats kept, `+` is a
    /// space, every `%` must start a two-digit hex escape, and every name and value must be
    /// UTF-8 (400 otherwise).
    pub fn parse(input: &[u8]) -> Result<Form, Rejection> {
        // One pass over the body: a run of plain bytes is found by a table look-up per byte
        // and copied whole; only separators and escapes are looked at one by one.
        let mut text = Vec::with_capacity(input.len());
        let mut ends = Vec::with_capacity(input.len() / 16 + 1);
        let (mut start, mut mid) = (0, None);
        let mut rest = input;
        loop {
            let run = rest.iter().position(|&b| SPECIAL[usize::from(b)]);
            let (plain, special) = rest.split_at(run.unwrap_or(rest.len()));
            text.extend_from_slice(plain);
            let Some((&b, after)) = special.split_first() else {
                break;
            };
            rest = after;
            match b {
                b'&' => {
                    end_pair(&mut ends, start, mid, text.len());
                    (start, mid) = (text.len(), None);
                }
                b'=' if mid.is_none() => mid = Some(text.len()),
                b'+' => text.push(b' '),
                b'%' => {
                    let (byte, after) = escaped(rest)?;
                    text.push(byte);
                    rest = after;
                }
                b => text.push(b),
            }
        }
        end_pair(&mut ends, start, mid, text.len());
        // Valid as a whole and cut only between characters: then every part is valid.
        let text = String::from_utf8(text).map_err(|_| Rejection::MalformedForm)?;
        let cut_between_chars = ends
            .iter()
            .all(|&(_, mid, end)| text.is_char_boundary(mid) && text.is_char_boundary(end));
        if !cut_between_chars {
            return Err(Rejection::MalformedForm);
        }
        Ok(Form {
            text,
            ends,
            owned: OnceLock::new(),
        })
    }

    /// The pairs in received order, repeats kept.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = (&str, &str)> + Clone + '_ {
        self.ends.iter().map(|&(start, mid, end)| {
            (
                self.text.get(start..mid).unwrap_or_default(),
                self.text.get(mid..end).unwrap_or_default(),
            )
        })
    }

    /// The name of pair `index`.
    fn name(&self, index: usize) -> Option<&str> {
        let &(start, mid, _) = self.ends.get(index)?;
        Some(self.text.get(start..mid).unwrap_or_default())
    }

    /// The value of pair `index` (empty past the end).
    fn value(&self, index: usize) -> &str {
        let Some(&(_, mid, end)) = self.ends.get(index) else {
            return "";
        };
        self.text.get(mid..end).unwrap_or_default()
    }

    /// The names of pairs `from..to`.
    fn names(&self, from: usize, to: usize) -> impl Iterator<Item = &str> + '_ {
        let ends = self.ends.get(from..to).unwrap_or_default();
        ends.iter()
            .map(|&(start, mid, _)| self.text.get(start..mid).unwrap_or_default())
    }

    /// The pairs read as a `T` with `serde_html_form`'s rules, without parsing anything
    /// again: see [`de`] for the rules. `T` may borrow from the form (`&str` fields), even
    /// text that was escaped in the body.
    ///
    /// ```
    /// use twilio_webhook::form::Form;
    /// use std::collections::BTreeMap;
    /// let form = Form::parse(b"n=1&n=2&flag=on&none=").unwrap();
    /// let map: BTreeMap<String, Vec<String>> = form.deserialize().unwrap();
    /// assert_eq!(map["n"], ["1", "2"]);
    /// #[derive(serde::Deserialize)]
    /// struct Flags { flag: bool, none: Option<u8>, n: Vec<u32> }
    /// let flags: Flags = form.deserialize().unwrap();
    /// assert!(flags.flag && flags.none.is_none() && flags.n == [1, 2]);
    /// ```
    pub fn deserialize<'de, T: Deserialize<'de>>(&'de self) -> Result<T, serde::de::value::Error> {
        T::deserialize(de::Deserializer::new(self))
    }

    /// The first value of parameter `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.iter().find(|(n, _)| *n == name).map(|(_, v)| v)
    }

    /// How many pairs.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// Whether there are no pairs.
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// The pairs as owned strings, made once, on the first call: [`Form::iter`] borrows
    /// instead.
    pub fn pairs(&self) -> &[(String, String)] {
        self.owned.get_or_init(|| self.to_pairs())
    }

    fn to_pairs(&self) -> Vec<(String, String)> {
        self.iter()
            .map(|(n, v)| (n.to_owned(), v.to_owned()))
            .collect()
    }
}

impl PartialEq for Form {
    fn eq(&self, other: &Self) -> bool {
        (&self.text, &self.ends) == (&other.text, &other.ends)
    }
}

impl Eq for Form {}

impl std::fmt::Debug for Form {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl<N: AsRef<str>, V: AsRef<str>> FromIterator<(N, V)> for Form {
    /// A form of these pairs, as if parsed from their encoding.
    fn from_iter<I: IntoIterator<Item = (N, V)>>(pairs: I) -> Self {
        let mut form = Form::default();
        for (name, value) in pairs {
            let start = form.text.len();
            form.text.push_str(name.as_ref());
            let mid = form.text.len();
            form.text.push_str(value.as_ref());
            form.ends.push((start, mid, form.text.len()));
        }
        form
    }
}

/// Records the pair `start..end` (its name ends at `mid`, else it has no `=`): a part
/// between two `&` that is empty in the body is no pair (decoding never empties a part).
fn end_pair(ends: &mut Vec<(usize, usize, usize)>, start: usize, mid: Option<usize>, end: usize) {
    match mid {
        Some(mid) => ends.push((start, mid, end)),
        None if end > start => ends.push((start, end, end)),
        None => {}
    }
}

/// The bytes a form treats specially: `&`, `=`, `+`, `%`.
const SPECIAL: [bool; 256] = {
    let mut table = [false; 256];
    table[b'&' as usize] = true;
    table[b'=' as usize] = true;
    table[b'+' as usize] = true;
    table[b'%' as usize] = true;
    table
};

/// The byte a `%` escape stands for, from the two hex digits after it, and what follows
/// them; 400 without them.
fn escaped(rest: &[u8]) -> Result<(u8, &[u8]), Rejection> {
    match rest {
        [h, l, after @ ..] => match (hex_digit(*h), hex_digit(*l)) {
            (Some(hi), Some(lo)) => Ok((hi << 4 | lo, after)),
            _ => Err(Rejection::MalformedForm),
        },
        _ => Err(Rejection::MalformedForm),
    }
}

fn hex_digit(b: u8) -> Option<u8> {
    (b as char).to_digit(16).map(|d| d as u8)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_character_split_between_parts_is_refused() {
        // Together the bytes are "é"; apart, neither part is UTF-8.
        assert_eq!(Form::parse(b"a=%C3&%A9=b"), Err(Rejection::MalformedForm));
        assert_eq!(Form::parse(b"a%C3=%A9"), Err(Rejection::MalformedForm));
        assert_eq!(Form::parse(b"a=%C3%A9").unwrap().get("a"), Some("\u{e9}"));
    }

    #[test]
    fn borrowed_and_owned_pairs_agree() {
        let form = Form::parse(b"b=2&a=%2B1&&a&c=x+y").unwrap();
        let owned: Vec<(&str, &str)> = form
            .pairs()
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect();
        assert_eq!(form.iter().collect::<Vec<_>>(), owned);
        assert_eq!(owned, [("b", "2"), ("a", "+1"), ("a", ""), ("c", "x y")]);
        assert_eq!(form.iter().collect::<Form>(), form);
        assert_eq!(form.len(), 4);
    }
}
