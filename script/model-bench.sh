#!/usr/bin/env bash
# Prints the throughput of the two property runners on this machine, in protocol steps per second:
# the revm harness (crates/model: contracts and reference model side by side, state compared after
# every step) and forge's invariant runner (test/invariant: handler calls, invariants after each).
# Usage: script/model-bench.sh [steps]   (default 20000 revm steps in the test profile CI uses;
#        forge runs 64 x 64 handler calls)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
"$root/script/setup.sh"
# shellcheck source=script/env.sh
source "$root/script/env.sh"
steps="${1:-20000}"
forge build >/dev/null

depth=250
cases=$(( (steps + depth - 1) / depth ))
cargo build -p fernet-model --tests --locked 2>/dev/null
start=$(date +%s.%N)
FERNET_MODEL_CASES="$cases" FERNET_MODEL_STEPS="$depth" \
  cargo test -p fernet-model --test it --locked -- random_schedules --nocapture 2>&1 \
  | grep -E "model check:" || { echo "model check failed" >&2; exit 1; }
end=$(date +%s.%N)
echo "revm harness: $((cases * depth)) steps in $(awk "BEGIN { print $end - $start }") s wall (including setup)"

runs=64
fdepth=64
start=$(date +%s.%N)
out=$(FOUNDRY_INVARIANT_RUNS=$runs FOUNDRY_INVARIANT_DEPTH=$fdepth FOUNDRY_PROFILE=default \
  forge test --match-contract ProtocolInvariantTest)
end=$(date +%s.%N)
elapsed=$(awk "BEGIN { print $end - $start }")
# Each invariant_* function is its own campaign: sum the handler calls forge reports for all of them.
calls=$(grep -Eo 'calls: [0-9]+' <<<"$out" | awk '{ sum += $2 } END { print sum + 0 }')
campaigns=$(grep -c 'calls: ' <<<"$out")
echo "forge invariant runner: $campaigns campaigns, $calls handler calls in ${elapsed} s wall" \
  "($(awk "BEGIN { printf \"%d\", $calls / $elapsed }") calls/s)"
