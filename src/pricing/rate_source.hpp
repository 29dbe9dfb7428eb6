// The port every rate source implements (pricing/static_source.hpp, pricing/sandbox_feed.hpp and
// the outside providers' adapters in providers/binance_p2p/ and providers/criptoya/), the list of
// them the providers module hands over, and, for `serve --sandbox`, the market all the sandbox's
// sources quote.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "pricing/model.hpp"

namespace cambista::pricing {

// One source of bid/ask quotes. Fetch may block on the network (under the source's own deadline)
// and is called by one poller at a time, but must be safe to call from any thread.
class RateSource {
 public:
  virtual ~RateSource() = default;
  // "binance_p2p", "criptoya", "static", "sandbox": how configuration, logs and /v1/rates name it.
  virtual std::string_view name() const = 0;
  // Whether the source can price `pair` at all (the static source only has the configured pairs);
  // a pair it does not cover is not asked, and not held against its circuit breaker.
  virtual bool Covers(const Pair& pair) const {
    (void)pair;
    return true;
  }
  // The least time between two fetches of one pair, as the provider asks (Binance P2P: about
  // once a minute); the poller reuses the last answer in between.
  virtual int64_t MinIntervalMs() const { return 0; }
  // The source's bid and ask now. The source checks that ask > bid (kCrossed otherwise).
  virtual Result<RateQuote, SourceError> Fetch(const Pair& pair) = 0;
};

// The outside sources the providers module built (providers/module.cpp): in the sandbox each at
// its simulator, else at its configured URL. The pricing module uses those `pricing.sources`
// names.
class RateSourceDirectory {
 public:
  void Add(std::unique_ptr<RateSource> source) { sources_.push_back(std::move(source)); }
  RateSource* Find(std::string_view name) const {
    for (const auto& source : sources_) {
      if (source->name() == name) return source.get();
    }
    return nullptr;
  }

 private:
  std::vector<std::unique_ptr<RateSource>> sources_;
};

// The sandbox's market: in `serve --sandbox`, PUT /sandbox/rates/{pair} moves every simulated
// source of the pair together (the sandbox feed and the outside providers' simulators), and
// POST /sandbox/rates/stop|start stops or restarts them all, so that the reference rate follows
// (the providers module provides one over its simulators; each simulator also has its own control
// routes, to move or fail one alone).
class SandboxMarket {
 public:
  virtual ~SandboxMarket() = default;
  virtual void SetPrice(const Pair& pair, const Rate& bid, const Rate& ask) = 0;
  virtual void SetRunning(bool running) = 0;
};

// Where every simulated source starts in `serve --sandbox`: the simulators' initial state, so that
// a fresh sandbox server can quote at once. Never used outside the sandbox (there a price comes
// from a source or from [pricing.static], or there is none).
struct SandboxPrice {
  std::string_view pair;  // "USDT/BRL"
  std::string_view bid;
  std::string_view ask;
};
std::span<const SandboxPrice> SandboxStartingPrices();

}  // namespace cambista::pricing
