#!/usr/bin/env bash
# Starts a throwaway PostgreSQL cluster for the store tests and prints the environment
# that points them at it; `tests/pg.sh stop DIR` stops it and removes DIR.
#
#   eval "$(tests/pg.sh start)"     # sets RECIBO_TEST_PG_URL (a URL with a password) and PG_TEST_DIR
#   tests/pg.sh stop "$PG_TEST_DIR"
#
# The cluster listens on 127.0.0.1 on a free port, with password (SCRAM) authentication for
# the role the tests use; it is run by the `postgres` user when started as root, since
# PostgreSQL refuses to run as root.
set -euo pipefail

bindir() {
  local pg_ctl
  pg_ctl=$(command -v pg_ctl 2>/dev/null || ls -d /usr/lib/postgresql/*/bin/pg_ctl 2>/dev/null | sort -V | tail -1)
  [ -n "$pg_ctl" ] || return 1
  dirname "$(readlink -f "$pg_ctl")"
}

as_owner() {
  if [ "$(id -u)" = 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

case "${1:-}" in
start)
  bin=$(bindir) || { echo "tests/pg.sh: PostgreSQL is not installed" >&2; exit 1; }
  dir=$(mktemp -d /tmp/recibo-pg.XXXXXX)
  chmod 755 "$dir"
  [ "$(id -u)" = 0 ] && chown postgres "$dir"
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  # A password with characters a URL must encode, so their handling is tested too.
  password="t3st/p@ss:$RANDOM$RANDOM"
  as_owner "$bin/initdb" -D "$dir/data" -U postgres --auth-local=trust --auth-host=scram-sha-256 \
    -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 ||
    { cat "$dir/initdb.log" >&2; exit 1; }
  as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off" start >/dev/null ||
    { cat "$dir/server.log" >&2; exit 1; }
  as_owner "$bin/psql" -h "$dir" -p "$port" -U postgres -q -v ON_ERROR_STOP=1 \
    -v pw="$password" >/dev/null <<'SQL'
CREATE ROLE recibo LOGIN CREATEDB PASSWORD :'pw';
CREATE DATABASE recibo_test OWNER recibo;
SQL
  encoded=$(python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$password")
  echo "export PG_TEST_DIR='$dir'"
  echo "export PG_TEST_BIN='$bin'"
  echo "export PG_TEST_PORT='$port'"
  echo "export RECIBO_TEST_PG_URL='postgres://recibo:$encoded@127.0.0.1:$port/recibo_test?sslmode=disable'"
  ;;
stop)
  dir=${2:?usage: tests/pg.sh stop DIR}
  bin=$(bindir)
  as_owner "$bin/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$dir"
  ;;
*)
  echo "usage: tests/pg.sh start | stop DIR" >&2
  exit 2
  ;;
esac
