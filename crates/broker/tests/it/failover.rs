//! `BrokerClient` over several replicas: a replica that does not answer is passed over for the
//! next one within the same call, the clones move together, an answer (an error too) is never
//! failed over, and with no replica left the error is a transient transport error.

use std::{
    sync::{
        atomic::{AtomicBool, AtomicUsize, Ordering},
        Arc,
    },
    time::Duration,
};

use fernet_broker::testing::TestKeys;
use fernet_broker_api::{BrokerClient, ClientError, JobId, JobKind, JobStatus};
use fernet_rpc::codes::REJECTED;
use fernet_state::StateConfig;

use crate::support::{policy, start_broker, wait_until, witness, BrokerProcess, TestStore, TOKEN};

/// A URL nobody listens on (connections are refused at once).
const DEAD: &str = "http://127.0.0.1:1";

#[tokio::test]
async fn a_dead_first_replica_is_passed_over_on_the_first_call() {
    let store = TestStore::embedded();
    let keys = Arc::new(TestKeys::new());
    let server = start_broker(&store, policy(60_000, 3), keys.clone()).await;
    let client = BrokerClient::new(format!("{DEAD},{}", server.url()), TOKEN);
    assert_eq!(client.url(), DEAD, "the first URL is in use until it fails");
    let input = witness(1).to_bytes();

    let enqueued = client.enqueue_job(JobKind::Block, 1, &input).await.unwrap();
    assert_eq!(
        client.url(),
        server.url(),
        "the replica that answered is in use"
    );
    let job = client.take_job("agent", None).await.unwrap().unwrap();
    assert_eq!(job.id, enqueued.id);
    assert_eq!(
        client.heartbeat("agent", job.id).await.unwrap().lease_ms,
        60_000
    );
    client
        .complete_job("agent", job.id, keys.result(&input, 1))
        .await
        .unwrap();
    let view = client.get_job(job.id).await.unwrap().unwrap();
    assert_eq!((view.status, view.attempts), (JobStatus::Proven, 1));
    assert_eq!(client.url(), server.url());
    server.shutdown().await.unwrap();
}

/// Two `fernet-broker` processes on one PostgreSQL database; the one in use is killed with
/// SIGKILL while a clone of the client enqueues without pause: no call fails, every clone now
/// uses the other replica, and the lease taken through the dead one is heartbeated and completed
/// through the live one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_of_two_replicas_keeps_working_when_the_one_in_use_is_killed() {
    let store = TestStore::postgres();
    let key_cache = tempfile::tempdir().unwrap();
    let keys = TestKeys::new();
    keys.write_cache(key_cache.path(), StateConfig::devnet());
    let first = BrokerProcess::start(&store, key_cache.path(), 60_000);
    let second = BrokerProcess::start(&store, key_cache.path(), 60_000);
    let urls = format!("{},{}", first.url, second.url);
    let client = BrokerClient::new(urls.clone(), TOKEN);
    let worker = client.clone();

    let inputs: Vec<Vec<u8>> = (0..2).map(|seed| witness(seed).to_bytes()).collect();
    for (epoch, input) in (0u64..).zip(&inputs) {
        client
            .enqueue_job(JobKind::Block, epoch, input)
            .await
            .unwrap();
    }
    let leased = worker.take_job("agent", None).await.unwrap().unwrap();
    assert_eq!(leased.input, inputs[0], "epoch 0 goes first");

    // The replica answered: a refusal is not failed over, nor is a wrong token.
    let refused = client.heartbeat("stranger", leased.id).await.unwrap_err();
    assert_eq!(refused.rpc_code(), Some(REJECTED), "{refused}");
    let stranger = BrokerClient::new(urls, "not-the-token-0123456789");
    let error = stranger.get_job(leased.id).await.unwrap_err();
    assert!(
        matches!(&error, ClientError::Unauthorized { url, .. } if *url == first.url),
        "{error}"
    );
    assert_eq!(
        (client.url(), stranger.url()),
        (first.url.as_str(), first.url.as_str())
    );

    // Enqueue without pause; kill the replica in use mid-stream.
    let count = Arc::new(AtomicUsize::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let enqueuer = {
        let (client, count, stop) = (client.clone(), Arc::clone(&count), Arc::clone(&stop));
        tokio::spawn(async move {
            let mut acknowledged = Vec::new();
            for seed in 100.. {
                if stop.load(Ordering::SeqCst) {
                    break;
                }
                let input = witness(seed).to_bytes();
                let answer = client.enqueue_job(JobKind::Block, 9, &input).await?;
                acknowledged.push(answer.id);
                count.fetch_add(1, Ordering::SeqCst);
            }
            Ok::<_, ClientError>(acknowledged)
        })
    };
    wait_until("3 enqueues acknowledged", Duration::from_secs(30), || {
        let count = Arc::clone(&count);
        async move { count.load(Ordering::SeqCst) >= 3 }
    })
    .await;
    let first_url = first.url.clone();
    first.kill_9();
    let at_kill = count.load(Ordering::SeqCst);
    wait_until("3 enqueues after the kill", Duration::from_secs(30), || {
        let done = enqueuer.is_finished() || count.load(Ordering::SeqCst) >= at_kill + 3;
        async move { done }
    })
    .await;
    stop.store(true, Ordering::SeqCst);
    let acknowledged = enqueuer
        .await
        .unwrap()
        .expect("no enqueue fails while a replica is left");
    assert!(acknowledged.len() >= at_kill + 3);

    // Every clone moved: the worker's next calls go to the live replica at once.
    assert_eq!(worker.url(), second.url);
    assert_ne!(worker.url(), first_url);
    assert_eq!(
        worker.heartbeat("agent", leased.id).await.unwrap().lease_ms,
        60_000,
        "the lease taken through the dead replica is in the database"
    );
    worker
        .complete_job("agent", leased.id, keys.result(&inputs[0], 0))
        .await
        .unwrap();
    let next = worker.take_job("agent", None).await.unwrap().unwrap();
    assert_eq!(next.input, inputs[1]);
    worker
        .complete_job("agent", next.id, keys.result(&inputs[1], 0))
        .await
        .unwrap();
    for id in [leased.id, next.id] {
        let view = client.get_job(id).await.unwrap().unwrap();
        assert_eq!((view.status, view.attempts), (JobStatus::Proven, 1));
    }
    for id in &acknowledged {
        assert!(
            client.get_job(*id).await.unwrap().is_some(),
            "job {id} lost"
        );
    }
    second.kill_9();
}

#[tokio::test]
async fn a_client_whose_every_replica_is_dead_gets_a_transient_http_error() {
    // A port that was free a moment ago: refused like DEAD.
    let last = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", listener.local_addr().unwrap())
    };
    let client = BrokerClient::new(format!("{DEAD}, {last}"), TOKEN);
    let error = client.get_job(JobId([1; 32])).await.unwrap_err();
    assert!(
        matches!(&error, ClientError::Http { method: "broker_getJob", url, .. } if *url == last),
        "the last replica's error: {error}"
    );
    assert!(error.is_transient());
    assert_eq!(
        client.url(),
        DEAD,
        "nobody answered: the replica in use stays"
    );
}
