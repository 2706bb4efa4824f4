// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IStaking} from "../interfaces/IStaking.sol";
import {Errors} from "../libraries/Errors.sol";
import {Epoch, TimeLib} from "../libraries/TimeLib.sol";
import {Clock} from "./Clock.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";

/// @title Staking
/// @notice Fernet sequencer staking with an entry period, a churn-limited exit queue and rollup-only slashing.
contract Staking is IStaking, Clock {
    using SafeERC20 for IERC20;
    using SafeCast for uint256;
    using TimeLib for Epoch;

    /// @notice Constructor parameters.
    /// @param genesisTime L1 timestamp of slot 0 (0: the deployment block's timestamp).
    /// @param slotDuration Seconds per slot.
    /// @param epochDuration Slots per epoch.
    /// @param minimumStake Minimum stake to register and to stay in the set.
    /// @param entryPeriod Seconds from registration to the earliest eligibility.
    /// @param exitDelay Seconds from the start of the exit epoch to withdrawal.
    /// @param exitChurnPerEpoch Maximum number of members leaving the set in one epoch.
    /// @param snapshotLag Epochs of lag for the set snapshot and the randomness seed (at least 1).
    struct Config {
        uint256 genesisTime;
        uint256 slotDuration;
        uint256 epochDuration;
        uint256 minimumStake;
        uint256 entryPeriod;
        uint256 exitDelay;
        uint256 exitChurnPerEpoch;
        uint256 snapshotLag;
    }

    uint32 private constant NOT_EXITING = type(uint32).max;

    IERC20 private immutable STAKING_TOKEN;
    address private immutable ROLLUP;
    uint256 private immutable MINIMUM_STAKE;
    uint256 private immutable ENTRY_PERIOD;
    uint256 private immutable EXIT_DELAY;
    uint256 private immutable EXIT_CHURN_PER_EPOCH;
    uint256 private immutable SNAPSHOT_LAG;

    mapping(address staker => StakerInfo) private _stakers;
    address[] private _stakerList;

    /// @dev How many stakers join (their activation epoch) and leave (their exit epoch) the set in one epoch;
    ///      read together.
    struct MemberChanges {
        uint128 joining;
        uint128 leaving;
    }

    /// @dev Joins and leaves by epoch: the member count of epoch e is the sum of joins minus leaves up to e.
    mapping(uint256 epoch => MemberChanges) private _memberChanges;
    /// @dev The member count's cursor: the count of `_countedEpoch`, from which reads walk the changes.
    uint64 private _countedEpoch;
    uint64 private _countedMembers;

    /// @dev The latest epoch of the exit queue and how many exits it already holds (read together).
    uint32 private _exitQueueEpoch;
    uint32 private _exitsInQueueEpoch;

    uint256 private _totalStaked;
    uint256 private _totalSlashed;

    /// @param token The ERC-20 staked by sequencers.
    /// @param rollup_ The rollup allowed to slash (deployed after this contract at a known address).
    /// @param config Clock, amounts and durations.
    constructor(IERC20 token, address rollup_, Config memory config)
        Clock(config.genesisTime, config.slotDuration, config.epochDuration)
    {
        require(config.minimumStake > 0, Errors.Config__Invalid("minimumStake", 0));
        require(config.exitChurnPerEpoch > 0, Errors.Config__Invalid("exitChurnPerEpoch", 0));
        require(config.snapshotLag > 0, Errors.Config__Invalid("snapshotLag", 0));
        STAKING_TOKEN = token;
        // slither-disable-next-line missing-zero-check -- the Rollup constructor checks rollup() == itself
        ROLLUP = rollup_;
        MINIMUM_STAKE = config.minimumStake;
        ENTRY_PERIOD = config.entryPeriod;
        EXIT_DELAY = config.exitDelay;
        EXIT_CHURN_PER_EPOCH = config.exitChurnPerEpoch;
        SNAPSHOT_LAG = config.snapshotLag;
    }

    /// @inheritdoc IStaking
    function register(uint256 amount) external returns (Epoch activationEpoch) {
        StakerInfo storage info = _stakers[msg.sender];
        require(info.activationEpoch == 0, Errors.Staking__AlreadyRegistered(msg.sender));
        require(amount >= MINIMUM_STAKE, Errors.Staking__InsufficientStake(MINIMUM_STAKE, amount));

        // Eligible once the entry period is over, and never before the first epoch whose seed is unknown
        // today (current + lag + 1): a staker cannot grind keys against a seed it already knows.
        Epoch afterEntry = _epochAt(block.timestamp + ENTRY_PERIOD).plus(1);
        Epoch afterSnapshot = _firstUnsnapshottedEpoch();
        activationEpoch = afterEntry > afterSnapshot ? afterEntry : afterSnapshot;

        info.stake = amount.toUint128();
        info.activationEpoch = Epoch.unwrap(activationEpoch).toUint32();
        info.exitEpoch = NOT_EXITING;
        _stakerList.push(msg.sender);
        _memberChanges[Epoch.unwrap(activationEpoch)].joining += 1;
        _totalStaked += amount;
        emit Registered(msg.sender, amount, activationEpoch);

        STAKING_TOKEN.safeTransferFrom(msg.sender, address(this), amount);
    }

    /// @inheritdoc IStaking
    function exit() external returns (Epoch exitEpoch) {
        StakerInfo storage info = _stakers[msg.sender];
        require(info.activationEpoch != 0, Errors.Staking__NotRegistered(msg.sender));
        require(!info.exiting, Errors.Staking__AlreadyExiting(msg.sender, Epoch.wrap(info.exitEpoch)));
        return _startExit(msg.sender, info, false);
    }

    /// @inheritdoc IStaking
    function withdraw(address recipient) external {
        StakerInfo storage info = _stakers[msg.sender];
        require(info.activationEpoch != 0, Errors.Staking__NotRegistered(msg.sender));
        require(!info.withdrawn, Errors.Staking__AlreadyWithdrawn(msg.sender));
        require(info.exiting, Errors.Staking__NotExiting(msg.sender));
        require(
            block.timestamp >= info.withdrawableAt,
            Errors.Staking__WithdrawalNotReady(msg.sender, info.withdrawableAt, block.timestamp)
        );
        uint256 amount = info.stake;
        info.stake = 0;
        info.withdrawn = true;
        _totalStaked -= amount;
        emit Withdrawn(msg.sender, recipient, amount);

        STAKING_TOKEN.safeTransfer(recipient, amount);
    }

    /// @inheritdoc IStaking
    function slash(address staker, uint256 amount, address recipient) external returns (uint256 slashed) {
        require(msg.sender == ROLLUP, Errors.Auth__NotRollup(ROLLUP, msg.sender));
        StakerInfo storage info = _stakers[staker];
        slashed = amount < info.stake ? amount : info.stake;
        if (slashed == 0) return 0;
        // Cannot underflow: slashed <= info.stake <= _totalStaked.
        unchecked {
            // forge-lint: disable-next-line(unsafe-typecast) -- slashed <= info.stake, a uint128
            info.stake -= uint128(slashed);
            _totalStaked -= slashed;
        }
        _totalSlashed += slashed;
        emit Slashed(staker, slashed, recipient);

        if (info.stake < MINIMUM_STAKE && !info.exiting && !info.withdrawn) _startExit(staker, info, true);
        STAKING_TOKEN.safeTransfer(recipient, slashed);
    }

    /// @inheritdoc IStaking
    function stakingToken() external view returns (IERC20) {
        return STAKING_TOKEN;
    }

    /// @inheritdoc IStaking
    function rollup() external view returns (address) {
        return ROLLUP;
    }

    /// @inheritdoc IStaking
    function minimumStake() external view returns (uint256) {
        return MINIMUM_STAKE;
    }

    /// @inheritdoc IStaking
    function entryPeriod() external view returns (uint256) {
        return ENTRY_PERIOD;
    }

    /// @inheritdoc IStaking
    function exitDelay() external view returns (uint256) {
        return EXIT_DELAY;
    }

    /// @inheritdoc IStaking
    function exitChurnPerEpoch() external view returns (uint256) {
        return EXIT_CHURN_PER_EPOCH;
    }

    /// @inheritdoc IStaking
    function snapshotLag() external view returns (uint256) {
        return SNAPSHOT_LAG;
    }

    /// @inheritdoc IStaking
    function stakerInfo(address staker) external view returns (StakerInfo memory) {
        return _stakers[staker];
    }

    /// @inheritdoc IStaking
    function isMember(address staker, Epoch epoch) public view returns (bool) {
        StakerInfo storage info = _stakers[staker];
        uint256 e = Epoch.unwrap(epoch);
        return info.activationEpoch != 0 && info.activationEpoch <= e && e < info.exitEpoch;
    }

    /// @inheritdoc IStaking
    function canPropose(address staker, Epoch epoch) public view returns (bool) {
        return isMember(staker, epoch) && !_stakers[staker].exiting;
    }

    /// @inheritdoc IStaking
    function membersAt(Epoch epoch, uint256 start, uint256 limit)
        external
        view
        returns (address[] memory members, uint256 next)
    {
        return _filter(epoch, start, limit, false);
    }

    /// @inheritdoc IStaking
    function proposersAt(Epoch epoch, uint256 start, uint256 limit)
        external
        view
        returns (address[] memory proposers, uint256 next)
    {
        return _filter(epoch, start, limit, true);
    }

    /// @inheritdoc IStaking
    function stakerCount() external view returns (uint256) {
        return _stakerList.length;
    }

    /// @inheritdoc IStaking
    function memberCount(Epoch epoch) external view returns (uint256) {
        return _memberCountFrom(_countedEpoch, _countedMembers, Epoch.unwrap(epoch));
    }

    /// @inheritdoc IStaking
    function checkpointMemberCount() external returns (uint256 members) {
        uint256 current = Epoch.unwrap(_currentEpoch());
        uint256 counted = _countedEpoch;
        // slither-disable-next-line incorrect-equality -- an epoch number, not a balance
        if (counted == current) return _countedMembers;
        members = _memberCountFrom(counted, _countedMembers, current);
        _countedEpoch = current.toUint64();
        _countedMembers = members.toUint64();
        emit MemberCountCheckpointed(Epoch.wrap(current), members);
    }

    /// @inheritdoc IStaking
    function totalStaked() external view returns (uint256) {
        return _totalStaked;
    }

    /// @inheritdoc IStaking
    function totalSlashed() external view returns (uint256) {
        return _totalSlashed;
    }

    /// @dev Puts `staker` in the exit queue: the first epoch with room, no earlier than the first epoch
    ///      not yet snapshotted, so no snapshotted set ever changes.
    ///      A staker not yet in any snapshotted set leaves without a queue place: its membership simply
    ///      ends where it would have begun.
    function _startExit(address staker, StakerInfo storage info, bool forced)
        private
        returns (Epoch exitEpoch)
    {
        uint256 earliest = Epoch.unwrap(_firstUnsnapshottedEpoch());
        uint256 queueEpoch;
        if (info.activationEpoch >= earliest) {
            queueEpoch = info.activationEpoch;
        } else {
            queueEpoch = _exitQueueEpoch;
            uint256 inQueueEpoch = _exitsInQueueEpoch;
            if (queueEpoch < earliest) {
                queueEpoch = earliest;
                inQueueEpoch = 0;
            } else if (inQueueEpoch == EXIT_CHURN_PER_EPOCH) {
                queueEpoch += 1;
                inQueueEpoch = 0;
            }
            _exitQueueEpoch = queueEpoch.toUint32();
            _exitsInQueueEpoch = (inQueueEpoch + 1).toUint32();
        }

        exitEpoch = Epoch.wrap(queueEpoch);
        // A staker leaving before its activation leaves at its activation epoch: the join and leave cancel.
        _memberChanges[queueEpoch].leaving += 1;
        uint256 withdrawableAt = _epochStart(exitEpoch) + EXIT_DELAY;
        info.exiting = true;
        info.exitEpoch = queueEpoch.toUint32();
        info.withdrawableAt = withdrawableAt.toUint64();
        emit ExitInitiated(staker, exitEpoch, withdrawableAt, forced);
    }

    /// @dev The member count of `target`, walking the joins and leaves from `from`, whose count is `members`.
    function _memberCountFrom(uint256 from, uint256 members, uint256 target) private view returns (uint256) {
        // Every count is of stakers that registered, and a leave follows its join: no step underflows.
        for (uint256 e = from; e < target;) {
            ++e;
            MemberChanges memory changes = _memberChanges[e];
            members = members + changes.joining - changes.leaving;
        }
        for (uint256 e = from; e > target; --e) {
            MemberChanges memory changes = _memberChanges[e];
            members = members + changes.leaving - changes.joining;
        }
        return members;
    }

    /// @dev Changes made now may only affect epochs from this one on.
    function _firstUnsnapshottedEpoch() private view returns (Epoch) {
        return _currentEpoch().plus(SNAPSHOT_LAG + 1);
    }

    /// @dev The stakers of registration indices [start, min(start + limit, stakerCount())) that are members
    ///      (or proposers) of `epoch`, and the end of that range.
    function _filter(Epoch epoch, uint256 start, uint256 limit, bool proposersOnly)
        private
        view
        returns (address[] memory selected, uint256 next)
    {
        uint256 total = _stakerList.length;
        // Saturating: a start past the end scans nothing, a huge limit scans to the end.
        next = start >= total || limit >= total - start ? total : start + limit;
        if (start > next) start = next;
        selected = new address[](next - start);
        uint256 count;
        for (uint256 i = start; i < next; ++i) {
            address staker = _stakerList[i];
            if (proposersOnly ? canPropose(staker, epoch) : isMember(staker, epoch)) {
                selected[count++] = staker;
            }
        }
        // slither-disable-next-line assembly -- shortens the array in place to the selected entries
        assembly ("memory-safe") {
            mstore(selected, count)
        }
    }
}
