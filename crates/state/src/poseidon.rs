//! Poseidon over BN254 `Fr` with the circomlib parameters, exposed so the circuit builds its
//! gadget from exactly these numbers.
//!
//! `Poseidon(x_1..x_n)` (circomlib's `poseidon([x_1..x_n])`) uses the permutation of width
//! `t = n + 1` on the state `[0, x_1, ..., x_n]` and outputs `state[0]`. S-box `x^5`, 8 full
//! rounds (4 before, 4 after the partial ones), partial rounds per width as circomlib
//! (`t = 3`: 57, `t = 4`: 56, `t = 5`: 60, `t = 7`: 63). Every round adds
//! `ark[round * t + i]` to `state[i]`, applies the S-box (to all elements in a full round,
//! to `state[0]` only in a partial round), then mixes `state'[i] = sum_j mds[i][j] * state[j]`.
//! The constants are the unoptimised circomlib/Grain ones, taken from `light-poseidon`.

use std::sync::OnceLock;

use ark_ff::{AdditiveGroup, Field};

use crate::{error::Error, field::Fr, Result};

/// Smallest supported state width.
pub const MIN_WIDTH: usize = 2;
/// Largest supported state width (12 inputs).
pub const MAX_WIDTH: usize = 13;

/// Round constants and MDS matrix of one Poseidon width.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoseidonParams {
    /// State width `t` (inputs plus one capacity element).
    pub width: usize,
    /// Full rounds, half of them before and half after the partial rounds.
    pub full_rounds: usize,
    /// Partial rounds (S-box on `state[0]` only).
    pub partial_rounds: usize,
    /// S-box exponent.
    pub alpha: u64,
    /// Round constants, round-major: `ark[round * width + i]`.
    pub ark: Vec<Fr>,
    /// MDS matrix, `mds[i][j]` multiplies `state[j]` into `state'[i]`.
    pub mds: Vec<Vec<Fr>>,
}

/// The parameters of width `t`, built once and cached.
pub fn params(width: usize) -> Result<&'static PoseidonParams> {
    static CACHE: [OnceLock<PoseidonParams>; MAX_WIDTH - MIN_WIDTH + 1] =
        [const { OnceLock::new() }; MAX_WIDTH - MIN_WIDTH + 1];
    let unsupported = Error::UnsupportedPoseidonWidth { width };
    if !(MIN_WIDTH..=MAX_WIDTH).contains(&width) {
        return Err(unsupported);
    }
    if let Some(cached) = CACHE[width - MIN_WIDTH].get() {
        return Ok(cached);
    }
    let t = u8::try_from(width).map_err(|_| unsupported.clone())?;
    let raw = light_poseidon::parameters::bn254_x5::get_poseidon_parameters::<Fr>(t)
        .map_err(|_| unsupported)?;
    let built = PoseidonParams {
        width: raw.width,
        full_rounds: raw.full_rounds,
        partial_rounds: raw.partial_rounds,
        alpha: raw.alpha,
        ark: raw.ark,
        mds: raw.mds,
    };
    Ok(CACHE[width - MIN_WIDTH].get_or_init(|| built))
}

/// Applies the Poseidon permutation of `params` to `state` in place.
///
/// # Panics
/// If `state.len() != params.width`.
pub fn permute(params: &PoseidonParams, state: &mut [Fr]) {
    assert_eq!(
        state.len(),
        params.width,
        "state length must equal the width"
    );
    let half_full = params.full_rounds / 2;
    let rounds = params.full_rounds + params.partial_rounds;
    let mut mixed = vec![Fr::ZERO; params.width];
    for round in 0..rounds {
        let full = round < half_full || round >= half_full + params.partial_rounds;
        for (i, s) in state.iter_mut().enumerate() {
            *s += params.ark[round * params.width + i];
        }
        if full {
            state.iter_mut().for_each(|s| *s = sbox(*s, params.alpha));
        } else {
            state[0] = sbox(state[0], params.alpha);
        }
        for (out, row) in mixed.iter_mut().zip(&params.mds) {
            *out = row.iter().zip(state.iter()).map(|(m, s)| *m * s).sum();
        }
        state.copy_from_slice(&mixed);
    }
}

fn sbox(x: Fr, alpha: u64) -> Fr {
    if alpha == 5 {
        x.square().square() * x
    } else {
        x.pow([alpha])
    }
}

/// circomlib `Poseidon(inputs)` for a fixed number of inputs (1..=12, checked at compile time).
pub fn hash<const N: usize>(inputs: [Fr; N]) -> Fr {
    const { assert!(N >= 1 && N < MAX_WIDTH, "Poseidon takes 1..=12 inputs") };
    let params = params(N + 1).expect("every width in 2..=13 is in the parameter set");
    let mut state = vec![Fr::ZERO; N + 1];
    state[1..].copy_from_slice(&inputs);
    permute(params, &mut state);
    state[0]
}

#[cfg(test)]
mod tests {

    use ark_ff::{BigInteger, PrimeField};
    use light_poseidon::{Poseidon, PoseidonHasher};

    use super::*;

    fn fr_hex(x: &Fr) -> String {
        format!("0x{}", hex::encode(x.into_bigint().to_bytes_be()))
    }

    fn fr(n: u64) -> Fr {
        Fr::from(n)
    }

    /// Outputs of circomlibjs 0.1.7 `buildPoseidon()` (its optimised implementation); the
    /// first is the vector of circomlib's own test suite.
    #[test]
    fn matches_circomlib_vectors() {
        let cases: [(Fr, &str); 7] = [
            (
                hash([fr(1), fr(2)]),
                "0x115cc0f5e7d690413df64c6b9662e9cf2a3617f2743245519e19607a4417189a",
            ),
            (
                hash([fr(1)]),
                "0x29176100eaa962bdc1fe6c654d6a3c130e96a4d1168b33848b897dc502820133",
            ),
            (
                hash([fr(1), fr(2), fr(3)]),
                "0x0e7732d89e6939c0ff03d5e58dab6302f3230e269dc5b968f725df34ab36d732",
            ),
            (
                hash([fr(1), fr(2), fr(3), fr(4)]),
                "0x299c867db6c1fdd79dcefa40e4510b9837e60ebb1ce0663dbaa525df65250465",
            ),
            (
                hash([fr(0), fr(0)]),
                "0x2098f5fb9e239eab3ceac3f27b81e481dc3124d55ffed523a839ee8446b64864",
            ),
            (
                hash([fr(0), fr(0), fr(0)]),
                "0x0bc188d27dcceadc1dcfb6af0a7af08fe2864eecec96c5ae7cee6db31ba599aa",
            ),
            (
                hash([fr(0), fr(0), fr(0), fr(0)]),
                "0x0532fd436e19c70e51209694d9c215250937921b8b79060488c1206db73e9946",
            ),
        ];
        for (i, (got, want)) in cases.iter().enumerate() {
            assert_eq!(fr_hex(got), *want, "case {i}");
        }
    }

    #[test]
    fn matches_light_poseidon_hasher_for_every_width() {
        for n in 1..MAX_WIDTH {
            let inputs: Vec<Fr> = (0..n as u64).map(|i| fr(i * 7 + 3)).collect();
            let mut reference = Poseidon::<Fr>::new_circom(n).unwrap();
            let want = reference.hash(&inputs).unwrap();
            let mut state = vec![Fr::ZERO; n + 1];
            state[1..].copy_from_slice(&inputs);
            permute(params(n + 1).unwrap(), &mut state);
            assert_eq!(state[0], want, "{n} inputs");
        }
    }

    #[test]
    fn parameters_have_circomlib_shape() {
        for (width, partial) in [(3, 57), (4, 56), (5, 60), (7, 63)] {
            let p = params(width).unwrap();
            assert_eq!(
                (p.width, p.full_rounds, p.partial_rounds, p.alpha),
                (width, 8, partial, 5)
            );
            assert_eq!(p.ark.len(), (8 + partial) * width);
            assert_eq!(p.mds.len(), width);
            assert!(p.mds.iter().all(|row| row.len() == width));
        }
        assert_eq!(params(1), Err(Error::UnsupportedPoseidonWidth { width: 1 }));
        assert_eq!(
            params(14),
            Err(Error::UnsupportedPoseidonWidth { width: 14 })
        );
    }

    /// Cross-checks against circomlibjs (a second, independent implementation with the
    /// optimised constants) through `node`. `npm ci` at the repository root installs it; it
    /// is a devDependency, so CI always has it.
    #[test]
    fn matches_circomlibjs_via_node() {
        let module = crate::node_js::module("circomlibjs");
        let inputs: Vec<Vec<Fr>> = (1..=6usize)
            .map(|n| (0..n).map(|i| -Fr::from((n * 1000 + i) as u64)).collect())
            .collect();
        let js_inputs: Vec<String> = inputs
            .iter()
            .map(|v| {
                let items: Vec<String> = v.iter().map(|x| format!("\"{x}\"")).collect();
                format!("[{}]", items.join(","))
            })
            .collect();
        let script = format!(
            "const {{ buildPoseidon }} = require({:?});\n\
             buildPoseidon().then((p) => {{\n\
               for (const input of [{}]) console.log(p.F.toString(p(input.map(BigInt))));\n\
             }});",
            module.display().to_string(),
            js_inputs.join(",")
        );
        let stdout = crate::node_js::run(&script);
        let lines: Vec<String> = stdout.lines().map(str::to_owned).collect();
        let ours: Vec<String> = inputs
            .iter()
            .map(|v| match v.len() {
                1 => hash([v[0]]),
                2 => hash([v[0], v[1]]),
                3 => hash([v[0], v[1], v[2]]),
                4 => hash([v[0], v[1], v[2], v[3]]),
                5 => hash([v[0], v[1], v[2], v[3], v[4]]),
                _ => hash([v[0], v[1], v[2], v[3], v[4], v[5]]),
            })
            .map(|h| h.to_string())
            .collect();
        assert_eq!(lines, ours);
    }
}
