#!/usr/bin/env bash
# Static analysis of contracts/ with slither, pinned in a project-local virtualenv (.venv-slither/).
# Fails (non-zero) on any finding that is not triaged. The triage lives in slither.config.json
# (excluded detectors), in the path filter below, in `// slither-disable-...` comments next to the
# code, and in slither.db.json (the generated verifier, which cannot carry comments);
# docs/security.md explains every entry. script/test.sh (CI) runs it.
# Usage: script/slither.sh [extra slither arguments, e.g. --show-ignored-findings to list the triaged ones]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
cd "$root"
start=$SECONDS

# The pins: change them here and the next run reinstalls.
slither_pins=(slither-analyzer==0.11.6 crytic-compile==0.4.2)
venv="$root/.venv-slither"
stamp="$venv/.installed"

# Idempotent: only creates the venv and installs when the pins changed since the last install.
if [[ ! -x "$venv/bin/slither" || ! -f "$stamp" || "$(cat "$stamp")" != "${slither_pins[*]}" ]]; then
  command -v python3 >/dev/null 2>&1 || { echo "slither: python3 (3.10+) is required" >&2; exit 1; }
  echo "slither: installing ${slither_pins[*]} into .venv-slither/..."
  [[ -x "$venv/bin/python" ]] || python3 -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "${slither_pins[@]}"
  echo "${slither_pins[*]}" >"$stamp"
fi

"$root/script/setup.sh"
# shellcheck source=script/env.sh
source "$root/script/env.sh"

# slither reads forge's build-info. Build contracts/ only (test/ and script/ skipped, as crytic-compile's
# own foundry build does) into out-slither/ and cache-slither/: out/ is read by forge test and by the
# Rust bindings' build script, which a contracts-only build must not overwrite. slither needs exactly
# one build-info covering every source, which an incremental rebuild does not give (it adds a partial
# one beside the old): so rebuild in full when a source is newer than the build-info, and otherwise
# build incrementally (a no-op when nothing changed) and still rebuild in full if that compiled anything.
build=(forge build --out out-slither --cache-path cache-slither --build-info --deny never
  --skip './test/**' './script/**')
shopt -s nullglob
infos=(out-slither/build-info/*.json)
if ((${#infos[@]} != 1)) ||
  [[ -n "$(find contracts foundry.toml package-lock.json -newer "${infos[0]}" -print -quit)" ]]; then
  "${build[@]}" --force
else
  "${build[@]}"
  infos=(out-slither/build-info/*.json)
  if ((${#infos[@]} != 1)); then
    echo "slither: the incremental build compiled something; rebuilding contracts/ in full"
    "${build[@]}" --force
  fi
fi

# Settings (foundry build output, excluded detectors, triage database) come from slither.config.json.
# slither's own exit status fails on any reported result, but its unused-directive check also counts the directives inside OpenZeppelin (node_modules/), so the verdict is taken from the
# JSON report: any result, or any unused `slither-disable` directive of ours, fails the run.
report="$(mktemp)"
trap 'rm -f "$report"' EXIT
rm -f "$report"
# (The unused-directive warnings about node_modules/ are dropped from the log; they are not ours.)
# slither matches its path filters against absolute (symlink-resolved) paths: anchor them at this
# checkout, so that a checkout inside a folder named test/ or script/ still gets analysed.
filter="^$("$venv/bin/python" -c 'import re, sys; print(re.escape(sys.argv[1]))' "$root")/(node_modules|test|script)/"
"$venv/bin/slither" . --config-file slither.config.json --filter-paths "$filter" --warn-unused-ignores \
  --json "$report" "$@" 2>&1 |
  grep -v 'slither-disable-[a-z-]* directive for .* at .*/node_modules/' || true
status=0
show_ignored=0
for arg in "$@"; do [[ "$arg" == --show-ignored-findings ]] && show_ignored=1; done
"$venv/bin/python" - "$report" "$show_ignored" <<'PY' || status=$?
import json, sys

try:
    with open(sys.argv[1], encoding="utf8") as f:
        report = json.load(f)
except (OSError, ValueError) as err:
    sys.exit(f"slither: no JSON report ({err}): the analysis did not run")
if not report.get("success"):
    sys.exit(f"slither: analysis failed: {report.get('error')}")
findings, stale, stale_all = [], [], []
for result in report.get("results", {}).get("detectors", []):
    if result["check"] == "unused-ignore-directive":
        stale_all += result["unused_ignores"]
        # With --show-ignored-findings every directive looks unused: nothing to check then.
        if sys.argv[2] != "1":
            stale += [u for u in result["unused_ignores"] if "/node_modules/" not in u["file"]]
    else:
        findings.append(result)
stale = sorted({(u["file"], u["line"], ",".join(u["unused_detectors"])) for u in stale})
for file, line, detectors in stale:
    print(f"slither: unused slither-disable directive for {detectors} at {file}#{line}: remove it")
if sys.argv[2] == "1":
    sys.exit(f"slither: {len(findings)} finding(s) listed, the triaged ones included")
if findings or stale:
    print(f"slither: {len(findings)} untriaged finding(s), {len(stale)} unused directive(s); "
          "fix them or triage them (docs/security.md)")
    sys.exit(1)
note = " (the one result slither counts is the unused directives in node_modules/)" if stale_all else ""
print(f"slither: no untriaged finding{note}")
PY
echo "slither: finished in $((SECONDS - start)) s"
exit "$status"
