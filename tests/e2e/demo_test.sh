#!/usr/bin/env bash
# `cambista demo` end to end (criterion 6 of the trading issue): on an embedded sandbox server and
# a temporary SQLite database it runs the four flows, prints each one's final line, the ledger
# summary and `ledger verify: ok`, and exits 0. Then `demo --serve` in the background, on a
# database that already has a key recorded as the previous run's: that key is revoked, the printed
# curl call for a quote works as printed, and SIGTERM stops it with exit 0.
set -euo pipefail
bin=$1
work=$(mktemp -d)
pid=""
cleanup() {
  [[ -n $pid ]] && kill -KILL "$pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
fail() {
  echo "FAIL: $*" >&2
  for file in out err serve.out serve.err; do
    [[ -f $work/$file ]] && { echo "--- $file" >&2; cat "$work/$file" >&2; }
  done
  exit 1
}
expect_line() {  # expect_line FILE REGEX
  grep -qE -- "$2" "$1" || fail "no line matching '$2' in $(basename "$1")"
}

# 1. The default: a temporary database, removed afterwards.
code=0
"$bin" demo >"$work/out" 2>"$work/err" || code=$?
[[ $code -eq 0 ]] || fail "demo exited $code"
expect_line "$work/out" '^demo: sandbox server at http://127\.0\.0\.1:[0-9]+ on sqlite:/tmp/'
expect_line "$work/out" '^\[a\] quote 100\.00 BRL -> [0-9.]+ USDT at [0-9.]+ \(qt_[0-9a-f]+\)$'
expect_line "$work/out" '^\[a\] trade tr_[0-9a-f]+ AWAITING_PAYMENT, charge ch_[0-9a-f]+ at [a-z]+, PIX code 000201'
expect_line "$work/out" '^\[a\] paid at [a-z]+ \(sandbox\)$'
expect_line "$work/out" '^\[a\] COMPLETED in [0-9]+\.[0-9] s: payout po_[0-9a-f]+ CONFIRMED \([0-9.]+ USDT to T[A-Za-z0-9]+ via heleket\)$'
expect_line "$work/out" '^\[b\] trade tr_[0-9a-f]+ AWAITING_PAYMENT, charge ch_[0-9a-f]+ at buhopago, '
expect_line "$work/out" '^\[b\] COMPLETED in [0-9]+\.[0-9] s: payout po_[0-9a-f]+ CONFIRMED '
expect_line "$work/out" '^\[c\] EXPIRED in [0-9]+\.[0-9] s: charge ch_[0-9a-f]+ [A-Z_]+, nothing paid out$'
expect_line "$work/out" '^\[d\] REFUNDED in [0-9]+\.[0-9] s: payout po_[0-9a-f]+ FAILED, refund payout po_[0-9a-f]+ CONFIRMED \(80\.00 BRL to PIX key ana@example\.com via pixout\)$'
expect_line "$work/out" '^ledger: '
expect_line "$work/out" '^  fees:trade +BRL +3\.25$'
expect_line "$work/out" '^ledger verify: ok \([0-9]+ accounts, [0-9]+ transfers'
[[ $(tail -n 1 "$work/out") == "demo: 4 of 4 flows ended as expected; ledger verify ok" ]] ||
  fail "last line: $(tail -n 1 "$work/out")"
grep -E '^\[[a-d]\] FAILED:' "$work/out" && fail "a step failed"
db_dir=$(grep -oE 'on sqlite:/tmp/[^ ]+' "$work/out" | head -n 1 | sed 's/^on sqlite://; s:/[^/]*$::')
[[ ! -e $db_dir ]] || fail "the temporary database $db_dir was left behind"
cat "$work/out"

# 2. --serve on a database whose previous run's key is recorded: revoked at start.
"$bin" migrate --db "sqlite:$work/serve.db" >/dev/null
old=$("$bin" keys create --db "sqlite:$work/serve.db" --tenant default --scopes admin 2>/dev/null | tail -n 1)
cut -d_ -f2 <<<"$old" >"$work/key.prefix"
"$bin" demo --serve --db "sqlite:$work/serve.db" --listen 127.0.0.1:0 \
  --key-prefix-file "$work/key.prefix" >"$work/serve.out" 2>"$work/serve.err" &
pid=$!
for _ in $(seq 1 1200); do
  grep -q 'open http://.*/docs' "$work/serve.out" 2>/dev/null && break
  kill -0 "$pid" 2>/dev/null || fail "demo --serve exited before serving"
  sleep 0.1
done
expect_line "$work/serve.out" '^demo: 4 of 4 flows ended as expected; ledger verify ok$'
expect_line "$work/serve.out" 'Ctrl-C stops it'
key=$(grep -A1 '^API key' "$work/serve.out" | tail -n 1 | tr -d ' ')
[[ $key =~ ^cmb_ ]] || fail "no API key printed"
[[ $(cat "$work/key.prefix") == "$(cut -d_ -f2 <<<"$key")" ]] || fail "key.prefix does not hold the new key's prefix"
quote_call=$(grep -E '^  curl .*/v1/quotes -d ' "$work/serve.out") || fail "no curl call for a quote"
status=$(bash -c "${quote_call#  } -s -o '$work/quote' -w '%{http_code}'")
[[ $status == 201 ]] || fail "the printed quote call answered $status: $(cat "$work/quote")"
grep -qE '"id":"qt_[0-9a-f]+".*"amount_in":"100.00"' "$work/quote" || fail "quote: $(cat "$work/quote")"
base=$(grep -oE 'running at http://127\.0\.0\.1:[0-9]+' "$work/serve.out" | cut -d' ' -f3)
status=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $old" "$base/v1/assets")
[[ $status == 401 ]] || fail "the previous run's key still works ($status)"
kill -TERM "$pid"
code=0
wait "$pid" || code=$?
pid=""
[[ $code -eq 0 ]] || fail "demo --serve exited $code after SIGTERM"

# Bad options are refused, not run.
if "$bin" demo --url http://127.0.0.1:9 2>/dev/null; then fail "--url without --key was accepted"; fi
echo "demo: ok"
