//! `0x`-prefixed lowercase hex for byte strings and 32-byte words, as every JSON interface of
//! the rollup spells them, with errors that quote the offending value.

use serde::{de::Error as _, Deserialize, Deserializer, Serializer};

/// Longest part of an offending value quoted in an error message.
const QUOTED_CHARS: usize = 20;

/// `0x` followed by the lowercase hex of `bytes`.
pub fn encode(bytes: &[u8]) -> String {
    format!("0x{}", hex::encode(bytes))
}

/// Decodes `0x`-prefixed hex (either case); the error names what is wrong with the value.
pub fn decode(text: &str) -> Result<Vec<u8>, String> {
    let digits = text
        .strip_prefix("0x")
        .ok_or_else(|| format!("expected 0x-prefixed hex, got {}", quote(text)))?;
    hex::decode(digits).map_err(|error| format!("invalid hex {}: {error}", quote(text)))
}

/// Decodes a `0x`-prefixed 32-byte word.
pub fn decode_word(text: &str) -> Result<[u8; 32], String> {
    let bytes = decode(text)?;
    <[u8; 32]>::try_from(bytes.as_slice())
        .map_err(|_| format!("expected 32 bytes, got {} in {}", bytes.len(), quote(text)))
}

/// `text` in quotes, shortened to its first characters if long.
fn quote(text: &str) -> String {
    match text.char_indices().nth(QUOTED_CHARS) {
        Some((end, _)) => format!("\"{}…\" ({} chars)", &text[..end], text.len()),
        None => format!("\"{text}\""),
    }
}

/// Serde adapter for `Vec<u8>` as `0x` hex.
pub mod bytes {
    use super::*;

    /// Serializes `bytes` as `0x` hex.
    pub fn serialize<S: Serializer>(bytes: &[u8], serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&encode(bytes))
    }

    /// Deserializes `0x` hex into bytes.
    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<u8>, D::Error> {
        let text = String::deserialize(deserializer)?;
        decode(&text).map_err(D::Error::custom)
    }
}

/// Serde serializer for `Vec<[u8; 32]>` as a list of `0x` words.
pub mod words {
    use serde::ser::SerializeSeq;

    use super::*;

    /// Serializes each word as `0x` hex.
    pub fn serialize<S: Serializer>(words: &[[u8; 32]], serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(Some(words.len()))?;
        for word in words {
            seq.serialize_element(&encode(word))?;
        }
        seq.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_names_bad_values() {
        assert_eq!(encode(&[0xab, 1]), "0xab01");
        assert_eq!(decode("0xAB01").unwrap(), vec![0xab, 1]);
        assert_eq!(decode("0x").unwrap(), Vec::<u8>::new());
        assert_eq!(
            decode("ab01").unwrap_err(),
            "expected 0x-prefixed hex, got \"ab01\""
        );
        assert!(decode("0xabc")
            .unwrap_err()
            .starts_with("invalid hex \"0xabc\""));
        let long = format!("0x{}", "zz".repeat(40));
        assert!(decode(&long).unwrap_err().contains("(82 chars)"));
        assert_eq!(
            decode_word("0x01").unwrap_err(),
            "expected 32 bytes, got 1 in \"0x01\""
        );
        assert_eq!(decode_word(&encode(&[7; 32])).unwrap(), [7; 32]);
    }
}
