// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ProverEscrow} from "../contracts/core/ProverEscrow.sol";
import {RewardPool} from "../contracts/core/RewardPool.sol";
import {Rollup} from "../contracts/core/Rollup.sol";
import {Staking} from "../contracts/core/Staking.sol";
import {IProofVerifier} from "../contracts/interfaces/IProofVerifier.sol";
import {IRollup} from "../contracts/interfaces/IRollup.sol";
import {DevnetToken} from "../contracts/token/DevnetToken.sol";
import {Script} from "forge-std/Script.sol";
import {console2} from "forge-std/console2.sol";

/// @notice Deploys the suite with devnet parameters (docs/protocol.md) and writes
///         deployments/<chain-id>.json. The Rust `deploy` binary supersedes this for public networks.
/// @dev Env: PRIVATE_KEY (deployer), GENESIS_STATE_ROOT (the empty-state root of the circuit's trees).
contract Deploy is Script {
    uint256 internal constant TOKEN = 1 ether;

    function run() external {
        uint256 deployerKey = vm.envUint("PRIVATE_KEY");
        address deployer = vm.addr(deployerKey);
        bytes32 genesisStateRoot = vm.envBytes32("GENESIS_STATE_ROOT");

        vm.startBroadcast(deployerKey);
        DevnetToken token = new DevnetToken("Fernet Staking Token", "FST");
        IProofVerifier verifier = IProofVerifier(vm.deployCode("BlockProofVerifier.sol:BlockProofVerifier"));
        uint256 nonce = vm.getNonce(deployer);
        address predictedRollup = vm.computeCreateAddress(deployer, nonce + 3);
        Staking staking = new Staking(token, predictedRollup, _stakingConfig());
        ProverEscrow escrow = new ProverEscrow(token, predictedRollup, 60);
        RewardPool pool = new RewardPool(token, predictedRollup);
        Rollup rollup = new Rollup(staking, escrow, pool, verifier, _rollupConfig(genesisStateRoot));
        require(address(rollup) == predictedRollup, "rollup address prediction failed");
        token.mint(deployer, 10_000_000 * TOKEN);
        token.approve(address(pool), 1_000_000 * TOKEN);
        pool.fund(1_000_000 * TOKEN);
        vm.stopBroadcast();

        string memory key = "deployment";
        vm.serializeUint(key, "chainId", block.chainid);
        vm.serializeUint(key, "deployBlock", block.number);
        vm.serializeAddress(key, "token", address(token));
        vm.serializeAddress(key, "staking", address(staking));
        vm.serializeAddress(key, "proverEscrow", address(escrow));
        vm.serializeAddress(key, "rewardPool", address(pool));
        vm.serializeAddress(key, "verifier", address(verifier));
        vm.serializeBytes32(key, "verificationKeyHash", verifier.verificationKeyHash());
        string memory json = vm.serializeAddress(key, "rollup", address(rollup));
        string memory path = string.concat("deployments/", vm.toString(block.chainid), ".json");
        vm.writeJson(json, path);
        console2.log("rollup deployed at", address(rollup));
        console2.log("deployment written to", path);
    }

    function _stakingConfig() internal view returns (Staking.Config memory) {
        return Staking.Config({
            genesisTime: block.timestamp,
            slotDuration: 8,
            epochDuration: 4,
            minimumStake: 100 * TOKEN,
            entryPeriod: 0,
            exitDelay: 60,
            exitChurnPerEpoch: 4,
            snapshotLag: 1
        });
    }

    function _rollupConfig(bytes32 genesisStateRoot) internal pure returns (IRollup.Config memory) {
        return IRollup.Config({
            proposalWindow: 4,
            backupWindow: 16,
            claimWindowSlots: 2,
            proofWindowSlots: 4,
            maxDataBytes: 4096,
            blockReward: 10 * TOKEN,
            proofSubmissionReward: 1 * TOKEN,
            openProvingBasisPointFee: 2000,
            minimumProverBond: 10 * TOKEN,
            unprovenBlockPenalty: 5 * TOKEN,
            voteRoundSize: 16,
            voteQuorum: 9,
            genesisStateRoot: genesisStateRoot
        });
    }
}
