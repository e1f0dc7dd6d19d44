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

/// Masks every phone-like run in free text (comments): a digit or `+`, then digits, spaces,
/// `-`, `.`, `(` or `)`, holding at least seven digits. Shorter runs ("4/5", "2026") stay.
///
/// ```
/// use sms_ratings::mask::mask_numbers_in;
///
/// assert_eq!(mask_numbers_in("ring +1 415 555 1234 now"), "ring +1•••••1234 now");
/// assert_eq!(mask_numbers_in("5 stars, room 101"), "5 stars, room 101");
/// ```
pub fn mask_numbers_in(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find(|c: char| c == '+' || c.is_ascii_digit()) {
        out.push_str(&rest[..start]);
        let run = &rest[start..];
        let len = run
            .char_indices()
            .skip(1)
            .find(|&(_, c)| !(c.is_ascii_digit() || " -.()".contains(c)))
            .map_or(run.len(), |(i, _)| i);
        // Separators after the last digit belong to the surrounding text.
        let run = run[..len].trim_end_matches(|c: char| !c.is_ascii_digit());
        let run = if run.is_empty() {
            &rest[start..=start]
        } else {
            run
        };
        let digits: String = run.chars().filter(char::is_ascii_digit).collect();
        if digits.len() >= PHONE_DIGITS {
            let plus = if run.starts_with('+') { "+" } else { "" };
            out.push_str(&mask_phone(&format!("{plus}{digits}")));
        } else {
            out.push_str(run);
        }
        rest = &rest[start + run.len()..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

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
        fn text_without_long_numbers_is_unchanged(s in "[^0-9+]{0,20}[0-9]{0,6}[^0-9+]{0,20}") {
            prop_assert_eq!(mask_numbers_in(&s), s);
        }
    }
}
