#!/usr/bin/env bash
# A PostgreSQL cluster of this checkout for the tests of the broker's PostgreSQL store: created and
# started on first use (on 127.0.0.1, a port derived from the checkout's path), then reused.
# Prints the URL of its `postgres` database (superuser `fernet`, no password: trust on loopback).
# The broker's tests run it themselves and make a database of their own per test.
#
# Usage: script/postgres.sh [start|stop|restart]   (start is the default; each is idempotent;
#                                                  restart keeps the listen addresses of the last start)
#        script/postgres.sh database NAME      starts the cluster if needed, drops the database NAME
#                                              (closing its connections) and creates it empty;
#                                              prints its URL (`script/devnet.sh --broker postgres`)
# Environment: FERNET_PG_DIR (cluster directory, default /tmp/fernet-postgres-<key>),
#              FERNET_PG_PORT (default 20000 + key % 20000),
#              FERNET_PG_LISTEN (an address to listen on besides 127.0.0.1: the devnet's bridge
#                address when its brokers run in network namespaces; a running server without it
#                is restarted),
#              FERNET_PG_CLIENTS (a network, e.g. 10.213.7.0/24, whose clients are trusted like
#                loopback's; added to pg_hba.conf).
# Needs Debian's `postgresql` package (script/setup.sh installs it when run as root). As root, the
# server runs as the `postgres` user (PostgreSQL refuses to run as root).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
action="${1:-start}"

bindir="$(find /usr/lib/postgresql -mindepth 2 -maxdepth 2 -name bin -type d 2>/dev/null | sort -V | tail -n 1)"
if [[ -z "$bindir" || ! -x "$bindir/initdb" ]]; then
  echo "postgres: PostgreSQL is not installed: run script/setup.sh as root, or apt-get install postgresql" >&2
  exit 1
fi

key="$(printf '%s' "$root" | cksum | cut -d' ' -f1)"
dir="${FERNET_PG_DIR:-${TMPDIR:-/tmp}/fernet-postgres-$key}"
port="${FERNET_PG_PORT:-$((20000 + key % 20000))}"
data="$dir/data"

# Runs a PostgreSQL program as the cluster's owner.
as_owner() {
  if [[ "$(id -u)" == 0 ]]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

mkdir -p "$dir"
if [[ "$(id -u)" == 0 ]]; then
  id postgres >/dev/null 2>&1 || { echo "postgres: no 'postgres' user to run the server as" >&2; exit 1; }
  chown postgres: "$dir"
fi
# One caller at a time (test binaries may start together).
exec 9>"$dir/.lock"
flock 9

running() { as_owner "$bindir/pg_ctl" -D "$data" status >/dev/null 2>&1; }

# The addresses the server listens on, kept for `restart`.
listen_file="$dir/listen-addresses"
wanted_listen() {
  if [[ -n "${FERNET_PG_LISTEN:-}" ]]; then
    echo "127.0.0.1,$FERNET_PG_LISTEN"
  else
    echo "127.0.0.1"
  fi
}

# Trusts the clients of FERNET_PG_CLIENTS (once), reloading a running server.
trust_clients() {
  local network="${FERNET_PG_CLIENTS:-}"
  [[ -z "$network" ]] && return 0
  if [[ ! "$network" =~ ^[0-9.]+/[0-9]+$ ]]; then
    echo "postgres: FERNET_PG_CLIENTS=$network is not an IPv4 network (a.b.c.d/n)" >&2
    exit 2
  fi
  local line="host all all $network trust"
  if ! grep -qxF "$line" "$data/pg_hba.conf"; then
    echo "$line" | as_owner tee -a "$data/pg_hba.conf" >/dev/null
    if running; then
      as_owner "$bindir/pg_ctl" -D "$data" reload >/dev/null 9>&-
    fi
  fi
}

# Starts the cluster unless it runs on the wanted addresses (`$1`, default: this call's).
start() {
  local listen="${1:-$(wanted_listen)}"
  if running && [[ -n "${FERNET_PG_LISTEN:-}" && "$(cat "$listen_file" 2>/dev/null)" != "$listen" ]]; then
    as_owner "$bindir/pg_ctl" -D "$data" -m fast -w stop >/dev/null
  fi
  if ! running; then
    if [[ ! -f "$data/PG_VERSION" ]]; then
      as_owner "$bindir/initdb" -D "$data" -U fernet --auth=trust -E UTF8 --no-instructions \
        >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; exit 1; }
    fi
    trust_clients
    echo "$listen" >"$listen_file"
    # A test cluster: durability of the server itself is not under test, so no fsync.
    if ! as_owner "$bindir/pg_ctl" -D "$data" -l "$dir/postgres.log" -w -t 60 \
      -o "-c listen_addresses=$listen -p $port -k $dir -c max_connections=300 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
      start >/dev/null 9>&-; then
      echo "postgres: the server did not start; its log ($dir/postgres.log) ends with:" >&2
      tail -n 20 "$dir/postgres.log" >&2
      exit 1
    fi
  fi
  trust_clients
}

case "$action" in
  start)
    start
    echo "postgres://fernet@127.0.0.1:$port/postgres"
    ;;
  database)
    name="${2:-}"
    if [[ ! "$name" =~ ^[a-z_][a-z0-9_]*$ ]]; then
      echo "usage: script/postgres.sh database NAME (lowercase letters, digits and _)" >&2
      exit 2
    fi
    start
    "$bindir/dropdb" -h 127.0.0.1 -p "$port" -U fernet --if-exists --force "$name" 9>&-
    "$bindir/createdb" -h 127.0.0.1 -p "$port" -U fernet "$name" 9>&-
    echo "postgres://fernet@127.0.0.1:$port/$name"
    ;;
  stop)
    if running; then
      as_owner "$bindir/pg_ctl" -D "$data" -m fast -w stop >/dev/null
    fi
    ;;
  restart)
    # A restart of the server, as an operator's would be: clients lose their connections.
    if running; then
      as_owner "$bindir/pg_ctl" -D "$data" -m fast -w stop >/dev/null
    fi
    start "$(cat "$listen_file" 2>/dev/null || wanted_listen)"
    ;;
  *)
    echo "usage: script/postgres.sh [start|stop|restart|database NAME]" >&2
    exit 2
    ;;
esac
