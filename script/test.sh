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

step "cargo test (the e2e and committee devnet runs alongside the other test binaries, then the fault run)"
# Three devnet runs: tests/e2e then tests/committee (about 10 and 5 minutes, mostly waiting for
# slots) run alongside the other test binaries, which run one after the other as usual; the
# fault-injection run (about 8 minutes) comes once both are done. Two devnets never run at once:
# each proves its epochs on the same two cores, and a devnet whose agent falls behind misses
# proof deadlines (the e2e and fault runs both failed in CI when they overlapped). The fault run
# also restarts the PostgreSQL server the broker tests share, so it waits for the sequence too.
# Each devnet test is skipped by name in the sequence only, so each runs exactly once; every log
# is printed and counted.
alongside=(
    devnet_proves_epochs_survives_offline_sequencers_withheld_proofs_and_missing_quotes
    committee_devnet_signs_off_proves_epochs_and_slashes_a_silent_member
)
faults=devnet_survives_crashes_restarts_an_l1_reorg_and_an_l1_outage
skips=(--skip "$faults")
for name in "${alongside[@]}"; do
    skips+=(--skip "$name")
done
# setsid: its own process group, so a failure of the sequence stops it too.
setsid bash -c 'cargo test --workspace --locked --test e2e && cargo test --workspace --locked --test committee' \
    >"$logs/alongside.txt" 2>&1 &
alongside_pid=$!
trap 'kill -- -"$alongside_pid" 2>/dev/null || true; rm -rf "$logs"' EXIT
sequence_status=0
cargo test --workspace --locked -- "${skips[@]}" 2>&1 | tee "$logs/cargo.txt" || sequence_status=$?
alongside_status=0
wait "$alongside_pid" || alongside_status=$?
printf '\n==> the e2e and committee devnet runs (they ran alongside the sequence above)\n'
cat "$logs/alongside.txt"
if [[ "$sequence_status" == 0 && "$alongside_status" == 0 ]]; then
    printf '\n==> the fault-injection devnet run\n'
    cargo test --workspace --locked --test faults -- --exact "$faults" 2>&1 | tee "$logs/faults.txt" ||
        sequence_status=$?
fi
if [[ "$sequence_status" != 0 || "$alongside_status" != 0 ]]; then
    # A devnet test's captured output (service logs, backtraces) buries its panic message: print
    # each failed test's last progress lines and its panic message (or the error it returned)
    # again, at the very end.
    printf '\n==> failed tests: their last progress lines and panic messages\n'
    awk '/^---- .* stdout ----$/ { name = $2; kept = 0; in_test = 1; next }
        in_test && /^\[ *[0-9.]+ s\]/ { lines[kept++ % 12] = $0; next }
        in_test && (/^thread .* panicked at / || /^Error: /) {
            printf "\n---- %s\n", name
            for (i = (kept > 12 ? kept - 12 : 0); i < kept; i++) print lines[i % 12]
            in_panic = 1; printed = 0; in_test = 0
        }
        in_panic && (/^[Ss]tack backtrace:/ || /^note: run with/ || /^failures:$/ || printed >= 60) { in_panic = 0 }
        in_panic { print; printed++ }' "$logs"/*.txt
    echo "cargo test failed (the sequence or the fault run: exit $sequence_status; the devnet runs alongside: exit $alongside_status)" >&2
    exit 1
fi

end_step
printf '\nstep times:\n'
printf '%s\n' "${timings[@]}"
printf '%6ds  total\n' "$SECONDS"
printf '\nslowest test binaries (their own "finished in" time):\n'
# A package's unit tests run first and name it (target/debug/deps/<crate>-<hash>); its other test
# binaries follow.
awk 'FNR == 1 && FILENAME ~ /(alongside|faults).txt$/ {crate = "fernet_devnet"}
    /^ *Running unittests src\/lib.rs/{crate=$NF; sub(/^.*deps\//, "", crate); sub(/-[0-9a-f]+\)$/, "", crate)}
    /^ *Running /{name=crate " " $2}
    /^test result:/{sub(/s$/, "", $NF); printf "%8.1fs  %s\n", $NF, name}' "$logs/cargo.txt" "$logs/alongside.txt" "$logs/faults.txt" |
    sort -rn | head -n 8

forge_passed=$(grep -Eo '[0-9]+ tests passed' "$logs/forge.txt" | tail -n 1 | grep -Eo '^[0-9]+')
forge_failed=$(grep -Eo '[0-9]+ failed, [0-9]+ skipped \([0-9]+ total tests\)' "$logs/forge.txt" | tail -n 1 | grep -Eo '^[0-9]+')
cargo_passed=$(cat "$logs/cargo.txt" "$logs/alongside.txt" "$logs/faults.txt" | grep -Eo 'test result: ok\. [0-9]+ passed' | awk '{ sum += $4 } END { print sum + 0 }')
printf '\nforge: %s passed, %s failed; cargo: %s passed, 0 failed\n' "$forge_passed" "$forge_failed" "$cargo_passed"
printf 'tests: %s passed, %s failed\n' "$((forge_passed + cargo_passed))" "$forge_failed"
