#!/bin/bash
# As the playground profile's generate-haproxy-certs.sh (real-image-contract.md §3): a
# self-signed P-256 certificate for CN=localhost (SAN localhost, 127.0.0.1, 10.0.2.2, 3650
# days) in /var/lib/persistent/haproxy/certs/localhost.pem (key + certificate, 660) and
# static/le.cer, made once per persistent disk. The key is never printed.
set -euo pipefail
certs=/var/lib/persistent/haproxy/certs
static=/var/lib/persistent/haproxy/static
pem=$certs/localhost.pem
if [ -s "$pem" ]; then
  echo "playground: HAProxy certs already exist, skipping generation"
  exit 0
fi
mkdir -p "$certs" "$static"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
umask 077
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 3650 \
  -subj "/O=Playground/CN=localhost" -addext "subjectAltName=DNS:localhost,IP:127.0.0.1,IP:10.0.2.2" \
  -keyout "$tmp/key.pem" -out "$tmp/cert.pem" 2> "$tmp/err" || { cat "$tmp/err" >&2; exit 1; }
cat "$tmp/key.pem" "$tmp/cert.pem" > "$pem.new"
chmod 0660 "$pem.new"
mv -f "$pem.new" "$pem"
install -m 0644 "$tmp/cert.pem" "$static/le.cer"
echo "playground: Generated self-signed TLS certificate for HAProxy"
