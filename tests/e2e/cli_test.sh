#!/usr/bin/env bash
# Black-box test of the cambista binary: every subcommand's --help, migrate, bench ledger, and
# ledger verify's exit codes, on SQLite and (when CAMBISTA_TEST_PG_URL is set) on PostgreSQL.
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
for sub in "migrate" "ledger" "ledger verify" "bench" "bench ledger"; do
  # shellcheck disable=SC2086
  "$bin" $sub --help >/dev/null || fail "$sub --help"; check
done
grep -q -- "--concurrency" <<<"$("$bin" bench ledger --help)" || fail "bench ledger --help"; check

if "$bin" migrate --db "mysql://nope" 2>"$work/err"; then fail "bad URL accepted"; fi
grep -qi "url" "$work/err" || fail "bad URL error does not say why: $(cat "$work/err")"; check

run_backend() {
  local db=$1 backend=$2
  # A fresh database gets every migration, from 1 up to the newest, which is then its version.
  local migrated
  migrated=$("$bin" migrate --db "$db")
  [[ $migrated =~ \"current_version\":([0-9]+),\"applied\":\[1,2,[0-9,]*,([0-9]+)\] ]] &&
    [[ ${BASH_REMATCH[1]} == "${BASH_REMATCH[2]}" && ${BASH_REMATCH[1]} -ge 12 ]] ||
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
