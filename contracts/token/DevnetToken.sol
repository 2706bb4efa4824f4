// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Errors} from "../libraries/Errors.sol";
import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @title DevnetToken
/// @notice The staking token of devnets and tests: a plain ERC-20 its deployer can mint.
///         Public networks deploy the suite against an existing token instead.
contract DevnetToken is ERC20 {
    /// @notice Only the deployer may mint.
    error DevnetToken__NotMinter(address minter, address caller);

    address private immutable MINTER;

    /// @param name_ Token name.
    /// @param symbol_ Token symbol.
    constructor(string memory name_, string memory symbol_) ERC20(name_, symbol_) {
        MINTER = msg.sender;
    }

    /// @notice Mints `amount` to `to`. Deployer only.
    function mint(address to, uint256 amount) external {
        require(msg.sender == MINTER, DevnetToken__NotMinter(MINTER, msg.sender));
        require(amount > 0, Errors.Amount__Zero());
        _mint(to, amount);
    }

    /// @notice The address allowed to mint.
    function minter() external view returns (address) {
        return MINTER;
    }
}
