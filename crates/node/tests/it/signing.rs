//! The services' signing provider (`L1::signing_provider`) against a real anvil.

use std::time::Duration;

use alloy::{
    network::Ethereum, primitives::U256, providers::PendingTransactionBuilder,
    signers::local::PrivateKeySigner,
};
use fernet_bindings::DevnetToken;
use fernet_node::L1;

use super::support::Env;

/// A transaction that never reached L1 (its call reverted in `eth_estimateGas`, as a claim or a
/// proof does when another sequencer or prover got there first) must not hold up the next ones:
/// with a locally cached nonce, every later transaction of the account waited forever behind
/// the skipped nonce.
#[tokio::test]
async fn a_transaction_that_fails_before_sending_does_not_block_the_next_ones() -> eyre::Result<()>
{
    let env = Env::new().await?;
    let l1 = L1::connect(
        &env.anvil.endpoint_url(),
        Some(31_337),
        Some(&env.deployment_file),
    )
    .await?;
    // An account without tokens: its transfers revert, its approvals succeed.
    let signer = PrivateKeySigner::from(env.anvil.keys()[7].clone());
    let other = env.anvil.addresses()[8];
    let token = DevnetToken::new(env.deployment.token.address, l1.signing_provider(signer));
    mined(token.approve(other, U256::from(1)).send().await).await?;
    let failed = token.transfer(other, U256::from(1)).send().await;
    assert!(failed.is_err(), "a transfer without tokens must revert");
    mined(token.approve(other, U256::from(2)).send().await).await?;
    mined(token.approve(other, U256::from(3)).send().await).await?;
    assert_eq!(
        token
            .allowance(env.anvil.addresses()[7], other)
            .call()
            .await?,
        U256::from(3)
    );
    Ok(())
}

/// Waits (at most 10 s: anvil mines at once) for a sent transaction to succeed.
async fn mined(
    sent: Result<PendingTransactionBuilder<Ethereum>, alloy::contract::Error>,
) -> eyre::Result<()> {
    let receipt = tokio::time::timeout(Duration::from_secs(10), sent?.get_receipt())
        .await
        .map_err(|_| eyre::eyre!("the transaction was never mined"))??;
    eyre::ensure!(receipt.status(), "the transaction reverted");
    Ok(())
}
