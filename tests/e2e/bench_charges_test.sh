#!/usr/bin/env bash
# `cambista bench charges` works end to end: an embedded sandbox server on SQLite, creations from
# many connections, one JSON line with every field, no error, and every created charge PENDING
# (the command itself checks the database and exits 1 otherwise). The figures are not checked here
# (they depend on the machine): bench/charges.sh measures them, docs/BENCHMARKS.md records them.
set -euo pipefail
BIN=$1
out=$("$BIN" bench charges --concurrency 16 --n 300)
echo "$out"
line=$(tail -n 1 <<<"$out")
for field in n seconds per_sec p50_ms p99_ms errors; do
  grep -q "\"$field\":" <<<"$line" || { echo "missing $field in: $line"; exit 1; }
done
grep -q '"n":300,' <<<"$line" || { echo "expected n 300: $line"; exit 1; }
grep -q '"errors":0,' <<<"$line" || { echo "expected no error: $line"; exit 1; }
# Bad arguments are refused with a message, not run.
if "$BIN" bench charges --concurrency 0 --n 10 2>/dev/null; then
  echo "concurrency 0 was accepted"; exit 1
fi
echo "bench charges: ok"
