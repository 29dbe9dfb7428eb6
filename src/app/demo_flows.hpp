// The four flows of `cambista demo` (app/demo.hpp), over the HTTP API only, as an integrator and
// the sandbox's payers drive them: the customer, the sandbox rates, then
//   (a) buy USDT with BRL: quote, trade to a TRON address, pay the PIX charge at its sandbox
//       gateway, COMPLETED (the payout CONFIRMED at Heleket);
//   (b) buy USDT with VES: the same through BuhoPago's bank-transfer charge;
//   (c) a trade whose charge expires at the gateway: EXPIRED;
//   (d) a trade whose payout fails at Heleket (a sandbox fault): the payment goes back to the
//       trade's refund PIX key through the PIX send simulator, REFUNDED.
// Each step prints one line on stdout as it happens ("[a] quote 100.00 BRL -> 17.590909 USDT at
// 5.5 (qt_...)"), and so does each change of the trade's status seen while waiting; a flow ends
// with one line naming its final state ("[a] COMPLETED in 2.1 s: ..."), or "[a] FAILED: why".
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "app/api_client.hpp"

namespace cambista::app {

class DemoFlows {
 public:
  // `customer`: the id of the demo's customer (made by Prepare); `flow_timeout_ms`: how long a
  // flow may take from its quote to its final state.
  DemoFlows(ApiClient& api, std::string customer, int64_t flow_timeout_ms);

  // The customer, and the sandbox feed's rates for USDT-BRL and USDT-VES; false (after saying
  // why) when the server cannot run the flows (not in sandbox mode, a key without the scopes).
  bool Prepare();
  bool BuyUsdtWithBrl();            // (a)
  bool BuyUsdtWithVes();            // (b)
  bool TradeThatExpires();          // (c)
  bool PayoutFailsAndIsRefunded();  // (d)
  // The tenant's ledger accounts that hold something (GET /v1/balances), the other customers'
  // left out; false when they could not be read.
  bool PrintLedger();

 private:
  std::optional<std::string> Quote(char tag, std::string_view from, std::string_view amount);
  std::optional<ApiReply> Trade(char tag, const std::string& quote_id, const std::string& extra);
  // POST /sandbox/<gateway>/charges/<id>/<action> for the trade's charge ("pay", "expire").
  bool ChargeAction(char tag, const ApiReply& trade, std::string_view action);
  // Polls the trade until `status`, printing each status it passes; nullopt (after saying why)
  // on a status that cannot lead there or past the flow's deadline.
  std::optional<ApiReply> WaitFor(char tag, const std::string& trade_id, std::string_view status);
  // quote -> trade (with `extra` members) -> the charge's `action` -> `status`.
  std::optional<ApiReply> Run(char tag, std::string_view from, std::string_view amount,
                              const std::string& extra, std::string_view action,
                              std::string_view status);
  std::string PayoutSummary(const std::string& payout_id);
  void Fail(char tag, const std::string& why);
  std::string Elapsed() const;

  ApiClient& api_;
  const std::string customer_;
  const int64_t flow_timeout_ms_;
  int64_t flow_started_us_ = 0;
  int idempotency_keys_ = 0;
  const std::string run_;  // makes this run's Idempotency-Keys unique on a reused database
};

}  // namespace cambista::app
