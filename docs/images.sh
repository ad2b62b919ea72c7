#!/usr/bin/env bash
# Remakes the README's pictures from the shipped samples: a branded, QR-coded, signed receipt
# (docs/signed-receipt.png). The signer is a throwaway self-signed certificate made here and
# deleted afterwards; the receipt key is a fixed example, not a secret.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
bin=target/release/recibo
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export RECIBO_RECEIPT_KEY=example-receipt-key-for-the-readme
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 \
  -subj "/O=Loja Verde/CN=Loja Verde receipts (example)" \
  -keyout "$tmp/signer.key" -out "$tmp/signer.pem" 2>/dev/null
"$bin" receipt 2026100240710 -i samples/transactions.csv --lang pt-BR --tz America/Sao_Paulo \
  --template loja-verde --sign-key "$tmp/signer.key" --sign-cert "$tmp/signer.pem" \
  -o "$tmp/signed.pdf"
"$bin" verify "$tmp/signed.pdf" -i samples/transactions.csv --template loja-verde --signer "$tmp/signer.pem"
pdftoppm -r 60 -png -singlefile "$tmp/signed.pdf" docs/signed-receipt
echo "docs/signed-receipt.png: $(stat -c %s docs/signed-receipt.png) bytes"
