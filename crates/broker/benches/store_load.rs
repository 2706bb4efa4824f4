//! Load benchmark of the broker's two stores: a queue of 10,000 jobs enqueued, the broker
//! restarted on it, every job leased, then completed, by concurrent threads calling [`Broker`]
//! directly (no JSON-RPC, no HTTP). Runs the embedded redb store (one broker) and PostgreSQL
//! with 1 and 4 broker replicas on one database, and prints throughput and latency per phase.
//!
//! `cargo bench -p fernet-broker --bench store_load` (`-- --help` for the options). PostgreSQL
//! is the cluster of `script/postgres.sh`, as in the tests, with a fresh schema per run.
//!
//! - Jobs are real block witnesses (`fernet_broker::testing::witness_bytes`); completions are
//!   real Groth16 proofs of the tiny circuit of [`TestKeys`], made before the clock starts, so
//!   a completion measures what the broker does with one: decode, check the public inputs,
//!   verify the proof natively (a pairing check) and store the result.
//! - Restart: every broker is dropped, then one is opened again on the store (redb: the file is
//!   reopened; PostgreSQL: a new broker connects and checks its tables) and reads the job
//!   counts; the time until that read answers.

use std::{
    collections::{HashMap, HashSet},
    sync::Arc,
    thread,
    time::{Duration, Instant},
};

use clap::Parser;
use eyre::{bail, ensure, eyre, Result, WrapErr};
use fernet_broker::{
    testing::{postgres::TestDatabase, witness_bytes, TestKeys},
    Broker, JobPolicy, StoreConfig, VerifyingKeys,
};
use fernet_broker_api::{JobId, JobKind};
use serde_json::Value;

/// Jobs of one epoch (the queue holds several epochs, taken lowest first).
const JOBS_PER_EPOCH: u64 = 1_000;

/// What to run.
#[derive(Debug, Parser)]
#[command(about = "Load benchmark of the proving broker's stores")]
struct Options {
    /// Jobs enqueued, leased and completed in each run.
    #[arg(long, default_value_t = 10_000)]
    jobs: u64,
    /// Threads per broker that enqueue, take and complete jobs at the same time.
    #[arg(long, default_value_t = 4)]
    takers: usize,
    /// Numbers of broker replicas to run on one PostgreSQL database, one run each
    /// (comma-separated; `0` alone skips PostgreSQL).
    #[arg(long, value_delimiter = ',', default_value = "1,4")]
    replicas: Vec<usize>,
}

fn main() -> Result<()> {
    // `cargo bench` passes `--bench`.
    let options = Options::parse_from(std::env::args().filter(|arg| arg != "--bench"));
    ensure!(options.jobs > 0, "--jobs must be at least 1");
    ensure!(options.takers > 0, "--takers must be at least 1");
    let cores = thread::available_parallelism().map_or(1, |n| n.get());

    let keys = Arc::new(TestKeys::new());
    let started = Instant::now();
    let jobs = Jobs::prepare(options.jobs, &keys, cores);
    eprintln!(
        "prepared {} witnesses and proofs in {:.1} s on {cores} threads",
        options.jobs,
        started.elapsed().as_secs_f64()
    );

    let mut rows = Vec::new();
    let dir = tempfile::tempdir().wrap_err("a temporary directory")?;
    let store = StoreConfig::Embedded {
        data_dir: dir.path().to_path_buf(),
    };
    let label = format!("embedded, 1 broker x {}", options.takers);
    rows.extend(run(&label, &store, 1, options.takers, &jobs, &keys)?);
    drop(dir);

    for &replicas in options.replicas.iter().filter(|&&replicas| replicas > 0) {
        let database = TestDatabase::create();
        let store = StoreConfig::Postgres {
            url: database.url().to_owned(),
        };
        let brokers = if replicas == 1 { "broker" } else { "brokers" };
        let label = format!("postgres, {replicas} {brokers} x {}", options.takers);
        rows.extend(run(&label, &store, replicas, options.takers, &jobs, &keys)?);
    }

    print_table(&rows, cores);
    Ok(())
}

/// The jobs of a run: their inputs, and a valid result for each.
struct Jobs {
    inputs: Vec<Vec<u8>>,
    results: HashMap<JobId, Value>,
}

impl Jobs {
    /// `count` distinct block witnesses and a real proof of each, made on `threads` threads.
    fn prepare(count: u64, keys: &TestKeys, threads: usize) -> Self {
        let made: Vec<Vec<(u64, Vec<u8>, Value)>> = thread::scope(|scope| {
            let makers: Vec<_> = (0..threads as u64)
                .map(|first| {
                    scope.spawn(move || {
                        (first..count)
                            .step_by(threads)
                            .map(|seed| {
                                let input = witness_bytes(seed);
                                let result = keys.result(&input, seed);
                                (seed, input, result)
                            })
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            makers
                .into_iter()
                .map(|maker| maker.join().expect("making a witness does not panic"))
                .collect()
        });
        let mut made: Vec<_> = made.into_iter().flatten().collect();
        made.sort_by_key(|(seed, ..)| *seed);
        let mut inputs = Vec::with_capacity(made.len());
        let mut results = HashMap::with_capacity(made.len());
        for (_, input, result) in made {
            results.insert(JobId::compute(JobKind::Block, &input), result);
            inputs.push(input);
        }
        Self { inputs, results }
    }
}

/// One line of the table: a phase of a run.
struct Row {
    run: String,
    phase: &'static str,
    /// Jobs the phase handled (for a restart: the jobs in the store).
    jobs: usize,
    wall: Duration,
    /// The latency of each call, empty for a restart.
    latencies: Vec<Duration>,
}

/// Enqueues every job through `replicas` brokers on `store` with `takers` threads each,
/// restarts, leases every job, completes every job; returns the phases measured.
fn run(
    label: &str,
    store: &StoreConfig,
    replicas: usize,
    takers: usize,
    jobs: &Jobs,
    keys: &Arc<TestKeys>,
) -> Result<Vec<Row>> {
    eprintln!("{label}: running");
    let keys: Arc<dyn VerifyingKeys> = keys.clone();
    let open = || -> Result<Broker> {
        // Leases long enough that none expires during the run.
        let policy = JobPolicy {
            job_timeout: Duration::from_secs(3_600),
            ..JobPolicy::default()
        };
        Broker::open(store, policy, Arc::clone(&keys)).wrap_err_with(|| format!("open {store:?}"))
    };
    let mut brokers = (0..replicas).map(|_| open()).collect::<Result<Vec<_>>>()?;
    let workers = replicas * takers;
    let total = jobs.inputs.len();
    let mut rows = Vec::new();
    let mut row = |phase, count, wall, latencies| {
        rows.push(Row {
            run: label.to_owned(),
            phase,
            jobs: count,
            wall,
            latencies,
        })
    };

    // Enqueue: the workers share the jobs out; each is new.
    let (wall, enqueued) = in_parallel(workers, |worker| {
        let broker = &brokers[worker / takers];
        let mut latencies = Vec::new();
        for (index, input) in jobs.inputs.iter().enumerate().skip(worker).step_by(workers) {
            let epoch = index as u64 / JOBS_PER_EPOCH;
            let start = Instant::now();
            let enqueued = broker.enqueue(JobKind::Block, epoch, input)?;
            latencies.push(start.elapsed());
            ensure!(
                enqueued.created,
                "job {} was already queued",
                enqueued.job.id
            );
        }
        Ok(latencies)
    })?;
    row("enqueue", total, wall, enqueued.concat());

    // Restart on the full queue.
    drop(brokers);
    let start = Instant::now();
    let first = open()?;
    let metrics = first.render_metrics()?;
    let wall = start.elapsed();
    expect_count(&metrics, "queued", total)?;
    row("restart", total, wall, Vec::new());
    brokers = std::iter::once(Ok(first))
        .chain((1..replicas).map(|_| open()))
        .collect::<Result<_>>()?;

    // Lease: every worker takes until the queue is empty.
    let (wall, taken) = in_parallel(workers, |worker| {
        let broker = &brokers[worker / takers];
        let agent = agent_id(worker, takers);
        let mut latencies = Vec::new();
        let mut ids = Vec::new();
        loop {
            let start = Instant::now();
            let Some(job) = broker.take(&agent, &JobKind::ALL)? else {
                break;
            };
            latencies.push(start.elapsed());
            ids.push(job.job.id);
        }
        Ok((latencies, ids))
    })?;
    let (latencies, leased): (Vec<_>, Vec<_>) = taken.into_iter().unzip();
    let distinct: HashSet<JobId> = leased.iter().flatten().copied().collect();
    let count = leased.iter().map(Vec::len).sum::<usize>();
    ensure!(
        count == total && distinct.len() == total,
        "{count} leases of {} distinct jobs, expected {total} of {total}",
        distinct.len()
    );
    row("lease", total, wall, latencies.concat());

    // Complete: each worker delivers the results of the jobs it leased, as their lease holder.
    let (wall, completed) = in_parallel(workers, |worker| {
        let broker = &brokers[worker / takers];
        let agent = agent_id(worker, takers);
        let mut latencies = Vec::new();
        for id in &leased[worker] {
            let result = jobs
                .results
                .get(id)
                .ok_or_else(|| eyre!("no result for {id}"))?;
            let result = result.clone();
            let start = Instant::now();
            broker.complete(&agent, id, result)?;
            latencies.push(start.elapsed());
        }
        Ok(latencies)
    })?;
    row("complete", total, wall, completed.concat());
    for broker in &brokers {
        expect_count(&broker.render_metrics()?, "proven", total)?;
    }
    Ok(rows)
}

/// The agent id of `worker`: its broker and its place there.
fn agent_id(worker: usize, takers: usize) -> String {
    format!("bench-{}-{}", worker / takers, worker % takers)
}

/// Runs `work(worker)` on `workers` threads at once; returns the time until the last one
/// finished and what each returned.
fn in_parallel<T: Send>(
    workers: usize,
    work: impl Fn(usize) -> Result<T> + Sync,
) -> Result<(Duration, Vec<T>)> {
    let work = &work;
    let start = Instant::now();
    let outputs = thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|worker| scope.spawn(move || work(worker)))
            .collect();
        handles
            .into_iter()
            .map(|handle| {
                handle
                    .join()
                    .map_err(|_| eyre!("a benchmark thread panicked"))?
            })
            .collect::<Result<Vec<T>>>()
    });
    let wall = start.elapsed();
    Ok((wall, outputs?))
}

/// Fails unless the metrics `render` count `expected` jobs in `status`.
fn expect_count(metrics: &str, status: &str, expected: usize) -> Result<()> {
    let line = format!("prover_broker_jobs{{status=\"{status}\"}} {expected}");
    if !metrics.lines().any(|l| l == line) {
        bail!("expected `{line}` in the broker's metrics:\n{metrics}");
    }
    Ok(())
}

/// Prints the rows as a table on stdout.
fn print_table(rows: &[Row], cores: usize) {
    println!();
    println!("broker store load ({cores} cores; times per call, all threads together)");
    println!(
        "| {:<30} | {:<8} | {:>6} | {:>8} | {:>8} | {:>8} | {:>8} |",
        "run (brokers x threads)", "phase", "jobs", "time s", "jobs/s", "p50 ms", "p99 ms"
    );
    println!(
        "| {:-<30} | {:-<8} | {:->6} | {:->8} | {:->8} | {:->8} | {:->8} |",
        "", "", "", "", "", "", ""
    );
    for row in rows {
        let (rate, p50, p99) = if row.latencies.is_empty() {
            ("-".to_owned(), "-".to_owned(), "-".to_owned())
        } else {
            let mut sorted = row.latencies.clone();
            sorted.sort_unstable();
            (
                format!("{:.0}", row.jobs as f64 / row.wall.as_secs_f64()),
                format!("{:.2}", millis(percentile(&sorted, 50))),
                format!("{:.2}", millis(percentile(&sorted, 99))),
            )
        };
        println!(
            "| {:<30} | {:<8} | {:>6} | {:>8.3} | {:>8} | {:>8} | {:>8} |",
            row.run,
            row.phase,
            row.jobs,
            row.wall.as_secs_f64(),
            rate,
            p50,
            p99
        );
    }
}

/// The `p`th percentile of `sorted` (nearest rank).
fn percentile(sorted: &[Duration], p: usize) -> Duration {
    let rank = (sorted.len() * p).div_ceil(100).max(1);
    sorted[rank - 1]
}

fn millis(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1_000.0
}
