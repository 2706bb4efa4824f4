//! What the test asks the brokers (`broker_getJob`) and reads from the broker replicas' and the
//! agents' logs (which jobs an epoch has, who took and proved them).

use std::path::PathBuf;

use alloy::primitives::Address;
use eyre::{eyre, WrapErr};
use fernet_broker_api::{BrokerClient, JobId};
use fernet_devnet::{agent_name, broker_name, Devnet};

use crate::logs;

/// A job as `broker_getJob` returns it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Job {
    pub(crate) status: String,
    pub(crate) attempts: u64,
    /// Why its latest attempt failed, or why it was withdrawn.
    pub(crate) error: Option<String>,
}

/// The broker replicas and the agents, seen from the test.
#[derive(Debug, Clone)]
pub(crate) struct Broker {
    client: BrokerClient,
    /// Each replica's log (a killed replica's log keeps what it did).
    logs: Vec<PathBuf>,
    /// Each agent's log, by agent index.
    agent_logs: Vec<PathBuf>,
}

impl Broker {
    /// The brokers of `devnet` (a client failing over between them) and its agents.
    pub(crate) fn of(devnet: &Devnet) -> Self {
        let replicas = devnet.options().broker_replicas;
        Self {
            client: BrokerClient::new(
                devnet.urls().broker_hosts(),
                devnet.broker_auth_token().to_owned(),
            ),
            logs: (0..replicas)
                .map(|i| devnet.log_path(&broker_name(i, replicas)))
                .collect(),
            agent_logs: (0..devnet.options().agents)
                .map(|i| devnet.log_path(&agent_name(i)))
                .collect(),
        }
    }

    /// `broker_getJob(id)`: `None` for an unknown job.
    pub(crate) async fn job(&self, id: &str) -> eyre::Result<Option<Job>> {
        let id = JobId::parse(id).map_err(|reason| eyre!("job id {id:?}: {reason}"))?;
        let view = self
            .client
            .get_job(id)
            .await
            .wrap_err_with(|| format!("broker_getJob({id})"))?;
        Ok(view.map(|view| Job {
            status: view.status.to_string(),
            attempts: u64::from(view.attempts),
            error: view.error,
        }))
    }

    /// The ids of the jobs of `epoch` made for `payee`, in the order the broker stored them.
    pub(crate) fn jobs_of(&self, epoch: u64, payee: Address) -> Vec<String> {
        let payee = payee.to_string();
        let mut ids: Vec<String> = Vec::new();
        for fields in self
            .logs
            .iter()
            .flat_map(|log| logs::records(log, "job enqueued"))
        {
            let for_payee = fields
                .get("payee")
                .is_some_and(|logged| logged.eq_ignore_ascii_case(&payee));
            if fields.number("epoch") == Some(epoch) && for_payee {
                if let Some(id) = fields.get("id") {
                    if !ids.iter().any(|known| known == id) {
                        ids.push(id.to_owned());
                    }
                }
            }
        }
        ids
    }

    /// The jobs of `epoch` agent `agent` (index from 0) started proving, in order (a retried
    /// job appears twice).
    pub(crate) fn started_by(&self, agent: usize, epoch: u64) -> Vec<String> {
        self.agent_logs
            .get(agent)
            .map(|log| {
                logs::records(log, "proving job")
                    .into_iter()
                    .filter(|fields| fields.number("epoch") == Some(epoch))
                    .filter_map(|fields| fields.get("id").map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Times any agent started proving job `id` of `epoch`.
    pub(crate) fn times_started(&self, epoch: u64, id: &str) -> usize {
        (0..self.agent_logs.len())
            .map(|agent| {
                self.started_by(agent, epoch)
                    .iter()
                    .filter(|started| *started == id)
                    .count()
            })
            .sum()
    }

    /// Times a broker replica stored job `id` as new (more than once would mean a store lost
    /// it).
    pub(crate) fn times_enqueued(&self, id: &str) -> usize {
        self.count_in_brokers("job enqueued", id)
    }

    /// Times a broker replica accepted a result for job `id`.
    pub(crate) fn times_completed(&self, id: &str) -> usize {
        self.count_in_brokers("job proven", id)
    }

    /// Times an agent (any of them, every run of it) finished a proof of job `id`.
    pub(crate) fn times_proven_by_agents(&self, id: &str) -> usize {
        self.agent_logs
            .iter()
            .map(|log| logs::count(log, "job proven", "id", id))
            .sum()
    }

    /// Times a broker replica took job `id` back because its lease expired.
    pub(crate) fn times_expired(&self, id: &str) -> usize {
        self.count_in_brokers("lease expired", id)
    }

    /// The agents whose client switched to another broker replica, by index.
    pub(crate) fn agents_failed_over(&self) -> Vec<usize> {
        (0..self.agent_logs.len())
            .filter(|agent| {
                !logs::records(&self.agent_logs[*agent], "broker replica switched").is_empty()
            })
            .collect()
    }

    /// Lines with `message` about job `id` in every replica's log.
    fn count_in_brokers(&self, message: &str, id: &str) -> usize {
        self.logs
            .iter()
            .map(|log| logs::count(log, message, "id", id))
            .sum()
    }

    /// Checks that the jobs of `epoch` for `payee` (the prover whose proof landed) are one per
    /// block of its proof, each proven, stored once and accepted once; returns them. Provers
    /// sharing the brokers prove the same block for different payees: different jobs.
    pub(crate) async fn check_epoch_jobs(
        &self,
        epoch: u64,
        payee: Address,
        blocks: u64,
        label: &str,
    ) -> eyre::Result<Vec<(String, Job)>> {
        let ids = self.jobs_of(epoch, payee);
        eyre::ensure!(
            ids.len() as u64 == blocks,
            "{label} epoch {epoch}: {} jobs for payee {payee} and {blocks} proven blocks: {ids:?}",
            ids.len()
        );
        let mut jobs = Vec::new();
        for id in ids {
            let job = self
                .job(&id)
                .await?
                .ok_or_else(|| eyre!("{label} the broker lost job {id} of epoch {epoch}"))?;
            eyre::ensure!(
                job.status == "proven",
                "{label} job {id} of epoch {epoch} is {job:?}"
            );
            let counts = (self.times_enqueued(&id), self.times_completed(&id));
            eyre::ensure!(
                counts == (1, 1),
                "{label} job {id} of epoch {epoch}: stored {} times, accepted {} times (expected \
                 once each)",
                counts.0,
                counts.1
            );
            jobs.push((id, job));
        }
        Ok(jobs)
    }
}

/// The value of the Prometheus metric `name` (no labels) in `text`.
pub(crate) fn metric(text: &str, name: &str) -> Option<f64> {
    text.lines()
        .filter(|line| !line.starts_with('#'))
        .find_map(|line| {
            let (key, value) = line.split_once(' ')?;
            (key == name).then(|| value.trim().parse().ok()).flatten()
        })
}

/// `GET <url>/metrics`, then the metric `name`.
pub(crate) async fn read_metric(
    http: &reqwest::Client,
    url: &str,
    name: &str,
) -> eyre::Result<f64> {
    let text = http
        .get(format!("{url}/metrics"))
        .send()
        .await?
        .text()
        .await?;
    metric(&text, name).ok_or_else(|| eyre!("no metric {name} at {url}/metrics"))
}

#[test]
fn reads_a_metric() {
    let text = "# HELP a x\n# TYPE a counter\na 3\nab 4\nc{x=\"1\"} 5\n";
    assert_eq!(metric(text, "a"), Some(3.0));
    assert_eq!(metric(text, "ab"), Some(4.0));
    assert_eq!(metric(text, "b"), None);
}
