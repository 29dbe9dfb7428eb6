// `cambista bench flow`: whole buy flows per second against the sandbox, over the HTTP API only:
// quote (BRL -> USDT) -> trade to a TRON address -> the PIX charge paid at its sandbox gateway ->
// the trade COMPLETED (its payout CONFIRMED by the Heleket simulator). On an embedded
// `serve --sandbox` (a temporary SQLite file, or --db) by default, or a running sandbox server
// (--url, --key: an admin key).
//
// Setup, untimed: the sandbox feed's USDT-BRL rate; the Heleket simulator settling each payout
// 1 ms after taking it, with a balance for every flow, and the same USDT on the ledger's float at
// Heleket (a treasury deposit); one customer per worker at KYC level 3 (no daily limit by
// default); one flow as a warm-up. Then `concurrency` workers, each on its own keep-alive
// connection, run flows one after another until `flows` have run; a worker waits for its trade's
// end on the event stream (GET /v1/stream, channel "trades": no polling), or, if the stream says
// nothing for a while, reads the trade.
//
// The figures come from the server's records, read after the run: `seconds` runs from the first
// request to the last trade's COMPLETED (its updated_at_ms), and each flow's latency is its
// payout's SUBMITTED time (GET /v1/payouts/{id} history) minus its charge's paid_at_ms, the path
// from the gateway's webhook to the payout handed to the provider. The last line is one JSON
// object: flows, seconds, flows_per_sec, p50_ms, p99_ms, with backend, concurrency, errors
// (requests that failed) and incomplete (flows that did not reach COMPLETED). Timing is reported,
// never asserted.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace cambista::app {

struct FlowBenchOptions {
  int concurrency = 64;
  uint64_t flows = 2'000;
  std::optional<std::string> database_url;  // embedded server's database
  std::optional<std::string> url;           // a running sandbox server instead
  std::optional<std::string> key;           // its admin API key
  std::string amount = "100.00";            // BRL per flow
  int64_t flow_timeout_ms = 60'000;
};

// 0 when every flow completed; 1 otherwise; 2 for bad options or a failed start or setup.
int RunFlowBench(const FlowBenchOptions& options);

}  // namespace cambista::app
