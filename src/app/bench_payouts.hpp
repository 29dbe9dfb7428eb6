// `cambista bench payouts`: payouts per second from the request to SUBMITTED, through the whole
// path (API key, Idempotency-Key, the payout row with its ledger hold and job, the submit job, the
// provider's HTTP API, the answer recorded), against the Heleket simulator of an embedded
// `serve --sandbox` (a temporary SQLite database, or --db).
//
// It funds a customer and the provider's float (deposits), turns the simulator's own settling off
// (payouts stay SUBMITTED: the figure is the sending), sends one payout untimed, then `n` payouts
// from `concurrency` keep-alive connections (app/bench_load.hpp), and waits until every one is
// SUBMITTED. Latencies come from each payout's own history (created -> SUBMITTED, integer
// milliseconds); `seconds` runs from the first request to the last SUBMITTED. `duplicates` counts
// payouts the simulator holds twice (the same payout under two order_ids, or an order_id held
// twice): it must be 0. Prints one JSON line: n, seconds, per_sec, p50_ms, p99_ms, duplicates,
// with backend, concurrency and errors. Timing is reported, never asserted.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace cambista::app {

struct PayoutBenchOptions {
  int concurrency = 64;
  uint64_t n = 5'000;
  std::optional<std::string> database_url;
  std::string amount = "1.00";  // USDT
};

// 0 when every payout was SUBMITTED once; 1 otherwise; 2 for bad options or a failed start.
int RunPayoutBench(const PayoutBenchOptions& options);

}  // namespace cambista::app
