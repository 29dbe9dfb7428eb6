#!/usr/bin/env bash
# The ledger benchmarks of docs/BENCHMARKS.md, each beside its baseline measured in the same run:
#   1. SQLite: cambista bench ledger at C=64 (time-ordered ids, then random ids), and the naive
#      fsync-bound baseline, `cambista bench ledger --naive` (two UPDATEs and one INSERT, one
#      durable transaction per transfer, synchronous=FULL) at C=64 on the same disk
#      (target: >= 8x the baseline)
#   2. PostgreSQL, at C=16 and at C=64: cambista bench ledger, and the naive pgbench script
#      bench/naive_transfer.sql at the same concurrency (target: >= 3x the baseline at each)
# Prints one ratio line per target. Needs CAMBISTA_TEST_PG_URL (./dev bench starts a private
# server and sets it). Counts shrink with the environment variables below.
set -euo pipefail
cd "$(dirname "$0")/.."
: "${CAMBISTA_TEST_PG_URL:?set CAMBISTA_TEST_PG_URL (./dev bench does)}"
SQLITE_CONCURRENCY=${SQLITE_CONCURRENCY:-64}
PG_CONCURRENCIES=${PG_CONCURRENCIES:-16 64}
SQLITE_TRANSFERS=${SQLITE_TRANSFERS:-400000}
SQLITE_RANDOM_TRANSFERS=${SQLITE_RANDOM_TRANSFERS:-100000}
NAIVE_SQLITE_TRANSFERS=${NAIVE_SQLITE_TRANSFERS:-4000}
PG_TRANSFERS=${PG_TRANSFERS:-150000}
PGBENCH_SECONDS=${PGBENCH_SECONDS:-20}
work=$(mktemp -d /tmp/cambista-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
ratios=()

# Each measurement starts on a settled disk: what the previous one wrote is flushed first (the
# SQLite runs leave hundreds of MiB of dirty pages that would otherwise be written back during the
# next run, ours or a baseline's).
settle() { sync; sleep 2; }
settle_postgres() { psql -q -X "$CAMBISTA_TEST_PG_URL" -c CHECKPOINT; settle; }  # and its buffers
rate() { grep -oP '"transfers_per_sec":\K[0-9.]+' "$1"; }
# ratio NAME OURS BASELINE TARGET: one line for the summary.
ratio() {
  ratios+=("$(awk -v n="$1" -v a="$2" -v b="$3" -v t="$4" 'BEGIN {
    r = a / b; printf "%-34s cambista %8.0f/s vs naive %7.0f/s = %5.1fx (target >= %sx: %s)",
      n, a, b, r, t, (r >= t ? "met" : "NOT met") }')")
}

echo "== machine: $(nproc) cores, $(uname -r), $(date -u +%Y-%m-%dT%H:%MZ), load: $(cut -d' ' -f1-3 /proc/loadavg)"
settle
echo "== 1a. SQLite: cambista bench ledger --transfers $SQLITE_TRANSFERS --concurrency $SQLITE_CONCURRENCY"
build/cambista bench ledger --db "sqlite:$work/bench.db" --transfers "$SQLITE_TRANSFERS" \
  --concurrency "$SQLITE_CONCURRENCY" 2>&1 | grep -v '^bench ledger: [cvs]' | tee "$work/sqlite.json"
build/cambista ledger verify --db "sqlite:$work/bench.db" >/dev/null && echo "ledger verify: ok"

settle
echo "== 1b. SQLite, random 128-bit ids (worst case for the unique index): --transfers $SQLITE_RANDOM_TRANSFERS --random-ids"
build/cambista bench ledger --db "sqlite:$work/random.db" --transfers "$SQLITE_RANDOM_TRANSFERS" \
  --concurrency "$SQLITE_CONCURRENCY" --random-ids 2>&1 | grep -v '^bench ledger: [cvs]'
build/cambista ledger verify --db "sqlite:$work/random.db" >/dev/null && echo "ledger verify: ok"

settle
echo "== 1c. baseline: cambista bench ledger --naive --transfers $NAIVE_SQLITE_TRANSFERS --concurrency $SQLITE_CONCURRENCY (same disk)"
build/cambista bench ledger --naive --db "sqlite:$work/naive.db" --transfers "$NAIVE_SQLITE_TRANSFERS" \
  --concurrency "$SQLITE_CONCURRENCY" | tee "$work/naive.json"
ratio "SQLite C=$SQLITE_CONCURRENCY" "$(rate "$work/sqlite.json")" "$(rate "$work/naive.json")" 8

base=${CAMBISTA_TEST_PG_URL%/*}
for concurrency in $PG_CONCURRENCIES; do
  psql -q -X "$CAMBISTA_TEST_PG_URL" -c "DROP DATABASE IF EXISTS cambista_bench" \
    -c "CREATE DATABASE cambista_bench" -c "DROP DATABASE IF EXISTS naive_bench" \
    -c "CREATE DATABASE naive_bench" 2>&1 | grep -v NOTICE || true
  settle_postgres
  echo "== 2a. PostgreSQL: cambista bench ledger --transfers $PG_TRANSFERS --concurrency $concurrency"
  build/cambista bench ledger --db "$base/cambista_bench" --transfers "$PG_TRANSFERS" \
    --concurrency "$concurrency" 2>&1 | grep -v '^bench ledger: [cvs]' | tee "$work/pg.json"
  build/cambista ledger verify --db "$base/cambista_bench" >/dev/null && echo "ledger verify: ok"

  psql -q -X "$base/naive_bench" -f bench/naive_schema.sql 2>&1 | grep -v NOTICE || true
  settle_postgres
  echo "== 2b. baseline: pgbench -n -c $concurrency -j 2 -T $PGBENCH_SECONDS --max-tries=10 -f bench/naive_transfer.sql"
  pgbench -n -c "$concurrency" -j 2 -T "$PGBENCH_SECONDS" --max-tries=10 \
    -f bench/naive_transfer.sql "$base/naive_bench" 2>&1 | tee "$work/pgbench.txt" |
    grep -E "tps|failed|latency average"
  ratio "PostgreSQL C=$concurrency" "$(rate "$work/pg.json")" \
    "$(grep -oP 'tps = \K[0-9.]+(?= \(without)' "$work/pgbench.txt")" 3
done

echo "== ratios (same run; load at the end: $(cut -d' ' -f1-3 /proc/loadavg))"
printf '%s\n' "${ratios[@]}"
