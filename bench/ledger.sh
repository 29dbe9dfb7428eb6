#!/usr/bin/env bash
# The ledger benchmarks of docs/BENCHMARKS.md, side by side with their baselines, in one run:
#   1. cambista bench ledger on embedded SQLite (target: >= 50,000 durable transfers/s at C=64),
#      with time-ordered ids (ledger/ids.hpp), then with random ids
#   2. cambista bench ledger on PostgreSQL, and the naive one-transaction-per-transfer pgbench
#      script at the same concurrency (target: >= 3x the baseline)
# Needs CAMBISTA_TEST_PG_URL (./dev bench starts a private server and sets it).
set -euo pipefail
cd "$(dirname "$0")/.."
: "${CAMBISTA_TEST_PG_URL:?set CAMBISTA_TEST_PG_URL (./dev bench does)}"
CONCURRENCY=${CONCURRENCY:-64}
SQLITE_TRANSFERS=${SQLITE_TRANSFERS:-1000000}
SQLITE_RANDOM_TRANSFERS=${SQLITE_RANDOM_TRANSFERS:-200000}
PG_TRANSFERS=${PG_TRANSFERS:-300000}
PGBENCH_SECONDS=${PGBENCH_SECONDS:-30}
work=$(mktemp -d /tmp/cambista-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT

echo "== machine: $(nproc) cores, $(uname -r), $(date -u +%Y-%m-%dT%H:%MZ)"
echo "== 1. SQLite: cambista bench ledger --transfers $SQLITE_TRANSFERS --concurrency $CONCURRENCY"
build/cambista bench ledger --db "sqlite:$work/bench.db" --transfers "$SQLITE_TRANSFERS" \
  --concurrency "$CONCURRENCY" | tail -n 1 | tee "$work/sqlite.json"
build/cambista ledger verify --db "sqlite:$work/bench.db" >/dev/null && echo "ledger verify: ok"

echo "== 1b. SQLite, random 128-bit ids (worst case for the unique index): --transfers $SQLITE_RANDOM_TRANSFERS --random-ids"
build/cambista bench ledger --db "sqlite:$work/random.db" --transfers "$SQLITE_RANDOM_TRANSFERS" \
  --concurrency "$CONCURRENCY" --random-ids | tail -n 1

base=${CAMBISTA_TEST_PG_URL%/*}
psql -q -X "$CAMBISTA_TEST_PG_URL" -c "DROP DATABASE IF EXISTS cambista_bench" \
  -c "CREATE DATABASE cambista_bench" -c "DROP DATABASE IF EXISTS naive_bench" \
  -c "CREATE DATABASE naive_bench"
echo "== 2a. PostgreSQL: cambista bench ledger --transfers $PG_TRANSFERS --concurrency $CONCURRENCY"
build/cambista bench ledger --db "$base/cambista_bench" --transfers "$PG_TRANSFERS" \
  --concurrency "$CONCURRENCY" | tail -n 1 | tee "$work/pg.json"
build/cambista ledger verify --db "$base/cambista_bench" >/dev/null && echo "ledger verify: ok"

echo "== 2b. baseline: pgbench -c $CONCURRENCY -j 2 -T $PGBENCH_SECONDS -f bench/naive_transfer.sql"
psql -q -X "$base/naive_bench" -f bench/naive_schema.sql
pgbench -n -c "$CONCURRENCY" -j 2 -T "$PGBENCH_SECONDS" --max-tries=10 \
  -f bench/naive_transfer.sql "$base/naive_bench" 2>&1 | tee "$work/pgbench.txt" |
  grep -E "tps|failed|latency average"
baseline=$(grep -oP 'tps = \K[0-9.]+(?= \(without)' "$work/pgbench.txt")
ours=$(grep -oP '"transfers_per_sec":\K[0-9.]+' "$work/pg.json")
echo "== PostgreSQL: cambista $ours transfers/s vs naive $baseline transfers/s: $(
  awk -v a="$ours" -v b="$baseline" 'BEGIN { printf "%.1fx", a / b }')"
