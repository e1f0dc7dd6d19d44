//! `application/x-www-form-urlencoded`, decoded strictly: the pairs that are verified and
//! then handed to the handler come from this one parse.

/// Whether a `Content-Type` value names a form body (parameters such as `charset` allowed).
pub(crate) fn is_form(content_type: &str) -> bool {
    content_type.split(';').next().is_some_and(|t| {
        t.trim()
            .eq_ignore_ascii_case("application/x-www-form-urlencoded")
    })
}

/// Parses `application/x-www-form-urlencoded` strictly: order and repeats kept, `+` is a
/// space, every `%` must start a two-digit hex escape, and the result must be UTF-8.
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
pub fn parse_form(input: &[u8]) -> Result<Vec<(String, String)>, crate::Rejection> {
    input
        .split(|b| *b == b'&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (name, value) = match pair.iter().position(|b| *b == b'=') {
                Some(i) => (&pair[..i], &pair[i + 1..]),
                None => (pair, &[][..]),
            };
            Ok((decode_component(name)?, decode_component(value)?))
        })
        .collect()
}

fn decode_component(raw: &[u8]) -> Result<String, crate::Rejection> {
    use crate::Rejection;
    // Most names and many values need no decoding: copy them as they are.
    if !raw.iter().any(|b| matches!(b, b'%' | b'+')) {
        return std::str::from_utf8(raw)
            .map(str::to_owned)
            .map_err(|_| Rejection::MalformedForm);
    }
    let mut out = Vec::with_capacity(raw.len());
    let mut bytes = raw.iter();
    while let Some(&b) = bytes.next() {
        match b {
            b'+' => out.push(b' '),
            b'%' => {
                let hi = bytes.next().and_then(|h| hex_digit(*h));
                let lo = bytes.next().and_then(|l| hex_digit(*l));
                match (hi, lo) {
                    (Some(hi), Some(lo)) => out.push(hi << 4 | lo),
                    _ => return Err(Rejection::MalformedForm),
                }
            }
            b => out.push(b),
        }
    }
    String::from_utf8(out).map_err(|_| Rejection::MalformedForm)
}

fn hex_digit(b: u8) -> Option<u8> {
    (b as char).to_digit(16).map(|d| d as u8)
}
