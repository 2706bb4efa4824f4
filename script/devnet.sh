#!/usr/bin/env bash
# Runs the local devnet: anvil with 1 s blocks, the L1 suite deployed with the parameters of
# deployments/devnet.toml, funded accounts, the circuit keys (generated once into
# target/fernet-keys, then reused), and every service as a process: fernet-broker, fernet-agent,
# fernet-node, fernet-sequencer x4, fernet-prover-node x2 and `fernet traffic`. Prints one line per
# slot; Ctrl-C stops everything. Logs: .devnet/logs/<name>.log and .devnet/anvil.log.
#
# Arguments are passed to the devnet binary (`script/devnet.sh --help` lists them, each with its
# environment variable), e.g. `script/devnet.sh --sequencers 3 --offline-sequencers 1 --json`;
# `script/devnet.sh --broker postgres` keeps the broker's jobs in PostgreSQL (a fresh database
# `devnet` on the cluster of script/postgres.sh).
# Deploy parameters can be overridden as for the deploy binary: SLOT_DURATION=30 script/devnet.sh.
# See docs/devnet.md.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
"$root/script/setup.sh"
# shellcheck source=script/env.sh
source "$root/script/env.sh"

echo "devnet: forge build"
forge build

echo "devnet: cargo build --release --bins (every workspace binary)"
cargo build --release --bins

exec "$root/target/release/devnet" "$@"
