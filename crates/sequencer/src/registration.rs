//! Staking registration: a sequencer stakes once, then waits out its entry period and the
//! snapshot lag before it can propose.

use alloy::{
    primitives::{Address, U256},
    providers::DynProvider,
};
use fernet_bindings::{ContractResultExt, DevnetToken, Staking};
use tracing::info;

use crate::{
    error::{Error, Result},
    l1tx::confirmed,
};

/// Where a sequencer stands in the staking contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Registration {
    /// Its stake.
    pub stake: U256,
    /// The first epoch in which it is a member of the sequencer set.
    pub activation_epoch: u64,
    /// Whether this call registered it (false: it already was).
    pub newly_registered: bool,
}

/// Registers `sequencer` with `stake` (default: the contract's minimum) unless it already is,
/// approving the staking contract for the tokens first. `provider` must sign for `sequencer`.
pub async fn ensure_registered(
    provider: &DynProvider,
    staking_address: Address,
    sequencer: Address,
    stake: Option<U256>,
) -> Result<Registration> {
    let staking = Staking::new(staking_address, provider.clone());
    let info = staking
        .stakerInfo(sequencer)
        .call()
        .await
        .decoded("Staking.stakerInfo")?;
    if info.withdrawn {
        return Err(Error::Withdrawn(sequencer));
    }
    if info.stake > 0 {
        return Ok(Registration {
            stake: U256::from(info.stake),
            activation_epoch: u64::from(info.activationEpoch),
            newly_registered: false,
        });
    }
    let minimum = staking
        .minimumStake()
        .call()
        .await
        .decoded("Staking.minimumStake")?;
    let stake = stake.unwrap_or(minimum);
    let token_address = staking
        .stakingToken()
        .call()
        .await
        .decoded("Staking.stakingToken")?;
    let token = DevnetToken::new(token_address, provider.clone());
    let balance = token
        .balanceOf(sequencer)
        .call()
        .await
        .decoded("token.balanceOf")?;
    if balance < stake {
        return Err(Error::InsufficientBalance {
            sequencer,
            balance,
            stake,
        });
    }
    confirmed(
        token.approve(staking_address, stake).send().await,
        "token.approve",
    )
    .await?;
    let receipt = confirmed(staking.register(stake).send().await, "Staking.register").await?;
    let info = staking
        .stakerInfo(sequencer)
        .call()
        .await
        .decoded("Staking.stakerInfo")?;
    info!(
        %sequencer,
        %stake,
        activation_epoch = info.activationEpoch,
        tx = %receipt.transaction_hash,
        "registered"
    );
    Ok(Registration {
        stake,
        activation_epoch: u64::from(info.activationEpoch),
        newly_registered: true,
    })
}
