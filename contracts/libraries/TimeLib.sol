// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @notice An L2 slot number, counted from genesis in units of SLOT_DURATION seconds.
type Slot is uint256;

/// @notice An epoch number: EPOCH_DURATION consecutive slots.
type Epoch is uint256;

using {slotEq as ==, slotNeq as !=, slotLt as <, slotLte as <=, slotGt as >, slotGte as >=} for Slot global;
using {
    epochEq as ==,
    epochNeq as !=,
    epochLt as <,
    epochLte as <=,
    epochGt as >,
    epochGte as >=
} for Epoch global;

// The operator set is complete even where contracts/ uses only some of it (the tests use the rest).
// slither-disable-start dead-code
function slotEq(Slot a, Slot b) pure returns (bool) {
    return Slot.unwrap(a) == Slot.unwrap(b);
}

function slotNeq(Slot a, Slot b) pure returns (bool) {
    return Slot.unwrap(a) != Slot.unwrap(b);
}

function slotLt(Slot a, Slot b) pure returns (bool) {
    return Slot.unwrap(a) < Slot.unwrap(b);
}

function slotLte(Slot a, Slot b) pure returns (bool) {
    return Slot.unwrap(a) <= Slot.unwrap(b);
}

function slotGt(Slot a, Slot b) pure returns (bool) {
    return Slot.unwrap(a) > Slot.unwrap(b);
}

function slotGte(Slot a, Slot b) pure returns (bool) {
    return Slot.unwrap(a) >= Slot.unwrap(b);
}

function epochEq(Epoch a, Epoch b) pure returns (bool) {
    return Epoch.unwrap(a) == Epoch.unwrap(b);
}

function epochNeq(Epoch a, Epoch b) pure returns (bool) {
    return Epoch.unwrap(a) != Epoch.unwrap(b);
}

function epochLt(Epoch a, Epoch b) pure returns (bool) {
    return Epoch.unwrap(a) < Epoch.unwrap(b);
}

function epochLte(Epoch a, Epoch b) pure returns (bool) {
    return Epoch.unwrap(a) <= Epoch.unwrap(b);
}

function epochGt(Epoch a, Epoch b) pure returns (bool) {
    return Epoch.unwrap(a) > Epoch.unwrap(b);
}

function epochGte(Epoch a, Epoch b) pure returns (bool) {
    return Epoch.unwrap(a) >= Epoch.unwrap(b);
}

// slither-disable-end dead-code

/// @title TimeLib
/// @notice Conversions between L1 timestamps, slots and epochs for a clock that starts at `genesisTime`.
/// @dev Pure arithmetic so the same formulas can be mirrored bit for bit by the Rust clock.
library TimeLib {
    /// @notice The slot containing timestamp `ts` (timestamps before genesis map to slot 0).
    function slotAt(uint256 ts, uint256 genesisTime, uint256 slotDuration) internal pure returns (Slot) {
        if (ts < genesisTime) return Slot.wrap(0);
        return Slot.wrap((ts - genesisTime) / slotDuration);
    }

    /// @notice The epoch that contains `slot`.
    function epochOf(Slot slot, uint256 epochDuration) internal pure returns (Epoch) {
        return Epoch.wrap(Slot.unwrap(slot) / epochDuration);
    }

    /// @notice The first slot of `epoch`.
    function firstSlot(Epoch epoch, uint256 epochDuration) internal pure returns (Slot) {
        return Slot.wrap(Epoch.unwrap(epoch) * epochDuration);
    }

    /// @notice The L1 timestamp at which `slot` starts.
    function slotStart(Slot slot, uint256 genesisTime, uint256 slotDuration) internal pure returns (uint256) {
        return genesisTime + Slot.unwrap(slot) * slotDuration;
    }

    /// @notice `epoch + n`.
    function plus(Epoch epoch, uint256 n) internal pure returns (Epoch) {
        return Epoch.wrap(Epoch.unwrap(epoch) + n);
    }

    /// @notice `slot + n`.
    function plus(Slot slot, uint256 n) internal pure returns (Slot) {
        return Slot.wrap(Slot.unwrap(slot) + n);
    }
}
