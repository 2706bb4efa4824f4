#!/usr/bin/env bash
# Runs a full trusted setup ceremony for the devnet circuits with the fernet-ceremony release
# binary, then the devnet on its keys instead of the INSECURE deterministic devnet keys:
#
#   phase 1: a local powers of tau of 2^18 (the devnet circuits' domain): one contribution, a
#            beacon, prepare, verify, and the powers of the domain extracted (import-ptau);
#   phase 2: `new` for the devnet block and chunk circuits, 3 contributions with distinct
#            entropy strings, a beacon, verify (recomputing `new` from the circuits), export;
#   then:    script/devnet.sh --ceremony-keys <export dir> "$@".
#
# Arguments are passed to the devnet (script/devnet.sh --help). Work goes to
# $CEREMONY_DIR (default target/ceremony-devnet): phase1/, ceremony/ and keys/ (the export).
# An existing export (keys/ceremony.json) is reused: delete $CEREMONY_DIR to run a new
# ceremony. About 20 min on 2 cores (phase 2 `new` alone takes ~7 min); see docs/ceremony.md.
# The beacon value is random here: a real ceremony uses the hash of an L1 block announced in
# advance (docs/ceremony.md).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

work="${CEREMONY_DIR:-$root/target/ceremony-devnet}"
phase1="$work/phase1"
ceremony="$work/ceremony"
keys="$work/keys"
# The devnet circuits' evaluation domain: 2^18 points (`new` prints it).
power=18

if [[ -f "$keys/ceremony.json" ]]; then
  echo "ceremony-devnet: reusing the ceremony keys in $keys (delete $work for a new ceremony)"
else
  echo "ceremony-devnet: cargo build --release -p fernet-ceremony"
  cargo build --release -p fernet-ceremony
  ceremony_bin="$root/target/release/fernet-ceremony"
  random_hash() { echo "0x$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')"; }

  rm -rf "$phase1" "$ceremony"
  mkdir -p "$phase1"
  echo "ceremony-devnet: phase 1, powers of tau of 2^$power"
  "$ceremony_bin" phase1 new --power "$power" --out "$phase1/pot_0000.ptau"
  "$ceremony_bin" phase1 contribute --in "$phase1/pot_0000.ptau" --out "$phase1/pot_0001.ptau" \
    --name "devnet phase 1" --entropy "phase 1 $(random_hash)"
  "$ceremony_bin" phase1 beacon --in "$phase1/pot_0001.ptau" --out "$phase1/pot_0002.ptau" \
    --value "$(random_hash)" --iterations-exp 10
  "$ceremony_bin" phase1 prepare --in "$phase1/pot_0002.ptau" --out "$phase1/pot_final.ptau"
  "$ceremony_bin" phase1 verify "$phase1/pot_final.ptau"
  powers="$phase1/phase1-2^$power.powers"
  "$ceremony_bin" import-ptau --ptau "$phase1/pot_final.ptau" --domain-log "$power" --out "$powers"

  echo "ceremony-devnet: phase 2 for the devnet circuits"
  "$ceremony_bin" new --circuits devnet --powers "$powers" --dir "$ceremony"
  for name in alice bob carol; do
    "$ceremony_bin" contribute --dir "$ceremony" --name "$name" \
      --entropy "$name's keyboard mash $(random_hash)"
  done
  "$ceremony_bin" beacon --dir "$ceremony" --value "$(random_hash)" --iterations-exp 20
  "$ceremony_bin" verify --dir "$ceremony" --powers "$powers"
  rm -rf "$keys"
  "$ceremony_bin" export --dir "$ceremony" --out "$keys"
fi

exec "$root/script/devnet.sh" --ceremony-keys "$keys" "$@"
