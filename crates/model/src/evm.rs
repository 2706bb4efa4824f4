//! An in-memory EVM (revm) that deploys and calls contracts at chosen block times.

use alloy::primitives::{Address, Bytes, Log, B256, U256};
use revm::{
    context::{result::ExecutionResult, result::Output, BlockEnv, CfgEnv, TxEnv},
    database::{CacheDB, EmptyDB},
    primitives::{hardfork::SpecId, TxKind},
    Context, ExecuteCommitEvm, ExecuteEvm, MainBuilder, MainContext,
};

use crate::error::{Error, Result};

/// Gas limit of every call (far above what any protocol call needs).
const GAS_LIMIT: u64 = 30_000_000;

type Db = CacheDB<EmptyDB>;
type MainnetEvm = revm::handler::MainnetEvm<revm::handler::MainnetContext<Db>>;

/// What one call did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CallOutcome {
    /// It returned `output`, emitting `logs`, using `gas` (transaction gas).
    Success {
        /// Return data.
        output: Bytes,
        /// Emitted logs.
        logs: Vec<Log>,
        /// Gas used.
        gas: u64,
    },
    /// It reverted with `data`.
    Revert {
        /// Revert data.
        data: Bytes,
    },
    /// It halted (out of gas, invalid opcode, ...).
    Halt {
        /// Why, as revm reports it.
        reason: String,
    },
}

/// The EVM: a state database and the block environment of the next call.
pub struct Evm {
    evm: MainnetEvm,
    chain_id: u64,
}

impl std::fmt::Debug for Evm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Evm")
            .field("timestamp", &self.evm.ctx.block.timestamp)
            .finish_non_exhaustive()
    }
}

impl Evm {
    /// An empty Cancun chain (the contracts' EVM version) with id `chain_id`, at `timestamp`.
    pub fn new(chain_id: u64, timestamp: u64) -> Self {
        let mut cfg = CfgEnv::new_with_spec(SpecId::CANCUN);
        cfg.chain_id = chain_id;
        cfg.disable_nonce_check = true;
        let block = BlockEnv {
            timestamp: U256::from(timestamp),
            gas_limit: GAS_LIMIT,
            basefee: 0,
            prevrandao: Some(B256::ZERO),
            ..BlockEnv::default()
        };
        let evm = Context::mainnet()
            .with_db(Db::default())
            .with_cfg(cfg)
            .with_block(block)
            .build_mainnet();
        Self { evm, chain_id }
    }

    /// Sets the next call's block: its timestamp, number and `prevrandao`.
    pub fn set_block(&mut self, timestamp: u64, number: u64, prevrandao: U256) {
        let block = &mut self.evm.ctx.block;
        block.timestamp = U256::from(timestamp);
        block.number = U256::from(number);
        block.prevrandao = Some(B256::from(prevrandao));
    }

    /// The account nonce of `address` (what its next `CREATE` address depends on).
    pub fn nonce(&self, address: Address) -> u64 {
        self.evm
            .ctx
            .journaled_state
            .database
            .cache
            .accounts
            .get(&address)
            .map_or(0, |account| account.info.nonce)
    }

    /// Deploys `init_code` (bytecode and encoded constructor arguments) from `deployer`.
    pub fn deploy(&mut self, deployer: Address, init_code: Bytes) -> Result<Address> {
        let tx = self.tx(deployer, TxKind::Create, init_code)?;
        match self
            .evm
            .transact_commit(tx)
            .map_err(|e| Error::Evm(e.to_string()))?
        {
            ExecutionResult::Success {
                output: Output::Create(_, Some(address)),
                ..
            } => Ok(address),
            other => Err(Error::Deploy(format!("{other:?}"))),
        }
    }

    /// Calls `to` with `data` from `caller`, committing the state changes.
    pub fn call(&mut self, caller: Address, to: Address, data: Bytes) -> Result<CallOutcome> {
        let tx = self.tx(caller, TxKind::Call(to), data)?;
        let result = self
            .evm
            .transact_commit(tx)
            .map_err(|e| Error::Evm(e.to_string()))?;
        Ok(Self::outcome(result))
    }

    /// Calls `to` with `data` without committing anything (a view).
    pub fn view(&mut self, to: Address, data: Bytes) -> Result<Bytes> {
        let tx = self.tx(Address::ZERO, TxKind::Call(to), data)?;
        let result = self
            .evm
            .transact(tx)
            .map_err(|e| Error::Evm(e.to_string()))?
            .result;
        match Self::outcome(result) {
            CallOutcome::Success { output, .. } => Ok(output),
            other => Err(Error::View(format!("{other:?}"))),
        }
    }

    fn tx(&self, caller: Address, kind: TxKind, data: Bytes) -> Result<TxEnv> {
        TxEnv::builder()
            .caller(caller)
            .kind(kind)
            .data(data)
            .gas_limit(GAS_LIMIT)
            .gas_price(0)
            .chain_id(Some(self.chain_id))
            .build()
            .map_err(|e| Error::Evm(format!("{e:?}")))
    }

    fn outcome(result: ExecutionResult) -> CallOutcome {
        match result {
            ExecutionResult::Success {
                output, logs, gas, ..
            } => CallOutcome::Success {
                output: output.into_data(),
                logs,
                gas: gas.total_gas_spent(),
            },
            ExecutionResult::Revert { output, .. } => CallOutcome::Revert { data: output },
            ExecutionResult::Halt { reason, .. } => CallOutcome::Halt {
                reason: format!("{reason:?}"),
            },
        }
    }
}
