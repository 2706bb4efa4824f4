//! The services' signing provider (`L1::signing_provider`) against a real anvil.

use std::time::Duration;

use alloy::{
    network::Ethereum,
    primitives::U256,
    providers::{PendingTransactionBuilder, PendingTransactionError, Provider, WatchTxError},
    signers::local::PrivateKeySigner,
};
use fernet_bindings::DevnetToken;
use fernet_node::{l1::receipt_within, L1};

use super::support::Env;

/// A transaction that never reached L1 (its call reverted in `eth_estimateGas`, as a claim or a
/// proof does when another sequencer or prover got there first) must not hold up the next ones:
/// with a locally cached nonce, every later transaction of the account waited forever behind
/// the skipped nonce.
#[tokio::test]
async fn a_transaction_that_fails_before_sending_does_not_block_the_next_ones() -> eyre::Result<()>
{
    let (env, l1) = connected().await?;
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

/// A transaction dropped from the mempool (as an L1 reorg or an eviction does) never gets a
/// receipt: the wait for it gives up at its timeout instead of holding the service forever, and
/// the next transaction of the account takes the dropped one's nonce and is mined.
#[tokio::test]
async fn a_dropped_transaction_times_out_and_the_next_one_takes_its_nonce() -> eyre::Result<()> {
    let (env, l1) = connected().await?;
    let owner = env.anvil.addresses()[6];
    let other = env.anvil.addresses()[8];
    let token = DevnetToken::new(
        env.deployment.token.address,
        l1.signing_provider(PrivateKeySigner::from(env.anvil.keys()[6].clone())),
    );
    let nonce_before = l1.provider.get_transaction_count(owner).await?;

    let _: serde_json::Value = l1
        .provider
        .raw_request("evm_setAutomine".into(), [false])
        .await?;
    let pending = token.approve(other, U256::from(1)).send().await?;
    let dropped = *pending.tx_hash();
    let _: serde_json::Value = l1
        .provider
        .raw_request("anvil_dropTransaction".into(), [dropped])
        .await?;
    let _: serde_json::Value = l1
        .provider
        .raw_request("evm_setAutomine".into(), [true])
        .await?;
    let _: serde_json::Value = l1.provider.raw_request("evm_mine".into(), ()).await?;

    let waited = tokio::time::timeout(
        Duration::from_secs(30),
        receipt_within(pending, Duration::from_secs(2)),
    )
    .await
    .map_err(|_| eyre::eyre!("the receipt wait ignored its 2 s timeout"))?;
    assert!(
        matches!(
            waited,
            Err(PendingTransactionError::TxWatcher(WatchTxError::Timeout))
        ),
        "the wait for the dropped transaction {dropped} must time out, got {waited:?}"
    );

    mined(token.approve(other, U256::from(2)).send().await).await?;
    assert_eq!(
        l1.provider.get_transaction_count(owner).await?,
        nonce_before + 1,
        "the next transaction must reuse the dropped one's nonce"
    );
    assert_eq!(token.allowance(owner, other).call().await?, U256::from(2));
    Ok(())
}

/// A fresh anvil with the suite, and the services' L1 connection to it.
async fn connected() -> eyre::Result<(Env, L1)> {
    let env = Env::new().await?;
    let l1 = L1::connect(
        &env.anvil.endpoint_url(),
        Some(31_337),
        Some(&env.deployment_file),
    )
    .await?;
    Ok((env, l1))
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
