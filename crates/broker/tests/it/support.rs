//! Shared helpers: real witnesses, valid and forged results, servers (in-process and the real
//! binary) and raw requests.

use std::{
    future::Future,
    io::{BufRead, BufReader},
    path::Path,
    process::{Child, Command, Stdio},
    sync::{mpsc, Arc},
    time::Duration,
};

use ark_bn254::{Fr, G1Affine, G2Affine};
use ark_ec::AffineRepr;
use ark_groth16::Proof;
use fernet_broker::{
    block_proof_result, testing::postgres::TestDatabase, BrokerConfig, BrokerServer, JobPolicy,
    VerifyingKeys,
};
use fernet_state::{
    apply_block, Block, BlockBody, BlockWitness, L1ToL2Message, StateConfig, TxEffect, WorldState,
};
use serde_json::Value;

/// The payee the test witnesses name.
pub(crate) const PAYEE: [u8; 20] = [0x5e; 20];

/// The witness of a one-tx devnet block on genesis, for [`PAYEE`]; `seed` makes it unique.
pub(crate) fn witness(seed: u64) -> BlockWitness {
    let mut state = WorldState::new(StateConfig::devnet()).unwrap();
    let payer = [0xfe; 20];
    let tx = TxEffect::new(seed, payer, &[Fr::from(seed + 1)], &[], None).unwrap();
    let block = Block {
        number: 1,
        slot: 1,
        body: BlockBody {
            coinbase: None,
            messages: vec![L1ToL2Message {
                recipient: payer,
                amount: u128::from(seed) + 1,
            }],
            txs: vec![tx],
        },
    };
    apply_block(&mut state, &block).unwrap().with_payee(PAYEE)
}

/// The bearer token of the test brokers.
pub(crate) const TOKEN: &str = "test-token-0123456789abcdef";

/// A result with the witness's public inputs and curve generators as the "proof": the right
/// shape, not a valid proof (what a forger sends).
pub(crate) fn fake_result(seed: u64) -> Value {
    let inputs = witness(seed).public_inputs.to_field_elements();
    let proof = Proof {
        a: G1Affine::generator(),
        b: G2Affine::generator(),
        c: G1Affine::generator(),
    };
    block_proof_result(&proof, &inputs).to_json()
}

/// The store of a test broker: a data directory, or a database of its own.
pub(crate) struct TestStore {
    dir: tempfile::TempDir,
    database: Option<TestDatabase>,
}

impl TestStore {
    /// The embedded store in a fresh directory.
    pub(crate) fn embedded() -> Self {
        Self {
            dir: tempfile::tempdir().unwrap(),
            database: None,
        }
    }

    /// A fresh PostgreSQL database (`script/postgres.sh`'s cluster).
    pub(crate) fn postgres() -> Self {
        Self {
            database: Some(TestDatabase::create()),
            ..Self::embedded()
        }
    }

    /// The data directory (unused with a database).
    pub(crate) fn dir(&self) -> &std::path::Path {
        self.dir.path()
    }

    /// The database URL, if the store is PostgreSQL.
    pub(crate) fn database_url(&self) -> Option<&str> {
        self.database.as_ref().map(TestDatabase::url)
    }
}

/// A broker on a free port over `store`, with token [`TOKEN`], checking results against
/// `keys`.
pub(crate) async fn start_broker(
    store: &TestStore,
    policy: JobPolicy,
    keys: Arc<dyn VerifyingKeys>,
) -> BrokerServer {
    BrokerServer::start(BrokerConfig {
        host: "127.0.0.1".into(),
        port: 0,
        data_dir: store.dir().to_path_buf(),
        database_url: store.database_url().map(str::to_owned),
        policy,
        auth_token: TOKEN.into(),
        keys,
    })
    .await
    .unwrap()
}

/// Polls `condition` every 20 ms until it holds; panics naming `what` after `limit`.
pub(crate) async fn wait_until<F, Fut>(what: &str, limit: Duration, mut condition: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + limit;
    while !condition().await {
        assert!(
            tokio::time::Instant::now() < deadline,
            "{what}: not within {limit:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A policy with a short lease.
pub(crate) fn policy(job_timeout_ms: u64, max_attempts: u32) -> JobPolicy {
    JobPolicy {
        job_timeout: Duration::from_millis(job_timeout_ms),
        max_attempts,
        ..JobPolicy::default()
    }
}

/// POSTs `body` to `url` as is with the bearer token; returns the HTTP status and the JSON
/// answer.
pub(crate) async fn post_raw(url: &str, body: impl Into<reqwest::Body>) -> (u16, Value) {
    post_with(url, Some(TOKEN), body).await
}

/// POSTs `body` to `url` with `Authorization: Bearer <token>` when `token` is given.
pub(crate) async fn post_with(
    url: &str,
    token: Option<&str>,
    body: impl Into<reqwest::Body>,
) -> (u16, Value) {
    let mut request = reqwest::Client::new()
        .post(url)
        .header("content-type", "application/json");
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.body(body).send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

/// Calls `method` with `params`; returns the answer's `error` object, panicking on success.
pub(crate) async fn rpc_error(url: &str, method: &str, params: Value) -> (i32, String) {
    let body = serde_json::json!({ "jsonrpc": "2.0", "id": 7, "method": method, "params": params });
    let (_, answer) = post_raw(url, body.to_string()).await;
    assert_eq!(answer["id"], 7, "{answer}");
    let error = answer
        .get("error")
        .unwrap_or_else(|| panic!("expected an error, got {answer}"));
    (
        i32::try_from(error["code"].as_i64().unwrap()).unwrap(),
        error["message"].as_str().unwrap().to_owned(),
    )
}

/// A `fernet-broker` process and its URL.
pub(crate) struct BrokerProcess {
    child: Child,
    /// `http://127.0.0.1:<port>`.
    pub(crate) url: String,
}

impl BrokerProcess {
    /// Starts the binary on a free port over `store` with token [`TOKEN`] and the key cache
    /// `keys`; waits for its "listening" line.
    pub(crate) fn start(store: &TestStore, keys: &Path, job_timeout_ms: u64) -> Self {
        let mut command = Command::new(env!("CARGO_BIN_EXE_fernet-broker"));
        match store.database_url() {
            Some(url) => command.env("BROKER_DATABASE_URL", url),
            None => command.env_remove("BROKER_DATABASE_URL"),
        };
        let mut child = command
            .args(["--port", "0", "--data-dir"])
            .arg(store.dir())
            .args(["--job-timeout-ms", &job_timeout_ms.to_string()])
            .env("BROKER_AUTH_TOKEN", TOKEN)
            .env("FERNET_KEY_CACHE", keys)
            .env("NO_COLOR", "1")
            .env("LOG_LEVEL", "info")
            .env_remove("LOG_JSON")
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = child.stderr.take().unwrap();
        let (address, received) = mpsc::channel();
        // Reads the log to the end, so the pipe never fills up.
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(rest) = line.split("broker listening on ").nth(1) {
                    let addr = rest
                        .split_whitespace()
                        .next()
                        .unwrap_or_default()
                        .to_owned();
                    let _ = address.send(addr);
                }
            }
        });
        let addr = received
            .recv_timeout(Duration::from_secs(20))
            .expect("fernet-broker logs its address");
        Self {
            child,
            url: format!("http://{addr}"),
        }
    }

    /// SIGKILL, and reap.
    pub(crate) fn kill_9(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

impl Drop for BrokerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
