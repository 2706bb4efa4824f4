//! `TxSender`: simulation with decoded reverts, nonces, replacement of stuck transactions.

use std::time::Duration;

use alloy::{
    contract::CallBuilder,
    eips::BlockId,
    network::TransactionBuilder,
    primitives::{Address, Bytes, U256},
    providers::{Provider, ProviderBuilder},
    rpc::types::TransactionRequest,
    signers::local::PrivateKeySigner,
};
use fernet_bindings::DevnetToken;
use fernet_l1::{connect, Error, L1Options, L1Time, TxSender};
use serde_json::Value;

use crate::support::{anvil, anvil_without_mining};

const RECIPIENT: Address = Address::repeat_byte(0x42);

fn sender(
    url: &alloy::transports::http::reqwest::Url,
    key: PrivateKeySigner,
    options: &L1Options,
) -> TxSender {
    TxSender::new(connect(url, options).unwrap(), key, options)
        .unwrap()
        .with_poll_interval(Duration::from_millis(50))
}

#[tokio::test]
async fn calls_are_simulated_first_a_revert_comes_back_decoded_and_sends_do_not_wait() {
    let anvil = anvil();
    let key = PrivateKeySigner::from(anvil.keys()[0].clone());
    let sender = sender(&anvil.endpoint_url(), key, &L1Options::default());
    let deploy =
        DevnetToken::deploy_builder(sender.provider().clone(), "Token".into(), "TOK".into());
    let receipt = sender
        .send_call(deploy, "deploy DevnetToken")
        .await
        .unwrap()
        .receipt()
        .await
        .unwrap();
    let token = DevnetToken::new(receipt.contract_address.unwrap(), sender.provider().clone());

    // A transfer beyond the balance reverts in simulation, decoded; nothing is sent.
    let nonce = sender
        .provider()
        .get_transaction_count(sender.address())
        .await
        .unwrap();
    let error = sender
        .send_call(token.transfer(RECIPIENT, U256::from(1)), "token.transfer")
        .await
        .unwrap_err();
    assert!(matches!(error, Error::Contract(_)), "{error:?}");
    let message = error.to_string();
    assert!(
        message.contains("token.transfer") && message.contains("ERC20InsufficientBalance"),
        "{message}"
    );
    assert_eq!(
        sender
            .provider()
            .get_transaction_count(sender.address())
            .await
            .unwrap(),
        nonce,
        "the failed simulation used no nonce"
    );

    // Two sends back to back, neither waiting for the other's receipt: consecutive nonces.
    let mint = sender
        .send_call(token.mint(sender.address(), U256::from(10)), "token.mint")
        .await
        .unwrap();
    let transfer = sender
        .send(
            token
                .transfer(RECIPIENT, U256::from(4))
                .into_transaction_request()
                .with_gas_limit(100_000),
            "token.transfer",
        )
        .await
        .unwrap();
    assert_eq!((mint.nonce(), transfer.nonce()), (nonce, nonce + 1));
    mint.receipt().await.unwrap();
    transfer.receipt().await.unwrap();
    assert_eq!(
        token.balanceOf(RECIPIENT).call().await.unwrap(),
        U256::from(4)
    );
}

#[tokio::test]
async fn a_transaction_reverted_on_chain_is_an_error_naming_it() {
    let anvil = anvil();
    let key = PrivateKeySigner::from(anvil.keys()[0].clone());
    let sender = sender(&anvil.endpoint_url(), key, &L1Options::default());
    let deploy =
        DevnetToken::deploy_builder(sender.provider().clone(), "Token".into(), "TOK".into());
    let receipt = sender
        .send_call(deploy, "deploy")
        .await
        .unwrap()
        .receipt()
        .await
        .unwrap();
    let token = DevnetToken::new(receipt.contract_address.unwrap(), sender.provider().clone());
    // The gas is given, so nothing simulates the transfer: it reverts on chain.
    let request = token
        .transfer(RECIPIENT, U256::from(1))
        .into_transaction_request()
        .with_gas_limit(100_000);
    let error = sender
        .send(request, "unfunded transfer")
        .await
        .unwrap()
        .receipt()
        .await
        .unwrap_err();
    let Error::Reverted {
        context, tx_hash, ..
    } = &error
    else {
        panic!("{error:?}");
    };
    assert_eq!(context, "unfunded transfer");
    assert!(error.to_string().contains(&tx_hash.to_string()), "{error}");
}

#[tokio::test]
async fn a_nonce_taken_by_another_client_of_the_key_is_read_again() {
    let anvil = anvil();
    let key = PrivateKeySigner::from(anvil.keys()[1].clone());
    let sender = sender(&anvil.endpoint_url(), key.clone(), &L1Options::default());
    let transfer = || {
        TransactionRequest::default()
            .with_to(RECIPIENT)
            .with_value(U256::from(1))
    };
    sender
        .send(transfer(), "first")
        .await
        .unwrap()
        .receipt()
        .await
        .unwrap();
    // The same key sends elsewhere: the sender's counted nonce is now taken.
    let other = ProviderBuilder::new()
        .wallet(key)
        .connect_http(anvil.endpoint_url());
    other
        .send_transaction(transfer())
        .await
        .unwrap()
        .get_receipt()
        .await
        .unwrap();
    let pending = sender
        .send(transfer(), "after another client")
        .await
        .unwrap();
    assert_eq!(pending.nonce(), 2);
    pending.receipt().await.unwrap();
}

#[tokio::test]
async fn a_stuck_transaction_is_replaced_with_the_same_nonce_and_bumped_fees() {
    // Attack (issue 12, "a stuck transaction is abandoned after 60 s, and the next send queues
    // behind it"): nothing is mined until the sender has replaced its transaction.
    stuck_transaction_is_replaced(false).await;
}

#[tokio::test]
async fn a_watcher_following_l1_heads_replaces_a_stuck_transaction_and_sees_it_mined() {
    // Watchers that read their nonce once per new head still replace in time when no block
    // comes, and see the transaction mined by the next head.
    stuck_transaction_is_replaced(true).await;
}

/// Sends on an anvil that mines nothing until the transaction was replaced; with
/// `follow_heads`, the watchers follow an [`L1Time`] instead of polling.
async fn stuck_transaction_is_replaced(follow_heads: bool) {
    let anvil = anvil_without_mining();
    let key = PrivateKeySigner::from(anvil.keys()[0].clone());
    let options = L1Options {
        tx_replace_after_ms: 200,
        tx_fee_bump_percent: 10,
        ..L1Options::default()
    };
    let mut sender = sender(&anvil.endpoint_url(), key, &options);
    if follow_heads {
        let time = L1Time::start(sender.provider().clone(), Duration::from_millis(50))
            .await
            .unwrap();
        sender = sender.with_heads(time.subscribe());
    }
    let provider = sender.provider().clone();
    let request = TransactionRequest::default()
        .with_to(RECIPIENT)
        .with_value(U256::from(7));
    let pending = sender.send(request, "stuck transfer").await.unwrap();
    let first = pending.tx_hash();
    let original = provider
        .get_transaction_by_hash(first)
        .await
        .unwrap()
        .expect("the first transaction is in the pool");

    // Wait (as a condition, not a sleep) until the pool no longer holds the first transaction.
    tokio::time::timeout(Duration::from_secs(10), async {
        while provider
            .get_transaction_by_hash(first)
            .await
            .unwrap()
            .is_some()
        {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await
    .expect("the stuck transaction is replaced");
    provider
        .raw_request::<_, Value>("evm_mine".into(), ())
        .await
        .unwrap();

    let receipt = tokio::time::timeout(Duration::from_secs(10), pending.receipt())
        .await
        .expect("the receipt of the replacement is delivered")
        .unwrap();
    assert_ne!(receipt.transaction_hash, first);
    let replacement = provider
        .get_transaction_by_hash(receipt.transaction_hash)
        .await
        .unwrap()
        .unwrap();
    use alloy::consensus::Transaction;
    assert_eq!(replacement.nonce(), original.nonce());
    assert!(replacement.max_fee_per_gas() * 100 >= original.max_fee_per_gas() * 110);
    let (old_tip, new_tip) = (
        original.max_priority_fee_per_gas().unwrap(),
        replacement.max_priority_fee_per_gas().unwrap(),
    );
    assert!(new_tip * 100 >= old_tip * 110, "{new_tip} vs {old_tip}");
    assert_eq!(
        provider.get_balance(RECIPIENT).await.unwrap(),
        U256::from(7)
    );

    // The next send does not queue behind anything.
    let next = sender
        .send(
            TransactionRequest::default()
                .with_to(RECIPIENT)
                .with_value(U256::from(1)),
            "next",
        )
        .await
        .unwrap();
    assert_eq!(next.nonce(), original.nonce() + 1);
    provider
        .raw_request::<_, Value>("evm_mine".into(), ())
        .await
        .unwrap();
    next.receipt().await.unwrap();
}

/// Init code of a contract that records its deployment block and whose every call reverts
/// unless it runs in a later block: `sstore(0, number())`, then the runtime
/// `if iszero(gt(number(), sload(0))) { revert(0, 0) }`.
const NEEDS_A_LATER_BLOCK: &str = "435f55600c600d5f39600c5ff35f544311600a575f5ffd5b00";

#[tokio::test]
async fn a_send_is_simulated_in_the_block_it_will_land_in() {
    // Attack (issue 12, full scale run with 12 s L1 blocks): sends were simulated on `latest`,
    // a block up to 12 s old; a proposal sent when its slot began ran there in the previous
    // slot and was refused (`Rollup__InvalidSlot(3, 4)`), though the next block would have taken
    // it. Here a call valid only after the latest block must be simulated on the pending one.
    let anvil = anvil_without_mining();
    let key = PrivateKeySigner::from(anvil.keys()[0].clone());
    let sender = sender(&anvil.endpoint_url(), key, &L1Options::default());
    let provider = sender.provider().clone();
    let mine = || async {
        provider
            .raw_request::<_, Value>("evm_mine".into(), ())
            .await
            .unwrap();
    };
    let code: Bytes = NEEDS_A_LATER_BLOCK.parse().unwrap();
    let deploy = sender
        .send(
            TransactionRequest::default().with_deploy_code(code),
            "deploy",
        )
        .await
        .unwrap();
    mine().await;
    let contract = deploy.receipt().await.unwrap().contract_address.unwrap();

    assert!(
        provider
            .estimate_gas(TransactionRequest::default().with_to(contract))
            .block(BlockId::latest())
            .await
            .is_err(),
        "on the latest block (the deployment's) the call reverts"
    );
    let call = CallBuilder::new_raw(provider.clone(), Bytes::new()).to(contract);
    let pending = sender
        .send_call(call, "call in the next block")
        .await
        .expect("simulated on the pending block, where it succeeds");
    mine().await;
    assert!(pending.receipt().await.unwrap().status());
}
