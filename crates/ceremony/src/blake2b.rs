//! BLAKE2b-512 whose running state can be exported and resumed in snarkjs' 216-byte layout.
//!
//! A `.ptau` contribution record stores the response hasher's state *before* the contributor's
//! public key was absorbed (`partialHash`), so a verifier resumes it and hashes only the key. The
//! layout is blake2b-wasm's context, which snarkjs' `toPartialHash` reproduces over noble:
//! `[0, 128)` the pending block, `[128, 192)` `h[0..8]` (u64 LE), `[192, 200)` the bytes already
//! compressed, `[200, 208)` the bytes pending (`0..=128`: a full block stays pending until more
//! input arrives), `[208, 216)` zero.

/// Bytes of an exported state.
pub const PARTIAL_STATE_BYTES: usize = 216;
/// Bytes of a BLAKE2b block.
const BLOCK: usize = 128;
/// Bytes of the digest.
pub const DIGEST_BYTES: usize = 64;

/// The BLAKE2b initialization vector (SHA-512's).
const IV: [u64; 8] = [
    0x6a09e667f3bcc908,
    0xbb67ae8584caa73b,
    0x3c6ef372fe94f82b,
    0xa54ff53a5f1d36f1,
    0x510e527fade682d1,
    0x9b05688c2b3e6c1f,
    0x1f83d9abfb41bd6b,
    0x5be0cd19137e2179,
];

/// The message word permutations of the twelve rounds.
const SIGMA: [[usize; 16]; 12] = [
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15],
    [14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3],
    [11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4],
    [7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8],
    [9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13],
    [2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9],
    [12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11],
    [13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10],
    [6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5],
    [10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0],
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15],
    [14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3],
];

/// An exported state that cannot be resumed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PartialStateError {
    /// The pending byte count exceeds a block.
    #[error("the pending byte count {0} exceeds a block")]
    Pending(u64),
    /// The finalization flag is set.
    #[error("the state is already finalized")]
    Finalized,
}

/// An unkeyed BLAKE2b-512 hasher.
#[derive(Clone)]
pub struct Blake2b {
    h: [u64; 8],
    compressed: u64,
    block: [u8; BLOCK],
    pending: usize,
}

impl Default for Blake2b {
    fn default() -> Self {
        Self::new()
    }
}

impl Blake2b {
    /// A fresh hasher for a 64-byte digest, no key.
    pub fn new() -> Self {
        let mut h = IV;
        h[0] ^= 0x0101_0000 ^ DIGEST_BYTES as u64;
        Self {
            h,
            compressed: 0,
            block: [0; BLOCK],
            pending: 0,
        }
    }

    /// The BLAKE2b-512 digest of `data`.
    pub fn digest(data: &[u8]) -> [u8; DIGEST_BYTES] {
        let mut hasher = Self::new();
        hasher.update(data);
        hasher.finalize()
    }

    /// Absorbs `data`; a full block is compressed only once more input arrives.
    pub fn update(&mut self, mut data: &[u8]) {
        while !data.is_empty() {
            if self.pending == BLOCK {
                self.compressed = self.compressed.wrapping_add(BLOCK as u64);
                let block = self.block;
                self.compress(&block, false);
                self.pending = 0;
            }
            let take = (BLOCK - self.pending).min(data.len());
            self.block[self.pending..self.pending + take].copy_from_slice(&data[..take]);
            self.pending += take;
            data = &data[take..];
        }
    }

    /// The digest of everything absorbed.
    pub fn finalize(mut self) -> [u8; DIGEST_BYTES] {
        self.compressed = self.compressed.wrapping_add(self.pending as u64);
        self.block[self.pending..].fill(0);
        let block = self.block;
        self.compress(&block, true);
        let mut out = [0u8; DIGEST_BYTES];
        for (chunk, word) in out.chunks_exact_mut(8).zip(self.h) {
            chunk.copy_from_slice(&word.to_le_bytes());
        }
        out
    }

    /// The state in snarkjs' 216-byte `partialHash` layout.
    pub fn export(&self) -> [u8; PARTIAL_STATE_BYTES] {
        let mut out = [0u8; PARTIAL_STATE_BYTES];
        out[..BLOCK].copy_from_slice(&self.block);
        for (chunk, word) in out[BLOCK..192].chunks_exact_mut(8).zip(self.h) {
            chunk.copy_from_slice(&word.to_le_bytes());
        }
        out[192..200].copy_from_slice(&self.compressed.to_le_bytes());
        out[200..208].copy_from_slice(&(self.pending as u64).to_le_bytes());
        out
    }

    /// Resumes a state exported by [`Blake2b::export`] or by snarkjs.
    pub fn resume(state: &[u8; PARTIAL_STATE_BYTES]) -> Result<Self, PartialStateError> {
        let word = |at: usize| {
            let mut bytes = [0u8; 8];
            bytes.copy_from_slice(&state[at..at + 8]);
            u64::from_le_bytes(bytes)
        };
        let pending = word(200);
        if pending > BLOCK as u64 {
            return Err(PartialStateError::Pending(pending));
        }
        if word(208) != 0 {
            return Err(PartialStateError::Finalized);
        }
        let mut h = [0u64; 8];
        for (i, slot) in h.iter_mut().enumerate() {
            *slot = word(BLOCK + 8 * i);
        }
        let mut block = [0u8; BLOCK];
        block.copy_from_slice(&state[..BLOCK]);
        Ok(Self {
            h,
            compressed: word(192),
            block,
            pending: pending as usize,
        })
    }

    /// The compression function `F` over one block; `self.compressed` already counts it.
    fn compress(&mut self, block: &[u8; BLOCK], last: bool) {
        let mut m = [0u64; 16];
        for (word, chunk) in m.iter_mut().zip(block.chunks_exact(8)) {
            let mut bytes = [0u8; 8];
            bytes.copy_from_slice(chunk);
            *word = u64::from_le_bytes(bytes);
        }
        let mut v = [0u64; 16];
        v[..8].copy_from_slice(&self.h);
        v[8..].copy_from_slice(&IV);
        v[12] ^= self.compressed;
        if last {
            v[14] = !v[14];
        }
        for s in &SIGMA {
            mix(&mut v, 0, 4, 8, 12, m[s[0]], m[s[1]]);
            mix(&mut v, 1, 5, 9, 13, m[s[2]], m[s[3]]);
            mix(&mut v, 2, 6, 10, 14, m[s[4]], m[s[5]]);
            mix(&mut v, 3, 7, 11, 15, m[s[6]], m[s[7]]);
            mix(&mut v, 0, 5, 10, 15, m[s[8]], m[s[9]]);
            mix(&mut v, 1, 6, 11, 12, m[s[10]], m[s[11]]);
            mix(&mut v, 2, 7, 8, 13, m[s[12]], m[s[13]]);
            mix(&mut v, 3, 4, 9, 14, m[s[14]], m[s[15]]);
        }
        for i in 0..8 {
            self.h[i] ^= v[i] ^ v[i + 8];
        }
    }
}

/// The mixing function `G`.
fn mix(v: &mut [u64; 16], a: usize, b: usize, c: usize, d: usize, x: u64, y: u64) {
    v[a] = v[a].wrapping_add(v[b]).wrapping_add(x);
    v[d] = (v[d] ^ v[a]).rotate_right(32);
    v[c] = v[c].wrapping_add(v[d]);
    v[b] = (v[b] ^ v[c]).rotate_right(24);
    v[a] = v[a].wrapping_add(v[b]).wrapping_add(y);
    v[d] = (v[d] ^ v[a]).rotate_right(16);
    v[c] = v[c].wrapping_add(v[d]);
    v[b] = (v[b] ^ v[c]).rotate_right(63);
}

#[cfg(test)]
mod tests {
    use super::*;
    use blake2::{Blake2b512, Digest};
    use rand::{rngs::StdRng, Rng, RngCore, SeedableRng};

    #[test]
    fn matches_rustcrypto_on_random_inputs() {
        let mut rng = StdRng::seed_from_u64(7);
        for len in [0usize, 1, 127, 128, 129, 255, 256, 257, 1000, 4096] {
            let mut data = vec![0u8; len];
            rng.fill_bytes(&mut data);
            let expected: [u8; 64] = Blake2b512::digest(&data).into();
            // In random pieces, so that block boundaries fall everywhere.
            let mut hasher = Blake2b::new();
            let mut rest = &data[..];
            while !rest.is_empty() {
                let take = rng.gen_range(1..=rest.len().min(300));
                hasher.update(&rest[..take]);
                rest = &rest[take..];
            }
            assert_eq!(hasher.finalize(), expected, "length {len}");
        }
    }

    #[test]
    fn resumes_from_an_exported_state() {
        let mut rng = StdRng::seed_from_u64(8);
        for (head, tail) in [
            (0usize, 768usize),
            (128, 768),
            (200, 5),
            (256, 0),
            (1000, 768),
        ] {
            let mut data = vec![0u8; head + tail];
            rng.fill_bytes(&mut data);
            let mut hasher = Blake2b::new();
            hasher.update(&data[..head]);
            let state = hasher.export();
            if head > 0 {
                // A full block stays pending: snarkjs' layout allows 128.
                assert_eq!(state[200] as usize, (head - 1) % 128 + 1);
            }
            let mut resumed = Blake2b::resume(&state).expect("valid state");
            resumed.update(&data[head..]);
            let expected: [u8; 64] = Blake2b512::digest(&data).into();
            assert_eq!(resumed.finalize(), expected);
        }
        let mut bad = Blake2b::new().export();
        bad[200] = 129;
        assert!(matches!(
            Blake2b::resume(&bad),
            Err(PartialStateError::Pending(129))
        ));
    }
}
