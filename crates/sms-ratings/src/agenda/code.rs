//! Codes for talks whose source has none: four characters, a letter first, from an alphabet
//! without the look-alikes (`0`/`O`, `1`/`I`/`L`), derived from the talk's stable id so the
//! same file gives the same codes again.

use std::collections::HashSet;

use sha2::{Digest, Sha256};

use crate::model::EventCode;

/// Letters with no digit look-alike.
const LETTERS: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZ";
/// Letters and the digits that cannot be read as letters.
const CHARS: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";
/// The length of a generated code: 23 × 31³ ≈ 685 000 codes, room for any conference.
const LEN: usize = 4;

/// A code for `source_id` not in `taken`, which it joins.
pub fn generate(source_id: &str, taken: &mut HashSet<String>) -> EventCode {
    for attempt in 0u32.. {
        let digest = Sha256::new()
            .chain_update(source_id.as_bytes())
            .chain_update(attempt.to_be_bytes())
            .finalize();
        let code: String = digest
            .iter()
            .take(LEN)
            .enumerate()
            .map(|(i, b)| {
                let set = if i == 0 { LETTERS } else { CHARS };
                char::from(set[usize::from(*b) % set.len()])
            })
            .collect();
        if let Ok(parsed) = code.parse::<EventCode>()
            && taken.insert(code)
        {
            return parsed;
        }
    }
    unreachable!("u32 attempts exhaust no finite set of taken codes")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_stable_unique_and_unambiguous() {
        let mut taken = HashSet::new();
        let first = generate("guid-1", &mut taken);
        assert_eq!(generate("guid-1", &mut HashSet::new()), first);
        let codes: Vec<EventCode> = (0..2000)
            .map(|i| generate(&format!("guid-{i}"), &mut taken))
            .collect();
        let unique: HashSet<&str> = codes.iter().map(EventCode::as_str).collect();
        assert_eq!(unique.len(), codes.len());
        assert!(!unique.contains(first.as_str()));
        for c in &codes {
            assert_eq!(c.as_str().len(), LEN);
            assert!(!c.as_str().contains(['0', 'O', '1', 'I', 'L']), "{c}");
            assert!(c.as_str().starts_with(|ch: char| ch.is_ascii_uppercase()));
        }
    }
}
