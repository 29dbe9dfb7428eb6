#!/usr/bin/env bash
# HTTP benchmark of [api]: wrk against `GET /v1/assets` with a valid API key on `cambista serve`
# (embedded SQLite), and in the same run against nginx (one worker) serving the same JSON as a
# static file, twice: without an access log, and with one (Cambista writes a JSON log line per
# request, so that is the like-for-like case). Prints req/s and p99 for each. Loopback only;
# bounded in time; stops what it starts.
#   bench/http.sh                 (after ./dev build; needs nginx and wrk: ./dev bench installs them)
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${DURATION:-15s}
CONNECTIONS=${CONNECTIONS:-64}
THREADS=${THREADS:-2}
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

run() {  # run NAME URL [header]
  local name=$1 url=$2
  shift 2
  wrk -t "$THREADS" -c "$CONNECTIONS" -d "$DURATION" --latency "$@" "$url" >"$work/$name.txt"
  local rps p99
  rps=$(awk '/Requests\/sec/ {print $2}' "$work/$name.txt")
  p99=$(awk '$1 == "99%" {print $2}' "$work/$name.txt")
  local errors
  errors=$(grep -E "Non-2xx|Socket errors" "$work/$name.txt" || true)
  printf '%-10s %10s req/s   p99 %8s   %s\n' "$name" "$rps" "$p99" "$errors"
}
echo "== $(nproc) cores, wrk -t $THREADS -c $CONNECTIONS -d $DURATION, $(date -u +%Y-%m-%dT%H:%MZ)"
run cambista "$cambista_url" -H "Authorization: Bearer $key"
run nginx "http://127.0.0.1:$nginx_port/assets.json"
run nginx+log "http://127.0.0.1:$nginx_logged_port/assets.json"
