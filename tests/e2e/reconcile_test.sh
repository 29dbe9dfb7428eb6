#!/usr/bin/env bash
# `cambista reconcile` end to end, beside a `serve --sandbox` on SQLite: a charge paid at the
# SyncPay simulator whose webhook never came is reported (one JSON line, exit 1) with the tenant's
# credentials opened by the master key, and stays PENDING; the Heleket payouts agree (exit 0); a
# gateway without a status API, an unknown name, missing credentials and another master key are
# refused with a message (exit 2).
set -euo pipefail
bin=$1
work=$(mktemp -d)
pid=""
cleanup() {
  [[ -n $pid ]] && kill -KILL "$pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; [[ -f $work/err ]] && cat "$work/err" >&2; exit 1; }

db="sqlite:$work/desk.db"
CAMBISTA_SECURITY_MASTER_KEY_FILE="$work/master.key" \
  "$bin" serve --db "$db" --listen 127.0.0.1:0 --sandbox >"$work/out" 2>"$work/err" &
pid=$!
for _ in $(seq 1 200); do
  grep -q "listening on" "$work/out" 2>/dev/null && break
  kill -0 "$pid" 2>/dev/null || fail "serve exited before listening"
  sleep 0.05
done
base=$(sed -n 's/^listening on //p' "$work/out")
[[ -n $base ]] || fail "serve did not say where it listens"
merchant=$("$bin" keys create --db "$db" --master-key-file "$work/master.key" --tenant default \
  --scopes charges:write,charges:read 2>/dev/null | tail -n 1)
charge=$(curl -sf -X POST -H "Authorization: Bearer $merchant" -H 'Idempotency-Key: rec-1' \
  "$base/v1/charges" -d '{"gateway":"syncpay","amount":"12.34","currency":"BRL"}') ||
  fail "charge not created"
charge_id=$(node -e 'console.log(JSON.parse(process.argv[1]).id)' "$charge")
gateway_id=$(node -e 'console.log(JSON.parse(process.argv[1]).gateway_charge_id)' "$charge")
curl -sf -X POST "$base/sandbox/syncpay/charges/$gateway_id/pay" -d '{"deliveries":0}' >/dev/null ||
  fail "the simulator did not take the payment"

code=0
"$bin" reconcile --db "$db" --master-key-file "$work/master.key" --provider syncpay \
  --url "$base/sandbox/syncpay" --since 1h >"$work/lines" 2>"$work/rec_err" || code=$?
[[ $code -eq 1 ]] || fail "reconcile syncpay exited $code: $(cat "$work/rec_err")"
[[ $(wc -l <"$work/lines") -eq 1 ]] || fail "expected one mismatch line: $(cat "$work/lines")"
node -e '
  const m = JSON.parse(process.argv[1]);
  const want = { kind: "status_differs", provider: "syncpay", reference: process.argv[3],
    charge_id: process.argv[2], payout_id: null, tenant: "default", ours_status: "PENDING",
    ours_amount: "12.34", theirs_amount: "12.34" };
  for (const [k, v] of Object.entries(want)) {
    if (m[k] !== v) { console.error(k, m[k], "!=", v); process.exit(1); }
  }' "$(cat "$work/lines")" "$charge_id" "$gateway_id" || fail "mismatch line: $(cat "$work/lines")"
grep -q "1 charges checked" "$work/rec_err" || fail "no count on stderr: $(cat "$work/rec_err")"
# Reported, not repaired.
[[ $(curl -sf -H "Authorization: Bearer $merchant" "$base/v1/charges/$charge_id") == *'"status":"PENDING"'* ]] ||
  fail "the reconciliation changed the charge"

# The payout provider's side: nothing sent, nothing listed, nothing differs.
code=0
CAMBISTA_HELEKET_MERCHANT=00000000-0000-4000-8000-000000000001 \
  CAMBISTA_HELEKET_PAYOUT_API_KEY=sandbox-heleket-payout-api-key \
  "$bin" reconcile --db "$db" --provider heleket --url "$base/sandbox/heleket" >"$work/lines" \
  2>"$work/rec_err" || code=$?
[[ $code -eq 0 && ! -s $work/lines ]] || fail "reconcile heleket exited $code: $(cat "$work/rec_err")"

refused() {  # refused MESSAGE_FRAGMENT reconcile-args...: exit 2 with the message
  local fragment=$1
  shift
  code=0
  "$bin" reconcile --db "$db" "$@" >/dev/null 2>"$work/rec_err" || code=$?
  [[ $code -eq 2 ]] || fail "reconcile $* exited $code"
  grep -q -- "$fragment" "$work/rec_err" || fail "reconcile $*: $(cat "$work/rec_err")"
}
refused "has no status API" --provider wiinpay --url "$base/sandbox/wiinpay"
refused 'no payout provider or gateway "nope"' --provider nope --url "$base"
refused "set CAMBISTA_HELEKET_MERCHANT" --provider heleket --url "$base/sandbox/heleket"
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$work/other.key"
chmod 600 "$work/other.key"
refused "master key" --master-key-file "$work/other.key" --provider syncpay --url "$base/sandbox/syncpay"
kill -TERM "$pid"
wait "$pid" || true
pid=""
echo "reconcile: ok"
