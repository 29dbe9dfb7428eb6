#!/usr/bin/env bash
# `cambista bench flow` works end to end (criterion 7 of the trading issue): an embedded sandbox
# server on SQLite, 20 buy flows from 4 workers, one JSON line with every field, no error and every
# flow COMPLETED (the command exits 1 otherwise). The figures are not checked (they depend on the
# machine): docs/BENCHMARKS.md records them.
set -euo pipefail
BIN=$1
out=$("$BIN" bench flow --flows 20 --concurrency 4)
echo "$out"
line=$(tail -n 1 <<<"$out")
for field in backend concurrency flows seconds flows_per_sec p50_ms p99_ms errors incomplete; do
  grep -q "\"$field\":" <<<"$line" || { echo "missing $field in: $line"; exit 1; }
done
grep -q '"flows":20,' <<<"$line" || { echo "expected flows 20: $line"; exit 1; }
grep -q '"concurrency":4,' <<<"$line" || { echo "expected concurrency 4: $line"; exit 1; }
grep -q '"errors":0,' <<<"$line" || { echo "expected no error: $line"; exit 1; }
grep -q '"incomplete":0}' <<<"$line" || { echo "expected every flow complete: $line"; exit 1; }
grep -qE '"p50_ms":[0-9]+,"p99_ms":[0-9]+,' <<<"$line" || { echo "latencies: $line"; exit 1; }
# Bad arguments are refused with a message, not run.
if "$BIN" bench flow --concurrency 0 --flows 10 2>/dev/null; then
  echo "concurrency 0 was accepted"; exit 1
fi
if "$BIN" bench flow --url http://127.0.0.1:9 --flows 10 2>/dev/null; then
  echo "--url without --key was accepted"; exit 1
fi
echo "bench flow: ok"
