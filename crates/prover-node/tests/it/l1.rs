//! The prover node's L1 pieces on a real deployment.

use alloy::{primitives::U256, providers::Provider};
use fernet_bindings::{DevnetToken, ProverEscrow};
use fernet_primitives::TokenAmount;
use fernet_prover_node::{
    bond::{BondManager, BondOutcome},
    l1::{Claim, RollupView},
    quote::QuoteSigner,
    quote_provider::QuoteTerms,
    Error,
};

use crate::Suite;

fn tokens(n: u64) -> U256 {
    TokenAmount::tokens(n).0
}

#[tokio::test]
async fn quote_digest_and_signature_are_the_rollup_s() -> eyre::Result<()> {
    let suite = Suite::deploy().await?;
    let rollup = suite.l1.rollup();
    let signer = QuoteSigner::new(
        suite.prover(),
        suite.l1.chain_id,
        suite.l1.deployment.rollup.address,
    );
    let terms = QuoteTerms {
        basis_point_fee: 500,
        bond_amount: tokens(10),
    };
    for (epoch, valid_until) in [(0, 5), (3, 17), (1_000_000, u64::MAX)] {
        let signed = signer.sign(epoch, valid_until, &terms)?;
        let on_chain = rollup.quoteDigest(signed.quote.to_sol()).call().await?;
        assert_eq!(on_chain, signed.quote.digest(suite.l1.chain_id));
        let signature = alloy::primitives::Signature::from_raw(&signed.signature)?;
        assert_eq!(
            signature.recover_address_from_prehash(&on_chain)?,
            suite.prover().address()
        );
    }
    Ok(())
}

#[tokio::test]
async fn windows_match_the_rollup_s_deadlines() -> eyre::Result<()> {
    let suite = Suite::deploy().await?;
    let view = RollupView::connect(&suite.l1).await?;
    let windows = *view.windows();
    let params = &suite.l1.deployment.parameters.rollup;
    assert_eq!(windows.proposal_window, params.proposal_window);
    assert_eq!(windows.claim_window_slots, params.claim_window_slots);
    assert_eq!(windows.proof_window_slots, params.proof_window_slots);
    assert_eq!(windows.minimum_prover_bond, params.minimum_prover_bond.0);
    let rollup = suite.l1.rollup();
    for epoch in [0u64, 1, 2, 7, 1_000] {
        let claim = rollup.claimDeadline(U256::from(epoch)).call().await?;
        let proof = rollup.proofDeadline(U256::from(epoch)).call().await?;
        assert_eq!(
            U256::from(windows.claim_deadline(epoch)),
            claim,
            "epoch {epoch}"
        );
        assert_eq!(
            U256::from(windows.proof_deadline(epoch)),
            proof,
            "epoch {epoch}"
        );
        assert_eq!(
            view.claim_deadline(epoch).await?,
            windows.claim_deadline(epoch)
        );
    }
    let slot = 5;
    let start = windows.clock.slot_start(slot);
    assert!(!windows.is_final(slot, start + params.proposal_window - 1));
    assert!(windows.is_final(slot, start + params.proposal_window));

    let snapshot = view.snapshot().await?;
    assert_eq!((snapshot.proven_tip, snapshot.pending_tip), (0, 0));
    assert!(snapshot.unproven.is_empty());
    assert_eq!(snapshot.slot, windows.clock.slot_at(snapshot.timestamp));
    assert_eq!(view.claim(0).await?, Claim::Unclaimed);
    Ok(())
}

#[tokio::test]
async fn bond_manager_tops_up_to_target_and_then_does_nothing() -> eyre::Result<()> {
    let suite = Suite::deploy().await?;
    let prover = suite.prover().address();
    suite.fund(prover, tokens(100)).await?;
    let d = &suite.l1.deployment;
    let bonds = BondManager::new(
        suite.l1.tx_sender(suite.prover())?,
        d.prover_escrow.address,
        d.token.address,
        tokens(20),
        tokens(40),
    );
    let escrow = ProverEscrow::new(d.prover_escrow.address, suite.l1.provider.clone());
    let token = DevnetToken::new(d.token.address, suite.l1.provider.clone());

    assert_eq!(
        bonds.ensure_bond(tokens(10)).await?,
        BondOutcome::ToppedUp {
            deposited: tokens(40),
            free: tokens(40),
        }
    );
    assert_eq!(escrow.freeBalanceOf(prover).call().await?, tokens(40));
    assert_eq!(token.balanceOf(prover).call().await?, tokens(60));

    // Above the minimum: nothing is sent.
    let nonce = suite.l1.provider.get_transaction_count(prover).await?;
    assert_eq!(
        bonds.ensure_bond(tokens(10)).await?,
        BondOutcome::Sufficient { free: tokens(40) }
    );
    assert_eq!(
        suite.l1.provider.get_transaction_count(prover).await?,
        nonce
    );

    // A bond above the free balance tops up to cover it.
    assert_eq!(
        bonds.ensure_bond(tokens(50)).await?,
        BondOutcome::ToppedUp {
            deposited: tokens(10),
            free: tokens(50),
        }
    );

    // Not enough tokens: the error names the shortfall, nothing is sent.
    let greedy = BondManager::new(
        suite.l1.tx_sender(suite.prover())?,
        d.prover_escrow.address,
        d.token.address,
        tokens(100),
        tokens(200),
    );
    match greedy.ensure_bond(tokens(10)).await {
        Err(error @ Error::InsufficientTokens(_)) => {
            let Error::InsufficientTokens(shortfall) = &error else {
                unreachable!()
            };
            assert_eq!(shortfall.balance, tokens(50));
            assert_eq!(shortfall.needed, tokens(150));
            assert_eq!(shortfall.shortfall, tokens(100));
            assert!(error.to_string().contains("short by"), "{error}");
        }
        other => panic!("expected InsufficientTokens, got {other:?}"),
    }
    assert_eq!(escrow.freeBalanceOf(prover).call().await?, tokens(50));
    Ok(())
}
