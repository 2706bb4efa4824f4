// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Errors} from "../../contracts/libraries/Errors.sol";
import {DevnetToken} from "../../contracts/token/DevnetToken.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {Test} from "forge-std/Test.sol";

/// @notice The devnet staking token: an ERC-20 only its deployer can mint.
contract DevnetTokenTest is Test {
    DevnetToken internal token;
    address internal alice = makeAddr("alice");

    function setUp() public {
        token = new DevnetToken("Fernet Staking Token", "FST");
    }

    function test_constructor_setsMetadataAndMinter() public view {
        assertEq(token.name(), "Fernet Staking Token", "name");
        assertEq(token.symbol(), "FST", "symbol");
        assertEq(token.decimals(), 18, "decimals");
        assertEq(token.minter(), address(this), "deployer mints");
        assertEq(token.totalSupply(), 0, "no premint");
    }

    function test_mint_byMinterCreditsRecipient() public {
        vm.expectEmit(address(token));
        emit IERC20.Transfer(address(0), alice, 5 ether);
        token.mint(alice, 5 ether);
        assertEq(token.balanceOf(alice), 5 ether, "balance");
        assertEq(token.totalSupply(), 5 ether, "supply");
    }

    function test_mint_revertsWhenAmountZero() public {
        vm.expectRevert(abi.encodeWithSelector(Errors.Amount__Zero.selector));
        token.mint(alice, 0);
    }

    function testFuzz_mint_revertsWhenCallerNotMinter(address caller, uint256 amount) public {
        vm.assume(caller != address(this));
        vm.expectRevert(
            abi.encodeWithSelector(DevnetToken.DevnetToken__NotMinter.selector, address(this), caller)
        );
        vm.prank(caller);
        token.mint(caller, amount);
        assertEq(token.totalSupply(), 0, "nothing minted");
    }

    function test_mint_revertsWhenCallerNotMinter() public {
        vm.expectRevert(
            abi.encodeWithSelector(DevnetToken.DevnetToken__NotMinter.selector, address(this), alice)
        );
        vm.prank(alice);
        token.mint(alice, 1 ether);
        assertEq(token.balanceOf(alice), 0, "nothing minted");
    }
}
