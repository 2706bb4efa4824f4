#!/usr/bin/env bash
# Installs the pinned toolchain into this checkout: forge / anvil / cast 1.7.1 and solc 0.8.30 (npm),
# forge-std and OpenZeppelin (npm, via remappings), and PostgreSQL (Debian) for the broker's tests.
# Idempotent and near-instant when already done.
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

# Debian packages: PostgreSQL, for the broker's PostgreSQL store and its tests (script/postgres.sh
# starts a cluster of this checkout from it; nothing else uses the package's own cluster), and
# iproute2's `ip`, for the network namespaces of the fault-injection run (devnet --netns). CI runs
# this as root on a fresh Debian machine.
packages=()
compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || packages+=(postgresql)
command -v ip >/dev/null 2>&1 || [[ -x /usr/sbin/ip || -x /sbin/ip ]] || packages+=(iproute2)
if (( ${#packages[@]} > 0 )); then
  if [[ "$(id -u)" == 0 ]] && command -v apt-get >/dev/null 2>&1; then
    echo "setup: installing ${packages[*]} (apt-get install)..."
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq "${packages[@]}" >/dev/null
  else
    echo "setup: the tests need ${packages[*]}: sudo apt-get install ${packages[*]}" >&2
    exit 1
  fi
fi
