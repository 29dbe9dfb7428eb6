#!/usr/bin/env bash
# HTTP benchmark of [api]: wrk against `GET /v1/assets` with a valid API key on `cambista serve`
# (embedded SQLite), and in the same run against nginx (one worker) serving the same JSON as a
# static file, twice: without an access log, and with one (Cambista writes a JSON log line per
# request, so that is the like-for-like case). ROUNDS rounds, each running the three one after the
# other, so a change in the machine's load touches all three alike; prints every run's req/s, p99
# and the server's CPU time per request (user + system, from /proc), then each server's median.
# Loopback only; bounded in time; stops what it starts.
#   bench/http.sh                 (after ./dev build; needs nginx and wrk: ./dev bench installs them)
#   ROUNDS=5 DURATION=10s bench/http.sh
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${DURATION:-10s}
ROUNDS=${ROUNDS:-3}
CONNECTIONS=${CONNECTIONS:-64}
# One wrk thread by default: with one server thread (nginx's one worker, Cambista's one I/O thread)
# each side has a core of this 2-core machine. With two wrk threads, three busy threads share two
# cores and the load generator sets the ceiling for both servers (THREADS=2 to see it).
THREADS=${THREADS:-1}
work=$(mktemp -d /tmp/cambista-http.XXXXXX)
cambista_pid=""
cleanup() {
  [[ -n $cambista_pid ]] && kill -TERM "$cambista_pid" 2>/dev/null && wait "$cambista_pid" || true
  [[ -f $work/nginx.pid ]] && kill -TERM "$(cat "$work/nginx.pid")" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
free_port() {
  local port
  for port in $(shuf -i 20000-60000 -n 50); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || { echo "$port"; return; }
  done
}

db="sqlite:$work/http.db"
key=$(build/cambista keys create --db "$db" --tenant bench --scopes ledger:read 2>/dev/null | tail -n 1)
# The benchmark measures serving, not the rate limiter: its limits are raised for this run.
CAMBISTA_RATE_LIMIT_KEY_BURST=1000000 CAMBISTA_RATE_LIMIT_KEY_PER_SECOND=1000000 \
  CAMBISTA_LOG_LEVEL=${CAMBISTA_LOG_LEVEL:-info} build/cambista serve --db "$db" --listen 127.0.0.1:0 >"$work/serve.out" 2>/dev/null &
cambista_pid=$!
for _ in $(seq 1 100); do grep -q "listening on" "$work/serve.out" 2>/dev/null && break; sleep 0.05; done
cambista_url="$(head -n 1 "$work/serve.out" | awk '{print $3}')/v1/assets"
curl -sf -H "Authorization: Bearer $key" "$cambista_url" >"$work/assets.json"

nginx_port=$(free_port)
mkdir -p "$work/www"
chmod 755 "$work" "$work/www"  # nginx's worker runs as an unprivileged user
cp "$work/assets.json" "$work/www/assets.json"
nginx_logged_port=$(free_port)
cat >"$work/nginx.conf" <<CONF
worker_processes 1;
pid $work/nginx.pid;
error_log $work/nginx-error.log;
events { worker_connections 1024; }
http {
  default_type application/json;
  server {
    listen 127.0.0.1:$nginx_port;
    access_log off;
    root $work/www;
  }
  server {
    listen 127.0.0.1:$nginx_logged_port;
    access_log $work/nginx-access.log;
    root $work/www;
  }
}
CONF
nginx -c "$work/nginx.conf" -p "$work"
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$nginx_port/assets.json" >/dev/null && break; sleep 0.05; done

cpu_ticks() {  # user + system clock ticks of process $1, all its threads
  awk '{print $14 + $15}' "/proc/$1/stat"
}
nginx_worker=$(pgrep -P "$(cat "$work/nginx.pid")" | head -n 1)
ticks_per_second=$(getconf CLK_TCK)

run() {  # run NAME PID URL [header]: one wrk run against URL, served by process PID
  local name=$1 pid=$2 url=$3
  shift 3
  local before after
  before=$(cpu_ticks "$pid")
  wrk -t "$THREADS" -c "$CONNECTIONS" -d "$DURATION" --latency "$@" "$url" >"$work/$name.txt"
  after=$(cpu_ticks "$pid")
  local rps p99 requests cpu_us errors
  rps=$(awk '/Requests\/sec/ {print $2}' "$work/$name.txt")
  p99=$(awk '$1 == "99%" {print $2}' "$work/$name.txt")
  requests=$(awk '/requests in/ {print $1}' "$work/$name.txt")
  cpu_us=$(awk -v t=$((after - before)) -v hz="$ticks_per_second" -v n="$requests" \
    'BEGIN {printf "%.2f", t * 1e6 / hz / n}')
  errors=$(grep -E "Non-2xx|Socket errors" "$work/$name.txt" || true)
  printf '%-10s %10s req/s   p99 %8s   server CPU %5s us/request   %s\n' \
    "$name" "$rps" "$p99" "$cpu_us" "$errors"
  echo "$rps" >>"$work/$name.rps"
}
median() {  # of the numbers in file $1
  sort -g "$1" | awk '{v[NR] = $1} END {m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "%.0f", m}'
}
echo "== $(nproc) cores, wrk -t $THREADS -c $CONNECTIONS -d $DURATION, $ROUNDS rounds, $(date -u +%Y-%m-%dT%H:%MZ)"
for _ in $(seq 1 "$ROUNDS"); do
  run cambista "$cambista_pid" "$cambista_url" -H "Authorization: Bearer $key"
  run nginx "$nginx_worker" "http://127.0.0.1:$nginx_port/assets.json"
  run nginx+log "$nginx_worker" "http://127.0.0.1:$nginx_logged_port/assets.json"
done
echo "== medians of $ROUNDS runs: cambista $(median "$work/cambista.rps"), nginx $(median "$work/nginx.rps"), nginx+log $(median "$work/nginx+log.rps") req/s"
