#!/usr/bin/env bash
# Black-box test of the cambista binary: every subcommand's --help, migrate, bench ledger,
# ledger verify's exit codes, the master key's seal (another key refused by migrate and serve, the
# environment's key too) and its rotation, and `keys create --expires-in` / `keys list`, on SQLite
# and (when CAMBISTA_TEST_PG_URL is set) on PostgreSQL. The responses its servers give are recorded
# and checked against /openapi.json at the end (check_responses.mjs).
set -euo pipefail
bin=$1
root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
pg_db=""
pid=""
cleanup() {
  [[ -n $pid ]] && kill -KILL "$pid" 2>/dev/null || true
  [[ -n $pg_db ]] && psql -q -X "$CAMBISTA_TEST_PG_URL" -c "DROP DATABASE IF EXISTS $pg_db WITH (FORCE)" || true
  rm -rf "$work"
}
trap cleanup EXIT
# Every server below appends its responses here (bodies included: a webhook endpoint's creation
# answer shows its secret once; the file stays in this test's temporary directory).
export CAMBISTA_TESTING_RECORD_RESPONSES=$work/responses.jsonl
fail() { echo "FAIL: $*" >&2; exit 1; }
checks=0
check() { checks=$((checks + 1)); }

grep -q "migrate" <<<"$("$bin" --help)" || fail "--help lists no subcommands"; check
for sub in "migrate" "ledger" "ledger verify" "bench" "bench ledger" "master-key" "master-key rotate" \
  "keys create" "keys list"; do
  # shellcheck disable=SC2086
  "$bin" $sub --help >/dev/null || fail "$sub --help"; check
done
grep -q -- "--concurrency" <<<"$("$bin" bench ledger --help)" || fail "bench ledger --help"; check
rotate_help=$("$bin" master-key rotate --help)
for word in "--replace-current-file" "--new" "Stop every" "one transaction"; do
  grep -q -- "$word" <<<"$rotate_help" || fail "master-key rotate --help lacks $word"
done
check
grep -q -- "--expires-in" <<<"$("$bin" keys create --help)" || fail "keys create --help"; check
grep -q -- "metrics:read" <<<"$("$bin" keys create --help)" || fail "keys create --help scopes"; check

if "$bin" migrate --db "mysql://nope" 2>"$work/err"; then fail "bad URL accepted"; fi
grep -qi "url" "$work/err" || fail "bad URL error does not say why: $(cat "$work/err")"; check

run_backend() {  # run_backend DB_URL BACKEND KEY_FILE
  local db=$1 backend=$2 key=$3
  # A fresh database gets every migration, from 1 up to the current version (not pinned here, so
  # that adding a migration does not edit this test).
  local migrated
  migrated=$("$bin" migrate --db "$db" --master-key-file "$key")
  [[ $migrated =~ \"current_version\":([0-9]+),\"applied\":\[1,[0-9,]*,([0-9]+)\] &&
     ${BASH_REMATCH[1]} == "${BASH_REMATCH[2]}" ]] || fail "migrate on $backend: $migrated"; check
  grep -q '"applied":\[\]' <<<"$("$bin" migrate --db "$db" --master-key-file "$key")" ||
    fail "second migrate not a no-op"; check
  local last
  last=$("$bin" bench ledger --db "$db" --transfers 3000 --concurrency 16 --accounts 200 2>"$work/bench.err" | tail -n 1) ||
    fail "bench ledger on $backend exited with an error: $(tail -n 3 "$work/bench.err")"
  [[ $last =~ ^\{\"backend\":\"$backend\",\"transfers\":3000,\"concurrency\":16,\"seconds\":[0-9.]+,\"transfers_per_sec\":[0-9]+\}$ ]] ||
    fail "bench ledger last line on $backend: $last"; check
  local verify
  verify=$("$bin" ledger verify --db "$db") || fail "ledger verify on a clean $backend ledger"
  [[ $verify == *'"consistent":true'* && $verify == *'"transfers":3000'* ]] ||
    fail "verify summary: $verify"; check
  keys_expiry "$db" "$backend" "$key"
}

# `keys create --expires-in`: each unit, refusals that say why, and `keys list` showing the expiry.
keys_expiry() {  # keys_expiry DB_URL BACKEND KEY_FILE
  local db=$1 backend=$2 keyfile=$3
  local lifetime seconds
  for lifetime in 90d:7776000 12h:43200 30m:1800 45s:45 2w:1209600; do
    seconds=${lifetime#*:}
    "$bin" keys create --db "$db" --master-key-file "$keyfile" --tenant "t-${lifetime%%:*}" \
      --scopes metrics:read --expires-in "${lifetime%%:*}" >/dev/null 2>"$work/create.err" ||
      fail "keys create --expires-in ${lifetime%%:*} on $backend: $(cat "$work/create.err")"
    local line created expires
    line=$("$bin" keys list --db "$db" --master-key-file "$keyfile" | grep "\"tenant\":\"t-${lifetime%%:*}\"")
    created=$(grep -oE '"created_at_ms":[0-9]+' <<<"$line" | cut -d: -f2)
    expires=$(grep -oE '"expires_at_ms":[0-9]+' <<<"$line" | cut -d: -f2)
    [[ -n $created && -n $expires && $((expires - created)) -eq $((seconds * 1000)) ]] ||
      fail "--expires-in ${lifetime%%:*} on $backend listed as $line"
    [[ $line =~ \"expires_at\":\"20[0-9]{2}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z\",\"expired\":false\} ]] ||
      fail "keys list expiry on $backend: $line"
    check
  done
  "$bin" keys create --db "$db" --master-key-file "$keyfile" --tenant forever --scopes admin \
    >/dev/null 2>"$work/create.err"
  grep -q 'never expiring' "$work/create.err" || fail "a key without expiry: $(cat "$work/create.err")"
  "$bin" keys list --db "$db" --master-key-file "$keyfile" |
    grep -q '"tenant":"forever",.*"expires_at_ms":null,"expires_at":null,"expired":false}' ||
    fail "keys list of a key that never expires on $backend"
  check
  local bad code
  for bad in 90 90y 0d -5d 1.5h 3661d d 90D; do
    code=0
    "$bin" keys create --db "$db" --master-key-file "$keyfile" --tenant bad --scopes admin \
      --expires-in="$bad" >"$work/out" 2>"$work/create.err" || code=$?
    [[ $code -eq 2 && ! -s $work/out ]] || fail "--expires-in $bad exited $code, printed $(cat "$work/out")"
    grep -q -- "--expires-in \"$bad\": the lifetime" "$work/create.err" ||
      fail "--expires-in $bad does not say why: $(cat "$work/create.err")"
    check
  done
  ! "$bin" keys list --db "$db" --master-key-file "$keyfile" | grep -q '"tenant":"bad"' ||
    fail "a refused --expires-in still created a key"
  check
}

# The database's content, to show that a refused command wrote nothing.
snapshot() {  # snapshot DB_URL
  if [[ $1 == sqlite:* ]]; then
    sqlite3 "${1#sqlite:}" .dump | md5sum
  else
    pg_dump --no-owner "$1" | grep -v -e '^--' -e '^\\restrict' -e '^\\unrestrict' | md5sum
  fi
}

sql() {  # sql DB_URL STATEMENT
  if [[ $1 == sqlite:* ]]; then sqlite3 "${1#sqlite:}" "$2"; else psql -q -X -At "$1" -c "$2"; fi
}

# refused DB_URL NEEDLE [VAR=VALUE...] COMMAND...: the command exits non-zero at once, names
# NEEDLE on stderr, never listens, and leaves the database as it was.
refused() {
  local db=$1 needle=$2 before code=0
  shift 2
  before=$(snapshot "$db")
  timeout 60 env "$@" >"$work/out" 2>"$work/err" || code=$?
  [[ $code -ne 0 && $code -ne 124 ]] || fail "not refused (exit $code): $*"
  grep -qF -- "$needle" "$work/err" || fail "refusal does not name '$needle': $(cat "$work/err")"
  grep -q "listening" "$work/out" && fail "$* listened"
  [[ $(snapshot "$db") == "$before" ]] || fail "$* changed the database"
  check
}

start() {  # start DB_URL KEY_FILE: serve in the background; sets base
  rm -f "$work/serve.out" "$work/serve.err"
  # A gateway URL, so that credentials for it can be stored (nothing is sent to it here); endpoint
  # hosts are not resolved (this machine resolves no public name).
  CAMBISTA_GATEWAYS_PUSHINPAY_URL=http://127.0.0.1:9 CAMBISTA_SECURITY_MASTER_KEY_FILE="$2" \
    CAMBISTA_WEBHOOKS_ALLOW_PRIVATE_ADDRESSES=true \
    "$bin" serve --db "$1" --listen 127.0.0.1:0 \
    >"$work/serve.out" 2>"$work/serve.err" &
  pid=$!
  for _ in $(seq 1 200); do
    grep -q "listening on" "$work/serve.out" 2>/dev/null && break
    kill -0 "$pid" 2>/dev/null || fail "serve exited: $(cat "$work/serve.err")"
    sleep 0.05
  done
  [[ $(head -n 1 "$work/serve.out") =~ ^listening\ on\ (http://127\.0\.0\.1:[0-9]+)$ ]] ||
    fail "serve did not listen: $(cat "$work/serve.err")"
  base=${BASH_REMATCH[1]}
}

stop() {
  kill -TERM "$pid"
  local code=0
  wait "$pid" || code=$?
  pid=""
  [[ $code -eq 0 ]] || fail "serve exited $code"
}

# The master key's seal and its rotation, on a database migrated and sealed with KEY_FILE.
seal_and_rotate() {  # seal_and_rotate DB_URL KEY_FILE
  local db=$1 key=$2 other=$work/other.key
  # Another key file, made by the binary for a scratch database.
  [[ -f $other ]] || "$bin" migrate --db "sqlite:$work/scratch.db" --master-key-file "$other" >/dev/null
  grep -q '"seal":"checked"' <<<"$("$bin" migrate --db "$db" --master-key-file "$key")" ||
    fail "second migrate did not check the seal"
  check
  refused "$db" "the master key file $other is not this database's master key" \
    "$bin" migrate --db "$db" --master-key-file "$other"
  refused "$db" "the master key file $other" \
    CAMBISTA_SECURITY_MASTER_KEY_FILE="$other" "$bin" serve --db "$db" --listen 127.0.0.1:0
  refused "$db" "the master key in CAMBISTA_SECURITY_MASTER_KEY" \
    CAMBISTA_SECURITY_MASTER_KEY="$(cat "$other")" "$bin" serve --db "$db" --listen 127.0.0.1:0
  grep -qF "$(cat "$other")" "$work/err" && fail "a refusal printed the key"
  refused "$db" "the master key file $work/missing.key does not exist" \
    "$bin" migrate --db "$db" --master-key-file "$work/missing.key"
  [[ -e $work/missing.key ]] && fail "a missing key file was created"

  # A secret of every kind: an API key with TOTP (CLI); gateway credentials, a webhook endpoint
  # and the stored idempotent response holding its secret (HTTP).
  local admin endpoint
  admin=$("$bin" keys create --db "$db" --master-key-file "$key" --tenant acme --scopes admin \
    2>/dev/null | tail -n 1)
  "$bin" keys totp-enroll --db "$db" --master-key-file "$key" --prefix "$(cut -d_ -f2 <<<"$admin")" \
    >/dev/null 2>&1 || fail "keys totp-enroll"
  start "$db" "$key"
  curl -sf -o "$work/openapi.json" "$base/openapi.json" || fail "GET /openapi.json"
  curl -sf -o /dev/null -X PUT -H "Authorization: Bearer $admin" \
    -d '{"credentials":{"api_key":"acme-pushinpay-key"}}' "$base/v1/gateways/pushinpay" ||
    fail "PUT /v1/gateways/pushinpay"
  local post=(-s -X POST -H "Authorization: Bearer $admin" -H "Idempotency-Key: rotate-1"
    -d '{"url":"https://hooks.example.com/cambista","event_types":["charge.paid"]}')
  curl "${post[@]}" -o "$work/endpoint" "$base/v1/webhook-endpoints" || fail "POST /v1/webhook-endpoints"
  stop
  grep -q '"secret":"whsec_' "$work/endpoint" || fail "endpoint: $(cat "$work/endpoint")"
  endpoint=$(grep -oE '"id":"we_[0-9a-f]+"' "$work/endpoint" | cut -d'"' -f4)

  # A value that does not open: the rotation fails, naming it, and changes nothing.
  local hex bad
  if [[ $db == sqlite:* ]]; then
    hex=$(sql "$db" "SELECT lower(hex(secret_sealed)) FROM webhook_endpoints")
  else
    hex=$(sql "$db" "SELECT encode(secret_sealed, 'hex') FROM webhook_endpoints")
  fi
  bad=${hex%?}$([[ ${hex: -1} == 0 ]] && echo 1 || echo 0)  # the tag's last digit altered
  sealed_literal() { [[ $db == sqlite:* ]] && echo "X'$1'" || echo "decode('$1', 'hex')"; }
  sql "$db" "UPDATE webhook_endpoints SET secret_sealed = $(sealed_literal "$bad")"
  refused "$db" "webhook_endpoints.secret_sealed of the row id=$endpoint does not open" \
    "$bin" master-key rotate --db "$db" --master-key-file "$key" --new "$work/unused.key"
  sql "$db" "UPDATE webhook_endpoints SET secret_sealed = $(sealed_literal "$hex")"

  # The rotation: everything re-sealed in one go; no key printed.
  rm -f "$work/rotated.key"
  "$bin" master-key rotate --db "$db" --master-key-file "$key" --new "$work/rotated.key" \
    >"$work/rotate.out" 2>"$work/rotate.err" || fail "rotate: $(cat "$work/rotate.err")"
  [[ $(cat "$work/rotate.out") =~ ^\{\"resealed\":\{\"gateway_credentials\":1,\"api_keys\":1,\"idempotency_keys\":1,\"webhook_endpoints\":1,\"database_seal\":1\},\"fingerprint\":\"[0-9a-f]{16}\"\}$ ]] ||
    fail "rotate printed: $(cat "$work/rotate.out")"
  grep -q "Created $work/rotated.key with a new master key" "$work/rotate.err" ||
    fail "rotate did not say it created the file: $(cat "$work/rotate.err")"
  grep -q "From now on set security.master_key_file" "$work/rotate.err" || fail "no advice: $(cat "$work/rotate.err")"
  [[ $(stat -c %a "$work/rotated.key") == 600 ]] || fail "new key file is not mode 600"
  grep -qF -e "$(cat "$key")" -e "$(cat "$work/rotated.key")" "$work/rotate.out" "$work/rotate.err" &&
    fail "rotate printed a key"
  check

  # The old key is refused; with the new one the API key, the stored response and the gateway
  # credentials all work.
  refused "$db" "the master key file $key is not this database's master key" \
    CAMBISTA_SECURITY_MASTER_KEY_FILE="$key" "$bin" serve --db "$db" --listen 127.0.0.1:0
  start "$db" "$work/rotated.key"
  curl -s -o "$work/gateways" -H "Authorization: Bearer $admin" "$base/v1/gateways"
  grep -q '"gateway":"pushinpay".*"credentials":\["api_key"\]' "$work/gateways" ||
    fail "gateways after rotation: $(cat "$work/gateways")"
  curl "${post[@]}" -o "$work/replayed" -D "$work/replayed.headers" "$base/v1/webhook-endpoints" ||
    fail "replay"
  cmp -s "$work/endpoint" "$work/replayed" || fail "replay after rotation: $(cat "$work/replayed")"
  grep -qi "idempotent-replayed: true" "$work/replayed.headers" || fail "not a replay"
  stop
  grep -q '"tenant":"acme"' <<<"$("$bin" keys list --db "$db" --master-key-file "$work/rotated.key")" ||
    fail "keys list with the new key"
  check
}

run_backend "sqlite:$work/e2e.db" sqlite "$work/e2e.db.key"
seal_and_rotate "sqlite:$work/e2e.db" "$work/e2e.db.key"
# The default key file (<db path>.key) replaced by the new one after the commit.
"$bin" migrate --db "sqlite:$work/default.db" >/dev/null
"$bin" master-key rotate --db "sqlite:$work/default.db" --new "$work/default.next" \
  --replace-current-file >"$work/out" 2>"$work/err" || fail "rotate --replace-current-file: $(cat "$work/err")"
[[ ! -e $work/default.next && $(stat -c %a "$work/default.db.key") == 600 ]] ||
  fail "the new key was not moved over the default file"
grep -q "Moved $work/default.next over $work/default.db.key" "$work/err" || fail "$(cat "$work/err")"
grep -q '"seal":"checked"' <<<"$("$bin" migrate --db "sqlite:$work/default.db")" ||
  fail "the default file does not open the database after --replace-current-file"
check
# Tamper with one balance: verify must exit 1 and name it.
sqlite3 "$work/e2e.db" "UPDATE ledger_accounts SET credits_posted = credits_posted || '7' WHERE id = (SELECT id FROM ledger_accounts ORDER BY id LIMIT 1)"
set +e
"$bin" ledger verify --db "sqlite:$work/e2e.db" >"$work/out" 2>"$work/err"
code=$?
set -e
[[ $code -eq 1 ]] || fail "verify of a tampered ledger exited $code"; check
grep -q "credits_posted is" "$work/err" || fail "discrepancy not named: $(cat "$work/err")"; check
grep -q '"consistent":false' "$work/out" || fail "summary does not say inconsistent"; check

if [[ -n ${CAMBISTA_TEST_PG_URL:-} ]]; then
  pg_db="cli_e2e_$$_$RANDOM"
  psql -q -X "$CAMBISTA_TEST_PG_URL" -c "CREATE DATABASE $pg_db"
  run_backend "${CAMBISTA_TEST_PG_URL%/*}/$pg_db" postgresql "$work/pg.key"
  seal_and_rotate "${CAMBISTA_TEST_PG_URL%/*}/$pg_db" "$work/pg.key"
else
  echo "CAMBISTA_TEST_PG_URL not set: PostgreSQL leg skipped" >&2
fi
if [[ -d $root/node_modules/ajv ]]; then
  node "$root/tests/e2e/check_responses.mjs" "$work/openapi.json" "$work/responses.jsonl" \
    >"$work/responses.check" || fail "responses differ from /openapi.json:
$(cat "$work/responses.check")"
  tail -n 1 "$work/responses.check"
  check
else
  echo "node_modules lacks ajv (./dev installs it): response check skipped" >&2
fi
echo "cli_test: $checks checks passed"
