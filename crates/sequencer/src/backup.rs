//! Proofs for backup blocks: a block submitted in backup mode carries its own proof, which the
//! sequencer gets from a proving broker like any prover node. The proof names the sequencer's
//! own address as its payee: L1 verifies a backup proof with `msg.sender` as the payee, so a
//! proof copied from the mempool by someone else fails.

use std::time::Duration;

use alloy::primitives::Address;
use fernet_broker_api::{BrokerClient, JobKind};
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

    /// The 256-byte EVM encoding of a proof of `witness`'s block for `payee` (the address that
    /// sends `proposeWithProof`).
    pub async fn prove(
        &self,
        epoch: u64,
        witness: &BlockWitness,
        payee: Address,
    ) -> Result<Vec<u8>> {
        let number = witness.block_number;
        let failed = |message: String| Error::BackupProof { number, message };
        let witness = witness.clone().with_payee(payee.into_array());
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

#[cfg(test)]
mod tests {
    use fernet_broker::{BrokerConfig, BrokerServer, JobPolicy};
    use fernet_state::{apply_block, Block, StateConfig, WorldState};

    use super::*;

    /// Attack (issue 10, finding 2): a backup proof copied from the mempool by another sender.
    /// L1 verifies a backup proof with `msg.sender` as the payee, so the backup proposer has
    /// its block proven for its own address: the job it enqueues names it.
    #[tokio::test]
    async fn a_backup_block_is_proven_for_the_proposers_own_address() {
        let dir = tempfile::tempdir().unwrap();
        let server = BrokerServer::start(BrokerConfig {
            port: 0,
            data_dir: dir.path().to_path_buf(),
            policy: JobPolicy {
                max_attempts: 1,
                ..JobPolicy::default()
            },
            ..BrokerConfig::default()
        })
        .await
        .unwrap();
        let client = server.client();
        let payee = Address::repeat_byte(0xb0);
        let prover = BackupProver::new(client.clone(), Duration::from_secs(30));
        let mut state = WorldState::new(StateConfig::devnet()).unwrap();
        let block = Block {
            number: 1,
            slot: 5,
            ..Block::default()
        };
        let witness = apply_block(&mut state, &block).unwrap();
        let proving = tokio::spawn({
            let witness = witness.clone();
            async move { prover.prove(2, &witness, payee).await }
        });

        // The agent's side: the job is the witness, named for the backup proposer.
        let job = loop {
            if let Some(job) = client.take_job("agent", None).await.unwrap() {
                break job;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        };
        assert_eq!(job.epoch, 2);
        let named = BlockWitness::from_bytes(&job.input).unwrap();
        assert_eq!(named.public_inputs.payee(), payee.into_array());
        assert_eq!(named, witness.with_payee(payee.into_array()));

        client.fail_job("agent", job.id, "no prover").await.unwrap();
        let error = proving.await.unwrap().unwrap_err();
        assert!(
            matches!(&error, Error::BackupProof { number: 1, message } if message.contains("no prover")),
            "{error}"
        );
        server.shutdown().await.unwrap();
    }
}
