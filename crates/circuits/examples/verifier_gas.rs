//! Measures the generated verifier's gas on a real anvil: `eth_estimateGas` of `verifyProof`
//! and of `verifyBatch` for several proof counts, with 1 and 7 public inputs (7: a block proof).
//!
//! Run with `cargo run -p fernet-circuits --example verifier_gas`. "used" is the gas a real
//! transaction used; "execution" is that less the intrinsic cost (21000 plus 4 gas per zero and
//! 16 per non-zero calldata byte). The estimate is higher than the gas used because every
//! precompile call must be given 64/63 of what it consumes.

#[path = "../tests/support/mod.rs"]
mod support;

use ark_groth16::Proof;
use eyre::{bail, Result};
use fernet_circuits::proof_system::evm;
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use serde_json::json;

use support::chain::{call_verify, deploy_verifier, encode_bytes_and_words, Anvil};
use support::circuit::{keys, prove};

/// The proof counts measured with `verifyBatch`.
const BATCH_SIZES: [usize; 3] = [1, 8, 32];

fn main() -> Result<()> {
    let anvil = Anvil::spawn()?;
    let rpc = &anvil.rpc;
    let info = rpc.request("anvil_nodeInfo", json!([]))?.ok();
    let hardfork = info
        .as_ref()
        .and_then(|i| i["hardFork"].as_str())
        .unwrap_or("unknown");
    println!("anvil hardfork: {hardfork}");
    println!(
        "{:<12} {:>3} {:>3} {:>10} {:>10} {:>10} {:>10} {:>10}",
        "function", "K", "N", "estimate", "used", "calldata", "execution", "exec/proof"
    );

    let mut rng = ChaCha20Rng::seed_from_u64(42);
    for num_inputs in [1, fernet_state::NUM_PUBLIC_INPUTS] {
        let keys = keys(num_inputs);
        let verifier = deploy_verifier(rpc, &keys.verifying_key)?;
        let proofs: Vec<(Proof<ark_bn254::Bn254>, Vec<ark_bn254::Fr>)> = (0..BATCH_SIZES[2])
            .map(|_| prove(&keys, &mut rng))
            .collect();

        let mut cases = vec![("verifyProof", 1)];
        cases.extend(BATCH_SIZES.iter().map(|&n| ("verifyBatch", n)));
        for (function, n) in cases {
            let bytes: Vec<u8> = proofs[..n]
                .iter()
                .flat_map(|(p, _)| evm::proof_to_bytes(p))
                .collect();
            let inputs: Vec<_> = proofs[..n].iter().flat_map(|(_, x)| x.clone()).collect();
            match call_verify(rpc, &verifier, function, &bytes, &inputs)? {
                Ok(true) => {}
                Ok(false) => bail!("{function} rejected valid proofs"),
                Err(error) => bail!("{function} reverted: {} {:?}", error.message, error.data),
            }
            let calldata =
                encode_bytes_and_words(function, &bytes, &evm::public_inputs_to_words(&inputs));
            let estimate = rpc.estimate_gas(&verifier, &calldata)?;
            let used = rpc.gas_used(&verifier, &calldata)?;
            let calldata_gas: u64 = calldata.iter().map(|&b| if b == 0 { 4 } else { 16 }).sum();
            let execution = used - 21_000 - calldata_gas;
            println!(
                "{function:<12} {num_inputs:>3} {n:>3} {estimate:>10} {used:>10} {calldata_gas:>10} {execution:>10} {:>10}",
                execution / n as u64
            );
        }
    }
    Ok(())
}
