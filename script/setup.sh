#!/usr/bin/env bash
# Installs the pinned toolchain into this checkout: forge / anvil / cast 1.7.1 and solc 0.8.30 (npm),
# forge-std and OpenZeppelin (npm, via remappings). Idempotent and near-instant when already done.
# Source script/env.sh afterwards (or let the other scripts do it) to put the tools on PATH.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

need() {
  command -v "$1" >/dev/null 2>&1 || { echo "setup: '$1' is required ($2)" >&2; exit 1; }
}
need node "Node.js 18+ runs the solc shim and npm installs the toolchain"
need npm "npm installs the pinned toolchain from package-lock.json"
need cargo "Rust builds the crates under crates/"

# Reinstall only when package-lock.json changed since the last install.
stamp="node_modules/.setup-stamp"
lock_hash="$(sha256sum package-lock.json | cut -d' ' -f1)"
if [[ ! -f "$stamp" || "$(cat "$stamp")" != "$lock_hash" ]]; then
  echo "setup: installing the pinned toolchain (npm ci)..."
  npm ci --no-audit --no-fund --loglevel=error
  echo "$lock_hash" > "$stamp"
fi

# shellcheck source=script/env.sh
source "$root/script/env.sh"
for tool in forge anvil cast; do
  "$tool" --version >/dev/null || { echo "setup: $tool from npm does not run" >&2; exit 1; }
done
"$root/script/solc" --version | grep -q "0.8.30" || { echo "setup: solc shim broken" >&2; exit 1; }
