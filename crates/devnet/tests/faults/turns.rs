//! Whose turn each slot was: a live sequencer that ranks first must propose in that slot. A
//! sequencer that keeps missing its turns is stuck, and the run fails at once instead of waiting
//! for its next proposal until the run times out.

use std::collections::BTreeMap;

use alloy::primitives::Address;
use eyre::bail;

use fernet_devnet::history::Proposal;

use crate::run::Run;

/// Turns a live sequencer may miss before it counts as stuck (one may be lost to a slow machine).
const TOLERATED_MISSES: usize = 1;

/// The top-ranked sequencer of each slot, read once per slot.
#[derive(Debug, Default)]
pub(crate) struct Turns {
    top: BTreeMap<u64, Option<Address>>,
}

impl Turns {
    /// Fails once `sequencer` ranked first in more than [`TOLERATED_MISSES`] ended slots after
    /// `after` (those in `skip` aside) without a proposal that `counts` in that slot. `who` names
    /// it for the error.
    pub(crate) async fn ensure_not_stuck(
        &mut self,
        run: &Run<'_>,
        sequencer: Address,
        after: u64,
        skip: &[u64],
        counts: impl Fn(&Proposal) -> bool,
        who: &str,
    ) -> eyre::Result<()> {
        let current = run.slot().await?;
        let mut missed = Vec::new();
        for slot in (after + 1)..current {
            if skip.contains(&slot) || self.top_of(run, slot).await? != Some(sequencer) {
                continue;
            }
            let proposed = run
                .history
                .proposals()
                .iter()
                .any(|p| p.slot == slot && p.proposer == sequencer && counts(p));
            if !proposed {
                missed.push(slot);
            }
        }
        if missed.len() > TOLERATED_MISSES {
            bail!(
                "{who} ranked first in slots {missed:?} but proposed in none of them: it is stuck"
            );
        }
        Ok(())
    }

    async fn top_of(&mut self, run: &Run<'_>, slot: u64) -> eyre::Result<Option<Address>> {
        if let Some(top) = self.top.get(&slot) {
            return Ok(*top);
        }
        let top = run.l1.ranking(slot).await?.first().copied();
        self.top.insert(slot, top);
        Ok(top)
    }
}
