//! `L1Time` follows anvil's block timestamps.

use std::time::Duration;

use alloy::providers::Provider;
use fernet_l1::{connect, L1Options, L1Time};
use reqwest::StatusCode;
use serde_json::Value;

use crate::support::{anvil, anvil_with_block_time, Fault, FlakyProxy};

#[tokio::test]
async fn l1_time_follows_the_timestamps_of_new_blocks() {
    let anvil = anvil();
    let provider = connect(&anvil.endpoint_url(), &L1Options::default()).unwrap();
    let time = L1Time::start(provider.clone(), Duration::from_millis(50))
        .await
        .unwrap();
    let latest = provider.get_block_number().await.unwrap();
    let (number, timestamp) = time.head();
    assert_eq!(number, latest);
    let before = time.now();
    assert!(before >= timestamp);

    // An hour passes on L1 (and not here): the clock jumps with it.
    let mut heads = time.subscribe();
    provider
        .raw_request::<_, Value>("evm_increaseTime".into(), (3_600,))
        .await
        .unwrap();
    provider
        .raw_request::<_, Value>("evm_mine".into(), ())
        .await
        .unwrap();
    tokio::time::timeout(Duration::from_secs(5), heads.changed())
        .await
        .expect("the new head is seen")
        .unwrap();
    let (number, jumped) = time.head();
    assert_eq!(number, latest + 1);
    assert!(jumped >= timestamp + 3_600, "{jumped} after {timestamp}");
    assert!(time.now() >= jumped);

    // An exact timestamp, far ahead.
    let exact = jumped + 1_000_000;
    provider
        .raw_request::<_, Value>("anvil_setNextBlockTimestamp".into(), (exact,))
        .await
        .unwrap();
    provider
        .raw_request::<_, Value>("evm_mine".into(), ())
        .await
        .unwrap();
    let clone = time.clone();
    tokio::time::timeout(Duration::from_secs(5), async {
        while clone.head().1 != exact {
            heads.changed().await.unwrap();
        }
    })
    .await
    .expect("the exact timestamp is seen");
    assert_eq!(clone.head(), (latest + 2, exact));
    let now = clone.now();
    assert!(
        (exact..exact + 5).contains(&now),
        "{now} for a head at {exact}"
    );
    // Monotone on every clone.
    assert!(time.now() >= now);
}

#[tokio::test]
async fn the_head_poller_stays_quiet_between_blocks_and_misses_none() {
    // Issue 12, "≤ 20 L1 calls per slot": a poller that asked every 100 ms would send about 20
    // requests per 2 s block; one that waits for the shortest block interval seen sends a few.
    const POLL: Duration = Duration::from_millis(100);
    const BLOCKS: u64 = 5;
    let anvil = anvil_with_block_time(2);
    let proxy = FlakyProxy::start(anvil.endpoint_url(), Fault::Status(StatusCode::OK), 0).await;
    let provider = connect(&proxy.url, &L1Options::default()).unwrap();
    let time = L1Time::start(provider, POLL).await.unwrap();
    let mut heads = time.subscribe();
    let mut seen = vec![time.latest().number];
    let mut counted_from = None;
    tokio::time::timeout(Duration::from_secs(60), async {
        while seen.len() < 2 + BLOCKS as usize {
            heads.changed().await.unwrap();
            seen.push(heads.borrow_and_update().number);
            // The interval is learned from the first two new heads; count from then on.
            if seen.len() == 2 {
                counted_from = Some(proxy.received());
            }
        }
    })
    .await
    .expect("anvil mines a block every 2 s");
    let requests = proxy.received() - counted_from.unwrap();
    let first = seen[0];
    assert_eq!(
        seen,
        (first..first + seen.len() as u64).collect::<Vec<_>>(),
        "every block seen, in order"
    );
    let polling_every_interval = BLOCKS * 2_000 / POLL.as_millis() as u64;
    assert!(
        (requests as u64) * 4 <= polling_every_interval,
        "{requests} requests for {BLOCKS} blocks (a poll every {POLL:?} sends {polling_every_interval})"
    );
}
