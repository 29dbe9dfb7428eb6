#!/usr/bin/env bash
# Black-box test of the cambista binary: every subcommand's --help, migrate, bench ledger,
# ledger verify's exit codes, and `keys create --expires-in` / `keys list`, on SQLite and (when
# CAMBISTA_TEST_PG_URL is set) on PostgreSQL.
set -euo pipefail
bin=$1
work=$(mktemp -d)
pg_db=""
cleanup() {
  [[ -n $pg_db ]] && psql -q -X "$CAMBISTA_TEST_PG_URL" -c "DROP DATABASE IF EXISTS $pg_db" || true
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
checks=0
check() { checks=$((checks + 1)); }

grep -q "migrate" <<<"$("$bin" --help)" || fail "--help lists no subcommands"; check
for sub in "migrate" "ledger" "ledger verify" "bench" "bench ledger" "keys create" "keys list"; do
  # shellcheck disable=SC2086
  "$bin" $sub --help >/dev/null || fail "$sub --help"; check
done
grep -q -- "--concurrency" <<<"$("$bin" bench ledger --help)" || fail "bench ledger --help"; check
grep -q -- "--expires-in" <<<"$("$bin" keys create --help)" || fail "keys create --help"; check
grep -q -- "metrics:read" <<<"$("$bin" keys create --help)" || fail "keys create --help scopes"; check

if "$bin" migrate --db "mysql://nope" 2>"$work/err"; then fail "bad URL accepted"; fi
grep -qi "url" "$work/err" || fail "bad URL error does not say why: $(cat "$work/err")"; check

run_backend() {
  local db=$1 backend=$2
  # Every migration applies, the last (whichever engineer's it is) being the current version;
  # 11 (API key expiry) among them.
  local migrated
  migrated=$("$bin" migrate --db "$db")
  [[ $migrated =~ \"current_version\":([0-9]+),\"applied\":\[([0-9,]+)\] ]] ||
    fail "migrate on $backend: $migrated"
  [[ ${BASH_REMATCH[2]} == *",${BASH_REMATCH[1]}" && ,${BASH_REMATCH[2]}, == *,11,* ]] ||
    fail "migrate on $backend: $migrated"; check
  grep -q '"applied":\[\]' <<<"$("$bin" migrate --db "$db")" || fail "second migrate not a no-op"; check
  local last
  last=$("$bin" bench ledger --db "$db" --transfers 3000 --concurrency 16 --accounts 200 2>"$work/bench.err" | tail -n 1) ||
    fail "bench ledger on $backend exited with an error: $(tail -n 3 "$work/bench.err")"
  [[ $last =~ ^\{\"backend\":\"$backend\",\"transfers\":3000,\"concurrency\":16,\"seconds\":[0-9.]+,\"transfers_per_sec\":[0-9]+\}$ ]] ||
    fail "bench ledger last line on $backend: $last"; check
  local verify
  verify=$("$bin" ledger verify --db "$db") || fail "ledger verify on a clean $backend ledger"
  [[ $verify == *'"consistent":true'* && $verify == *'"transfers":3000'* ]] ||
    fail "verify summary: $verify"; check
  keys_expiry "$db" "$backend"
}

# `keys create --expires-in`: each unit, refusals that say why, and `keys list` showing the expiry.
keys_expiry() {  # keys_expiry DB_URL BACKEND
  local db=$1 backend=$2 keyfile=$work/master-$2.key
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

run_backend "sqlite:$work/e2e.db" sqlite
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
  run_backend "${CAMBISTA_TEST_PG_URL%/*}/$pg_db" postgresql
else
  echo "CAMBISTA_TEST_PG_URL not set: PostgreSQL leg skipped" >&2
fi
echo "cli_test: $checks checks passed"
