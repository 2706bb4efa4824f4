//! The JSON-RPC interface of a running node: bad input gets a clear error, never a crash;
//! quotes are checked against the real rollup's EIP-712 digest.

use alloy::{primitives::U256, signers::local::PrivateKeySigner};
use fernet_deploy::chain::ANVIL_DEFAULT_PRIVATE_KEY;
use fernet_node::{rpc::MAX_BATCH_LEN, NodeClient};
use fernet_primitives::quote::Quote;
use serde_json::{json, Value};

use crate::support::{eventually, genesis, start, tx, Env, PAYER};

async fn post(url: &str, body: impl Into<reqwest::Body>) -> eyre::Result<(u16, Value)> {
    let response = reqwest::Client::new()
        .post(url)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await?;
    let status = response.status().as_u16();
    Ok((status, response.json().await?))
}

async fn call(url: &str, method: &str, params: Value) -> eyre::Result<Value> {
    let body = json!({ "jsonrpc": "2.0", "id": 7, "method": method, "params": params });
    Ok(post(url, body.to_string()).await?.1)
}

fn error(answer: &Value) -> (i64, String) {
    let code = answer["error"]["code"].as_i64().unwrap_or_default();
    let message = answer["error"]["message"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    (code, message)
}

#[tokio::test]
async fn bad_requests_get_clear_errors() -> eyre::Result<()> {
    let env = Env::new().await?;
    let node = start(env.node_config("node", 10)).await?;
    let url = node.rpc_url().expect("rpc runs").to_string();
    // PAYER gets 25 in fees from a deposit that block 1 consumes.
    env.register_sequencer().await?;
    env.deposit(25).await?;
    env.propose(&mut genesis(&env), 1, &[]).await?;
    eventually("block 1", || async { Ok(node.chain.pending_tip() == 1) }).await?;

    let (_, answer) = post(&url, "{not json").await?;
    assert_eq!(error(&answer).0, -32700, "{answer}");
    let answer = call(&url, "fernet_nope", json!([])).await?;
    assert_eq!(error(&answer).0, -32601, "{answer}");
    assert!(error(&answer).1.contains("fernet_nope"));
    assert_eq!(answer["id"], 7);
    let (_, answer) = post(
        &url,
        r#"{"jsonrpc":"2.0","id":1,"method":"fernet_blockNumber","params":{"a":1}}"#,
    )
    .await?;
    assert_eq!(error(&answer).0, -32602, "{answer}");
    let (_, answer) = post(
        &url,
        r#"{"jsonrpc":"1.0","id":1,"method":"fernet_blockNumber"}"#,
    )
    .await?;
    assert_eq!(error(&answer).0, -32600, "{answer}");
    let (_, answer) = post(&url, "[]").await?;
    assert_eq!(error(&answer).0, -32600, "{answer}");
    let answer = call(&url, "fernet_getBlock", json!(["x"])).await?;
    let (code, message) = error(&answer);
    assert_eq!(code, -32602);
    assert!(
        message.contains("block number") && message.contains("\"x\""),
        "{message}"
    );
    // A missing parameter: jsonrpsee's own -32602 ("Invalid params").
    let answer = call(&url, "fernet_getBlock", json!([])).await?;
    assert_eq!(error(&answer).0, -32602, "{answer}");
    let answer = call(&url, "fernet_getBlock", json!([1, 2])).await?;
    assert_eq!(error(&answer).0, -32602, "{answer}");
    assert_eq!(
        call(&url, "fernet_getBlock", json!([2])).await?["result"],
        Value::Null
    );

    // Transactions: unknown field, non-canonical element, low fee, duplicate, conflict.
    let answer = call(
        &url,
        "fernet_sendTransaction",
        json!([{ "fee": "10", "nullifiers": ["0x1"], "memo": "hi" }]),
    )
    .await?;
    let (code, message) = error(&answer);
    assert_eq!(code, -32602);
    assert!(message.contains("unknown field `memo`"), "{message}");
    let r = "0x30644e72e131a029b85045b68181585d2833e84879b9709143e1f593f0000001";
    let answer = call(
        &url,
        "fernet_sendTransaction",
        json!([{ "fee": "10", "nullifiers": [r] }]),
    )
    .await?;
    let (code, message) = error(&answer);
    assert_eq!(code, -32602);
    assert!(
        message.contains(r) && message.contains("canonical"),
        "{message}"
    );
    let answer = call(
        &url,
        "fernet_sendTransaction",
        json!([{ "fee": "10", "nullifiers": [] }]),
    )
    .await?;
    assert_eq!(error(&answer).0, -32602, "{answer}");
    let answer = call(&url, "fernet_sendTransaction", json!([tx(9, 1)])).await?;
    let (code, message) = error(&answer);
    assert_eq!(code, -32000);
    assert_eq!(message, "fee 9 is below the base fee 10");
    let answer = call(&url, "fernet_sendTransaction", json!([tx(10, 1)])).await?;
    let hash = answer["result"].as_str().expect("a hash").to_owned();
    let answer = call(&url, "fernet_sendTransaction", json!([tx(10, 1)])).await?;
    let (code, message) = error(&answer);
    assert_eq!(code, -32000);
    assert!(
        message.contains(&hash) && message.contains("already in the pool"),
        "{message}"
    );
    let answer = call(&url, "fernet_sendTransaction", json!([tx(11, 1)])).await?;
    assert!(
        error(&answer)
            .1
            .contains("already used by pooled transaction"),
        "{answer}"
    );
    // 10 of PAYER's 25 are owed by its pooled tx: 16 more is too much, with the numbers named.
    let answer = call(&url, "fernet_sendTransaction", json!([tx(16, 2)])).await?;
    let (code, message) = error(&answer);
    assert_eq!(code, -32000);
    assert!(
        message.contains("cannot pay fee 16")
            && message.contains("fee balance 25")
            && message.contains("10 already owed"),
        "{message}"
    );
    let answer = call(&url, "fernet_getFeeBalance", json!([PAYER])).await?;
    assert_eq!(answer["result"], "25", "{answer}");
    let answer = call(&url, "fernet_getFeeBalance", json!(["0x12"])).await?;
    assert_eq!(error(&answer).0, -32602, "{answer}");

    // An oversized body is refused with a JSON-RPC error.
    let big = format!(
        r#"{{"jsonrpc":"2.0","id":1,"method":"fernet_nodeInfo","params":["{}"]}}"#,
        "a".repeat(2 << 20)
    );
    let (status, answer) = post(&url, big).await?;
    assert_eq!(status, 413);
    assert_eq!(error(&answer).0, -32600, "{answer}");

    // A batch, and the node still answers.
    let batch = json!([
        { "jsonrpc": "2.0", "id": 1, "method": "fernet_blockNumber" },
        { "jsonrpc": "2.0", "id": 2, "method": "fernet_nodeInfo", "params": [] }
    ]);
    let (_, answer) = post(&url, batch.to_string()).await?;
    assert_eq!(answer[0]["result"]["pending"], 1, "{answer}");
    assert_eq!(answer[1]["result"]["chainId"], 31_337, "{answer}");
    assert_eq!(answer[1]["result"]["l2BaseFee"], "10", "{answer}");
    // A batch over the limit is refused whole.
    let one = json!({ "jsonrpc": "2.0", "id": 1, "method": "fernet_blockNumber" });
    let too_many = vec![one; MAX_BATCH_LEN as usize + 1];
    let (_, answer) = post(&url, serde_json::to_string(&too_many)?).await?;
    assert_eq!(error(&answer).0, -32010, "{answer}");
    let pending = call(&url, "fernet_getPendingTransactions", json!([5])).await?;
    assert_eq!(pending["result"][0]["hash"], hash.as_str());
    assert_eq!(pending["result"][0]["tx"]["fee"], "10");

    let health = reqwest::get(format!("{url}health")).await?.text().await?;
    assert_eq!(health, "ok");
    let metrics = reqwest::get(format!("{url}metrics")).await?.text().await?;
    assert!(
        metrics.contains("fernet_node_txs_accepted_total 1"),
        "{metrics}"
    );
    assert!(
        metrics.contains("fernet_node_txs_rejected_total 7"),
        "{metrics}"
    );
    assert!(
        metrics.contains("fernet_node_pool_transactions 1"),
        "{metrics}"
    );
    node.shutdown().await?;
    Ok(())
}

#[tokio::test]
async fn quotes_are_checked_against_the_rollups_digest() -> eyre::Result<()> {
    let env = Env::new().await?;
    let node = start(env.node_config("node", 1)).await?;
    let client = NodeClient::new(node.rpc_url().expect("rpc runs"));
    let prover: PrivateKeySigner = ANVIL_DEFAULT_PRIVATE_KEY.parse()?;
    let epoch = env.clock.epoch_at(env.timestamp().await?) + 1;
    let quote = Quote {
        prover: prover.address(),
        epoch_to_prove: epoch,
        valid_until_slot: env.clock.epoch_first_slot(epoch + 2),
        bond_amount: U256::from(10u64).pow(U256::from(19u64)),
        rollup_address: env.deployment.rollup.address,
        basis_point_fee: 500,
    };
    // The digest the node checks is the one the rollup verifies.
    let on_chain = env.rollup().quoteDigest(quote.to_sol()).call().await?;
    assert_eq!(quote.digest(31_337), on_chain);

    let signed = quote.clone().sign(&prover, 31_337)?;
    assert!(client.send_epoch_proof_quote(&signed).await?);
    assert!(
        client.send_epoch_proof_quote(&signed).await?,
        "a known quote is accepted again"
    );
    assert_eq!(
        client.epoch_proof_quotes(epoch).await?,
        vec![signed.clone()]
    );
    assert_eq!(node.pool.quotes(epoch).len(), 1);

    let mut forged = signed.clone();
    forged.quote.basis_point_fee = 10;
    let err = client
        .send_epoch_proof_quote(&forged)
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("-32000") && err.contains("bad signature"),
        "{err}"
    );
    let other = Quote {
        rollup_address: env.deployment.token.address,
        ..quote.clone()
    }
    .sign(&prover, 31_337)?;
    let err = client
        .send_epoch_proof_quote(&other)
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("this node follows"), "{err}");
    let expired = Quote {
        epoch_to_prove: 0,
        valid_until_slot: 0,
        ..quote
    }
    .sign(&prover, 31_337)?;
    // Wait until the node has seen a head past slot 0's claim window.
    env.mine_at(env.clock.slot_start(env.clock.epoch_first_slot(epoch + 1)))
        .await?;
    node.wait_synced().await?;
    let err = client
        .send_epoch_proof_quote(&expired)
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("expired"), "{err}");
    node.shutdown().await?;
    Ok(())
}
