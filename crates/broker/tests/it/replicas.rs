//! Several brokers on one PostgreSQL database, hammered by concurrent agents: each job is
//! created once however many brokers enqueue it, handed to exactly one agent, and none is lost.

use std::{collections::HashSet, sync::Arc, thread};

use fernet_broker::{
    testing::{postgres::TestDatabase, witness_bytes, TestKeys},
    Broker, StoreConfig,
};
use fernet_broker_api::{JobId, JobKind, JobStatus};

use crate::support::policy;

const JOBS: u64 = 120;
const BROKERS: usize = 2;
const AGENTS_PER_BROKER: usize = 4;

#[test]
fn brokers_on_one_database_hand_each_job_to_one_agent_and_lose_none() {
    let database = TestDatabase::create();
    let keys = Arc::new(TestKeys::new());
    let store = StoreConfig::Postgres {
        url: database.url().to_owned(),
    };
    let brokers: Vec<Broker> = (0..BROKERS)
        .map(|_| Broker::open(&store, policy(600_000, 3), keys.clone()).unwrap())
        .collect();
    let inputs: Vec<Vec<u8>> = (0..JOBS).map(witness_bytes).collect();

    // Every broker enqueues every job at the same time: each is created once.
    let created: usize = thread::scope(|scope| {
        let enqueuers: Vec<_> = brokers
            .iter()
            .map(|broker| {
                let inputs = &inputs;
                scope.spawn(move || {
                    let mut created = 0;
                    for (epoch, input) in (0u64..).zip(inputs) {
                        created += usize::from(
                            broker
                                .enqueue(JobKind::Block, epoch % 7, input)
                                .unwrap()
                                .created,
                        );
                    }
                    created
                })
            })
            .collect();
        enqueuers.into_iter().map(|e| e.join().unwrap()).sum()
    });
    assert_eq!(created, JOBS as usize);

    // Agents on every broker take until the queue is empty, completing each job with a real
    // proof: a job handed out twice would show up twice, and a completion by an agent whose
    // job was handed on would fail.
    let taken: Vec<JobId> = thread::scope(|scope| {
        let mut agents = Vec::new();
        for (b, broker) in brokers.iter().enumerate() {
            for a in 0..AGENTS_PER_BROKER {
                let keys = &keys;
                agents.push(scope.spawn(move || {
                    let agent = format!("agent-{b}-{a}");
                    let mut mine = Vec::new();
                    while let Some(job) = broker.take(&agent, &JobKind::ALL).unwrap() {
                        let result = keys.result(&job.input, 1);
                        broker.complete(&agent, &job.job.id, result).unwrap();
                        mine.push(job.job.id);
                    }
                    mine
                }));
            }
        }
        agents
            .into_iter()
            .flat_map(|agent| agent.join().unwrap())
            .collect()
    });
    let distinct: HashSet<JobId> = taken.iter().copied().collect();
    assert_eq!(taken.len(), distinct.len(), "a job was handed out twice");
    let expected: HashSet<JobId> = inputs
        .iter()
        .map(|input| JobId::compute(JobKind::Block, input))
        .collect();
    assert_eq!(distinct, expected, "every job taken, none lost");
    for broker in &brokers {
        for id in &expected {
            let job = broker.job(id).unwrap().unwrap();
            assert_eq!((job.status, job.attempts), (JobStatus::Proven, 1));
        }
        let metrics = broker.render_metrics().unwrap();
        assert!(
            metrics
                .lines()
                .any(|line| line == format!("prover_broker_jobs{{status=\"proven\"}} {JOBS}")),
            "{metrics}"
        );
    }
}
