//! The bond manager (seed 003's `BondManager`): keeps the prover's free escrow balance topped up
//! so that every quote it sends can be claimed.

use alloy::{
    primitives::{Address, U256},
    providers::DynProvider,
};
use fernet_bindings::{ContractResultExt, DevnetToken, ProverEscrow};
use fernet_l1::TxSender;
use tracing::{debug, info};

use crate::{Error, Result, TokenShortfall};

/// What [`BondManager::ensure_bond`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BondOutcome {
    /// The free balance was already enough; nothing was sent.
    Sufficient {
        /// The free balance.
        free: U256,
    },
    /// The escrow was topped up.
    ToppedUp {
        /// Tokens deposited.
        deposited: U256,
        /// The free balance afterwards.
        free: U256,
    },
}

/// Tops the prover's escrow up from its token balance.
#[derive(Debug, Clone)]
pub struct BondManager {
    sender: TxSender,
    escrow: ProverEscrow::ProverEscrowInstance<DynProvider>,
    token: DevnetToken::DevnetTokenInstance<DynProvider>,
    prover: Address,
    minimum: U256,
    target: U256,
}

impl BondManager {
    /// A manager of the deposit in `escrow` (paid in `token`) of `sender`'s address (the
    /// prover), sending with `sender`: below `minimum` free, it deposits up to `target`.
    pub fn new(
        sender: TxSender,
        escrow: Address,
        token: Address,
        minimum: U256,
        target: U256,
    ) -> Self {
        let provider = sender.provider().clone();
        Self {
            escrow: ProverEscrow::new(escrow, provider.clone()),
            token: DevnetToken::new(token, provider),
            prover: sender.address(),
            sender,
            minimum,
            target,
        }
    }

    /// The prover's free escrow balance (what a claim may lock).
    pub async fn free_balance(&self) -> Result<U256> {
        Ok(self
            .escrow
            .freeBalanceOf(self.prover)
            .call()
            .await
            .decoded("ProverEscrow.freeBalanceOf")?)
    }

    /// Makes sure the free balance covers `bond` and the configured minimum: when it is below
    /// `max(minimum, bond)`, approves and deposits enough to reach `max(target, bond)`. Fails,
    /// naming the shortfall, when the prover's tokens do not suffice.
    pub async fn ensure_bond(&self, bond: U256) -> Result<BondOutcome> {
        let free = self.free_balance().await?;
        let floor = self.minimum.max(bond);
        if free >= floor {
            debug!(%free, %floor, "escrow balance sufficient");
            return Ok(BondOutcome::Sufficient { free });
        }
        let target = self.target.max(bond);
        let needed = target - free;
        let balance = self
            .token
            .balanceOf(self.prover)
            .call()
            .await
            .decoded("token.balanceOf")?;
        if balance < needed {
            return Err(Error::InsufficientTokens(Box::new(TokenShortfall {
                prover: self.prover,
                balance,
                needed,
                free,
                target,
                shortfall: needed - balance,
            })));
        }
        let escrow = *self.escrow.address();
        let allowance = self
            .token
            .allowance(self.prover, escrow)
            .call()
            .await
            .decoded("token.allowance")?;
        if allowance < needed {
            self.sender
                .send_call(self.token.approve(escrow, needed), "token.approve(escrow)")
                .await?
                .receipt()
                .await?;
        }
        let receipt = self
            .sender
            .send_call(
                self.escrow.deposit(self.prover, needed),
                "ProverEscrow.deposit",
            )
            .await?
            .receipt()
            .await?;
        let free = self.free_balance().await?;
        info!(
            deposited = %needed,
            %free,
            tx = %receipt.transaction_hash,
            "escrow topped up"
        );
        Ok(BondOutcome::ToppedUp {
            deposited: needed,
            free,
        })
    }
}
