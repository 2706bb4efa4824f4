#!/usr/bin/env bash
# Runs a local devnet: anvil with 1 s blocks, and the L1 suite deployed with the devnet parameters
# of deployments/devnet.toml (the Rust `deploy` binary; it writes deployments/31337.json).
# Keeps anvil in the foreground until Ctrl-C. Sequencers and provers join here once they land.
#
# Env: ANVIL_PORT (default 8545); the deploy binary's variables (DEPLOYER_PRIVATE_KEY, LOG_LEVEL,
# LOG_JSON, parameter overrides such as SLOT_DURATION; see `cargo run --bin deploy -- --help`).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
"$root/script/setup.sh"
# shellcheck source=script/env.sh
source "$root/script/env.sh"

port="${ANVIL_PORT:-8545}"
export ETHEREUM_HOST="http://127.0.0.1:$port"
mkdir -p .devnet
log=".devnet/anvil.log"

echo "devnet: forge build"
forge build

if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
  echo "devnet: port $port is already in use (another anvil?); set ANVIL_PORT" >&2
  exit 1
fi

echo "devnet: starting anvil on port $port (log: $log)"
anvil --block-time 1 --port "$port" >"$log" 2>&1 &
anvil_pid=$!

stop_anvil() {
  if kill -0 "$anvil_pid" 2>/dev/null; then
    echo "devnet: stopping anvil"
    kill "$anvil_pid" 2>/dev/null || true
    wait "$anvil_pid" 2>/dev/null || true
  fi
}
trap stop_anvil EXIT
trap 'exit 130' INT TERM

for _ in $(seq 1 100); do
  if cast chain-id --rpc-url "$ETHEREUM_HOST" >/dev/null 2>&1; then
    break
  fi
  kill -0 "$anvil_pid" 2>/dev/null || { echo "devnet: anvil exited; see $log" >&2; exit 1; }
  sleep 0.1
done
cast chain-id --rpc-url "$ETHEREUM_HOST" >/dev/null || { echo "devnet: anvil did not start; see $log" >&2; exit 1; }

echo "devnet: deploying the suite"
cargo run --release --quiet --bin deploy -- --config deployments/devnet.toml

echo "devnet: anvil is running at $ETHEREUM_HOST (deployment in deployments/31337.json); Ctrl-C to stop"
wait "$anvil_pid"
