//! The scale report: over whole epochs of a running devnet, the share of slots whose best live
//! staker proposed (the ranking computed off chain with [`fernet_bindings::ranking`] and the
//! keys the sequencer processes hold), proposal latency (p50/p99), L1 calls per slot per
//! process (`fernet_l1_requests_total` on each process's `/metrics`), and CPU and memory per
//! process (`/proc/<pid>/stat` and `/proc/<pid>/status`).

use std::{
    collections::{BTreeMap, HashSet},
    fmt,
    time::{Duration, Instant},
};

use alloy::primitives::Address;
use serde::Serialize;

use crate::{history::History, sequencer_name, Devnet, Error, Result};

/// The L1 request counter every bot exports (`fernet-l1`).
pub const L1_REQUESTS_METRIC: &str = "fernet_l1_requests_total";

/// The sequencer's histogram of the time from slot start to proposal receipt.
pub const PROPOSAL_LATENCY_METRIC: &str = "fernet_sequencer_proposal_latency_seconds";

/// One process at one moment.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProcessSample {
    /// The devnet's name for it.
    pub name: String,
    /// Its process id.
    pub pid: u32,
    /// `fernet_l1_requests_total` summed over its methods; `None` when it exports no metrics.
    pub l1_requests: Option<f64>,
    /// Its proposal latency histogram (cumulative count per upper bound, in seconds), summed over
    /// label sets; empty when it has none.
    pub latency_buckets: Vec<(f64, f64)>,
    /// Its proposal latency summary's median and 99th percentile (over its whole life), when it
    /// exports the latency as a summary.
    pub latency_summary: Option<(f64, f64)>,
    /// User plus system CPU time so far, in seconds.
    pub cpu_seconds: f64,
    /// Resident memory now, in KiB (`VmRSS`).
    pub rss_kib: u64,
    /// Peak resident memory, in KiB (`VmHWM`).
    pub peak_rss_kib: u64,
}

/// What one process did over the report's window.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProcessReport {
    /// The devnet's name for it.
    pub name: String,
    /// Staker keys it holds (sequencer processes only).
    pub keys: usize,
    /// L1 requests per slot; `None` when it exports no `fernet_l1_requests_total`.
    pub l1_calls_per_slot: Option<f64>,
    /// CPU used over the window, in percent of one core.
    pub cpu_percent: f64,
    /// Resident memory at the end, in MiB.
    pub rss_mib: f64,
    /// Peak resident memory, in MiB.
    pub peak_rss_mib: f64,
}

/// A slot whose best live staker did not propose.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Miss {
    /// The slot.
    pub slot: u64,
    /// The best-ranked key a process holds.
    pub expected: Address,
    /// Who proposed the block the slot ended with, if anyone.
    pub proposer: Option<Address>,
}

/// The scale report over slots `from_slot..to_slot`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ScaleReport {
    /// The first slot of the window.
    pub from_slot: u64,
    /// The slot after the window.
    pub to_slot: u64,
    /// Whole epochs in the window.
    pub epochs: u64,
    /// Staker keys registered by the devnet.
    pub stakers: usize,
    /// Keys held by a sequencer process.
    pub live: usize,
    /// Sequencer processes.
    pub processes: usize,
    /// Slots of the window with a live key in their ranking.
    pub slots: usize,
    /// Of those, slots whose block came from the best-ranked live key.
    pub best_live_proposed: usize,
    /// `best_live_proposed / slots` (0 when no slot counted).
    pub share: f64,
    /// The slots whose best live key did not propose.
    pub misses: Vec<Miss>,
    /// Proposals replaced in their slot by a better-ranked one (each an extra L1 transaction).
    pub replaced: usize,
    /// Seconds from slot start to the L1 block holding the slot's block: median.
    pub l1_latency_p50: Option<f64>,
    /// The same, 99th percentile.
    pub l1_latency_p99: Option<f64>,
    /// The sequencers' own latency (slot start to receipt): from histograms, the window's median
    /// as the upper bound of its bucket; from summaries, the worst process's median over its
    /// life; `None` when they export neither.
    pub latency_p50: Option<f64>,
    /// The same, 99th percentile.
    pub latency_p99: Option<f64>,
    /// Every process of the devnet (anvil aside), in start order.
    pub per_process: Vec<ProcessReport>,
}

/// The first half of a report: the window's first slot and every process sampled there.
#[derive(Debug, Clone)]
pub struct ScaleRecorder {
    from_slot: u64,
    started: Instant,
    start: Vec<ProcessSample>,
}

impl ScaleRecorder {
    /// Samples every process of `devnet` now, as the start of a window beginning at `from_slot`.
    pub async fn start(devnet: &Devnet, from_slot: u64) -> Result<Self> {
        Ok(Self {
            from_slot,
            started: Instant::now(),
            start: sample_all(devnet).await?,
        })
    }

    /// The window's first slot.
    pub fn from_slot(&self) -> u64 {
        self.from_slot
    }

    /// Samples every process again and builds the report over `from_slot..to_slot` from
    /// `history` (updated by the caller past `to_slot`).
    pub async fn finish(
        &self,
        devnet: &Devnet,
        history: &History,
        to_slot: u64,
    ) -> Result<ScaleReport> {
        let end = sample_all(devnet).await?;
        let wall = self.started.elapsed();
        let l1 = devnet.l1();
        let accounts = devnet.accounts();
        let live: HashSet<Address> = accounts.sequencers.iter().map(|a| a.address).collect();
        let canonical: BTreeMap<u64, _> = history
            .canonical_proposals()
            .filter(|p| (self.from_slot..to_slot).contains(&p.slot))
            .map(|p| (p.slot, *p))
            .collect();
        let mut slots = 0;
        let mut best_live_proposed = 0;
        let mut misses = Vec::new();
        let mut latencies = Vec::new();
        for slot in self.from_slot..to_slot {
            let ranking = l1.ranking(slot).await?;
            let Some(expected) = ranking.iter().find(|a| live.contains(*a)).copied() else {
                continue;
            };
            slots += 1;
            let block = canonical.get(&slot);
            if let Some(block) = block {
                latencies.push(block.timestamp.saturating_sub(l1.clock.slot_start(slot)) as f64);
            }
            match block {
                Some(block) if !block.backup && block.proposer == expected => {
                    best_live_proposed += 1;
                }
                other => misses.push(Miss {
                    slot,
                    expected,
                    proposer: other.map(|block| block.proposer),
                }),
            }
        }
        let replaced = history
            .proposals()
            .iter()
            .filter(|p| (self.from_slot..to_slot).contains(&p.slot))
            .count()
            .saturating_sub(canonical.len());
        latencies.sort_by(f64::total_cmp);
        let window_slots = to_slot.saturating_sub(self.from_slot).max(1) as f64;
        let mut buckets: BTreeMap<u64, f64> = BTreeMap::new();
        let mut per_process = Vec::new();
        for last in &end {
            let Some(first) = self
                .start
                .iter()
                .find(|s| s.name == last.name && s.pid == last.pid)
            else {
                continue;
            };
            for (bound, count) in &last.latency_buckets {
                let before = first
                    .latency_buckets
                    .iter()
                    .find(|(b, _)| b == bound)
                    .map_or(0.0, |(_, c)| *c);
                *buckets.entry(bound.to_bits()).or_default() += count - before;
            }
            let keys = (0..devnet.options().sequencers)
                .find(|i| sequencer_name(*i) == last.name)
                .map_or(0, |i| devnet.sequencer_keys(i).len());
            per_process.push(ProcessReport {
                name: last.name.clone(),
                keys,
                l1_calls_per_slot: last
                    .l1_requests
                    .zip(first.l1_requests)
                    .map(|(end, start)| (end - start) / window_slots),
                cpu_percent: 100.0 * (last.cpu_seconds - first.cpu_seconds)
                    / wall.as_secs_f64().max(f64::EPSILON),
                rss_mib: last.rss_kib as f64 / 1024.0,
                peak_rss_mib: last.peak_rss_kib as f64 / 1024.0,
            });
        }
        let mut cumulative: Vec<(f64, f64)> = buckets
            .into_iter()
            .map(|(bits, count)| (f64::from_bits(bits), count))
            .collect();
        cumulative.sort_by(|a, b| a.0.total_cmp(&b.0));
        // A summary cannot be windowed nor merged: the worst process's quantiles over its life.
        let summaries: Vec<(f64, f64)> = end.iter().filter_map(|s| s.latency_summary).collect();
        let worst = |pick: fn(&(f64, f64)) -> f64| summaries.iter().map(pick).reduce(f64::max);
        let epoch_slots = l1.deployment().parameters.staking.epoch_duration.max(1);
        Ok(ScaleReport {
            from_slot: self.from_slot,
            to_slot,
            epochs: to_slot.saturating_sub(self.from_slot) / epoch_slots,
            stakers: accounts.sequencers.len() + accounts.offline_sequencers.len(),
            live: accounts.sequencers.len(),
            processes: devnet.options().sequencers,
            slots,
            best_live_proposed,
            share: if slots == 0 {
                0.0
            } else {
                best_live_proposed as f64 / slots as f64
            },
            misses,
            replaced,
            l1_latency_p50: percentile(&latencies, 0.50),
            l1_latency_p99: percentile(&latencies, 0.99),
            latency_p50: bucket_quantile(&cumulative, 0.50).or_else(|| worst(|q| q.0)),
            latency_p99: bucket_quantile(&cumulative, 0.99).or_else(|| worst(|q| q.1)),
            per_process,
        })
    }
}

/// Waits until the stakers may propose, then reports over the next `epochs` whole epochs (the
/// `devnet --report-epochs` run). Fails as soon as a process exits unexpectedly.
pub async fn run_scale_report(devnet: &mut Devnet, epochs: u64) -> Result<ScaleReport> {
    let l1 = devnet.l1().clone();
    let epoch_slots = l1.deployment().parameters.staking.epoch_duration.max(1);
    let slot_seconds = l1.deployment().parameters.staking.slot_duration;
    // Stakers registered at start propose from `snapshotLag + 1` epochs on.
    let from_slot = loop {
        devnet.check()?;
        let slot = l1.state().await?.slot;
        if !l1.ranking(slot).await?.is_empty() {
            break (l1.clock.epoch_of(slot) + 1) * epoch_slots;
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    };
    wait_for_time(devnet, l1.clock.slot_start(from_slot)).await?;
    let recorder = ScaleRecorder::start(devnet, from_slot).await?;
    let to_slot = from_slot + epochs.max(1) * epoch_slots;
    // The last slot's block lands within the slot; a slot more leaves room for L1 to mine it.
    wait_for_time(devnet, l1.clock.slot_start(to_slot) + slot_seconds / 2).await?;
    let mut history = History::default();
    history.update(&l1).await?;
    recorder.finish(devnet, &history, to_slot).await
}

/// Polls until L1's latest block is stamped at or after `timestamp`.
async fn wait_for_time(devnet: &mut Devnet, timestamp: u64) -> Result<()> {
    loop {
        devnet.check()?;
        if devnet.l1().latest().await?.1 >= timestamp {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// Samples every spawned process.
async fn sample_all(devnet: &Devnet) -> Result<Vec<ProcessSample>> {
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .map_err(|source| Error::Http {
            url: "/metrics".into(),
            source,
        })?;
    let ticks = clock_ticks();
    let mut samples = Vec::new();
    for (name, pid, url) in devnet.processes() {
        let metrics = match url {
            Some(url) => {
                let url = format!("{url}/metrics");
                match http.get(&url).send().await {
                    Ok(response) => response.text().await.ok(),
                    Err(_) => None,
                }
            }
            None => None,
        };
        let (cpu_ticks, rss_kib, peak_rss_kib) = proc_usage(pid).unwrap_or_default();
        samples.push(ProcessSample {
            l1_requests: metrics
                .as_deref()
                .and_then(|text| metric_sum(text, L1_REQUESTS_METRIC)),
            latency_buckets: metrics.as_deref().map_or_else(Vec::new, |text| {
                histogram_buckets(text, PROPOSAL_LATENCY_METRIC)
            }),
            latency_summary: metrics.as_deref().and_then(|text| {
                summary_quantile(text, PROPOSAL_LATENCY_METRIC, "0.5").zip(summary_quantile(
                    text,
                    PROPOSAL_LATENCY_METRIC,
                    "0.99",
                ))
            }),
            cpu_seconds: cpu_ticks as f64 / ticks,
            rss_kib,
            peak_rss_kib,
            name,
            pid,
        });
    }
    Ok(samples)
}

/// The kernel's clock ticks per second (`getconf CLK_TCK`; 100 when it cannot be asked).
fn clock_ticks() -> f64 {
    std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|out| String::from_utf8(out.stdout).ok())
        .and_then(|text| text.trim().parse::<f64>().ok())
        .filter(|ticks| *ticks > 0.0)
        .unwrap_or(100.0)
}

/// `(utime + stime in ticks, VmRSS KiB, VmHWM KiB)` of `pid`, `None` once it is gone.
fn proc_usage(pid: u32) -> Option<(u64, u64, u64)> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    Some(parse_proc(&stat, &status))
}

/// CPU ticks from a `/proc/<pid>/stat` line (fields 14 and 15, counted after the command name,
/// which may hold spaces) and memory from `/proc/<pid>/status`.
fn parse_proc(stat: &str, status: &str) -> (u64, u64, u64) {
    let after_name = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    // `after_name` starts at field 3 (state): utime is field 14, stime field 15.
    let field = |n: usize| {
        fields
            .get(n - 3)
            .and_then(|f| f.parse::<u64>().ok())
            .unwrap_or(0)
    };
    let kib = |key: &str| {
        status
            .lines()
            .find_map(|line| line.strip_prefix(key))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|value| value.parse::<u64>().ok())
            .unwrap_or(0)
    };
    (field(14) + field(15), kib("VmRSS:"), kib("VmHWM:"))
}

/// The sum of every sample of counter or gauge `name` in a Prometheus text exposition, `None`
/// when there is none.
pub fn metric_sum(text: &str, name: &str) -> Option<f64> {
    let mut sum = None;
    for line in text.lines() {
        let Some(rest) = line.strip_prefix(name) else {
            continue;
        };
        let value = if let Some(labelled) = rest.strip_prefix('{') {
            labelled.rsplit_once('}').map(|(_, value)| value)
        } else if rest.starts_with(' ') {
            Some(rest)
        } else {
            None
        };
        if let Some(value) = value.and_then(|v| v.split_whitespace().next()?.parse::<f64>().ok()) {
            *sum.get_or_insert(0.0) += value;
        }
    }
    sum
}

/// The buckets of histogram `name` (`<name>_bucket{...,le="x"} count`), summed over label
/// sets, by increasing upper bound (`+Inf` last).
pub fn histogram_buckets(text: &str, name: &str) -> Vec<(f64, f64)> {
    let prefix = format!("{name}_bucket{{");
    let mut buckets: BTreeMap<u64, f64> = BTreeMap::new();
    let mut bounds = Vec::new();
    for line in text.lines() {
        let Some(rest) = line.strip_prefix(&prefix) else {
            continue;
        };
        let Some((labels, value)) = rest.rsplit_once('}') else {
            continue;
        };
        let Some(le) = labels
            .split(',')
            .find_map(|label| label.trim().strip_prefix("le=\""))
            .and_then(|le| le.strip_suffix('"'))
        else {
            continue;
        };
        let bound = if le == "+Inf" {
            f64::INFINITY
        } else {
            match le.parse::<f64>() {
                Ok(bound) => bound,
                Err(_) => continue,
            }
        };
        let Some(count) = value
            .split_whitespace()
            .next()
            .and_then(|v| v.parse::<f64>().ok())
        else {
            continue;
        };
        if !buckets.contains_key(&bound.to_bits()) {
            bounds.push(bound);
        }
        *buckets.entry(bound.to_bits()).or_default() += count;
    }
    bounds.sort_by(f64::total_cmp);
    bounds
        .into_iter()
        .map(|bound| (bound, buckets[&bound.to_bits()]))
        .collect()
}

/// The `quantile` line (`<name>{quantile="0.5"} v`) of summary `name`, the largest over label
/// sets; `None` when there is none or it has no observation yet (`NaN`).
pub fn summary_quantile(text: &str, name: &str, quantile: &str) -> Option<f64> {
    let prefix = format!("{name}{{");
    let wanted = format!("quantile=\"{quantile}\"");
    text.lines()
        .filter_map(|line| line.strip_prefix(&prefix))
        .filter_map(|rest| rest.rsplit_once('}'))
        .filter(|(labels, _)| labels.split(',').any(|label| label.trim() == wanted))
        .filter_map(|(_, value)| value.split_whitespace().next()?.parse::<f64>().ok())
        .filter(|value| value.is_finite())
        .reduce(f64::max)
}

/// The `q` quantile of cumulative buckets, as the upper bound of the bucket holding it; `None`
/// without observations.
pub fn bucket_quantile(buckets: &[(f64, f64)], q: f64) -> Option<f64> {
    let total = buckets.last()?.1;
    if total <= 0.0 {
        return None;
    }
    buckets
        .iter()
        .find(|(_, count)| *count >= q * total)
        .map(|(bound, _)| *bound)
}

/// The `q` quantile of sorted values (nearest rank), `None` when empty.
fn percentile(sorted: &[f64], q: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = (q * sorted.len() as f64).ceil() as usize;
    sorted.get(rank.clamp(1, sorted.len()) - 1).copied()
}

/// `1.5 s`, or `-` for none.
fn seconds(value: Option<f64>) -> String {
    value.map_or_else(|| "-".to_owned(), |v| format!("{v:.1} s"))
}

impl fmt::Display for ScaleReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "scale report: slots {}..{} ({} epochs), {} stakers ({} live in {} processes)",
            self.from_slot, self.to_slot, self.epochs, self.stakers, self.live, self.processes
        )?;
        writeln!(
            f,
            "  best live staker proposed: {} of {} slots ({:.1} %), {} proposals replaced",
            self.best_live_proposed,
            self.slots,
            100.0 * self.share,
            self.replaced
        )?;
        for miss in &self.misses {
            writeln!(
                f,
                "    missed slot {}: expected {}, got {}",
                miss.slot,
                miss.expected,
                miss.proposer
                    .map_or_else(|| "no block".to_owned(), |p| p.to_string())
            )?;
        }
        writeln!(
            f,
            "  proposal latency (sequencer metrics, slot start to receipt): p50 {} p99 {}",
            seconds(self.latency_p50),
            seconds(self.latency_p99)
        )?;
        writeln!(
            f,
            "  proposal latency (L1 block of the proposal, from slot start): p50 {} p99 {}",
            seconds(self.l1_latency_p50),
            seconds(self.l1_latency_p99)
        )?;
        writeln!(
            f,
            "  {:<18} {:>5} {:>14} {:>7} {:>9} {:>9}",
            "process", "keys", "L1 calls/slot", "CPU %", "RSS MiB", "peak MiB"
        )?;
        for p in &self.per_process {
            writeln!(
                f,
                "  {:<18} {:>5} {:>14} {:>7.1} {:>9.1} {:>9.1}",
                p.name,
                p.keys,
                p.l1_calls_per_slot
                    .map_or_else(|| "-".to_owned(), |c| format!("{c:.1}")),
                p.cpu_percent,
                p.rss_mib,
                p.peak_rss_mib
            )?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const METRICS: &str = "\
# HELP fernet_l1_requests_total L1 requests sent
# TYPE fernet_l1_requests_total counter
fernet_l1_requests_total{method=\"eth_call\"} 40
fernet_l1_requests_total{method=\"eth_blockNumber\"} 2.5
fernet_l1_requests_total_other 1000
fernet_sequencer_proposal_latency_seconds_bucket{le=\"1\"} 1
fernet_sequencer_proposal_latency_seconds_bucket{le=\"2\"} 6
fernet_sequencer_proposal_latency_seconds_bucket{le=\"+Inf\"} 10
fernet_sequencer_proposal_latency_seconds_bucket{key=\"b\",le=\"1\"} 1
fernet_sequencer_proposal_latency_seconds_bucket{key=\"b\",le=\"2\"} 2
fernet_sequencer_proposal_latency_seconds_bucket{key=\"b\",le=\"+Inf\"} 2
fernet_sequencer_proposal_latency_seconds{quantile=\"0.5\"} 2.5
fernet_sequencer_proposal_latency_seconds{quantile=\"0.99\"} 4.25
fernet_sequencer_proposal_latency_seconds{key=\"b\",quantile=\"0.99\"} NaN
fernet_sequencer_proposal_latency_seconds_sum 10
";

    #[test]
    fn reads_counters_and_histograms_from_the_text_format() {
        assert_eq!(metric_sum(METRICS, L1_REQUESTS_METRIC), Some(42.5));
        assert_eq!(metric_sum(METRICS, "fernet_missing_total"), None);
        let buckets = histogram_buckets(METRICS, PROPOSAL_LATENCY_METRIC);
        assert_eq!(buckets, [(1.0, 2.0), (2.0, 8.0), (f64::INFINITY, 12.0)]);
        assert_eq!(bucket_quantile(&buckets, 0.5), Some(2.0));
        assert_eq!(bucket_quantile(&buckets, 0.99), Some(f64::INFINITY));
        assert_eq!(bucket_quantile(&[], 0.5), None);
        assert_eq!(
            summary_quantile(METRICS, PROPOSAL_LATENCY_METRIC, "0.5"),
            Some(2.5)
        );
        assert_eq!(
            summary_quantile(METRICS, PROPOSAL_LATENCY_METRIC, "0.99"),
            Some(4.25)
        );
        assert_eq!(
            summary_quantile(METRICS, PROPOSAL_LATENCY_METRIC, "0.9"),
            None
        );
    }

    #[test]
    fn reads_cpu_and_memory_from_proc() {
        let stat = "1234 (fernet seq (x)) S 1 1234 1234 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 9";
        let status = "Name:\tfernet\nVmHWM:\t  20480 kB\nVmRSS:\t  10240 kB\n";
        assert_eq!(parse_proc(stat, status), (300, 10240, 20480));
        let own = proc_usage(std::process::id()).expect("this process");
        assert!(own.1 > 0 && own.2 >= own.1, "{own:?}");
    }

    #[test]
    fn percentiles_take_the_nearest_rank() {
        let values: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(percentile(&values, 0.5), Some(50.0));
        assert_eq!(percentile(&values, 0.99), Some(99.0));
        assert_eq!(percentile(&[3.0], 0.99), Some(3.0));
        assert_eq!(percentile(&[], 0.5), None);
    }
}
