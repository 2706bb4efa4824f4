//! A phase 2 ceremony on disk: the transcript, each circuit's fixed part and its params files,
//! and the operations a coordinator and participants run on it.
//!
//! Layout: `transcript.json`, `fixed-<circuit id>.bin`, `params-<circuit id>-NNNN.bin` (`NNNN`
//! the contribution index, `0000` from `new`). Only `0000` and the latest params are needed to
//! verify; participants need the transcript and the latest params only.

use std::path::{Path, PathBuf};

use indicatif::MultiProgress;
use rand::{CryptoRng, RngCore};

use crate::{
    circuit::{CeremonyCircuit, CircuitSet},
    phase2::{
        contribute::{beacon, contribute},
        init,
        params::{CeremonyFile, FixedPart, Params},
        verify::{verify_chain, verify_params},
    },
    powers::{Phase1Powers, PowersFile},
    transcript::{BeaconValue, CircuitEntry, Hash32, Record, Transcript, TRANSCRIPT_FILE},
    Error, Result,
};

/// Gives the powers of tau for a domain of `2^domain_log` (from powers files, or known secrets
/// in tests).
pub type PowersFn<'a> = dyn FnMut(u32) -> Result<Phase1Powers> + 'a;

/// A ceremony directory.
#[derive(Clone, Debug)]
pub struct CeremonyDir {
    dir: PathBuf,
}

/// One circuit's verified final state, as export needs it.
#[derive(Clone, Debug)]
pub struct FinalCircuit {
    /// The circuit.
    pub circuit: CeremonyCircuit,
    /// Its transcript entry.
    pub entry: CircuitEntry,
    /// Its fixed part.
    pub fixed: FixedPart,
    /// Its latest params.
    pub params: Params,
}

impl CeremonyDir {
    /// The ceremony in `dir`.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// `transcript.json`.
    pub fn transcript_path(&self) -> PathBuf {
        self.dir.join(TRANSCRIPT_FILE)
    }

    /// The fixed-part file of the circuit `id`.
    pub fn fixed_path(&self, id: &str) -> PathBuf {
        self.dir.join(format!("fixed-{id}.bin"))
    }

    /// The params file of the circuit `id` after contribution `index`.
    pub fn params_path(&self, id: &str, index: usize) -> PathBuf {
        self.dir.join(format!("params-{id}-{index:04}.bin"))
    }

    /// Runs `new` for `circuits` with the powers `powers(domain_log)` gives for each circuit's
    /// domain: writes the fixed parts, the params `0000` and the transcript.
    pub fn create(
        &self,
        circuits: &[CeremonyCircuit],
        mut powers: impl FnMut(u32) -> Result<Phase1Powers>,
    ) -> Result<Transcript> {
        let transcript_path = self.transcript_path();
        if transcript_path.exists() {
            return Err(Error::Io {
                path: transcript_path,
                source: std::io::Error::new(
                    std::io::ErrorKind::AlreadyExists,
                    "a ceremony already lives in this directory",
                ),
            });
        }
        std::fs::create_dir_all(&self.dir).map_err(|source| Error::Io {
            path: self.dir.clone(),
            source,
        })?;
        let mut entries = Vec::with_capacity(circuits.len());
        // A block circuit and its chunk circuit often share a domain: get its powers once.
        let mut cached: Option<Phase1Powers> = None;
        for circuit in circuits {
            let id = circuit.id()?.cache_key();
            let matrices = circuit.matrices()?;
            let domain_log = init::domain_log(&matrices)?;
            let domain_powers = match cached.take() {
                Some(p) if p.domain_log == domain_log => p,
                _ => powers(domain_log)?,
            };
            let initial = init::new(&id, &matrices, &domain_powers)?;
            cached = Some(domain_powers);
            let fixed_hash = initial.fixed.write(&self.fixed_path(&id))?;
            let params_hash = initial.params.write(&self.params_path(&id, 0))?;
            entries.push(CircuitEntry {
                id,
                digest: Hash32(initial.fixed.circuit_digest),
                num_instance: initial.fixed.num_instance,
                num_witness: initial.fixed.num_witness,
                domain_log,
                powers_hash: Hash32(initial.fixed.powers_hash),
                fixed_hash: Hash32(fixed_hash),
                initial_params: Hash32(params_hash),
            });
        }
        let transcript = Transcript::new(entries);
        transcript.save(&transcript_path)?;
        Ok(transcript)
    }

    /// Loads the transcript (version and hash checked, not the chain).
    pub fn transcript(&self) -> Result<Transcript> {
        Transcript::load(&self.transcript_path())
    }

    /// The circuits of the transcript, if they are a known set.
    pub fn circuits(transcript: &Transcript) -> Result<Vec<CeremonyCircuit>> {
        let ids: Vec<String> = transcript.circuits.iter().map(|c| c.id.clone()).collect();
        CircuitSet::from_ids(&ids)
            .ok_or(Error::UnknownCircuits { ids })?
            .circuits()
    }

    /// Reads a file and checks its hash against the transcript's.
    fn read_checked<F: CeremonyFile>(path: &Path, expected: Hash32) -> Result<F> {
        let (value, hash) = F::read(path)?;
        if hash != expected.0 {
            return Err(Error::FileHash {
                path: path.to_path_buf(),
                expected: expected.to_string(),
                actual: Hash32(hash).to_string(),
            });
        }
        Ok(value)
    }

    /// The latest params of every circuit, checked against the transcript's hashes.
    pub fn latest_params(&self, transcript: &Transcript) -> Result<Vec<Params>> {
        let index = transcript.contributions.len();
        transcript
            .circuits
            .iter()
            .zip(transcript.latest_params())
            .map(|(entry, hash)| Self::read_checked(&self.params_path(&entry.id, index), hash))
            .collect()
    }

    /// Writes the params of a new record and appends it to the transcript.
    fn record(
        &self,
        mut transcript: Transcript,
        record: Record,
        params: &[Params],
    ) -> Result<Record> {
        for (entry, params) in transcript.circuits.iter().zip(params) {
            params.write(&self.params_path(&entry.id, record.index))?;
        }
        let record = transcript.append(record).clone();
        transcript.save(&self.transcript_path())?;
        Ok(record)
    }

    /// Contributes as `name` with secrets from `rng`, after checking the chain so far and the
    /// latest params' hashes; returns the appended record (its link is the new transcript hash).
    pub fn contribute<R: RngCore + CryptoRng>(
        &self,
        name: &str,
        rng: &mut R,
        progress: Option<&MultiProgress>,
    ) -> Result<Record> {
        let transcript = self.transcript()?;
        verify_chain(&transcript)?;
        let params = self.latest_params(&transcript)?;
        let (record, params) = contribute(&transcript, &params, name, rng, progress)?;
        self.record(transcript, record, &params)
    }

    /// Applies the random beacon `value` (see [`crate::phase2::contribute::beacon`]).
    pub fn beacon(&self, value: BeaconValue, progress: Option<&MultiProgress>) -> Result<Record> {
        let transcript = self.transcript()?;
        verify_chain(&transcript)?;
        let params = self.latest_params(&transcript)?;
        let (record, params) = beacon(&transcript, &params, value, progress)?;
        self.record(transcript, record, &params)
    }

    /// Verifies the whole ceremony: every record, every file's hash, the latest params against
    /// the initial ones; with `powers`, also recomputes `new` from the circuits and checks the
    /// fixed parts and initial params are what it makes. Returns each circuit's final state.
    pub fn verify(
        &self,
        powers: Option<&mut PowersFn<'_>>,
    ) -> Result<(Transcript, Vec<FinalCircuit>)> {
        let transcript = self.transcript()?;
        verify_chain(&transcript)?;
        let circuits = Self::circuits(&transcript)?;
        let latest = self.latest_params(&transcript)?;
        let mut powers = powers;
        let mut finals = Vec::with_capacity(circuits.len());
        for (position, ((circuit, entry), params)) in circuits
            .into_iter()
            .zip(&transcript.circuits)
            .zip(latest)
            .enumerate()
        {
            let fixed: FixedPart =
                Self::read_checked(&self.fixed_path(&entry.id), entry.fixed_hash)?;
            let initial: Params =
                Self::read_checked(&self.params_path(&entry.id, 0), entry.initial_params)?;
            verify_params(
                &transcript,
                position,
                &fixed,
                entry.fixed_hash.0,
                &initial,
                &params,
            )?;
            if let Some(powers) = powers.as_mut() {
                check_new(&circuit, entry, &fixed, &initial, powers)?;
            }
            finals.push(FinalCircuit {
                circuit,
                entry: entry.clone(),
                fixed,
                params,
            });
        }
        Ok((transcript, finals))
    }
}

/// Recomputes `new` for `circuit` and compares it with the ceremony's fixed part and initial
/// params.
fn check_new(
    circuit: &CeremonyCircuit,
    entry: &CircuitEntry,
    fixed: &FixedPart,
    initial: &Params,
    powers: &mut PowersFn<'_>,
) -> Result<()> {
    let matrices = circuit.matrices()?;
    let digest = Hash32(matrices.digest());
    if digest != entry.digest {
        return Err(Error::CircuitMismatch {
            circuit: entry.id.clone(),
            expected: entry.digest.to_string(),
            actual: digest.to_string(),
        });
    }
    let recomputed = init::new(&entry.id, &matrices, &powers(entry.domain_log)?)?;
    let mismatch = |what| Error::ParamsMismatch {
        index: 0,
        circuit: entry.id.clone(),
        what,
    };
    if recomputed.fixed != *fixed {
        return Err(mismatch("fixed part"));
    }
    if recomputed.params != *initial {
        return Err(mismatch("initial params"));
    }
    Ok(())
}

/// The powers of tau of several domains, read from powers files (`import-ptau`'s output), for
/// `new` and `verify` to pick the one of each circuit's domain.
#[derive(Clone, Debug, Default)]
pub struct PowersFiles {
    files: Vec<PowersFile>,
}

impl PowersFiles {
    /// Reads (and checks, [`PowersFile::read`]) every file.
    pub fn read(paths: &[PathBuf]) -> Result<Self> {
        let files = paths
            .iter()
            .map(|path| PowersFile::read(path))
            .collect::<Result<_>>()?;
        Ok(Self { files })
    }

    /// The powers for a domain of `2^domain_log`.
    pub fn for_domain(&self, domain_log: u32) -> Result<Phase1Powers> {
        self.files
            .iter()
            .find(|file| file.powers.domain_log == domain_log)
            .map(|file| file.powers.clone())
            .ok_or_else(|| Error::PowerTooSmall {
                needed: domain_log,
                available: self
                    .files
                    .iter()
                    .map(|file| file.powers.domain_log)
                    .max()
                    .unwrap_or(0),
            })
    }
}
