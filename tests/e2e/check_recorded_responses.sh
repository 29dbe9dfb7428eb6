#!/usr/bin/env bash
# Holds the responses the in-process HTTP tests recorded (see tests/CMakeLists.txt) to the OpenAPI
# document that `cambista serve --sandbox` publishes: every route is in it, the simulators' too.
#   check_recorded_responses.sh CAMBISTA_BINARY RECORDS_JSONL
# Exits 77 (ctest: skipped) when no test recorded anything (a filtered run) or node_modules lacks
# ajv (./dev installs it).
set -euo pipefail
bin=$1
records=$2
root=$(cd "$(dirname "$0")/../.." && pwd)
if [[ ! -d $root/node_modules/ajv ]]; then
  echo "node_modules lacks ajv (./dev installs it): recorded responses not checked"
  exit 77
fi
if [[ ! -s $records ]]; then
  echo "no responses were recorded (no recording test ran): nothing to check"
  exit 77
fi
work=$(mktemp -d)
pid=""
cleanup() {
  [[ -n $pid ]] && kill -KILL "$pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
env -u CAMBISTA_TESTING_RECORD_RESPONSES "$bin" serve --db "sqlite:$work/doc.db" \
  --listen 127.0.0.1:0 --sandbox >"$work/out" 2>"$work/err" &
pid=$!
for _ in $(seq 1 200); do
  grep -q "listening on" "$work/out" 2>/dev/null && break
  kill -0 "$pid" 2>/dev/null || { echo "serve exited: $(cat "$work/err")" >&2; exit 1; }
  sleep 0.05
done
url=$(sed -n 's/^listening on //p' "$work/out")
curl -sf -o "$work/openapi.json" "$url/openapi.json" || { echo "GET /openapi.json failed" >&2; exit 1; }
kill -TERM "$pid"
wait "$pid" || true
pid=""
# /self-hook is a route sandbox_test adds to receive the simulators' webhooks itself.
node "$root/tests/e2e/check_responses.mjs" --ignore-route /self-hook "$work/openapi.json" "$records"
