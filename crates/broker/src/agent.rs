//! The prover agent: `concurrency` workers, each taking a job from the broker, proving it off
//! the async runtime while heartbeating its lease, checking the proof natively and delivering
//! it. Usable in-process ([`Agent::run`], as the prover node does) and as `fernet-agent`.

use std::{sync::Arc, time::Duration};

use fernet_circuits::block::prover::{prove_block, verify_block};
use tokio::sync::watch;

use fernet_broker_api::{AssignedJob, BlockProofResult, BrokerClient, ClientError, JobId, JobKind};
use fernet_rpc::codes::REJECTED;

use crate::{
    block_job,
    error::{Error, Result},
    keys::BlockKeys,
};

/// Times a completion is retried while the broker is unreachable (a proof is expensive).
const COMPLETE_RETRIES: u32 = 10;

/// How an agent works.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentConfig {
    /// Its name towards the broker (default: `<hostname>-<pid>`).
    pub agent_id: String,
    /// Jobs proven at once (`PROVER_AGENT_CONCURRENCY`, default 1).
    pub concurrency: usize,
    /// Wait between polls when there is no job or the broker is unreachable
    /// (`PROVER_AGENT_POLL_INTERVAL_MS`, default 500 ms).
    pub poll_interval: Duration,
    /// The job kinds it takes (default: all).
    pub kinds: Vec<JobKind>,
}

impl Default for AgentConfig {
    fn default() -> Self {
        Self {
            agent_id: default_agent_id(),
            concurrency: 1,
            poll_interval: Duration::from_millis(500),
            kinds: JobKind::ALL.to_vec(),
        }
    }
}

/// `<hostname>-<pid>`, unique per process on a machine.
pub fn default_agent_id() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|host| host.trim().to_owned())
        .filter(|host| !host.is_empty())
        .unwrap_or_else(|| "agent".into());
    format!("{host}-{}", std::process::id())
}

/// A prover agent.
#[derive(Debug, Clone)]
pub struct Agent {
    broker: BrokerClient,
    config: AgentConfig,
    keys: Arc<BlockKeys>,
}

impl Agent {
    /// An agent of `broker` proving with `keys`.
    pub fn new(broker: BrokerClient, config: AgentConfig, keys: Arc<BlockKeys>) -> Self {
        Self {
            broker,
            config,
            keys,
        }
    }

    /// Runs the workers until `shutdown` turns true. A job in flight at shutdown is reported
    /// failed so the broker hands it out again (its proving thread is left to finish and its
    /// result dropped). Errors only if a worker panicked.
    pub async fn run(self, shutdown: watch::Receiver<bool>) -> Result<()> {
        let concurrency = self.config.concurrency.max(1);
        tracing::info!(
            agent = %self.config.agent_id,
            broker = %self.broker.urls().join(","),
            concurrency,
            "agent started"
        );
        let workers: Vec<_> = (0..concurrency)
            .map(|worker| tokio::spawn(self.clone().work(worker, shutdown.clone())))
            .collect();
        let mut outcome = Ok(());
        for worker in workers {
            if let Err(error) = worker.await {
                tracing::error!(%error, "agent worker panicked");
                outcome = Err(Error::Task {
                    task: "agent-worker",
                    reason: error.to_string(),
                });
            }
        }
        tracing::info!(agent = %self.config.agent_id, "agent stopped");
        outcome
    }

    /// The `agent-worker` task: take, prove, deliver, until shutdown.
    async fn work(self, worker: usize, mut shutdown: watch::Receiver<bool>) {
        let agent = self.config.agent_id.as_str();
        // Warn once when the broker becomes unreachable, not at every poll.
        let mut unreachable = false;
        while !*shutdown.borrow() {
            let taken = self.broker.take_job(agent, Some(&self.config.kinds)).await;
            let was_unreachable = unreachable;
            unreachable = matches!(&taken, Err(error) if error.is_transient());
            if was_unreachable && !unreachable {
                tracing::info!(worker, broker = self.broker.url(), "broker reachable again");
            }
            match taken {
                Ok(Some(job)) => {
                    tracing::info!(worker, id = %job.id, epoch = job.epoch, "proving job");
                    self.prove(job, &mut shutdown).await;
                    continue;
                }
                Ok(None) => {}
                Err(error) if was_unreachable && error.is_transient() => {
                    tracing::debug!(worker, %error, "broker still unreachable")
                }
                Err(error) => tracing::warn!(worker, %error, "cannot take a job"),
            }
            tokio::select! {
                _ = tokio::time::sleep(self.config.poll_interval) => {}
                _ = stopped(&mut shutdown) => {}
            }
        }
    }

    /// Proves one job, heartbeating every third of the lease, and completes or fails it.
    async fn prove(&self, job: AssignedJob, shutdown: &mut watch::Receiver<bool>) {
        let agent = self.config.agent_id.as_str();
        let id = job.id;
        if *shutdown.borrow() {
            self.fail(id, "agent shutting down before proving").await;
            return;
        }
        let keys = Arc::clone(&self.keys);
        let input = job.input;
        let mut proving = tokio::task::spawn_blocking(move || prove_block_job(&keys, id, &input));
        let mut heartbeat =
            tokio::time::interval(Duration::from_millis((job.lease_ms / 3).max(10)));
        heartbeat.tick().await;
        let mut lease_held = true;
        let started = std::time::Instant::now();
        let outcome = loop {
            tokio::select! {
                outcome = &mut proving => break outcome,
                _ = heartbeat.tick(), if lease_held => {
                    match self.broker.heartbeat(agent, id).await {
                        Ok(_) => {}
                        Err(error) if lease_lost(&error) => {
                            tracing::warn!(id = %id, %error, "lease lost; finishing the proof anyway");
                            lease_held = false;
                        }
                        Err(error) => tracing::warn!(id = %id, %error, "heartbeat failed"),
                    }
                }
                _ = stopped(shutdown) => {
                    self.fail(id, "agent shutting down").await;
                    return;
                }
            }
        };
        match outcome {
            Ok(Ok(result)) => {
                tracing::info!(id = %id, elapsed_ms = started.elapsed().as_millis() as u64, "job proven");
                self.complete(id, result).await;
            }
            Ok(Err(error)) => self.fail(id, &error.to_string()).await,
            Err(error) => self.fail(id, &format!("prover task ended: {error}")).await,
        }
    }

    /// Delivers a result, retrying while the broker is unreachable.
    async fn complete(&self, id: JobId, result: BlockProofResult) {
        let agent = self.config.agent_id.as_str();
        let result = result.to_json();
        for attempt in 1..=COMPLETE_RETRIES {
            match self.broker.complete_job(agent, id, result.clone()).await {
                Ok(()) => return,
                Err(error) if error.is_transient() && attempt < COMPLETE_RETRIES => {
                    tracing::warn!(id = %id, %error, attempt, "cannot deliver the result yet");
                    tokio::time::sleep(self.config.poll_interval).await;
                }
                Err(error) => {
                    tracing::error!(id = %id, %error, "result not accepted");
                    return;
                }
            }
        }
    }

    /// Reports a failed attempt (logged if the broker refuses or is unreachable: the lease then
    /// expires and the job is retried anyway).
    async fn fail(&self, id: JobId, reason: &str) {
        tracing::warn!(id = %id, reason, "job attempt failed");
        if let Err(error) = self
            .broker
            .fail_job(&self.config.agent_id, id, reason)
            .await
        {
            tracing::warn!(id = %id, %error, "cannot report the failure");
        }
    }
}

/// Whether a heartbeat's `error` means the lease is lost: a rule of the broker refused it
/// (`-32000`: expired, handed to another agent, the job finished or unknown). Anything else, a
/// transient error above all (unreachable, or `-32603` while the broker's store fails), leaves
/// the lease held as far as the agent knows, so it keeps heartbeating.
fn lease_lost(error: &ClientError) -> bool {
    error.rpc_code() == Some(REJECTED)
}

/// Resolves once `shutdown` is true (or its sender is gone).
async fn stopped(shutdown: &mut watch::Receiver<bool>) {
    let _ = shutdown.wait_for(|stop| *stop).await;
}

/// Decodes, proves (for the payee the job names) and natively verifies a block job, a whole
/// block or a chunk of one (blocking, CPU-bound).
pub fn prove_block_job(keys: &BlockKeys, id: JobId, input: &[u8]) -> Result<BlockProofResult> {
    let witness = block_job::decode_input(input)?;
    let pair = keys.get(&witness.config, witness.part.txs)?;
    let (proof, inputs) = prove_block(&pair, witness, &mut rand::thread_rng())?;
    if !verify_block(&pair.verifying_key, &inputs, &proof)? {
        return Err(Error::ProofDoesNotVerify(id));
    }
    Ok(block_job::block_proof_result(&proof, &inputs))
}

#[cfg(test)]
mod tests {
    use fernet_rpc::codes::INTERNAL_ERROR;
    use jsonrpsee::{core::ClientError as JsonRpcError, types::ErrorObjectOwned};

    use super::*;

    fn rpc_error(code: i32) -> ClientError {
        ClientError::Rpc {
            method: fernet_broker_api::api::HEARTBEAT,
            source: ErrorObjectOwned::owned(code, "refused", None::<()>),
        }
    }

    /// A broker whose store fails (PostgreSQL restarting) answers `-32603`: the lease is still
    /// the agent's and it must keep heartbeating, or the lease expires and the job is proven
    /// twice. Only a rule's refusal (`-32000`) means the lease is lost.
    #[test]
    fn only_a_refusal_of_the_rules_loses_the_lease() {
        assert!(lease_lost(&rpc_error(REJECTED)));
        assert!(!lease_lost(&rpc_error(INTERNAL_ERROR)));
        let unreachable = ClientError::Http {
            method: fernet_broker_api::api::HEARTBEAT,
            url: "http://127.0.0.1:1".into(),
            source: Box::new(JsonRpcError::RequestTimeout),
        };
        assert!(!lease_lost(&unreachable));
    }
}
