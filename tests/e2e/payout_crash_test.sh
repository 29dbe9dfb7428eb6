#!/usr/bin/env bash
# The payouts' crash test (issue criterion 10): a SIGKILL between "sent to the provider" and
# "recorded", then a restart, leaves exactly one payout at the provider.
#
# Two real processes. A, `cambista serve --sandbox`, only hosts the Heleket simulator (A/sandbox/
# heleket, its fixed sandbox credentials). B, `cambista serve` without the sandbox and with its own
# database, pays out through it as a desk's configured provider: payouts.providers.heleket.url is
# A's simulator, the credentials are CAMBISTA_HELEKET_MERCHANT and _PAYOUT_API_KEY. The simulator
# is told to accept the next create and hold its answer; B creates a payout; once the simulator
# holds it, B is killed with SIGKILL, so B never heard the answer: the payout is UNKNOWN in B's
# database (committed before the call, with a track job). B restarted on the same database must
# resolve it by asking the provider by its reference (Fetch), never by sending it again: it reaches
# SUBMITTED by the provider's word after the restart, the simulator holds exactly one payout with
# that order_id, made by one create request, and it still does once the payout's submit job is
# finished. The ledger verifies.
#
# First, B refuses to start (exit 2) when the url is set but a credential is missing or malformed,
# naming the variable and never printing a value. On SQLite, and on PostgreSQL when
# CAMBISTA_TEST_PG_URL is set. Every wait polls against a generous deadline; none is an assertion.
set -euo pipefail
bin=$1
work=$(mktemp -d)
a_pid=""
b_pid=""
pg_db=""
cleanup() {
  for pid in "$a_pid" "$b_pid"; do [[ -n $pid ]] && kill -KILL "$pid" 2>/dev/null || true; done
  [[ -n $pg_db ]] && psql -q -X "$CAMBISTA_TEST_PG_URL" -c "DROP DATABASE IF EXISTS $pg_db WITH (FORCE)" || true
  rm -rf "$work"
}
trap cleanup EXIT
fail() {
  echo "FAIL: $*" >&2
  for log in a b; do
    [[ -f $work/$log.err ]] && { echo "--- $log's log (tail)" >&2; tail -n 20 "$work/$log.err" >&2; }
  done
  exit 1
}
checks=0
check() { checks=$((checks + 1)); }

# The simulator's fixed credentials (providers/heleket/heleket_simulator.hpp).
merchant=00000000-0000-4000-8000-000000000001
api_key=sandbox-heleket-payout-api-key
tron=TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t

start() {  # start NAME serve-args...: NAME_pid, NAME_url; the caller's environment applies
  local name=$1
  shift
  rm -f "$work/$name.out" "$work/$name.err"
  "$bin" serve --listen 127.0.0.1:0 "$@" >"$work/$name.out" 2>"$work/$name.err" &
  local pid=$!
  printf -v "${name}_pid" '%s' "$pid"
  for _ in $(seq 1 600); do
    grep -q "listening on" "$work/$name.out" 2>/dev/null && break
    kill -0 "$pid" 2>/dev/null || fail "$name exited before listening"
    sleep 0.05
  done
  [[ $(head -n 1 "$work/$name.out") =~ ^listening\ on\ (http://127\.0\.0\.1:[0-9]+)$ ]] ||
    fail "$name: first line is not 'listening on http://HOST:PORT': $(head -n 1 "$work/$name.out")"
  printf -v "${name}_url" '%s' "${BASH_REMATCH[1]}"
}

wait_until() {  # wait_until SECONDS WHAT command...: polls the command until it succeeds
  local limit=$1 what=$2
  local deadline=$((SECONDS + limit))
  shift 2
  until "$@"; do
    ((SECONDS < deadline)) || fail "not within $limit s: $what"
    sleep 0.1
  done
}

api() {  # api METHOD PATH [BODY [IDEMPOTENCY_KEY]]: B's answer in $work/body, its status echoed
  local args=(-s -o "$work/body" -w '%{http_code}' -X "$1" -H "Authorization: Bearer $admin")
  [[ $# -ge 3 ]] && args+=(-H 'Content-Type: application/json' -d "$3")
  [[ $# -ge 4 ]] && args+=(-H "Idempotency-Key: $4")
  curl "${args[@]}" "$b_url$2"
}

field() {  # field NAME < JSON: a top-level field of a JSON object, as text
  node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const v=JSON.parse(s)[process.argv[1]];console.log(typeof v==="object"?JSON.stringify(v):v)})' "$1"
}

# The simulator's payouts with this order_id: "<count> <create_requests of the first>".
held() {
  curl -s "$a_url/sandbox/heleket/payouts" | node -e '
    let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{
      const all=JSON.parse(s).data.filter(p=>p.order_id===process.argv[1]);
      console.log(all.length+" "+(all.length?all[0].create_requests:0))})' "$1"
}
holds() { [[ $(held "$1") != "0 "* ]]; }

b_status() { api GET "/v1/payouts/$1" >/dev/null && field status <"$work/body"; }
resolved() { [[ $(b_status "$1") =~ ^(SUBMITTED|CONFIRMED)$ ]]; }

submit_job_done() {  # submit_job_done DB PAYOUT: the payout's payouts.submit job has finished
  local query="SELECT state FROM jobs WHERE kind = 'payouts.submit' AND payload LIKE '%$2'"
  if [[ $1 == sqlite:* ]]; then
    [[ $(sqlite3 "${1#sqlite:}" "$query") == 2 ]]
  else
    [[ $(psql -X -At "$1" -c "$query") == 2 ]]
  fi
}

refused_without_secrets() {  # refused_without_secrets DB VARIABLE: B exits 2 naming VARIABLE
  local code=0
  timeout 120 "$bin" serve --db "$1" --listen 127.0.0.1:0 >"$work/refused.out" 2>"$work/refused.err" ||
    code=$?
  [[ $code -eq 2 ]] || fail "serve exited $code, not 2: $(cat "$work/refused.err")"
  grep -q "$2" "$work/refused.err" || fail "the refusal does not name $2: $(cat "$work/refused.err")"
  grep -qF -e "$api_key" -e "$merchant" "$work/refused.out" "$work/refused.err" &&
    fail "the refusal shows a credential: $(cat "$work/refused.err")"
  check
}

run_backend() {  # run_backend DB_URL
  local db=$1
  export CAMBISTA_SECURITY_MASTER_KEY_FILE=$work/b.key
  admin=$("$bin" keys create --db "$db" --master-key-file "$work/b.key" --tenant default \
    --scopes admin 2>/dev/null | tail -n 1)
  [[ $admin =~ ^cmb_ ]] || fail "keys create printed '$admin'"
  export CAMBISTA_PAYOUTS_PROVIDERS_HELEKET_URL=$a_url/sandbox/heleket
  # A url without its credentials, or with a malformed one, stops serve before it listens.
  CAMBISTA_HELEKET_MERCHANT=$merchant refused_without_secrets "$db" "set CAMBISTA_HELEKET_PAYOUT_API_KEY"
  CAMBISTA_HELEKET_MERCHANT=$merchant CAMBISTA_HELEKET_PAYOUT_API_KEY="$api_key x" \
    refused_without_secrets "$db" "CAMBISTA_HELEKET_PAYOUT_API_KEY: has a space"
  CAMBISTA_HELEKET_MERCHANT=$api_key CAMBISTA_HELEKET_PAYOUT_API_KEY=$api_key \
    refused_without_secrets "$db" "heleket merchant must be a uuid (from CAMBISTA_HELEKET_MERCHANT"

  export CAMBISTA_HELEKET_MERCHANT=$merchant CAMBISTA_HELEKET_PAYOUT_API_KEY=$api_key
  # The track job committed with UNKNOWN asks 10 s after the send (a minute by default): after
  # the restart, soon; before the kill, long after the create has reached the simulator. B's calls
  # may take a minute, so the held answer cannot time out before the kill either.
  export CAMBISTA_PAYOUTS_TRACK_AFTER_SEND_MS=10000 CAMBISTA_WEBHOOKS_TIMEOUT_MS=60000
  start b --db "$db"
  # Logs are written in batches: the line may follow the first line of the output.
  wait_until 10 "B logs its payout providers (names only)" grep -q \
    '"msg":"payout providers","enabled":"heleket","mode":"configured"' "$work/b.err"
  check

  [[ $(api PUT /v1/customers/c1 '{"name":"Ana","document":"V12345678","kyc_level":1}') == 201 ]] ||
    fail "customer: $(cat "$work/body")"
  [[ $(api POST /v1/treasury/deposits \
    '{"account":"customer:c1","asset":"USDT","amount":"100.00","reference":"dep-c1"}' dep-1) == 201 ]] ||
    fail "customer deposit: $(cat "$work/body")"
  [[ $(api POST /v1/treasury/deposits \
    '{"account":"provider:heleket","asset":"USDT","amount":"1000.00","reference":"dep-float"}' dep-2) == 201 ]] ||
    fail "float deposit: $(cat "$work/body")"
  check

  # The simulator accepts the next create and holds its answer for ten minutes.
  [[ $(curl -s -o "$work/a.body" -w '%{http_code}' -X POST -d '{"auto_settle_ms":0}' \
    "$a_url/sandbox/heleket/settings") == 200 ]] || fail "settings: $(cat "$work/a.body")"
  [[ $(curl -s -o "$work/a.body" -w '%{http_code}' -X POST \
    -d '{"order_id":"*","answer_delay_ms":600000}' "$a_url/sandbox/heleket/faults") == 200 ]] ||
    fail "fault: $(cat "$work/a.body")"
  [[ $(api POST /v1/payouts "{\"customer\":\"c1\",\"asset\":\"USDT\",\"amount\":\"25.00\",\"destination\":{\"kind\":\"crypto_address\",\"network\":\"TRON\",\"address\":\"$tron\"},\"origin\":\"manual\",\"reference\":\"crash-1\",\"provider\":\"heleket\"}" po-1) == 201 ]] ||
    fail "payout: $(cat "$work/body")"
  local payout order_id
  payout=$(field id <"$work/body")
  order_id=$(field provider_reference <"$work/body")
  [[ $payout == po_* && -n $order_id ]] || fail "payout answer: $(cat "$work/body")"

  wait_until 60 "the simulator holds B's payout" holds "$order_id"
  kill -KILL "$b_pid"
  wait "$b_pid" 2>/dev/null || true
  b_pid=""
  check

  local restarted_ms
  restarted_ms=$(date +%s%3N)
  start b --db "$db"
  wait_until 120 "the restarted B resolves the payout" resolved "$payout"
  api GET "/v1/payouts/$payout" >/dev/null
  local history
  history=$(field history <"$work/body")
  # Sent once (UNKNOWN committed before the call by the first B), resolved by the restarted B
  # asking the provider: the only way out of UNKNOWN is after the restart, by the provider's word.
  node -e '
    const [history, restarted] = [JSON.parse(process.argv[1]), Number(process.argv[2])];
    const steps = history.map(h => `${h.from}>${h.to}:${h.actor}`).join(" ");
    const out = history.filter(h => h.from === "UNKNOWN");
    if (!steps.startsWith("null>REQUESTED:api:") ||
        !steps.includes(" REQUESTED>UNKNOWN:submit UNKNOWN>SUBMITTED:provider:heleket") ||
        out.length !== 1 || out[0].at_ms < restarted) {
      console.error(`history ${steps}, left UNKNOWN at ${out.map(h => h.at_ms)}, restart ${restarted}`);
      process.exit(1);
    }' "$history" "$restarted_ms" || fail "the payout was not resolved by asking after the restart"
  [[ $(held "$order_id") == "1 1" ]] || fail "the simulator holds $(held "$order_id") (count, creates)"
  check

  # The payout's submit job (the send lanes' crash path) was marked done with UNKNOWN, before the
  # call, or, had the first B died holding it, runs again once its lease is over and finds the
  # payout sent: either way it is finished, and still one payout, one create request.
  wait_until 120 "the submit job is finished" submit_job_done "$db" "$payout"
  [[ $(held "$order_id") == "1 1" ]] || fail "after the submit job: $(held "$order_id") (count, creates)"
  grep -qF -e "$api_key" "$work/b.err" && fail "B's log shows the payout api key"
  check
  kill -TERM "$b_pid"
  wait "$b_pid" || fail "B did not stop cleanly"
  b_pid=""
  "$bin" ledger verify --db "$db" >"$work/verify" 2>&1 || fail "ledger verify: $(cat "$work/verify")"
  check
  unset CAMBISTA_HELEKET_MERCHANT CAMBISTA_HELEKET_PAYOUT_API_KEY CAMBISTA_PAYOUTS_PROVIDERS_HELEKET_URL
}

# A holds an answer for ten minutes: on SIGTERM it gives in-flight requests one second.
CAMBISTA_SERVER_SHUTDOWN_GRACE_MS=1000 start a --sandbox --db "sqlite:$work/a.db"
run_backend "sqlite:$work/b.db"
if [[ -n ${CAMBISTA_TEST_PG_URL:-} ]]; then
  pg_db="payout_crash_e2e_$$_$RANDOM"
  psql -q -X "$CAMBISTA_TEST_PG_URL" -c "CREATE DATABASE $pg_db"
  run_backend "${CAMBISTA_TEST_PG_URL%/*}/$pg_db"
  psql -q -X "$CAMBISTA_TEST_PG_URL" -c "DROP DATABASE $pg_db WITH (FORCE)"
  pg_db=""
else
  echo "CAMBISTA_TEST_PG_URL not set: PostgreSQL leg skipped" >&2
fi
kill -TERM "$a_pid"
wait "$a_pid" || fail "A did not stop cleanly"
a_pid=""
echo "payout_crash_test: $checks checks passed"
