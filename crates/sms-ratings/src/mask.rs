//! Phone numbers as shown to organisers: stored in full, shown masked.
//!
//! ```
//! use sms_ratings::mask::mask_phone;
//!
//! assert_eq!(mask_phone("+14155551234"), "+1•••••1234");
//! assert_eq!(mask_phone("whatsapp:+447700900123"), "whatsapp:+4•••••0123");
//! assert_eq!(mask_phone("12"), "•••••");
//! ```

/// Keeps a channel prefix (`whatsapp:`), the `+` and first digit, and the last four
/// characters; everything between becomes five dots, whatever its length (so the mask does
/// not reveal how long the number is).
pub fn mask_phone(phone: &str) -> String {
    let (channel, number) = match phone.rsplit_once(':') {
        Some((channel, number)) => (&phone[..=channel.len()], number),
        None => ("", phone),
    };
    let chars: Vec<char> = number.chars().collect();
    if chars.len() < 8 {
        return format!("{channel}•••••");
    }
    let head: String = chars[..2].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{channel}{head}•••••{tail}")
}

/// Digits a run must hold to count as a phone number in free text.
const PHONE_DIGITS: usize = 7;
/// Separator characters in a row a number may hold between two digits (`") "` in
/// `+1 (415) 555-0199` is two): more end the run.
const MAX_SEPARATORS: usize = 3;

/// What a character is to a phone number, after NFKC (full-width `４`, `＋`, superscripts and
/// the like read as the ASCII they stand for).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Class {
    Digit(char),
    Plus,
    /// Letters and line breaks end a number.
    Stop,
    /// Anything else (`/`, `_`, `·`, spaces, dashes…) may sit between its digits.
    Separator,
}

fn class(c: char) -> Class {
    use unicode_normalization::UnicodeNormalization as _;
    let mut nfkc = std::iter::once(c).nfkc();
    match (nfkc.next(), nfkc.next()) {
        (Some(d), None) if d.is_ascii_digit() => Class::Digit(d),
        (Some('+'), None) => Class::Plus,
        _ if c.is_alphabetic() || c == '\n' || c == '\r' => Class::Stop,
        _ => Class::Separator,
    }
}

/// Masks every phone-like run in free text (comments): a digit or `+`, then digits with at most
/// three non-letter characters between any two, holding at least seven digits.
/// Digits and `+` count in any width NFKC folds to ASCII. Shorter runs ("4/5", "2026") stay.
///
/// ```
/// use sms_ratings::mask::mask_numbers_in;
///
/// assert_eq!(mask_numbers_in("ring +1 415 555 1234 now"), "ring +1•••••1234 now");
/// assert_eq!(mask_numbers_in("call 415/555/0199"), "call 41•••••0199");
/// assert_eq!(mask_numbers_in("＋１·４１５·５５５·０１９９"), "+1•••••0199");
/// assert_eq!(mask_numbers_in("5 stars, room 101"), "5 stars, room 101");
/// ```
pub fn mask_numbers_in(text: &str) -> String {
    let chars: Vec<(usize, char, Class)> =
        text.char_indices().map(|(i, c)| (i, c, class(c))).collect();
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    let mut i = 0;
    while i < chars.len() {
        let (start, _, first) = chars[i];
        if !matches!(first, Class::Digit(_) | Class::Plus) {
            i += 1;
            continue;
        }
        let (digits, end) = number_at(&chars, i);
        if digits.len() >= PHONE_DIGITS {
            let plus = if first == Class::Plus { "+" } else { "" };
            out.push_str(&text[copied..start]);
            out.push_str(&mask_phone(&format!("{plus}{digits}")));
            copied = chars.get(end).map_or(text.len(), |&(at, _, _)| at);
        }
        i = end.max(i + 1);
    }
    out.push_str(&text[copied..]);
    out
}

/// The ASCII digits of the number starting at `chars[i]` and the index after its last digit.
fn number_at(chars: &[(usize, char, Class)], i: usize) -> (String, usize) {
    let mut digits = String::new();
    let mut end = i + 1;
    let mut gap = 0;
    for (j, &(_, _, class)) in chars.iter().enumerate().skip(i) {
        match class {
            Class::Digit(d) => {
                digits.push(d);
                end = j + 1;
                gap = 0;
            }
            Class::Plus if j == i => {}
            Class::Separator | Class::Plus if gap < MAX_SEPARATORS && j > i => gap += 1,
            _ => break,
        }
    }
    (digits, end)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn full_width(d: char) -> char {
        char::from_u32(u32::from(d) - u32::from('0') + 0xFF10).unwrap()
    }

    #[test]
    fn the_issues_writings_are_masked() {
        for text in [
            "415/555/0199",
            "415_555_0199",
            "+1·415·555·0199",
            "４１５５５５０１９９",
            "+1 (415) 555-0199",
        ] {
            let masked = mask_numbers_in(text);
            assert!(masked.ends_with("•••••0199"), "{text} -> {masked}");
        }
        assert_eq!(mask_numbers_in("4/5, room 12, 2026"), "4/5, room 12, 2026");
    }

    proptest! {
        #[test]
        fn never_shows_the_middle(digits in "[0-9]{7,14}") {
            let phone = format!("+{digits}");
            let masked = mask_phone(&phone);
            prop_assert!(masked.ends_with(&digits[digits.len() - 4..]));
            prop_assert!(masked.contains("•••••"));
            prop_assert_eq!(masked.chars().filter(char::is_ascii_digit).count(), 5);
        }

        #[test]
        fn any_input_is_fine(s in "\\PC{0,40}") {
            let _ = mask_phone(&s);
        }

        #[test]
        fn numbers_in_text_are_masked_and_the_rest_kept(
            before in "[a-z ]{0,10}", digits in "[0-9]{7,14}", after in "[a-z ]{0,10}",
        ) {
            let text = format!("{before}+{digits}{after}");
            let masked = mask_numbers_in(&text);
            prop_assert!(masked.starts_with(&before));
            prop_assert!(masked.ends_with(&after));
            prop_assert_eq!(masked.chars().filter(char::is_ascii_digit).count(), 5);
        }

        #[test]
        fn text_without_long_numbers_is_unchanged(
            s in "[^\\p{N}+\u{FF0B}\u{FE62}\u{207A}\u{208A}]{0,20}[0-9]{0,6}[^\\p{N}+\u{FF0B}\u{FE62}\u{207A}\u{208A}]{0,20}",
        ) {
            prop_assert_eq!(mask_numbers_in(&s), s);
        }

        /// Any width of digit, any non-letter separators between them: no more than the
        /// mask's own digits (the `+` and first digit, or two, and the last four) remain.
        #[test]
        fn numbers_in_any_writing_are_masked(
            before in "[a-z ]{0,10}",
            plus in proptest::option::of(prop_oneof![Just("+"), Just("＋")]),
            groups in proptest::collection::vec(("[0-9]{1,4}", any::<bool>()), 3..6),
            separators in proptest::collection::vec(
                prop_oneof![
                    Just(" "), Just("-"), Just("/"), Just("_"), Just("·"), Just("."),
                    Just(") "), Just(" ("), Just("\u{2009}"), Just("\u{2011}"), Just("、"),
                ],
                6,
            ),
            after in "[a-z ]{0,10}",
        ) {
            let digits: String = groups.iter().map(|(g, _)| g.as_str()).collect();
            prop_assume!(digits.len() >= PHONE_DIGITS);
            let mut number = plus.unwrap_or_default().to_owned();
            for (k, (group, wide)) in groups.iter().enumerate() {
                if k > 0 {
                    number.push_str(separators[k]);
                }
                number.extend(group.chars().map(|d| if *wide { full_width(d) } else { d }));
            }
            let text = format!("{before}{number}{after}");
            let masked = mask_numbers_in(&text);
            prop_assert!(masked.starts_with(&before), "{masked}");
            prop_assert!(masked.ends_with(&after), "{masked}");
            prop_assert!(masked.contains("•••••"), "{masked}");
            let shown = masked.chars().filter(|c| matches!(class(*c), Class::Digit(_))).count();
            prop_assert!(shown <= 6, "{text} -> {masked}");
        }
    }
}
