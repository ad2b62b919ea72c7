#!/usr/bin/env bash
# Remakes the README's pictures of the web pages from the shipped samples: the sign-in page
# (docs/web-signin.png), the transactions (docs/web-transactions.png) and a refund's page
# (docs/web-transaction.png), at 1280x900 in English. The browser script of the tests starts
# a fresh `recibo serve` on samples/transactions.csv with a throwaway token, signs in with
# headless Chromium and stops the server again. Chromium, chromedriver and selenium come
# with tests/run.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
SE_OFFLINE=true python3 tests/web/browser.py --binary target/release/recibo --screenshots docs/
