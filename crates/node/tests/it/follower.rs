//! The follower on a real chain: proposals, restarts, reorgs.

use fernet_node::{chain::fr_to_b256, status::Stage, tx::tx_hash, NodeClient};

use crate::support::{eventually, genesis, start, tx, Env, PAYER};

#[tokio::test]
async fn follows_a_proposal_checks_its_root_and_survives_a_restart() -> eyre::Result<()> {
    let env = Env::new().await?;
    env.register_sequencer().await?;
    let node = start(env.node_config("node", 0)).await?;
    let client = NodeClient::new(node.rpc_url().expect("rpc runs"));

    // A user's free transaction enters the pool (the base fee is 0), and a deposit for PAYER
    // waits in the L1 fee inbox.
    env.deposit(100).await?;
    let sent = tx(0, 77);
    let hash = client.send_transaction(&sent).await?;
    assert_eq!(hash, tx_hash(&sent.effect()?));
    assert_eq!(client.transaction_status(hash).await?.stage, Stage::Pending);
    assert_eq!(client.pending_transactions(10).await?.len(), 1);

    // A sequencer proposes it on L1; the follower picks the block up and checks its root.
    let mut world = genesis(&env);
    let l1_tx = env
        .propose(&mut world, 1, &[sent.clone(), tx(0, 78)])
        .await?;
    eventually("block 1", || async { Ok(node.chain.pending_tip() == 1) }).await?;
    let block = node.chain.block(1).expect("block 1");
    assert!(block.is_valid(), "{:?}", block.invalid);
    assert_eq!(block.state_root, fr_to_b256(&world.state_root()));
    assert_eq!(block.l1_tx, l1_tx);
    assert_eq!(block.tx_hashes[0], hash);
    assert_eq!(node.chain.tip_state_root(), fr_to_b256(&world.state_root()));
    assert_eq!(client.state_root().await?, fr_to_b256(&world.state_root()));
    assert_eq!(
        node.chain.witness(1)?.new_state.state_root(),
        world.state_root()
    );
    assert_eq!(
        node.chain
            .blocks_of_epoch(env.clock.epoch_of(block.slot))
            .len(),
        1
    );
    let status = client.transaction_status(hash).await?;
    assert_eq!(status.stage, Stage::Proposed);
    assert_eq!(status.block_number, Some(1));
    assert_eq!(status.l1_tx_hash, Some(l1_tx));
    assert!(node.pool.is_empty(), "an included tx leaves the pool");
    let info = client.block(1).await?.expect("block 1 over RPC");
    assert_eq!(info.tx_hashes.len(), 2);
    assert!(info.valid);
    // Its nullifier is now spent: the same tx is refused, with the nullifier named.
    let err = client
        .send_transaction(&sent)
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("-32000") && err.contains("already spent"),
        "{err}"
    );
    assert!(client.is_nullifier_spent(sent.nullifiers[0]).await?);
    // Block 1 consumed the deposit: PAYER's fee balance, over RPC and through the CLI.
    assert_eq!(client.fee_balance(PAYER).await?, 100);
    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_fernet"))
        .args(["balance", &PAYER.to_string()])
        .env("AZTEC_NODE_URL", client.url().as_str())
        .output()
        .await?;
    assert_eq!(String::from_utf8_lossy(&output.stdout).trim(), "100");

    // The `fernet` CLI refuses a fee above the payer's balance before sending, then checks and
    // sends a tx it can pay.
    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_fernet"))
        .args(["send", "--fee", "101", "--payer", &PAYER.to_string()])
        .env("AZTEC_NODE_URL", client.url().as_str())
        .output()
        .await?;
    assert!(!output.status.success());
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("deposit first"),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_fernet"))
        .args(["send", "--fee", "4", "--payer", &PAYER.to_string()])
        .env("AZTEC_NODE_URL", client.url().as_str())
        .output()
        .await?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout} {}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        stdout.contains("executed locally: ok") && stdout.contains("stage: pending"),
        "{stdout}"
    );
    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_fernet"))
        .args([
            "send",
            "--payer",
            &PAYER.to_string(),
            "--nullifier",
            &sent.nullifiers[0].to_string(),
        ])
        .env("AZTEC_NODE_URL", client.url().as_str())
        .output()
        .await?;
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("already spent"));

    // Restart on the same data directory: same tip and root before any new L1 read.
    let root = node.chain.tip_state_root();
    node.shutdown().await?;
    let node = start(env.node_config("node", 0)).await?;
    assert_eq!(node.chain.pending_tip(), 1);
    assert_eq!(node.chain.tip_state_root(), root);
    assert_eq!(node.pool.len(), 1, "the CLI's tx is still pooled");
    node.wait_synced().await?;
    assert_eq!(node.chain.pending_tip(), 1);
    assert_eq!(node.chain.block(1).expect("block 1").state_root, root);
    node.shutdown().await?;
    Ok(())
}

#[tokio::test]
async fn an_l1_reorg_that_removes_the_proposal_drops_the_block() -> eyre::Result<()> {
    let env = Env::new().await?;
    env.register_sequencer().await?;
    let node = start(env.node_config("node", 0)).await?;
    let client = NodeClient::new(node.rpc_url().expect("rpc runs"));
    let sent = tx(0, 91);
    let hash = client.send_transaction(&sent).await?;

    let snapshot: String = env.rpc("evm_snapshot", serde_json::json!([])).await?;
    let mut world = genesis(&env);
    env.propose(&mut world, 1, std::slice::from_ref(&sent))
        .await?;
    eventually("block 1", || async { Ok(node.chain.pending_tip() == 1) }).await?;
    assert_eq!(
        client.transaction_status(hash).await?.stage,
        Stage::Proposed
    );

    // The L1 blocks with the proposal vanish and others take their heights.
    let reverted: bool = env.rpc("evm_revert", serde_json::json!([snapshot])).await?;
    assert!(reverted);
    for _ in 0..3 {
        let _: serde_json::Value = env.rpc("evm_mine", serde_json::json!([])).await?;
    }
    eventually("the reorg", || async { Ok(node.chain.pending_tip() == 0) }).await?;
    assert!(node.chain.block(1).is_none());
    assert_eq!(
        node.chain.tip_state_root(),
        env.deployment.genesis_state_root
    );
    let metrics = node.metrics.render(&node.chain, &node.pool, None);
    assert!(
        metrics
            .lines()
            .any(|l| l == "fernet_node_l1_reorgs_total 1"),
        "{metrics}"
    );
    // Its transaction is back in the pool.
    assert_eq!(client.transaction_status(hash).await?.stage, Stage::Pending);
    assert!(!client.is_nullifier_spent(sent.nullifiers[0]).await?);

    // The chain goes on: a new proposal on the new fork is followed.
    let mut world = genesis(&env);
    env.propose(&mut world, 1, &[]).await?;
    eventually("block 1 on the new fork", || async {
        Ok(node.chain.pending_tip() == 1)
    })
    .await?;
    assert!(node.chain.block(1).expect("block 1").is_valid());
    assert_eq!(client.transaction_status(hash).await?.stage, Stage::Pending);
    node.shutdown().await?;
    Ok(())
}
