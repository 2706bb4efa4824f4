#!/usr/bin/env bash
# Runs every check of the project, as CI does: formatting, lints, the forge suite with the deep `ci`
# fuzz/invariant profile, the gas snapshot, slither, and the Rust workspace tests.
# Usage: script/test.sh            (everything)
#        FOUNDRY_PROFILE=default script/test.sh   (quick fuzz/invariant runs for local work)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
# Each step's wall time, printed at the end (CI must stay under 50 minutes).
timings=()
current=""
step_started=$SECONDS
end_step() {
    if [[ -n "$current" ]]; then
        timings+=("$(printf '%6ds  %s' $((SECONDS - step_started)) "$current")")
    fi
    step_started=$SECONDS
}
step() {
    end_step
    current="$*"
    printf '\n==> %s\n' "$*"
}

step "setup (script/setup.sh)"
"$root/script/setup.sh"
# shellcheck source=script/env.sh
source "$root/script/env.sh"
export FOUNDRY_PROFILE="${FOUNDRY_PROFILE:-ci}"
logs="$(mktemp -d)"
trap 'rm -rf "$logs"' EXIT

step "forge fmt --check"
forge fmt --check

step "forge build"
forge build

step "forge test (profile: $FOUNDRY_PROFILE)"
forge test 2>&1 | tee "$logs/forge.txt"

step "forge snapshot --check (gas regressions)"
forge snapshot --check --match-path 'test/gas/*' >"$logs/snapshot.txt" 2>&1 || { cat "$logs/snapshot.txt"; exit 1; }
tail -n 3 "$logs/snapshot.txt"

step "slither (static analysis, findings triaged in docs/security.md)"
"$root/script/slither.sh"

step "cargo fmt --check"
cargo fmt --all --check

step "cargo clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings

# One build of every target: the end-to-end tests run the service binaries as processes, and building
# them together with the tests gives them the same (dev-dependency unified) features, so `cargo test`
# reuses them instead of compiling alloy and arkworks a second time.
step "cargo build --all-targets (the end-to-end tests run the services as processes)"
cargo build --workspace --all-targets --locked

step "cargo test"
cargo test --workspace --locked 2>&1 | tee "$logs/cargo.txt"

end_step
printf '\nstep times:\n'
printf '%s\n' "${timings[@]}"
printf '%6ds  total\n' "$SECONDS"
printf '\nslowest test binaries (their own "finished in" time):\n'
# A package's unit tests run first and name it (target/debug/deps/<crate>-<hash>); its other test
# binaries follow.
awk '/^ *Running unittests src\/lib.rs/{crate=$NF; sub(/^.*deps\//, "", crate); sub(/-[0-9a-f]+\)$/, "", crate)}
    /^ *Running /{name=crate " " $2}
    /^test result:/{sub(/s$/, "", $NF); printf "%8.1fs  %s\n", $NF, name}' "$logs/cargo.txt" |
    sort -rn | head -n 8

forge_passed=$(grep -Eo '[0-9]+ tests passed' "$logs/forge.txt" | tail -n 1 | grep -Eo '^[0-9]+')
forge_failed=$(grep -Eo '[0-9]+ failed, [0-9]+ skipped \([0-9]+ total tests\)' "$logs/forge.txt" | tail -n 1 | grep -Eo '^[0-9]+')
cargo_passed=$(grep -Eo 'test result: ok\. [0-9]+ passed' "$logs/cargo.txt" | awk '{ sum += $4 } END { print sum + 0 }')
printf '\nforge: %s passed, %s failed; cargo: %s passed, 0 failed\n' "$forge_passed" "$forge_failed" "$cargo_passed"
printf 'tests: %s passed, %s failed\n' "$((forge_passed + cargo_passed))" "$forge_failed"
