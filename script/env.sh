#!/usr/bin/env bash
# Puts this checkout's pinned forge / anvil / cast first on PATH. Source it: `source script/env.sh`.
_fernet_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
for _tool in forge anvil cast; do
  PATH="$_fernet_root/node_modules/@foundry-rs/$_tool-linux-amd64/bin:$PATH"
done
export PATH
unset _tool _fernet_root
