// What the rate simulators (Binance P2P, CriptoYa) share: their own market, a bid and ask per pair
// starting from the sandbox's book (pricing::SandboxStartingPrices), whether they answer, and the
// control routes that change both:
//   GET  /sandbox/<name>/rates           the simulator's book and whether it fails
//   PUT  /sandbox/<name>/rates/{pair}    {"bid":"5.40","ask":"5.46"} ({pair} as USDT-BRL)
//   POST /sandbox/<name>/fail            its API answers 503 from now on (a dead provider)
//   POST /sandbox/<name>/recover         it answers again
// Thread-safe.
#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "core/amount.hpp"
#include "http/router.hpp"
#include "pricing/model.hpp"

namespace cambista::sandbox {

class SimulatedRateBook {
 public:
  struct Price {
    Rate bid;
    Rate ask;
  };

  SimulatedRateBook();

  std::optional<Price> Find(const pricing::Pair& pair) const;
  // ask must exceed bid (CAMBISTA_CHECK: the routes refuse anything else first).
  void Set(const pricing::Pair& pair, const Rate& bid, const Rate& ask);
  void SetFailing(bool failing);
  bool failing() const;

  // The control routes above, under `prefix` ("/sandbox/binance_p2p"), for `provider` in their
  // summaries. The book must outlive the router's use.
  void AddControlRoutes(http::Router& router, std::string_view prefix, std::string_view provider);

 private:
  std::string BookJson() const;

  mutable std::mutex mutex_;
  std::map<std::string, Price, std::less<>> prices_;  // by "USDT/BRL"
  bool failing_ = false;
};

// The gap between neighbouring simulated quotes of a price: a twentieth of its spread, at least
// one unit (10^-18), so that quotes spread over +-2 steps around bid and ask never cross.
u128 SimulatedStep(const SimulatedRateBook::Price& price);
// `rate` moved by `steps` (negative: down); nothing when that would not be a positive rate.
std::optional<Rate> Stepped(const Rate& rate, u128 step, int steps);

}  // namespace cambista::sandbox
