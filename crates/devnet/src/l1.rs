//! Reading the suite on L1 (clock, tips, claims, rankings computed off chain, events) and the
//! devnet's own L1 transactions (funding, registering offline sequencers).

use std::{
    collections::HashMap,
    sync::Arc,
    time::{Duration, Instant},
};

use alloy::{
    consensus::Transaction as _,
    eips::BlockNumberOrTag,
    primitives::{Address, TxHash, B256, U256},
    providers::{DynProvider, Provider, ProviderBuilder},
    rpc::types::{Filter, Log},
    sol_types::{SolCall, SolEventInterface},
    transports::http::reqwest::Url,
};
use fernet_bindings::{
    prover_escrow::ProverEscrow::ProverEscrowInstance,
    rollup::{IRollup, Rollup::RollupInstance},
    staking::Staking::StakingInstance,
    CommitteeRollup, ContractResultExt, DevnetToken, ProverEscrow, Rankings, Rollup, Staking,
};
use fernet_primitives::{Clock, Deployment};
use futures::{stream, StreamExt, TryStreamExt};
use serde::Serialize;
use tracing::{debug, info};

use crate::{accounts::Account, error::rpc, Error, Result};

/// A snapshot of the rollup as L1 sees it at its latest block.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct L1State {
    /// The latest L1 block.
    pub l1_block: u64,
    /// Its timestamp.
    pub timestamp: u64,
    /// The slot of that timestamp.
    pub slot: u64,
    /// The epoch of that slot.
    pub epoch: u64,
    /// The last pending block.
    pub pending_tip: u64,
    /// The last proven block.
    pub proven_tip: u64,
}

/// One event of the suite, with where it happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct L1Log {
    /// The L1 block.
    pub l1_block: u64,
    /// That block's timestamp.
    pub timestamp: u64,
    /// The transaction that emitted it.
    pub tx_hash: TxHash,
    /// The decoded event.
    pub event: L1Event,
}

/// A decoded event of the rollup or of the staking contract.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum L1Event {
    /// An event of `Rollup` (proposals, claims, proofs, prunes, slashes, votes).
    Rollup(Rollup::RollupEvents),
    /// An event of `Staking` (registrations, exits, stake slashes).
    Staking(Staking::StakingEvents),
}

/// Read access to the deployed suite, plus the clock arithmetic of its parameters.
#[derive(Debug, Clone)]
pub struct L1 {
    /// The rollup's slot clock.
    pub clock: Clock,
    provider: DynProvider,
    rpc_url: Url,
    /// One HTTP connection pool for every provider made here. A client per account opened and
    /// closed connections for each: registering 1,000 stakers left about 2,900 sockets in
    /// `TIME_WAIT`, inside the ephemeral port range where the devnet's p2p ports lie, and the
    /// node then failed to bind its port. Pooled, the connections stay open and are reused.
    http: reqwest::Client,
    deployment: Deployment,
    /// Slot rankings, their epochs read once (shared by the clones).
    rankings: Arc<Rankings<DynProvider>>,
}

impl L1 {
    /// Reads the suite of `deployment` through `rpc_url`.
    pub fn new(rpc_url: Url, deployment: Deployment) -> Self {
        let http = reqwest::Client::new();
        let provider = ProviderBuilder::new()
            .connect_reqwest(http.clone(), rpc_url.clone())
            .erased();
        let rankings = Arc::new(Rankings::new(
            provider.clone(),
            deployment.rollup.address,
            deployment.staking.address,
            deployment.parameters.staking.epoch_duration,
        ));
        Self {
            clock: deployment.clock(),
            provider,
            rpc_url,
            http,
            deployment,
            rankings,
        }
    }

    /// The read-only provider.
    pub fn provider(&self) -> &DynProvider {
        &self.provider
    }

    /// The L1 RPC URL.
    pub fn rpc_url(&self) -> &Url {
        &self.rpc_url
    }

    /// The deployment record.
    pub fn deployment(&self) -> &Deployment {
        &self.deployment
    }

    /// A provider that signs with `account` (for test transactions).
    pub fn wallet(&self, account: &Account) -> DynProvider {
        ProviderBuilder::new()
            .wallet(account.signer.clone())
            .connect_reqwest(self.http.clone(), self.rpc_url.clone())
            .erased()
    }

    /// The rollup contract.
    pub fn rollup(&self) -> RollupInstance<DynProvider> {
        Rollup::new(self.deployment.rollup.address, self.provider.clone())
    }

    /// The staking contract.
    pub fn staking(&self) -> StakingInstance<DynProvider> {
        Staking::new(self.deployment.staking.address, self.provider.clone())
    }

    /// The prover escrow.
    pub fn escrow(&self) -> ProverEscrowInstance<DynProvider> {
        ProverEscrow::new(self.deployment.prover_escrow.address, self.provider.clone())
    }

    /// The latest L1 block's number and timestamp.
    pub async fn latest(&self) -> Result<(u64, u64)> {
        let block = self
            .provider
            .get_block_by_number(BlockNumberOrTag::Latest)
            .await
            .map_err(rpc("eth_getBlockByNumber(latest)"))?
            .ok_or_else(|| Error::InvalidOption {
                option: "ethereum host",
                reason: "the L1 node has no latest block".into(),
            })?;
        Ok((block.header.number, block.header.timestamp))
    }

    /// The rollup at the latest L1 block.
    pub async fn state(&self) -> Result<L1State> {
        let (l1_block, timestamp) = self.latest().await?;
        let slot = self.clock.slot_at(timestamp);
        Ok(L1State {
            l1_block,
            timestamp,
            slot,
            epoch: self.clock.epoch_of(slot),
            pending_tip: self.pending_tip().await?,
            proven_tip: self.proven_tip().await?,
        })
    }

    /// `Rollup.pendingTip()`.
    pub async fn pending_tip(&self) -> Result<u64> {
        let tip = self
            .rollup()
            .pendingTip()
            .call()
            .await
            .decoded("Rollup.pendingTip()")?;
        Ok(tip.saturating_to())
    }

    /// `Rollup.provenTip()`.
    pub async fn proven_tip(&self) -> Result<u64> {
        let tip = self
            .rollup()
            .provenTip()
            .call()
            .await
            .decoded("Rollup.provenTip()")?;
        Ok(tip.saturating_to())
    }

    /// `Rollup.claimOf(epoch)`.
    pub async fn claim_of(&self, epoch: u64) -> Result<IRollup::ProofClaim> {
        Ok(self
            .rollup()
            .claimOf(U256::from(epoch))
            .call()
            .await
            .decoded(format!("Rollup.claimOf({epoch})"))?)
    }

    /// `Rollup.blockLog(number)`.
    pub async fn block_log(&self, number: u64) -> Result<IRollup::BlockLog> {
        Ok(self
            .rollup()
            .blockLog(U256::from(number))
            .call()
            .await
            .decoded(format!("Rollup.blockLog({number})"))?)
    }

    /// Who may propose in `slot`, best score first (computed off chain, as the sequencers do:
    /// [`fernet_bindings::ranking`]).
    pub async fn ranking(&self, slot: u64) -> Result<Vec<Address>> {
        Ok(self.rankings.ranking(slot).await?)
    }

    /// The staking token balance of `account`.
    pub async fn token_balance(&self, account: Address) -> Result<U256> {
        let token = DevnetToken::new(self.deployment.token.address, self.provider.clone());
        Ok(token
            .balanceOf(account)
            .call()
            .await
            .decoded(format!("DevnetToken.balanceOf({account})"))?)
    }

    /// Every event of the rollup and the staking contract in L1 blocks `from..=to`, in order.
    pub async fn events(&self, from: u64, to: u64) -> Result<Vec<L1Log>> {
        let filter = Filter::new()
            .address(vec![
                self.deployment.rollup.address,
                self.deployment.staking.address,
            ])
            .from_block(from)
            .to_block(to);
        let logs = self
            .provider
            .get_logs(&filter)
            .await
            .map_err(rpc(format!("eth_getLogs({from}..={to})")))?;
        let mut timestamps: HashMap<u64, u64> = HashMap::new();
        let mut decoded = Vec::with_capacity(logs.len());
        for log in logs {
            let Some(event) = self.decode(&log) else {
                continue;
            };
            let (Some(l1_block), Some(tx_hash)) = (log.block_number, log.transaction_hash) else {
                continue;
            };
            let timestamp = match log.block_timestamp {
                Some(timestamp) => timestamp,
                None => match timestamps.get(&l1_block) {
                    Some(timestamp) => *timestamp,
                    None => {
                        let timestamp = self.block_timestamp(l1_block).await?;
                        timestamps.insert(l1_block, timestamp);
                        timestamp
                    }
                },
            };
            decoded.push(L1Log {
                l1_block,
                timestamp,
                tx_hash,
                event,
            });
        }
        Ok(decoded)
    }

    /// The number of transactions in the block data of the proposal sent in `tx_hash`; `None`
    /// when the transaction is not a direct `propose` / `proposeWithProof` /
    /// `proposeWithSignoffs` call or its data does
    /// not decode.
    pub async fn proposal_tx_count(&self, tx_hash: TxHash) -> Result<Option<usize>> {
        let Some(tx) = self
            .provider
            .get_transaction_by_hash(tx_hash)
            .await
            .map_err(rpc(format!("eth_getTransactionByHash({tx_hash})")))?
        else {
            return Ok(None);
        };
        let input = tx.input();
        let data = if let Ok(call) = Rollup::proposeCall::abi_decode(input) {
            call.args.data
        } else if let Ok(call) = Rollup::proposeWithProofCall::abi_decode(input) {
            call.args.data
        } else if let Ok(call) = CommitteeRollup::proposeWithSignoffsCall::abi_decode(input) {
            call.args.data
        } else {
            return Ok(None);
        };
        Ok(fernet_state::decode_block_data(&data)
            .ok()
            .map(|body| body.txs.len()))
    }

    fn decode(&self, log: &Log) -> Option<L1Event> {
        let address = log.address();
        if address == self.deployment.rollup.address {
            Rollup::RollupEvents::decode_log(&log.inner)
                .ok()
                .map(|event| L1Event::Rollup(event.data))
        } else if address == self.deployment.staking.address {
            Staking::StakingEvents::decode_log(&log.inner)
                .ok()
                .map(|event| L1Event::Staking(event.data))
        } else {
            None
        }
    }

    /// The hash of L1 block `number`, `None` when L1 has no such block (any more).
    pub async fn block_hash(&self, number: u64) -> Result<Option<B256>> {
        let block = self
            .provider
            .get_block_by_number(BlockNumberOrTag::Number(number))
            .await
            .map_err(rpc(format!("eth_getBlockByNumber({number})")))?;
        Ok(block.map(|block| block.header.hash))
    }

    async fn block_timestamp(&self, number: u64) -> Result<u64> {
        let block = self
            .provider
            .get_block_by_number(BlockNumberOrTag::Number(number))
            .await
            .map_err(rpc(format!("eth_getBlockByNumber({number})")))?
            .ok_or_else(|| Error::InvalidOption {
                option: "ethereum host",
                reason: format!("the L1 node has no block {number}"),
            })?;
        Ok(block.header.timestamp)
    }

    /// Sends `amount` tokens from `from` to each of `recipients` (explicit nonces, all in one go)
    /// and waits for every receipt.
    pub async fn fund(&self, from: &Account, recipients: &[(Address, U256)]) -> Result<()> {
        let wallet = self.wallet(from);
        let token = DevnetToken::new(self.deployment.token.address, wallet.clone());
        let mut nonce = wallet
            .get_transaction_count(from.address)
            .pending()
            .await
            .map_err(rpc(format!("eth_getTransactionCount({})", from.address)))?;
        let mut sent = Vec::with_capacity(recipients.len());
        for (recipient, amount) in recipients {
            let context = format!("DevnetToken.transfer({recipient}, {amount})");
            let pending = token
                .transfer(*recipient, *amount)
                .nonce(nonce)
                .send()
                .await
                .decoded(context.clone())?;
            nonce += 1;
            sent.push((context, *pending.tx_hash()));
        }
        self.confirm_all(sent).await?;
        info!(recipients = recipients.len(), "funded");
        Ok(())
    }

    /// Approves the staking contract and registers `account` with `stake`, waiting for both.
    pub async fn register(&self, account: &Account, stake: U256) -> Result<()> {
        self.register_all(std::slice::from_ref(account), stake)
            .await
    }

    /// Registers every account of `accounts` with `stake`: each sends its approval and its
    /// registration at once (consecutive nonces; the registration's gas is fixed, as it cannot
    /// be estimated before the approval is mined), [`REGISTRATION_CONCURRENCY`] accounts at a
    /// time, then every receipt is awaited together.
    pub async fn register_all(&self, accounts: &[Account], stake: U256) -> Result<()> {
        let sent: Vec<Vec<(String, TxHash)>> = stream::iter(accounts)
            .map(|account| self.send_registration(account, stake))
            .buffer_unordered(REGISTRATION_CONCURRENCY)
            .try_collect()
            .await?;
        self.confirm_all(sent.into_iter().flatten().collect())
            .await?;
        info!(stakers = accounts.len(), "registered");
        Ok(())
    }

    /// Sends `account`'s approval and registration; returns their hashes.
    async fn send_registration(
        &self,
        account: &Account,
        stake: U256,
    ) -> Result<Vec<(String, TxHash)>> {
        let wallet = self.wallet(account);
        let token = DevnetToken::new(self.deployment.token.address, wallet.clone());
        let staking = Staking::new(self.deployment.staking.address, wallet.clone());
        let nonce = wallet
            .get_transaction_count(account.address)
            .pending()
            .await
            .map_err(rpc(format!("eth_getTransactionCount({})", account.address)))?;
        let approve = format!(
            "DevnetToken.approve(staking, {stake}) from {}",
            account.address
        );
        let approved = token
            .approve(self.deployment.staking.address, stake)
            .nonce(nonce)
            .send()
            .await
            .decoded(approve.clone())?;
        let register = format!("Staking.register({stake}) from {}", account.address);
        let registered = staking
            .register(stake)
            .nonce(nonce + 1)
            .gas(REGISTER_GAS)
            .send()
            .await
            .decoded(register.clone())?;
        Ok(vec![
            (approve, *approved.tx_hash()),
            (register, *registered.tx_hash()),
        ])
    }

    /// Polls the receipts of `sent` (what each transaction did, its hash) until every one is
    /// mined, failing on the first reverted one or after [`CONFIRM_TIMEOUT`].
    async fn confirm_all(&self, mut sent: Vec<(String, TxHash)>) -> Result<()> {
        let deadline = Instant::now() + CONFIRM_TIMEOUT;
        while !sent.is_empty() {
            let receipts: Vec<Option<_>> = stream::iter(&sent)
                .map(|(context, hash)| async move {
                    self.provider
                        .get_transaction_receipt(*hash)
                        .await
                        .map_err(rpc(format!(
                            "eth_getTransactionReceipt({hash}) of {context}"
                        )))
                })
                .buffered(REGISTRATION_CONCURRENCY)
                .try_collect()
                .await?;
            let mut waiting = Vec::new();
            for ((context, hash), receipt) in sent.into_iter().zip(receipts) {
                match receipt {
                    None => waiting.push((context, hash)),
                    Some(receipt) if !receipt.status() => {
                        return Err(Error::TransactionReverted {
                            context,
                            tx_hash: hash,
                        })
                    }
                    Some(receipt) => {
                        debug!(context, block = receipt.block_number, "confirmed");
                    }
                }
            }
            sent = waiting;
            if sent.is_empty() {
                break;
            }
            if Instant::now() >= deadline {
                return Err(Error::Timeout {
                    what: format!("{} receipts, the first of {}", sent.len(), sent[0].0),
                    timeout: CONFIRM_TIMEOUT,
                });
            }
            tokio::time::sleep(RECEIPT_POLL).await;
        }
        Ok(())
    }
}

/// Accounts registering at once (each sends two transactions, then its receipts are polled).
pub const REGISTRATION_CONCURRENCY: usize = 32;

/// Gas of `Staking.register` sent before its approval is mined (it measures about 95k with cold
/// storage; docs/gas.md).
const REGISTER_GAS: u64 = 200_000;

/// How long the devnet's own transactions may take to be mined (1,000 registrations fill
/// several 12 s blocks).
const CONFIRM_TIMEOUT: Duration = Duration::from_secs(600);

/// Between two rounds of receipt polls.
const RECEIPT_POLL: Duration = Duration::from_millis(300);
