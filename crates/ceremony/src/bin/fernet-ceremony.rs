//! `fernet-ceremony`: run the trusted setup of the Fernet circuits.
//!
//! Phase 1 (`phase1 …`, universal): powers of tau in snarkjs' `.ptau` format, made locally or
//! taken from a public ceremony (Perpetual Powers of Tau, Hermez); `import-ptau` verifies one and
//! writes the powers a circuit domain needs. Phase 2 (per circuit): the coordinator runs `new`
//! once, each participant `contribute`s in turn, the coordinator applies the `beacon`, anyone can
//! `verify`, and `export` writes the project's key files, their manifest and the Solidity
//! verifiers. docs/ceremony.md is the runbook.

use std::path::PathBuf;
use std::time::Instant;

use clap::{Parser, Subcommand, ValueEnum};
use eyre::{bail, Result, WrapErr};
use fernet_ceremony::{
    ceremony_dir::{CeremonyDir, PowersFiles, PowersFn},
    circuit::CircuitSet,
    entropy::contribution_rng,
    export::export,
    powers::{import_ptau, LagrangeSource},
    ptau,
    transcript::{BeaconValue, Hash32},
};
use indicatif::MultiProgress;

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
    /// Phase 1: powers of tau in snarkjs' `.ptau` format.
    Phase1 {
        #[command(subcommand)]
        command: Phase1Command,
    },
    /// Phase 1: verify a `.ptau` file (snarkjs, Hermez, Perpetual Powers of Tau or ours) and
    /// write the powers of tau a circuit domain of 2^N points needs.
    ImportPtau {
        /// The `.ptau` file.
        #[arg(long)]
        ptau: PathBuf,
        /// log2 of the circuit's domain (`new` prints it; 18 for the devnet circuits).
        #[arg(long)]
        domain_log: u32,
        /// The powers file to write (`phase1-2^N.powers`).
        #[arg(long)]
        out: PathBuf,
    },
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

/// The phase 1 commands: a local powers of tau ceremony, snarkjs-compatible.
#[derive(Debug, Subcommand)]
enum Phase1Command {
    /// Start a ceremony of 2^N powers (every point a generator: nobody has contributed yet).
    New {
        /// log2 of the number of powers; a circuit of domain 2^k needs N >= k.
        #[arg(long)]
        power: u32,
        /// The `.ptau` file to write.
        #[arg(long)]
        out: PathBuf,
    },
    /// Add your contribution to a `.ptau` file.
    Contribute {
        /// The latest `.ptau` file.
        #[arg(long = "in")]
        input: PathBuf,
        /// The `.ptau` file to write.
        #[arg(long)]
        out: PathBuf,
        /// Your name, recorded in the file.
        #[arg(long)]
        name: String,
        /// Extra entropy mixed into the operating system's randomness (type anything).
        #[arg(long, default_value = "")]
        entropy: String,
    },
    /// Apply the random beacon, a value nobody could know in advance.
    Beacon {
        /// The latest `.ptau` file.
        #[arg(long = "in")]
        input: PathBuf,
        /// The `.ptau` file to write.
        #[arg(long)]
        out: PathBuf,
        /// The beacon value in hex: the hash of an L1 block whose number was announced.
        #[arg(long)]
        value: String,
        /// SHA-256 is iterated 2^N times over the value (snarkjs accepts 10 to 63).
        #[arg(long, default_value_t = 20)]
        iterations_exp: u8,
        /// The name recorded for the beacon.
        #[arg(long, default_value = "beacon")]
        name: String,
    },
    /// Add the Lagrange sections phase 2 reads (snarkjs' `prepare phase2`).
    Prepare {
        /// The last `.ptau` file of the ceremony.
        #[arg(long = "in")]
        input: PathBuf,
        /// The prepared `.ptau` file to write.
        #[arg(long)]
        out: PathBuf,
    },
    /// Verify every contribution and every power of a `.ptau` file.
    Verify {
        /// The `.ptau` file.
        ptau: PathBuf,
    },
}

/// Where the powers of tau come from.
#[derive(Debug, clap::Args)]
struct PowersArgs {
    /// Powers files (`import-ptau` output), one per circuit domain.
    #[arg(long, num_args = 1..)]
    powers: Vec<PathBuf>,
}

impl PowersArgs {
    /// The powers, if any were given.
    fn source(&self) -> Result<Option<Box<PowersFn<'static>>>> {
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

fn main() -> Result<()> {
    let cli = Cli::parse();
    let started = Instant::now();
    let progress = MultiProgress::new();
    match cli.command {
        Command::Phase1 { command } => phase1(command, &progress)?,
        Command::ImportPtau {
            ptau,
            domain_log,
            out,
        } => {
            let imported = import_ptau(&ptau, domain_log, &out).wrap_err("import-ptau")?;
            let verified = &imported.ptau;
            println!(
                "{}: power {} (of a 2^{} ceremony), {} contributions, blake2b {}",
                ptau.display(),
                verified.header.power,
                verified.header.ceremony_power,
                verified.contributions.len(),
                hex::encode(verified.file_blake2b)
            );
            println!(
                "powers for a domain of 2^{domain_log} written to {} (Lagrange points from {})",
                out.display(),
                match imported.lagrange {
                    LagrangeSource::PtauSections => "the file's sections 12-15",
                    LagrangeSource::Ifft => "a group IFFT of the powers",
                }
            );
        }
        Command::New {
            circuits,
            dir,
            powers,
        } => {
            let Some(powers) = powers.source()? else {
                bail!("no powers of tau given: pass --powers (import-ptau writes them)");
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

/// Runs a phase 1 command.
fn phase1(command: Phase1Command, progress: &MultiProgress) -> Result<()> {
    match command {
        Phase1Command::New { power, out } => {
            ptau::new_ptau(&out, power).wrap_err("phase1 new")?;
            println!("{}: 2^{power} powers, no contribution yet", out.display());
        }
        Phase1Command::Contribute {
            input,
            out,
            name,
            entropy,
        } => {
            let bar = progress.add(indicatif::ProgressBar::no_length());
            let response = ptau::contribute(&input, &out, &name, entropy.as_bytes(), Some(&bar))
                .wrap_err("phase1 contribute")?;
            bar.finish_and_clear();
            println!(
                "contribution by {name} written to {}: response hash {}",
                out.display(),
                hex::encode(response)
            );
        }
        Phase1Command::Beacon {
            input,
            out,
            value,
            iterations_exp,
            name,
        } => {
            let value =
                hex::decode(value.trim_start_matches("0x")).wrap_err("--value is not hex")?;
            let response = ptau::beacon(&input, &out, &value, iterations_exp, &name)
                .wrap_err("phase1 beacon")?;
            println!(
                "beacon written to {}: response hash {}",
                out.display(),
                hex::encode(response)
            );
        }
        Phase1Command::Prepare { input, out } => {
            ptau::prepare_phase2(&input, &out).wrap_err("phase1 prepare")?;
            println!("{} prepared for phase 2", out.display());
        }
        Phase1Command::Verify { ptau: path } => {
            let verified = ptau::verify(&path).wrap_err("phase1 verify")?;
            for (index, record) in verified.contributions.iter().enumerate() {
                println!(
                    "contribution {}: {}{}",
                    index + 1,
                    record.name.as_deref().unwrap_or("(unnamed)"),
                    if record.beacon.is_some() {
                        " (beacon)"
                    } else {
                        ""
                    }
                );
            }
            println!(
                "powers of tau OK: power {}, {} contributions, blake2b {}",
                verified.header.power,
                verified.contributions.len(),
                hex::encode(verified.file_blake2b)
            );
        }
    }
    Ok(())
}
