#!/usr/bin/env bash
# Runs the whole test suite on a bare machine: installs the independent readers the tests
# check outputs with (poppler's pdftotext/pdffonts/pdfinfo/pdfimages, qpdf, unzip, zbarimg for
# QR codes, Python's openpyxl, pyHanko for signatures, and for the web pages' browser tests
# Chromium, chromedriver and Python's selenium),
# the PostgreSQL server and openssl (for its test certificates) when they are missing, starts
# a throwaway PostgreSQL cluster with TLS for the store tests (stopped again on exit), then
# runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
command -v pdftotext >/dev/null 2>&1 || missing+=(poppler-utils)
command -v qpdf >/dev/null 2>&1 || missing+=(qpdf)
command -v unzip >/dev/null 2>&1 || missing+=(unzip)
command -v zbarimg >/dev/null 2>&1 || missing+=(zbar-tools)
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
command -v python3 >/dev/null 2>&1 || missing+=(python3 python3-pip)
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v chromedriver >/dev/null 2>&1 || missing+=(chromium-driver)
command -v pg_ctl >/dev/null 2>&1 || ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1 ||
  missing+=(postgresql)
if ((${#missing[@]})); then
  sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  echo "tests/run.sh: installing ${missing[*]}" >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
if ! python3 -c 'import openpyxl' >/dev/null 2>&1; then
  echo "tests/run.sh: installing openpyxl" >&2
  python3 -m pip install -q openpyxl 2>/dev/null || python3 -m pip install -q --break-system-packages openpyxl
fi
if ! python3 -c 'import pyhanko.sign.validation, pyhanko_certvalidator' >/dev/null 2>&1; then
  echo "tests/run.sh: installing pyhanko" >&2
  python3 -m pip install -q pyhanko pyhanko-certvalidator 2>/dev/null ||
    python3 -m pip install -q --break-system-packages pyhanko pyhanko-certvalidator
fi
if ! python3 -c 'import selenium' >/dev/null 2>&1; then
  echo "tests/run.sh: installing selenium" >&2
  python3 -m pip install -q selenium 2>/dev/null || python3 -m pip install -q --break-system-packages selenium
fi

# PostgreSQL for the store tests, unless one is given already.
if [ -z "${RECIBO_TEST_PG_URL:-}" ]; then
  eval "$(tests/pg.sh start)"
  trap 'tests/pg.sh stop "$PG_TEST_DIR"' EXIT
fi

# The suite's total closes the output, so a log reader sees one line for the whole run
# rather than the last test binary's (often an example with no tests).
log=$(mktemp)
set +e
cargo test --all-targets "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
awk '/^test result:/ {
  for (i = 1; i < NF; i++) {
    if ($(i + 1) ~ /^passed/) passed += $i
    if ($(i + 1) ~ /^failed/) failed += $i
  }
} END { printf "tests: %d passed, %d failed\n", passed, failed }' "$log"
rm -f "$log"
exit "$status"
