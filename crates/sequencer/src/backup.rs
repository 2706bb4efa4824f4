//! Proofs for backup blocks: a block submitted in backup mode carries its own proof, which the
//! sequencer gets from a proving broker like any prover node.

use std::time::Duration;

use fernet_broker::{BrokerClient, JobKind};
use fernet_state::BlockWitness;

use crate::error::{Error, Result};

/// Gets block proofs from a broker.
#[derive(Debug, Clone)]
pub struct BackupProver {
    broker: BrokerClient,
    timeout: Duration,
}

impl BackupProver {
    /// Proves through the broker at `broker`, giving up after `timeout`.
    pub fn new(broker: BrokerClient, timeout: Duration) -> Self {
        Self { broker, timeout }
    }

    /// The 256-byte EVM encoding of a proof of `witness`'s block.
    pub async fn prove(&self, epoch: u64, witness: &BlockWitness) -> Result<Vec<u8>> {
        let number = witness.block_number;
        let failed = |message: String| Error::BackupProof { number, message };
        let job = self
            .broker
            .enqueue_job(JobKind::Block, epoch, &witness.to_bytes())
            .await
            .map_err(|e| failed(e.to_string()))?;
        let waited = tokio::time::timeout(
            self.timeout,
            self.broker.wait_for_job(job.id, Duration::from_millis(250)),
        )
        .await
        .map_err(|_| failed(format!("no proof within {:?}", self.timeout)))?
        .map_err(|e| failed(e.to_string()))?;
        match waited.block_result().map_err(|e| failed(e.to_string()))? {
            Some(result) => Ok(result.proof),
            None => Err(failed(format!(
                "job {} failed: {}",
                job.id,
                waited.error.unwrap_or_default()
            ))),
        }
    }
}
