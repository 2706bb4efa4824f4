//! Staking registration: a sequencer stakes once, then waits out its entry period and the
//! snapshot lag before it can propose.

use alloy::primitives::{Address, U256};
use fernet_bindings::{ContractResultExt, DevnetToken, Staking};
use fernet_l1::TxSender;
use futures::{stream, StreamExt, TryStreamExt};
use tracing::info;

use crate::{
    error::{Error, Result},
    l1tx::send,
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

/// Registers the staker whose transactions `sender` sends with `stake` (default: the contract's
/// minimum) unless it already is, approving the staking contract for the tokens first.
pub async fn ensure_registered(
    sender: &TxSender,
    staking_address: Address,
    stake: Option<U256>,
) -> Result<Registration> {
    let sequencer = sender.address();
    let provider = sender.provider();
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
    send(
        sender,
        token.approve(staking_address, stake),
        "token.approve",
    )
    .await?;
    let receipt = send(sender, staking.register(stake), "Staking.register").await?;
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

/// Registers every staker of `senders` not registered yet, `concurrency` at a time (each key
/// sends its own transactions, so they do not queue behind each other). Returns how many were
/// newly registered; the first failure stops it.
pub async fn register_all(
    senders: Vec<TxSender>,
    staking_address: Address,
    stake: Option<U256>,
    concurrency: usize,
) -> Result<usize> {
    let registrations: Vec<Registration> = stream::iter(senders)
        .map(|sender| async move { ensure_registered(&sender, staking_address, stake).await })
        .buffer_unordered(concurrency.max(1))
        .try_collect()
        .await?;
    Ok(registrations
        .iter()
        .filter(|registration| registration.newly_registered)
        .count())
}
