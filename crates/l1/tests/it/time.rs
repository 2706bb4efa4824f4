//! `L1Time` follows anvil's block timestamps.

use std::time::Duration;

use alloy::providers::Provider;
use fernet_l1::{connect, L1Options, L1Time};
use serde_json::Value;

use crate::support::anvil;

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
