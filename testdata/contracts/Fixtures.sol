// SPDX-License-Identifier: MIT
// Read-only fixtures for helios' chain checks. The dev chain puts their
// runtime bytecode straight into the genesis allocation and writes their
// storage slots itself, so there are no constructors and every state
// variable sits at a slot internal/devchain knows (the storage layout is
// part of the compiled output and checked by its tests). Nothing here can be
// changed by a transaction: a drill is a different genesis.
pragma solidity 0.8.26;

/// An ERC-20's metadata getters with configurable values.
contract Token {
    string public name;         // slot 0
    string public symbol;       // slot 1
    uint8 public decimals;      // slot 2
    uint256 public totalSupply; // slot 3
}

/// The ENS registry's resolver lookup.
contract ENSRegistry {
    mapping(bytes32 => address) public resolver; // slot 0
    mapping(bytes32 => address) public owner;    // slot 1
}

/// A public resolver's addr(node).
contract Resolver {
    mapping(bytes32 => address) public addr; // slot 0
}

/// The ENS NameWrapper's ownerOf(uint256(node)).
contract NameWrapper {
    mapping(uint256 => address) public ownerOf; // slot 0
}

/// A module with OpenZeppelin's Pausable view.
contract PausableModule {
    bool public paused; // slot 0
}

/// SystemPause: no paused() of its own, only the module getters.
contract SystemPause {
    address public jobRegistry;         // slot 0
    address public stakeManager;        // slot 1
    address public validationModule;    // slot 2
    address public disputeModule;       // slot 3
    address public platformRegistry;    // slot 4
    address public feePool;             // slot 5
    address public reputationEngine;    // slot 6
    address public arbitratorCommittee; // slot 7
}

/// RewardEngineMB's thermodynamic getters; roles are Agent=0 Validator=1
/// Operator=2 Employer=3.
contract RewardEngineMB {
    uint256 public kappa;                         // slot 0
    int256 public temperature;                    // slot 1
    uint256 public maxProofs;                     // slot 2
    address public thermostat;                    // slot 3
    address public treasury;                      // slot 4
    mapping(uint8 => uint256) public roleShare;   // slot 5, wad
    mapping(uint8 => int256) public mu;           // slot 6
    mapping(uint8 => int256) public baselineEnergy; // slot 7
}

/// Thermostat's PID controller getters (all int256).
contract Thermostat {
    int256 public systemTemperature; // slot 0
    int256 public minTemp;           // slot 1
    int256 public maxTemp;           // slot 2
    int256 public kp;                // slot 3
    int256 public ki;                // slot 4
    int256 public kd;                // slot 5
    int256 public wEmission;         // slot 6
    int256 public wBacklog;          // slot 7
    int256 public wSla;              // slot 8
    int256 public integralMin;       // slot 9
    int256 public integralMax;       // slot 10
    mapping(uint8 => int256) private roleTemps; // slot 11

    function getRoleTemperature(uint8 role) external view returns (int256) {
        return roleTemps[role];
    }
}

/// Reverts every call with a reason, for the revert fault.
contract Reverter {
    fallback() external {
        revert("fixture: every call reverts");
    }
}

/// Answers every call with three bytes, which no ABI type decodes: the
/// malformed-return fault.
contract Garbage {
    fallback(bytes calldata) external returns (bytes memory) {
        return hex"c0ffee";
    }
}
