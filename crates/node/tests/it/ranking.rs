//! The off-chain slot ranking (`fernet_bindings::ranking`) against the deployed contracts: its
//! score is `Rollup.scoreOf`, and its proposers are those `Staking.canPropose` admits.

use alloy::{
    primitives::{Address, U256},
    providers::{Provider, ProviderBuilder},
    signers::local::PrivateKeySigner,
};
use fernet_bindings::{
    ranking::{score, EpochProposers},
    ContractResultExt, DevnetToken, IRollup, IStaking, Rankings, Staking,
};

use crate::support::Env;

/// Anvil's second key: a second staker.
const SECOND_KEY: &str = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d";

#[tokio::test]
async fn off_chain_scores_and_rankings_match_the_contracts() -> eyre::Result<()> {
    let env = Env::new().await?;
    let d = &env.deployment;
    // A second staker, funded by the deployer, registers first; then the deployer.
    let second: PrivateKeySigner = SECOND_KEY.parse()?;
    let staking = Staking::new(d.staking.address, env.wallet.clone());
    let stake = staking
        .minimumStake()
        .call()
        .await
        .decoded("minimumStake")?;
    let token = DevnetToken::new(d.token.address, env.wallet.clone());
    let sent = token.transfer(second.address(), stake).send().await?;
    env.receipt(*sent.tx_hash()).await?;
    let wallet = ProviderBuilder::new()
        .wallet(second.clone())
        .connect_http(env.anvil.endpoint_url())
        .erased();
    let sent = DevnetToken::new(d.token.address, wallet.clone())
        .approve(d.staking.address, stake)
        .send()
        .await?;
    env.receipt(*sent.tx_hash()).await?;
    let sent = Staking::new(d.staking.address, wallet)
        .register(stake)
        .send()
        .await?;
    eyre::ensure!(
        env.receipt(*sent.tx_hash()).await?.status(),
        "register reverted"
    );
    env.register_sequencer().await?;

    let epoch = env.clock.epoch_at(env.timestamp().await?);
    let provider = env.wallet.clone();
    let rollup = IRollup::new(d.rollup.address, provider.clone());
    let rankings = Rankings::new(
        provider.clone(),
        d.rollup.address,
        d.staking.address,
        env.clock.epoch_duration,
    );
    let proposers = rankings.epoch(epoch).await?;
    let mut expected = vec![second.address(), d.deployer];
    let mut found = proposers.proposers.clone();
    expected.sort();
    found.sort();
    assert_eq!(found, expected, "every staker that can propose, once");
    assert_eq!(
        proposers.seed,
        rollup.seedOf(U256::from(epoch)).call().await?
    );
    // Paging one registration index at a time reads the same set, in the same order.
    let paged = EpochProposers::fetch(
        &rollup,
        &IStaking::new(d.staking.address, provider.clone()),
        epoch,
        1,
    )
    .await?;
    assert_eq!(paged, *proposers);

    let outsider = Address::repeat_byte(0x42);
    let first_slot = env.clock.epoch_first_slot(epoch);
    for slot in first_slot..first_slot + env.clock.epoch_duration {
        for who in [second.address(), d.deployer, outsider] {
            assert_eq!(
                score(proposers.seed, slot, who),
                rollup.scoreOf(U256::from(slot), who).call().await?,
                "slot {slot}, {who}"
            );
        }
        let ranking = rankings.ranking(slot).await?;
        assert_eq!(ranking.len(), 2);
        let top = rollup.scoreOf(U256::from(slot), ranking[0]).call().await?;
        let next = rollup.scoreOf(U256::from(slot), ranking[1]).call().await?;
        assert!(top > next, "slot {slot}: highest score first");
    }
    Ok(())
}
