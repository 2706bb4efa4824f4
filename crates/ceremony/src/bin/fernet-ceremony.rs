//! `fernet-ceremony`: run the trusted setup of the Fernet circuits.
//!
//! Phase 2 (per circuit): the coordinator runs `new` once, each participant `contribute`s in
//! turn, the coordinator applies the `beacon`, anyone can `verify`, and `export` writes the
//! project's key files, their manifest and the Solidity verifiers.

use std::path::PathBuf;
use std::time::Instant;

use clap::{Parser, Subcommand, ValueEnum};
use eyre::{bail, Result, WrapErr};
use fernet_ceremony::{
    ceremony_dir::{CeremonyDir, PowersFiles, PowersFn},
    circuit::CircuitSet,
    entropy::contribution_rng,
    export::export,
    powers::Phase1Powers,
    transcript::{BeaconValue, Hash32},
};
use indicatif::MultiProgress;
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;

/// The public seed of `--insecure-test-powers`. **INSECURE**: it makes the toxic waste public.
const INSECURE_TEST_POWERS_SEED: [u8; 32] = *b"fernet-ceremony INSECURE powers!";

#[derive(Debug, Parser)]
#[command(
    name = "fernet-ceremony",
    version,
    about = "The trusted setup ceremony of the Fernet circuits (Groth16 phase 2 over powers of tau)"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Phase 2: start a ceremony for a set of circuits in a new directory (coordinator, once).
    New {
        /// Which circuits the ceremony covers.
        #[arg(long, value_enum)]
        circuits: Circuits,
        /// The ceremony directory (created; must not hold a ceremony).
        #[arg(long)]
        dir: PathBuf,
        #[command(flatten)]
        powers: PowersArgs,
    },
    /// Phase 2: add your contribution (verifies the ceremony so far first). Keep the printed
    /// link hash: it proves your contribution is in the final transcript.
    Contribute {
        /// The ceremony directory (its transcript and latest params).
        #[arg(long)]
        dir: PathBuf,
        /// Your name, recorded in the transcript.
        #[arg(long)]
        name: String,
        /// Extra entropy mixed into the operating system's randomness (type anything).
        #[arg(long)]
        entropy: Option<String>,
    },
    /// Phase 2: apply the random beacon, a value nobody could know in advance (coordinator,
    /// after the last participant).
    Beacon {
        /// The ceremony directory.
        #[arg(long)]
        dir: PathBuf,
        /// The beacon value: the hash of an L1 block whose number was announced in advance.
        #[arg(long)]
        value: String,
        /// SHA-256 is iterated 2^N times over the value, so grinding it is slow.
        #[arg(long, default_value_t = 20)]
        iterations_exp: u32,
    },
    /// Phase 2: verify every contribution, every file and the latest params.
    Verify {
        /// The ceremony directory.
        #[arg(long)]
        dir: PathBuf,
        /// With powers, also recompute `new` from the circuits and compare.
        #[command(flatten)]
        powers: PowersArgs,
    },
    /// Phase 2: verify, then write the key files, `ceremony.json` and the Solidity verifiers;
    /// prints the transcript hash that names the keys.
    Export {
        /// The ceremony directory.
        #[arg(long)]
        dir: PathBuf,
        /// The output directory (never the repository's contracts/).
        #[arg(long)]
        out: PathBuf,
    },
}

/// Where the powers of tau come from.
#[derive(Debug, clap::Args)]
struct PowersArgs {
    /// Powers files (`import-ptau` output), one per circuit domain.
    #[arg(long, num_args = 1.., conflicts_with = "insecure_test_powers")]
    powers: Vec<PathBuf>,
    /// Build the powers of tau from a PUBLIC seed instead of a phase 1: anyone can forge
    /// proofs for the resulting keys. For tests and rehearsals only.
    #[arg(long)]
    insecure_test_powers: bool,
}

impl PowersArgs {
    /// The powers, if any were given.
    fn source(&self) -> Result<Option<Box<PowersFn<'static>>>> {
        if self.insecure_test_powers {
            eprintln!("WARNING: insecure test powers of tau; keys built from them can be forged");
            return Ok(Some(Box::new(insecure_test_powers)));
        }
        if self.powers.is_empty() {
            return Ok(None);
        }
        let files = PowersFiles::read(&self.powers)?;
        Ok(Some(Box::new(move |domain_log| {
            files.for_domain(domain_log)
        })))
    }
}

/// The circuit sets of [`CircuitSet`], as the CLI names them.
#[derive(Debug, Clone, Copy, ValueEnum)]
enum Circuits {
    /// The devnet block circuit and its chunk circuit.
    Devnet,
    /// The production block circuit and its chunk circuit.
    Production,
    /// The small test circuit (CI).
    Test,
}

impl From<Circuits> for CircuitSet {
    fn from(circuits: Circuits) -> Self {
        match circuits {
            Circuits::Devnet => Self::Devnet,
            Circuits::Production => Self::Production,
            Circuits::Test => Self::Test,
        }
    }
}

/// Powers of tau from [`INSECURE_TEST_POWERS_SEED`]. **INSECURE**.
fn insecure_test_powers(domain_log: u32) -> fernet_ceremony::Result<Phase1Powers> {
    use ark_ff::UniformRand;
    let mut rng = ChaCha20Rng::from_seed(INSECURE_TEST_POWERS_SEED);
    let [tau, alpha, beta] = std::array::from_fn(|_| ark_bn254::Fr::rand(&mut rng));
    Ok(Phase1Powers::from_known_secrets(
        domain_log, tau, alpha, beta,
    ))
}

fn main() -> Result<()> {
    let cli = Cli::parse();
    let started = Instant::now();
    let progress = MultiProgress::new();
    match cli.command {
        Command::New {
            circuits,
            dir,
            powers,
        } => {
            let Some(powers) = powers.source()? else {
                bail!(
                    "no powers of tau given: pass --powers (or --insecure-test-powers for tests)"
                );
            };
            let circuits = CircuitSet::from(circuits).circuits()?;
            let transcript = CeremonyDir::new(&dir)
                .create(&circuits, powers)
                .wrap_err("new")?;
            for circuit in &transcript.circuits {
                println!(
                    "{}: {} instance, {} witness variables, domain 2^{}",
                    circuit.id, circuit.num_instance, circuit.num_witness, circuit.domain_log
                );
            }
            println!("genesis {}", transcript.genesis);
        }
        Command::Contribute { dir, name, entropy } => {
            let mut rng = contribution_rng(entropy.as_deref());
            let record = CeremonyDir::new(&dir)
                .contribute(&name, &mut rng, Some(&progress))
                .wrap_err("contribute")?;
            println!(
                "contribution {} by {name}: link {}",
                record.index, record.link
            );
        }
        Command::Beacon {
            dir,
            value,
            iterations_exp,
        } => {
            let value: Hash32 = value.parse().map_err(|e: String| eyre::eyre!(e))?;
            let record = CeremonyDir::new(&dir)
                .beacon(
                    BeaconValue {
                        value,
                        iterations_exp,
                    },
                    Some(&progress),
                )
                .wrap_err("beacon")?;
            println!(
                "beacon (contribution {}): link {}",
                record.index, record.link
            );
        }
        Command::Verify { dir, powers } => {
            let mut powers = powers.source()?;
            let (transcript, _) = CeremonyDir::new(&dir)
                .verify(powers.as_deref_mut().map(|p| p as _))
                .wrap_err("verify")?;
            println!(
                "ceremony OK: {} contributions, transcript hash {}",
                transcript.contributions.len(),
                transcript.transcript_hash
            );
        }
        Command::Export { dir, out } => {
            let exported = export(&CeremonyDir::new(&dir), &out).wrap_err("export")?;
            for circuit in &exported.manifest.circuits {
                println!("{}: {}", circuit.id, out.join(&circuit.key_file).display());
            }
            println!("transcript hash {}", exported.transcript_hash);
        }
    }
    eprintln!("done in {:.1?}", started.elapsed());
    Ok(())
}
