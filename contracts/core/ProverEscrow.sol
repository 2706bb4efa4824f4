// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IProverEscrow} from "../interfaces/IProverEscrow.sol";
import {Errors} from "../libraries/Errors.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";

/// @title ProverEscrow
/// @notice Provers' deposits and the bonds that claimed epoch proof quotes lock in them.
contract ProverEscrow is IProverEscrow {
    using SafeERC20 for IERC20;
    using SafeCast for uint256;

    IERC20 private immutable TOKEN;
    address private immutable ROLLUP;
    uint256 private immutable WITHDRAWAL_DELAY;

    mapping(address prover => Account) private _accounts;
    uint256 private _totalDeposits;
    uint256 private _totalSlashed;

    /// @param token_ The bond token (the staking token).
    /// @param rollup_ The rollup allowed to lock, release and slash.
    /// @param withdrawalDelay_ Seconds between a withdrawal request and its finalization.
    constructor(IERC20 token_, address rollup_, uint256 withdrawalDelay_) {
        TOKEN = token_;
        // slither-disable-next-line missing-zero-check -- the Rollup constructor checks rollup() == itself
        ROLLUP = rollup_;
        WITHDRAWAL_DELAY = withdrawalDelay_;
    }

    modifier onlyRollup() {
        require(msg.sender == ROLLUP, Errors.Auth__NotRollup(ROLLUP, msg.sender));
        _;
    }

    /// @inheritdoc IProverEscrow
    function deposit(address prover, uint256 amount) external {
        require(amount > 0, Errors.Amount__Zero());
        _accounts[prover].free += amount.toUint128();
        _totalDeposits += amount;
        emit Deposited(prover, msg.sender, amount);

        TOKEN.safeTransferFrom(msg.sender, address(this), amount);
    }

    /// @inheritdoc IProverEscrow
    function requestWithdrawal(uint256 amount) external {
        require(amount > 0, Errors.Amount__Zero());
        Account storage account = _accounts[msg.sender];
        require(
            account.free >= amount,
            Errors.ProverEscrow__InsufficientFreeBalance(msg.sender, account.free, amount)
        );
        // Cannot underflow: checked just above.
        unchecked {
            // forge-lint: disable-next-line(unsafe-typecast) -- amount <= a uint128 balance, checked above
            account.free -= uint128(amount);
        }
        // forge-lint: disable-next-line(unsafe-typecast) -- amount <= a uint128 balance, checked above
        account.pendingWithdrawal += uint128(amount);
        uint256 withdrawableAt = block.timestamp + WITHDRAWAL_DELAY;
        account.withdrawableAt = withdrawableAt.toUint64();
        emit WithdrawalRequested(msg.sender, amount, account.pendingWithdrawal, withdrawableAt);
    }

    /// @inheritdoc IProverEscrow
    function finalizeWithdrawal(address recipient) external {
        Account storage account = _accounts[msg.sender];
        uint256 amount = account.pendingWithdrawal;
        require(amount > 0, Errors.ProverEscrow__NoPendingWithdrawal(msg.sender));
        require(
            block.timestamp >= account.withdrawableAt,
            Errors.ProverEscrow__WithdrawalNotReady(msg.sender, account.withdrawableAt, block.timestamp)
        );
        account.pendingWithdrawal = 0;
        account.withdrawableAt = 0;
        _totalDeposits -= amount;
        emit WithdrawalFinalized(msg.sender, recipient, amount);

        TOKEN.safeTransfer(recipient, amount);
    }

    /// @inheritdoc IProverEscrow
    function lockBond(address prover, uint256 amount) external onlyRollup {
        Account storage account = _accounts[prover];
        require(
            account.free >= amount, Errors.ProverEscrow__InsufficientFreeBalance(prover, account.free, amount)
        );
        // Cannot underflow: checked just above; locked + amount <= total deposits, which fit in uint128.
        unchecked {
            // forge-lint: disable-next-line(unsafe-typecast) -- amount <= a uint128 balance, checked above
            account.free -= uint128(amount);
            // forge-lint: disable-next-line(unsafe-typecast) -- amount <= a uint128 balance, checked above
            account.locked += uint128(amount);
        }
        emit BondLocked(prover, amount);
    }

    /// @inheritdoc IProverEscrow
    function releaseBond(address prover, uint256 amount) external onlyRollup {
        Account storage account = _accounts[prover];
        require(
            account.locked >= amount,
            Errors.ProverEscrow__InsufficientLockedBalance(prover, account.locked, amount)
        );
        // Cannot overflow or underflow: moves `amount` <= locked back to free within the same total.
        unchecked {
            // forge-lint: disable-next-line(unsafe-typecast) -- amount <= a uint128 balance, checked above
            account.locked -= uint128(amount);
            // forge-lint: disable-next-line(unsafe-typecast) -- amount <= a uint128 balance, checked above
            account.free += uint128(amount);
        }
        emit BondReleased(prover, amount);
    }

    /// @inheritdoc IProverEscrow
    function slashBond(address prover, uint256 amount, address recipient) external onlyRollup {
        Account storage account = _accounts[prover];
        require(
            account.locked >= amount,
            Errors.ProverEscrow__InsufficientLockedBalance(prover, account.locked, amount)
        );
        // Cannot underflow: checked just above, and locked is part of _totalDeposits.
        unchecked {
            // forge-lint: disable-next-line(unsafe-typecast) -- amount <= a uint128 balance, checked above
            account.locked -= uint128(amount);
            _totalDeposits -= amount;
        }
        _totalSlashed += amount;
        emit BondSlashed(prover, amount, recipient);

        TOKEN.safeTransfer(recipient, amount);
    }

    /// @inheritdoc IProverEscrow
    function token() external view returns (IERC20) {
        return TOKEN;
    }

    /// @inheritdoc IProverEscrow
    function rollup() external view returns (address) {
        return ROLLUP;
    }

    /// @inheritdoc IProverEscrow
    function withdrawalDelay() external view returns (uint256) {
        return WITHDRAWAL_DELAY;
    }

    /// @inheritdoc IProverEscrow
    function accountOf(address prover) external view returns (Account memory) {
        return _accounts[prover];
    }

    /// @inheritdoc IProverEscrow
    function freeBalanceOf(address prover) external view returns (uint256) {
        return _accounts[prover].free;
    }

    /// @inheritdoc IProverEscrow
    function totalDeposits() external view returns (uint256) {
        return _totalDeposits;
    }

    /// @inheritdoc IProverEscrow
    function totalSlashed() external view returns (uint256) {
        return _totalSlashed;
    }
}
