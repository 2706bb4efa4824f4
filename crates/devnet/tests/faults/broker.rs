//! What the test asks the broker (`broker_getJob`) and reads from the broker's and the agent's
//! logs (which jobs an epoch has, who took and proved them).

use std::path::PathBuf;

use alloy::primitives::Address;
use eyre::{eyre, WrapErr};
use fernet_broker_api::{BrokerClient, JobId};
use fernet_devnet::{agent_name, Devnet};

use crate::logs;

/// A job as `broker_getJob` returns it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Job {
    pub(crate) status: String,
    pub(crate) attempts: u64,
}

/// The broker and its agent, seen from the test.
#[derive(Debug, Clone)]
pub(crate) struct Broker {
    client: BrokerClient,
    log: PathBuf,
    agent_log: PathBuf,
}

impl Broker {
    /// The broker of `devnet` and its first agent.
    pub(crate) fn of(devnet: &Devnet) -> Self {
        Self {
            client: BrokerClient::new(
                devnet.urls().broker.clone(),
                devnet.broker_auth_token().to_owned(),
            ),
            log: devnet.log_path("broker"),
            agent_log: devnet.log_path(&agent_name(0)),
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
        }))
    }

    /// The ids of the jobs of `epoch` made for `payee`, in the order the broker stored them.
    pub(crate) fn jobs_of(&self, epoch: u64, payee: Address) -> Vec<String> {
        let payee = payee.to_string();
        let mut ids: Vec<String> = Vec::new();
        for fields in logs::records(&self.log, "job enqueued") {
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

    /// The jobs of `epoch` the agent started proving, in order (a retried job appears twice).
    pub(crate) fn started(&self, epoch: u64) -> Vec<String> {
        logs::records(&self.agent_log, "proving job")
            .into_iter()
            .filter(|fields| fields.number("epoch") == Some(epoch))
            .filter_map(|fields| fields.get("id").map(str::to_owned))
            .collect()
    }

    /// Times the broker stored job `id` as new (more than once would mean its store lost it).
    pub(crate) fn times_enqueued(&self, id: &str) -> usize {
        logs::count(&self.log, "job enqueued", "id", id)
    }

    /// Times the broker accepted a result for job `id`.
    pub(crate) fn times_completed(&self, id: &str) -> usize {
        logs::count(&self.log, "job proven", "id", id)
    }

    /// Times the agent (every run of it) finished a proof of job `id`.
    pub(crate) fn times_proven_by_agent(&self, id: &str) -> usize {
        logs::count(&self.agent_log, "job proven", "id", id)
    }

    /// Times the broker took job `id` back because its lease expired.
    pub(crate) fn times_expired(&self, id: &str) -> usize {
        logs::count(&self.log, "lease expired", "id", id)
    }

    /// Checks that the jobs of `epoch` for `payee` (the prover whose proof landed) are one per
    /// block of its proof, each stored once, proven once by the agent and accepted once; returns
    /// them. Provers sharing the broker prove the same block for different payees: different jobs.
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
            let counts = (
                self.times_enqueued(&id),
                self.times_proven_by_agent(&id),
                self.times_completed(&id),
            );
            eyre::ensure!(
                counts == (1, 1, 1),
                "{label} job {id} of epoch {epoch}: stored {} times, proven {} times by the agent, \
                 accepted {} times (expected once each)",
                counts.0,
                counts.1,
                counts.2
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
