// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IRewardPool} from "../interfaces/IRewardPool.sol";
import {Errors} from "../libraries/Errors.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";

/// @title RewardPool
/// @notice Funds for block rewards, fees and redistributed slashes; accounts pull what the rollup credits.
/// @dev Solvent by construction: a reward credit never exceeds `available()` and a fee credit never exceeds
///      `feeFunds`, so the token balance always covers `totalOwed + feeFunds`. Slashed stakes and bonds arrive
///      as plain transfers and simply raise `available()`; released FeeInbox deposits arrive as transfers
///      booked as fee funds by the rollup, which reward credits never touch.
contract RewardPool is IRewardPool {
    using SafeERC20 for IERC20;

    IERC20 private immutable TOKEN;
    address private immutable ROLLUP;

    mapping(address account => uint256) private _owed;
    uint256 private _totalOwed;
    uint256 private _feeFunds;

    /// @param token_ The reward token (the staking token).
    /// @param rollup_ The rollup allowed to credit accounts.
    constructor(IERC20 token_, address rollup_) {
        TOKEN = token_;
        // slither-disable-next-line missing-zero-check -- the Rollup constructor checks rollup() == itself
        ROLLUP = rollup_;
    }

    /// @inheritdoc IRewardPool
    function fund(uint256 amount) external {
        require(amount > 0, Errors.Amount__Zero());
        emit Funded(msg.sender, amount);
        TOKEN.safeTransferFrom(msg.sender, address(this), amount);
    }

    /// @inheritdoc IRewardPool
    function credit(address account, uint256 reward, uint256 fees) external returns (uint256 rewardCredited) {
        require(msg.sender == ROLLUP, Errors.Auth__NotRollup(ROLLUP, msg.sender));
        uint256 funds = _feeFunds;
        require(fees <= funds, Errors.RewardPool__FeesExceedDeposits(funds, fees));
        uint256 free = available();
        rewardCredited = reward < free ? reward : free;
        uint256 total = rewardCredited + fees;
        // slither-disable-next-line incorrect-equality -- nothing to credit; more funds only raise it
        if (total == 0) return 0;
        if (fees > 0) {
            // Cannot underflow: fees <= funds (checked above).
            unchecked {
                _feeFunds = funds - fees;
            }
        }
        _owed[account] += total;
        _totalOwed += total;
        if (rewardCredited > 0) emit RewardCredited(account, rewardCredited, reward);
        if (fees > 0) emit FeesCredited(account, fees);
    }

    /// @inheritdoc IRewardPool
    function addFeeFunds(uint256 amount) external {
        require(msg.sender == ROLLUP, Errors.Auth__NotRollup(ROLLUP, msg.sender));
        _feeFunds += amount;
        emit FeeFundsAdded(amount);
    }

    /// @inheritdoc IRewardPool
    function claim(address recipient) external returns (uint256 amount) {
        amount = _owed[msg.sender];
        require(amount > 0, Errors.RewardPool__NothingToClaim(msg.sender));
        _owed[msg.sender] = 0;
        _totalOwed -= amount;
        emit RewardClaimed(msg.sender, recipient, amount);
        TOKEN.safeTransfer(recipient, amount);
    }

    /// @inheritdoc IRewardPool
    function token() external view returns (IERC20) {
        return TOKEN;
    }

    /// @inheritdoc IRewardPool
    function rollup() external view returns (address) {
        return ROLLUP;
    }

    /// @inheritdoc IRewardPool
    function owed(address account) external view returns (uint256) {
        return _owed[account];
    }

    /// @inheritdoc IRewardPool
    function totalOwed() external view returns (uint256) {
        return _totalOwed;
    }

    /// @inheritdoc IRewardPool
    function available() public view returns (uint256) {
        return TOKEN.balanceOf(address(this)) - _totalOwed - _feeFunds;
    }

    /// @inheritdoc IRewardPool
    function feeFunds() external view returns (uint256) {
        return _feeFunds;
    }
}
