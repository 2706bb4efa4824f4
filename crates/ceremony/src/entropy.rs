//! The randomness of a contribution: 64 bytes from the operating system, optionally mixed with
//! a participant's string, seeding a ChaCha20 RNG. The seed material is wiped once used.

use rand::{rngs::OsRng, RngCore, SeedableRng};
use rand_chacha::ChaCha20Rng;
use sha3::{Digest, Keccak256};
use zeroize::Zeroizing;

/// Domain separator of the seed hash.
const ENTROPY_DOMAIN: &[u8] = b"fernet-ceremony/entropy/v1";

/// A ChaCha20 RNG seeded with keccak256 of 64 bytes of OS randomness and `user` (if any).
///
/// The user string adds entropy the participant controls (keystrokes, dice); the OS bytes keep
/// the RNG unpredictable even if it is empty or guessable.
pub fn contribution_rng(user: Option<&str>) -> ChaCha20Rng {
    let mut os = Zeroizing::new([0u8; 64]);
    OsRng.fill_bytes(os.as_mut());
    let mut hasher = Keccak256::new();
    hasher.update(ENTROPY_DOMAIN);
    hasher.update(os.as_ref());
    if let Some(user) = user {
        hasher.update((user.len() as u64).to_be_bytes());
        hasher.update(user.as_bytes());
    }
    let seed = Zeroizing::new(<[u8; 32]>::from(hasher.finalize()));
    ChaCha20Rng::from_seed(*seed)
}

#[cfg(test)]
mod tests {
    use rand::Rng;

    use super::*;

    #[test]
    fn every_rng_is_fresh() {
        let a: [u8; 32] = contribution_rng(Some("dice 4 2 6")).gen();
        let b: [u8; 32] = contribution_rng(Some("dice 4 2 6")).gen();
        assert_ne!(a, b, "OS randomness is mixed in");
    }
}
