//! Slots and epochs counted from L1 timestamps, as the `IClock` contracts count them.

use serde::{Deserialize, Serialize};

/// The rollup's clock: `slot(t) = (t - genesisTime) / slotDuration`, `epochDuration` slots per
/// epoch (docs/protocol.md, "Time").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Clock {
    /// L1 timestamp at which slot 0 starts.
    pub genesis_time: u64,
    /// Seconds per slot (non-zero).
    pub slot_duration: u64,
    /// Slots per epoch (non-zero).
    pub epoch_duration: u64,
}

impl Clock {
    /// The slot at L1 `timestamp` (slot 0 before genesis, as the contracts saturate).
    pub fn slot_at(&self, timestamp: u64) -> u64 {
        timestamp.saturating_sub(self.genesis_time) / self.slot_duration.max(1)
    }

    /// The epoch containing `slot`.
    pub fn epoch_of(&self, slot: u64) -> u64 {
        slot / self.epoch_duration.max(1)
    }

    /// The L1 timestamp at which `slot` starts.
    pub fn slot_start(&self, slot: u64) -> u64 {
        self.genesis_time
            .saturating_add(slot.saturating_mul(self.slot_duration))
    }

    /// The first slot of `epoch`.
    pub fn epoch_first_slot(&self, epoch: u64) -> u64 {
        epoch.saturating_mul(self.epoch_duration)
    }

    /// The epoch at L1 `timestamp`.
    pub fn epoch_at(&self, timestamp: u64) -> u64 {
        self.epoch_of(self.slot_at(timestamp))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEVNET: Clock = Clock {
        genesis_time: 1_000,
        slot_duration: 8,
        epoch_duration: 4,
    };

    #[test]
    fn slots_start_at_genesis_and_last_slot_duration_seconds() {
        assert_eq!(DEVNET.slot_at(1_000), 0);
        assert_eq!(DEVNET.slot_at(1_007), 0);
        assert_eq!(DEVNET.slot_at(1_008), 1);
        assert_eq!(DEVNET.slot_at(1_000 + 8 * 13 + 5), 13);
        assert_eq!(DEVNET.slot_at(999), 0, "before genesis saturates to slot 0");
        assert_eq!(DEVNET.slot_start(0), 1_000);
        assert_eq!(DEVNET.slot_start(13), 1_104);
        for slot in 0..50 {
            assert_eq!(DEVNET.slot_at(DEVNET.slot_start(slot)), slot);
            assert_eq!(DEVNET.slot_at(DEVNET.slot_start(slot + 1) - 1), slot);
        }
    }

    #[test]
    fn epochs_group_epoch_duration_slots() {
        assert_eq!(DEVNET.epoch_of(0), 0);
        assert_eq!(DEVNET.epoch_of(3), 0);
        assert_eq!(DEVNET.epoch_of(4), 1);
        assert_eq!(DEVNET.epoch_of(11), 2);
        assert_eq!(DEVNET.epoch_first_slot(0), 0);
        assert_eq!(DEVNET.epoch_first_slot(3), 12);
        assert_eq!(DEVNET.epoch_at(DEVNET.slot_start(12)), 3);
        assert_eq!(DEVNET.epoch_at(DEVNET.slot_start(12) - 1), 2);
    }

    #[test]
    fn huge_values_saturate_instead_of_overflowing() {
        assert_eq!(DEVNET.slot_start(u64::MAX), u64::MAX);
        assert_eq!(DEVNET.epoch_first_slot(u64::MAX), u64::MAX);
    }
}
