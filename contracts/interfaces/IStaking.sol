// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Epoch} from "../libraries/TimeLib.sol";
import {IClock} from "./IClock.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

/// @title IStaking
/// @notice Permissionless Fernet sequencer staking. A staker deposits at least `minimumStake` of the
///         staking token, becomes a member of the sequencer set after the entry period, and leaves
///         through an exit queue limited to `exitChurnPerEpoch` departures per epoch.
/// @dev The set used for epoch `e` is fixed while epoch `e - snapshotLag` runs: every change made in
///      epoch `c` (registration, exit) only affects membership from epoch `c + snapshotLag + 1` on, the
///      same lag as the randomness seed. Membership is an O(1) check of a staker's activation and exit
///      epochs; only views enumerate the set. `exit()` ends the right to propose at once, while the
///      staker stays in the (already snapshotted) member set until its queued exit epoch.
interface IStaking is IClock {
    /// @notice Everything the contract knows about one staker.
    /// @param stake Tokens at stake (slashable until withdrawn).
    /// @param activationEpoch First epoch in which the staker is a member of the set.
    /// @param exitEpoch First epoch in which the staker is no longer a member (max uint32 if not exiting).
    /// @param withdrawableAt Timestamp from which the stake can be withdrawn (0 if not exiting).
    /// @param exiting Whether `exit()` was called (or forced by a slash below the minimum).
    /// @param withdrawn Whether the stake was withdrawn; the address cannot register again.
    struct StakerInfo {
        uint128 stake;
        uint32 activationEpoch;
        uint32 exitEpoch;
        bool exiting;
        bool withdrawn;
        uint64 withdrawableAt;
    }

    /// @notice Emitted when `staker` registers with `stake`, eligible from `activationEpoch`.
    event Registered(address indexed staker, uint256 stake, Epoch activationEpoch);
    /// @notice Emitted when `staker` leaves: no more proposals from now, set membership ends at `exitEpoch`.
    event ExitInitiated(address indexed staker, Epoch exitEpoch, uint256 withdrawableAt, bool forced);
    /// @notice Emitted when `staker` withdraws `amount` after its exit delay.
    event Withdrawn(address indexed staker, address indexed recipient, uint256 amount);
    /// @notice Emitted when the rollup slashes `amount` of `staker`'s stake, sent to `recipient`.
    event Slashed(address indexed staker, uint256 amount, address indexed recipient);
    /// @notice Emitted when `checkpointMemberCount` moves the member count's cursor to `epoch`.
    event MemberCountCheckpointed(Epoch indexed epoch, uint256 members);

    /// @notice Registers the caller as a sequencer with `amount` of the staking token (pulled via transferFrom).
    /// @param amount Stake to lock, at least `minimumStake()`.
    /// @return activationEpoch The first epoch in which the caller can be elected.
    function register(uint256 amount) external returns (Epoch activationEpoch);

    /// @notice Leaves the sequencer set: the caller can no longer propose, and its stake becomes
    ///         withdrawable `exitDelay()` seconds after its queued exit epoch starts.
    /// @return exitEpoch The first epoch in which the caller is no longer a set member.
    function exit() external returns (Epoch exitEpoch);

    /// @notice Withdraws the caller's remaining stake to `recipient` once the exit delay has passed.
    /// @param recipient Address that receives the tokens.
    function withdraw(address recipient) external;

    /// @notice Slashes up to `amount` of `staker`'s stake and sends it to `recipient`. Rollup only.
    /// @dev A stake that falls below the minimum is forced through the exit queue.
    /// @return slashed The amount actually taken (the stake may be smaller than `amount`).
    function slash(address staker, uint256 amount, address recipient) external returns (uint256 slashed);

    /// @notice The staking token.
    function stakingToken() external view returns (IERC20);

    /// @notice The only address allowed to slash.
    function rollup() external view returns (address);

    /// @notice Minimum stake to register.
    function minimumStake() external view returns (uint256);

    /// @notice Seconds between registration and the earliest eligibility.
    function entryPeriod() external view returns (uint256);

    /// @notice Seconds between the start of the exit epoch and withdrawal.
    function exitDelay() external view returns (uint256);

    /// @notice Maximum number of stakers whose membership ends in any one epoch.
    function exitChurnPerEpoch() external view returns (uint256);

    /// @notice Epochs between a change and the first epoch it affects, minus one (same lag as the seed).
    function snapshotLag() external view returns (uint256);

    /// @notice The record of `staker`.
    function stakerInfo(address staker) external view returns (StakerInfo memory);

    /// @notice Whether `staker` is in the snapshotted member set of `epoch`.
    function isMember(address staker, Epoch epoch) external view returns (bool);

    /// @notice Whether `staker` may propose or claim in `epoch`: a member that has not exited.
    function canPropose(address staker, Epoch epoch) external view returns (bool);

    /// @notice One page of the snapshotted member set of `epoch`: the members among the stakers with
    ///         registration indices `[start, min(start + limit, stakerCount()))`, in registration order
    ///         (view only). Read the whole set by calling again from `next` until `next == stakerCount()`.
    /// @param epoch The epoch whose set is read.
    /// @param start First registration index scanned.
    /// @param limit Most registration indices scanned (not the number returned).
    /// @return members The members found in the scanned range.
    /// @return next The end of the scanned range: the `start` of the next page (`stakerCount()` when done).
    function membersAt(Epoch epoch, uint256 start, uint256 limit)
        external
        view
        returns (address[] memory members, uint256 next);

    /// @notice One page of the members of `epoch` that can still propose: those among registration
    ///         indices `[start, min(start + limit, stakerCount()))`, in registration order (view only).
    /// @param epoch The epoch whose proposers are read.
    /// @param start First registration index scanned.
    /// @param limit Most registration indices scanned (not the number returned).
    /// @return proposers The proposers found in the scanned range.
    /// @return next The end of the scanned range: the `start` of the next page (`stakerCount()` when done).
    function proposersAt(Epoch epoch, uint256 start, uint256 limit)
        external
        view
        returns (address[] memory proposers, uint256 next);

    /// @notice Number of addresses that ever registered.
    function stakerCount() external view returns (uint256);

    /// @notice Number of members of `epoch`'s set (those for which `isMember(staker, epoch)` holds), from the
    ///         per-epoch joins and leaves recorded at registration and exit: no scan of the set. Exact for any
    ///         epoch; for epochs up to `currentEpoch() + snapshotLag` it can no longer change.
    /// @dev Costs one storage read per epoch between `epoch` and the cursor `checkpointMemberCount` moves.
    function memberCount(Epoch epoch) external view returns (uint256);

    /// @notice Moves the member count's cursor to the current epoch and returns the current epoch's member
    ///         count, so later reads near the current epoch stay cheap. Anyone may call it; the committee
    ///         rollup calls it once per epoch. Costs one storage read per epoch since the last cursor move.
    /// @return members `memberCount(currentEpoch())`.
    function checkpointMemberCount() external returns (uint256 members);

    /// @notice Tokens held for stakers (active, exiting and not yet withdrawn).
    function totalStaked() external view returns (uint256);

    /// @notice Tokens ever slashed and sent out by `slash`.
    function totalSlashed() external view returns (uint256);
}
