#!/usr/bin/env bash
# The response check (check_responses.mjs) on a small document shaped like /openapi.json: matching
# responses pass; each kind of drift (an undocumented member, status, media type, problem code or
# route, a body that is not JSON, no records at all) fails and is named.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
if [[ ! -d $root/node_modules/ajv ]]; then
  echo "node_modules lacks ajv (./dev installs it): skipped"
  exit 77
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
checks=0

cat >"$work/openapi.json" <<'JSON'
{"openapi":"3.1.0","info":{"title":"t","version":"1"},"paths":{
 "/things/{id}":{"get":{"responses":{
  "200":{"description":"OK","content":{"application/json":{"schema":{"$ref":"#/components/schemas/Thing"}}}},
  "404":{"description":"Problem","content":{"application/problem+json":{"schema":{"allOf":[
   {"$ref":"#/components/schemas/Problem"},
   {"properties":{"status":{"const":404},"code":{"enum":["not_found"]}}}]}}}}}}},
 "/pic":{"get":{"responses":{"200":{"description":"OK","content":{"image/png":{"schema":{"type":"string"}}}}}}}},
 "components":{"schemas":{
  "Thing":{"type":"object","required":["id","at"],"additionalProperties":false,
   "properties":{"id":{"type":"string"},"at":{"type":"string","format":"date-time"}}},
  "Problem":{"type":"object","required":["type","title","status","detail","code"],
   "additionalProperties":false,"properties":{"type":{"type":"string"},"title":{"type":"string"},
   "status":{"type":"integer"},"detail":{"type":"string"},"code":{"type":"string"}}}}}}
JSON
thing='{"method":"GET","route":"/things/{id}","status":200,"content_type":"application/json","body":"{\"id\":\"t1\",\"at\":\"2024-05-01T12:00:00.000Z\"}"}'
missing='{"method":"GET","route":"/things/{id}","status":404,"content_type":"application/problem+json","body":"{\"type\":\"/problems/not_found\",\"title\":\"Not found\",\"status\":404,\"detail\":\"No.\",\"code\":\"not_found\"}"}'
picture='{"method":"GET","route":"/pic","status":200,"content_type":"image/png","body_bytes":68}'
unmatched='{"method":"GET","route":null,"status":404,"content_type":"application/problem+json","body":"{\"type\":\"/problems/not_found\",\"title\":\"Not found\",\"status\":404,\"detail\":\"No route.\",\"code\":\"not_found\"}"}'

check_records() {  # check_records WANT_EXIT WANT_OUTPUT RECORDS [ARGS...]
  local want=$1 needle=$2 code=0
  printf '%s' "$3" >"$work/records.jsonl"
  shift 3
  node "$root/tests/e2e/check_responses.mjs" "$@" "$work/openapi.json" "$work/records.jsonl" \
    >"$work/out" 2>&1 || code=$?
  [[ $code -eq $want ]] || fail "exit $code, want $want: $(cat "$work/out")"
  grep -qF -- "$needle" "$work/out" || fail "output lacks '$needle': $(cat "$work/out")"
  checks=$((checks + 1))
}

check_records 0 "4 responses checked, 0 mismatched; 2 of 2 documented operations exercised" \
  "$(printf '%s\n' "$thing" "$missing" "$picture" "$unmatched")"
# A member the schema does not name, a value of the wrong format, a member missing.
check_records 1 "must NOT have additional properties: extra" \
  "$(sed 's/\\"at\\"/\\"extra\\":1,\\"at\\"/' <<<"$thing")"
check_records 1 '/at must match format "date-time"' "$(sed 's/2024-05-01T12:00:00.000Z/yesterday/' <<<"$thing")"
check_records 1 "must have required property 'at'" \
  "$(sed 's/,\\"at\\":\\"2024-05-01T12:00:00.000Z\\"//' <<<"$thing")"
check_records 1 "GET /things/{id} 201: status not documented (documented: 200, 404)" \
  "$(sed 's/"status":200/"status":201/' <<<"$thing")"
check_records 1 "content type image/gif not documented (documented: image/png)" \
  "$(sed 's|image/png|image/gif|' <<<"$picture")"
check_records 1 "/code must be equal to one of the allowed values" "$(sed 's/not_found/gone/g' <<<"$missing")"
check_records 1 "/status must be equal to constant" \
  "$(sed 's/\\"status\\":404/\\"status\\":410/' <<<"$missing")"
check_records 1 "GET /nothing: route not documented" "$(sed 's|/things/{id}|/nothing|' <<<"$thing")"
check_records 1 "body is not JSON" "$(sed 's/"body":"{/"body":"not json{/' <<<"$thing")"
check_records 1 "must get a 404 or 405 problem" "$(sed 's/"status":404/"status":500/' <<<"$unmatched")"
check_records 1 "unreadable record line" "this is not a record"
# One mismatch among good responses fails the whole check, and is counted.
check_records 1 "3 responses checked, 1 mismatched" \
  "$(printf '%s\n' "$thing" "$missing" "$(sed 's/"status":200/"status":202/' <<<"$thing")")"
# Nothing recorded: a wiring fault, unless the caller allows it; an ignored route is not checked.
check_records 1 "no responses recorded" ""
check_records 0 "no responses recorded" "" --allow-empty
check_records 0 "no responses recorded" "$(sed 's|/things/{id}|/self-hook|' <<<"$thing")" \
  --allow-empty --ignore-route /self-hook
echo "check_responses_test: $checks checks passed"
