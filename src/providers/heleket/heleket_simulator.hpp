// The Heleket payout simulator, answering under /sandbox/heleket/ with Heleket's own API (what it
// speaks: the top of heleket_simulator.cpp). It checks each request's `merchant` and `sign`
// headers (a forged one is 401 {state: 1, message}), keeps a balance per currency (a payout above
// it ends `fail`, is_final, with a message: not an HTTP error), holds payouts by order_id (a second
// create answers the first payout), moves a payout from process to paid by itself after
// `auto_settle_ms` (default 2 s; 0: only on command), and sends signed callbacks (md5 `sign` inside
// the JSON, PHP-encoded) to url_callback through the Sandbox's webhook sender.
//
// Its control API (problem+json errors, like the pay-in simulators'):
//   GET  /sandbox/heleket/payouts              every payout held, oldest first, with its callbacks
//   GET  /sandbox/heleket/payouts/{order_id}
//   POST /sandbox/heleket/payouts/{order_id}/{check|paid|fail|cancel|system_fail}
//        {deliveries 0..2 (1), delay_ms, out_of_order (a stale `process` callback follows),
//         is_final (true; false for check), message}
//   POST /sandbox/heleket/faults {order_id, create_status (answer 4xx/5xx, record nothing),
//        answer_delay_ms (record, then answer this late: past the client's deadline it is a
//        timeout after acceptance), callback_before_answer (the `process` callback is delivered
//        before the create call is answered), finish_status + finish_after_ms (the payout ends so
//        by itself, e.g. system_fail), deliveries, out_of_order (for that ending's callbacks)}:
//        applies to the next create of that order_id, once; order_id "*" to the next create of
//        any order_id without a fault of its own (for a caller that fixes its ids itself).
//   GET|POST /sandbox/heleket/settings {auto_settle_ms, page_size (payout/list), balances
//        {currency: "amount"}}
#pragma once

#include <memory>
#include <string_view>

#include "core/clock.hpp"
#include "http/router.hpp"
#include "providers/simulator_kit/sandbox_options.hpp"

namespace cambista::sandbox {

class WebhookSender;

// What the simulator accepts: obviously fake values.
inline constexpr std::string_view kSandboxHeleketMerchant = "00000000-0000-4000-8000-000000000001";
inline constexpr std::string_view kSandboxHeleketPayoutApiKey = "sandbox-heleket-payout-api-key";
SandboxCredentialMap HeleketSandboxCredentials();  // merchant, payout_api_key

class HeleketSimulator {
 public:
  // Starts its timer thread. `clock` dates payouts; timers run in real time, as webhooks do.
  // `sender` must be stopped (WebhookSender::Stop) before the simulator is destroyed: its reports
  // of deliveries come back into the simulator (Sandbox::Stop does both).
  HeleketSimulator(const Clock& clock, WebhookSender& sender);
  ~HeleketSimulator();  // Stop()
  HeleketSimulator(const HeleketSimulator&) = delete;
  HeleketSimulator& operator=(const HeleketSimulator&) = delete;

  // Heleket's routes and the control API, all "public". Must outlive the router's use.
  void AddRoutes(http::Router& router);
  // Stops the timer thread: pending settlements are dropped and delayed answers are released
  // unanswered. Idempotent.
  void Stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace cambista::sandbox
