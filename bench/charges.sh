#!/usr/bin/env bash
# Charge creation against the sandbox (docs/BENCHMARKS.md), side by side with the
# baseline the issue names: the landed code before it (BASELINE_REV), which answered 32 creations
# at concurrency 16 with 4 × 201 and 28 × 502 because its request workers waited on gateway calls
# that the same workers had to answer.
#
# Both servers are `cambista serve --sandbox` processes on a fresh SQLite database, loaded by the
# same client, this build's `cambista bench charges --url` (one JSON line a run). The baseline is
# built from a git worktree of BASELINE_REV into build-baseline/ (once; ccache makes it quick).
#
#   bench/charges.sh                      # the issue's case on both, then the target case on both
#                                         # (~3 minutes: the baseline's requests time out)
#   N=20000 ROUNDS=5 bench/charges.sh     # a longer target case
set -euo pipefail
cd "$(dirname "$0")/.."

BIN=${BIN:-build/cambista}
BASELINE_REV=${BASELINE_REV:-51caae6}
BASELINE_DIR=${BASELINE_DIR:-build-baseline}
N=${N:-5000}
ROUNDS=${ROUNDS:-3}
WORK=$(mktemp -d /tmp/cambista-bench-charges.XXXXXX)
SERVER_PID=""
cleanup() {
  if [[ -n $SERVER_PID ]]; then kill "$SERVER_PID" 2>/dev/null || true; fi
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

log() { echo "bench/charges: $*" >&2; }

build_baseline() {
  if [[ ! -d $BASELINE_DIR/src ]]; then
    git worktree add --detach "$BASELINE_DIR/src" "$BASELINE_REV" >&2
  fi
  cmake -S "$BASELINE_DIR/src" -B "$BASELINE_DIR/build" -G Ninja \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  cmake --build "$BASELINE_DIR/build" --target cambista >&2
}

# start BINARY NAME: a sandbox server on a fresh database, its URL in $URL and a key in $KEY.
start() {
  local binary=$1 dir=$WORK/$2
  mkdir -p "$dir"
  KEY=$("$binary" keys create --db "sqlite:$dir/bench.db" --tenant default --scopes admin |
    tail -n 1)
  # The client measures creations, not the per-key rate limit: it is opened wide.
  CAMBISTA_RATE_LIMIT_KEY_BURST=1000000 CAMBISTA_RATE_LIMIT_KEY_PER_SECOND=1000000 \
    "$binary" serve --sandbox --db "sqlite:$dir/bench.db" --listen 127.0.0.1:0 \
    >"$dir/out" 2>"$dir/err" &
  SERVER_PID=$!
  for _ in $(seq 1 100); do
    URL=$(grep -o 'http://127.0.0.1:[0-9]*' "$dir/out" | head -n 1 || true)
    if [[ -n $URL ]]; then return 0; fi
    sleep 0.1
  done
  log "$2: the server did not start"; cat "$dir/err" >&2
  return 1
}

stop() {
  kill "$SERVER_PID" 2>/dev/null || true
  wait "$SERVER_PID" 2>/dev/null || true
  SERVER_PID=""
}

# run BINARY NAME CONCURRENCY N: one JSON line, tagged with the server's name.
run() {
  start "$1" "$2-$3-$4-$RANDOM"
  local line
  line=$(CAMBISTA_BENCH_KEY=$KEY "$BIN" bench charges --url "$URL" --concurrency "$3" --n "$4" \
    2>"$WORK/client.err" | tail -n 1) || true
  stop
  if [[ $line != \{* ]]; then
    log "$2: no result"; cat "$WORK/client.err" >&2
    return 0
  fi
  grep -h "errors (" "$WORK/client.err" | sed "s/^/$2: /" >&2 || true  # the statuses
  echo "{\"server\":\"$2\",${line:1}"
}

build_baseline
BASELINE=$BASELINE_DIR/build/cambista
log "$(nproc) cores; baseline $BASELINE_REV ($BASELINE), current $(git rev-parse --short HEAD)"
log "the issue's case: 32 creations at concurrency 16"
run "$BASELINE" baseline 16 32
run "$BIN" current 16 32
log "the target: concurrency 64 (≥ 500/s, 0 errors, p99 < 100 ms); the baseline with 64 creations"
log "(each of its stuck requests waits for the client's 60 s timeout), this build with $N, $ROUNDS rounds"
run "$BASELINE" baseline 64 64
for _ in $(seq 1 "$ROUNDS"); do
  run "$BIN" current 64 "$N"
done
