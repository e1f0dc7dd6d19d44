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
    }
}
