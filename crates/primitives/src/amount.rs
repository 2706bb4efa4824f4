//! Token amounts: base units of the staking token (18 decimals), written as decimal strings.

use std::{fmt, str::FromStr};

use alloy::primitives::U256;
use serde::{de, Deserialize, Deserializer, Serialize, Serializer};

/// Base units per token: the devnet token has 18 decimals.
const TOKEN_DECIMALS: usize = 18;

/// An amount of the staking token in base units.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct TokenAmount(pub U256);

impl TokenAmount {
    /// `n` whole tokens.
    pub fn tokens(n: u64) -> Self {
        Self(U256::from(n) * U256::from(10).pow(U256::from(TOKEN_DECIMALS)))
    }

    /// Whether the amount is zero.
    pub fn is_zero(&self) -> bool {
        self.0.is_zero()
    }
}

impl fmt::Display for TokenAmount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl FromStr for TokenAmount {
    type Err = String;

    /// Parses `"1000"` (base units) or `"1.5 tokens"` / `"1 token"` (whole tokens).
    fn from_str(s: &str) -> std::result::Result<Self, Self::Err> {
        let s = s.trim();
        let whole = s
            .strip_suffix("tokens")
            .or_else(|| s.strip_suffix("token"))
            .map(str::trim);
        let invalid =
            || format!("invalid token amount {s:?}: expected \"<base units>\" or \"<n> tokens\"");
        let digits_ok = |part: &str| part.chars().all(|c| c.is_ascii_digit());
        match whole {
            None if s.is_empty() || !digits_ok(s) => Err(invalid()),
            None => U256::from_str_radix(s, 10).map(Self).map_err(|_| invalid()),
            Some(number) => {
                let (int, frac) = number.split_once('.').unwrap_or((number, ""));
                if int.is_empty()
                    || !digits_ok(int)
                    || !digits_ok(frac)
                    || frac.len() > TOKEN_DECIMALS
                {
                    return Err(invalid());
                }
                let padded = format!("{int}{frac:0<width$}", width = TOKEN_DECIMALS);
                U256::from_str_radix(&padded, 10)
                    .map(Self)
                    .map_err(|_| invalid())
            }
        }
    }
}

impl Serialize for TokenAmount {
    /// Base units as a decimal string (JSON numbers cannot hold 256 bits).
    fn serialize<S: Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0.to_string())
    }
}

impl<'de> Deserialize<'de> for TokenAmount {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Units(u64),
            Text(String),
        }
        match Raw::deserialize(deserializer)? {
            Raw::Units(units) => Ok(Self(U256::from(units))),
            Raw::Text(text) => text.parse().map_err(de::Error::custom),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_token_amounts() {
        assert_eq!(
            "1000".parse::<TokenAmount>().unwrap(),
            TokenAmount(U256::from(1000))
        );
        assert_eq!(
            "100 tokens".parse::<TokenAmount>().unwrap(),
            TokenAmount::tokens(100)
        );
        assert_eq!(
            "1 token".parse::<TokenAmount>().unwrap(),
            TokenAmount::tokens(1)
        );
        assert_eq!(
            "0.5 tokens".parse::<TokenAmount>().unwrap(),
            TokenAmount(U256::from(500_000_000_000_000_000u64))
        );
        for bad in [
            "",
            "tokens",
            "-1",
            "1e18",
            "1.0000000000000000001 tokens",
            "ten tokens",
        ] {
            assert!(bad.parse::<TokenAmount>().is_err(), "{bad:?} parsed");
        }
        let json = serde_json::to_string(&TokenAmount::tokens(2)).unwrap();
        assert_eq!(json, "\"2000000000000000000\"");
    }
}
