//! The committee mode's duties (seed 004). As a proposer, a key sends its block to the slot's
//! committee and proposes it with the sign-offs it gets back before the proposal window closes:
//! without the quorum the block cannot land and the slot goes to backup mode. As a committee
//! member, a key re-executes every block it is asked to sign off on its own state and signs off
//! only a block whose header matches what it computed.
//!
//! Two lists of keys inject the faults the devnet tests: silent members never sign off (they are
//! slashed for inactivity), and withholding proposers never send their blocks (they never get a
//! sign-off).

use std::{collections::BTreeMap, time::Duration};

use alloy::{
    primitives::{keccak256, Address, Bytes, B256, U256},
    providers::DynProvider,
    sol_types::SolValue,
};
use fernet_bindings::{i_committee_rollup, Committees, ICommitteeRollup, IRollup};
use fernet_node::committee::{BlockProposal, CommitteeMessage, SignedSignoff, SignoffRequest};
use fernet_state::{apply_block, decode_block_data, Block, BlockWitness};
use futures::StreamExt;
use tokio::sync::broadcast::error::RecvError;
use tracing::{debug, info, warn};

use crate::{
    error::{Error, Result},
    sequencer::{Sequencer, SlotView},
    timeline::sleep_until,
};

/// How long a member waits for its node to sync a requested block's parent.
const PARENT_SYNC_WAIT: Duration = Duration::from_secs(3);
/// How long a proposer that holds the quorum still waits for the rest of its committee.
const SIGNOFF_GRACE: Duration = Duration::from_secs(1);
/// Sign-off requests a member handles at once.
const CONCURRENT_REQUESTS: usize = 8;

/// The committee mode's settings of a sequencer.
#[derive(Debug)]
pub struct CommitteeMode {
    /// The slot committees, read once per epoch.
    pub(crate) committees: Committees<DynProvider>,
    /// Sign-offs a proposal needs.
    pub(crate) quorum: usize,
}

/// The sign-off commitment of a built block: `keccak256` of its six committed words.
pub(crate) fn commitment_of(witness: &BlockWitness) -> B256 {
    keccak256(witness.public_inputs.committed_u256_be_words().concat())
}

/// `args` as the committee rollup's bindings type them (the same ABI tuple).
fn committee_args(args: &IRollup::ProposeArgs) -> i_committee_rollup::IRollup::ProposeArgs {
    i_committee_rollup::IRollup::ProposeArgs::abi_decode(&args.abi_encode())
        .expect("both bindings encode IRollup.ProposeArgs alike")
}

impl Sequencer {
    /// The committee rollup on the read provider.
    pub(crate) fn committee_rollup(
        &self,
    ) -> ICommitteeRollup::ICommitteeRollupInstance<DynProvider> {
        ICommitteeRollup::new(
            self.node.l1.deployment.rollup.address,
            self.node.l1.provider.clone(),
        )
    }

    /// The call that proposes `args` in the committee mode: its sign-offs first. Sends the block
    /// to the slot's committee (unless withholding), then collects the sign-offs of the block's
    /// `commitment` until every member answered or the proposal window is about to close.
    pub(crate) async fn signed_proposal(
        &self,
        mode: &CommitteeMode,
        view: &SlotView,
        key: usize,
        args: &IRollup::ProposeArgs,
        commitment: B256,
    ) -> Result<(i_committee_rollup::IRollup::ProposeArgs, Vec<Bytes>)> {
        let signer = &self.validators[key].signer;
        let number: u64 = args.header.blockNumber.saturating_to();
        let committee = mode
            .committees
            .committee(view.slot, signer.address())
            .await?;
        if committee.len() < mode.quorum {
            return Err(Error::TooFewSignoffs {
                block: number,
                slot: view.slot,
                signoffs: 0,
                committee: committee.len(),
                quorum: mode.quorum,
            });
        }
        let mut feed = self.node.network.committee().subscribe();
        let l1 = &self.node.l1;
        if self
            .config
            .withholding_proposers
            .contains(&signer.address())
        {
            warn!(
                block = number,
                slot = view.slot,
                "withholding the block from its committee (fault injection)"
            );
        } else {
            let request = SignoffRequest::sign(
                BlockProposal::from_args(args),
                signer,
                l1.chain_id,
                l1.deployment.rollup.address,
            )
            .map_err(Error::Sign)?;
            self.node.network.signoff_request(&request);
        }
        // The transaction must still land inside the proposal window: stop collecting one
        // inclusion margin before the margin the send itself needs.
        let margin = 2 * self.config.inclusion_margin;
        let window_end = Duration::from_secs(view.start) + self.proposal_window();
        let mut deadline = window_end.saturating_sub(margin);
        let mut signoffs: BTreeMap<Address, Bytes> = BTreeMap::new();
        let wanted = |signoff: &SignedSignoff| {
            signoff.block_number == number
                && signoff.slot == view.slot
                && signoff.public_inputs_hash == commitment
                && committee
                    .iter()
                    .any(|(member, _)| *member == signoff.signer)
        };
        while signoffs.len() < committee.len() {
            tokio::select! {
                received = feed.recv() => match received {
                    Ok(CommitteeMessage::Signoff(signoff)) if wanted(&signoff) => {
                        signoffs.insert(signoff.signer, signoff.signature);
                        // With the quorum in hand, the others get a short grace: a silent member
                        // must not hold the block until the window closes.
                        if signoffs.len() == mode.quorum {
                            deadline = deadline.min(self.now() + SIGNOFF_GRACE);
                        }
                    }
                    Ok(_) => {}
                    Err(RecvError::Lagged(missed)) => warn!(missed, "committee feed lagged"),
                    Err(RecvError::Closed) => break,
                },
                () = sleep_until(self.timeline(), deadline) => break,
            }
        }
        debug!(
            block = number,
            slot = view.slot,
            signoffs = signoffs.len(),
            committee = committee.len(),
            "sign-offs collected"
        );
        if signoffs.len() < mode.quorum {
            return Err(Error::TooFewSignoffs {
                block: number,
                slot: view.slot,
                signoffs: signoffs.len(),
                committee: committee.len(),
                quorum: mode.quorum,
            });
        }
        // The rollup wants them by ascending score: the committee's order.
        let ordered = committee
            .iter()
            .filter_map(|(member, _)| signoffs.get(member).cloned())
            .collect();
        Ok((committee_args(args), ordered))
    }

    /// Signs off the blocks this process's committee members are asked to, until the feed
    /// closes; each request's errors are logged.
    pub(crate) async fn run_member(&self, mode: &CommitteeMode) {
        let feed = self.node.network.committee().subscribe();
        let requests = futures::stream::unfold(feed, |mut feed| async move {
            loop {
                match feed.recv().await {
                    Ok(CommitteeMessage::Request(request)) => return Some((request, feed)),
                    Ok(_) => {}
                    Err(RecvError::Lagged(missed)) => warn!(missed, "committee feed lagged"),
                    Err(RecvError::Closed) => return None,
                }
            }
        });
        // Requests are handled side by side: one waiting for its parent to sync must not hold
        // up the next slot's.
        requests
            .for_each_concurrent(CONCURRENT_REQUESTS, |request| async move {
                if let Err(error) = self.sign_off(mode, &request).await {
                    warn!(block = request.block.block_number, slot = request.block.slot, %error, "no sign-off");
                }
            })
            .await;
    }

    /// Signs off `request`'s block with every key of this process in its slot's committee (but
    /// the proposer), once the block re-executed to the header's roots, globals and data hash.
    async fn sign_off(&self, mode: &CommitteeMode, request: &SignoffRequest) -> Result<()> {
        let block = &request.block;
        let clock = self.node.l1.clock;
        let current = clock.slot_at(self.now().as_secs());
        if block.slot < current {
            debug!(
                block = block.block_number,
                slot = block.slot,
                current,
                "stale sign-off request"
            );
            return Ok(());
        }
        let committee = mode.committees.epoch(clock.epoch_of(block.slot)).await?;
        let members: Vec<usize> = self
            .validators
            .iter()
            .enumerate()
            .filter(|(_, v)| {
                let address = v.signer.address();
                address != request.proposer && committee.is_member(block.slot, address)
            })
            .filter(|(_, v)| {
                let silent = self.config.silent_members.contains(&v.signer.address());
                if silent {
                    debug!(block = block.block_number, member = %v.signer.address(), "silent: not signing off (fault injection)");
                }
                !silent
            })
            .map(|(key, _)| key)
            .collect();
        if members.is_empty() {
            return Ok(());
        }
        let commitment = self.reexecute(block).await?;
        let l1 = &self.node.l1;
        for key in members {
            let signer = &self.validators[key].signer;
            let signoff = SignedSignoff::sign(
                signer,
                l1.chain_id,
                l1.deployment.rollup.address,
                block.block_number,
                block.slot,
                commitment,
            )
            .map_err(Error::Sign)?;
            self.node.network.signoff(&signoff);
            info!(block = block.block_number, slot = block.slot, member = %signer.address(), proposer = %request.proposer, "signed off");
        }
        Ok(())
    }

    /// Applies `block` to the node's state after its parent and checks the header against the
    /// result; returns the commitment L1 will store for it.
    async fn reexecute(&self, block: &BlockProposal) -> Result<B256> {
        let number = block.block_number;
        let parent = number.saturating_sub(1);
        let chain = &self.node.chain;
        let started = tokio::time::Instant::now();
        let mut state = chain.state_after(parent);
        while state.is_none() && started.elapsed() < PARENT_SYNC_WAIT {
            tokio::time::sleep(Duration::from_millis(100)).await;
            state = chain.state_after(parent);
        }
        let mut state = state.ok_or(Error::ParentNotSynced {
            parent,
            synced: chain.pending_tip(),
        })?;
        let build = |source| Error::Build { number, source };
        let body = decode_block_data(&block.data).map_err(build)?;
        let witness = apply_block(
            &mut state,
            &Block {
                number,
                slot: block.slot,
                body,
            },
        )
        .map_err(build)?;
        let words = witness.public_inputs.committed_u256_be_words();
        let globals =
            U256::from(number) | (U256::from(block.slot) << 64) | (block.total_fees << 128);
        let checks = [
            ("prevStateRoot", block.prev_state_root, B256::from(words[0])),
            ("newStateRoot", block.new_state_root, B256::from(words[1])),
            ("globals", B256::from(globals), B256::from(words[2])),
            (
                "dataHash",
                B256::from(block.data_hash),
                B256::from(words[3]),
            ),
        ];
        if let Some((field, proposed, executed)) = checks
            .into_iter()
            .find(|(_, proposed, executed)| proposed != executed)
        {
            return Err(Error::BlockMismatch {
                block: number,
                field,
                proposed,
                executed,
            });
        }
        Ok(keccak256(words.concat()))
    }
}
