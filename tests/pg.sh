#!/usr/bin/env bash
# Starts a throwaway PostgreSQL cluster for the store tests and prints the environment
# that points them at it; `tests/pg.sh stop DIR` stops it and removes DIR.
#
#   eval "$(tests/pg.sh start)"     # sets RECIBO_TEST_PG_URL (a URL with a password) and PG_TEST_DIR
#   tests/pg.sh stop "$PG_TEST_DIR"
#
# The cluster listens on 127.0.0.1 on a free port, with password (SCRAM) authentication for
# the role the tests use; it is run by the `postgres` user when started as root, since
# PostgreSQL refuses to run as root. It also speaks TLS with a certificate for 127.0.0.1
# from a throwaway authority ($PG_TEST_DIR/ca.crt; other-ca.crt is an authority that did
# not sign it), and the role recibo_tls may log in over TLS only.
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
  # TLS: an authority, a server certificate it signs for 127.0.0.1, and a second authority.
  (
    cd "$dir"
    ec="-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes"
    for ca in ca other-ca; do
      openssl req -x509 $ec -days 2 -subj "/CN=recibo test $ca" -keyout "$ca.key" -out "$ca.crt" \
        -addext basicConstraints=critical,CA:TRUE -addext keyUsage=keyCertSign 2>/dev/null
    done
    openssl req $ec -subj "/CN=127.0.0.1" -keyout server.key -out server.csr 2>/dev/null
    printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' >server.ext
    openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 \
      -extfile server.ext -out server.crt 2>/dev/null
    chmod 600 server.key
    [ "$(id -u)" = 0 ] && chown postgres server.key server.crt
    true
  ) || { echo "tests/pg.sh: openssl could not make the test certificates" >&2; exit 1; }
  # First match wins: recibo_tls is refused on a connection without TLS.
  hba="$dir/data/pg_hba.conf"
  { echo "hostnossl all recibo_tls all reject"; cat "$hba"; } >"$hba.new" && mv "$hba.new" "$hba"
  [ "$(id -u)" = 0 ] && chown postgres "$hba"
  as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off -c ssl=on -c ssl_cert_file=$dir/server.crt -c ssl_key_file=$dir/server.key" start >/dev/null ||
    { cat "$dir/server.log" >&2; exit 1; }
  as_owner "$bin/psql" -h "$dir" -p "$port" -U postgres -q -v ON_ERROR_STOP=1 \
    -v pw="$password" >/dev/null <<'SQL'
CREATE ROLE recibo LOGIN CREATEDB PASSWORD :'pw';
CREATE DATABASE recibo_test OWNER recibo;
CREATE ROLE recibo_tls LOGIN CREATEDB PASSWORD :'pw';
CREATE DATABASE recibo_tls OWNER recibo_tls;
SQL
  encoded=$(python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$password")
  echo "export PG_TEST_DIR='$dir'"
  echo "export PG_TEST_BIN='$bin'"
  echo "export PG_TEST_PORT='$port'"
  echo "export RECIBO_TEST_PG_URL='postgres://recibo:$encoded@127.0.0.1:$port/recibo_test?sslmode=disable'"
  # Without sslmode: each test says how it connects.
  echo "export RECIBO_TEST_PG_TLS_URL='postgres://recibo_tls:$encoded@127.0.0.1:$port/recibo_tls'"
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
