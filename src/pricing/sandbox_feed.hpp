// The `sandbox` source of `serve --sandbox`: a bid and ask per pair held in memory, set by
// PUT /sandbox/rates/{pair}, starting from the sandbox's book (SandboxStartingPrices). Stopped
// (POST /sandbox/rates/stop) it fails every fetch as a dead feed would, until it is started again.
// Thread-safe.
#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "core/clock.hpp"
#include "pricing/rate_source.hpp"

namespace cambista::pricing {

class SandboxFeed final : public RateSource {
 public:
  static constexpr std::string_view kName = "sandbox";
  // Starts from SandboxStartingPrices(), running.
  explicit SandboxFeed(const Clock& clock);

  std::string_view name() const override { return kName; }
  bool Covers(const Pair& pair) const override;
  Result<RateQuote, SourceError> Fetch(const Pair& pair) override;

  // ask must exceed bid (the caller checks: the route answers 400 otherwise).
  void Set(const Pair& pair, const Rate& bid, const Rate& ask);
  void SetRunning(bool running);
  bool running() const;
  // The price held for `pair`, if any.
  std::optional<RateQuote> Held(const Pair& pair) const;

 private:
  struct Entry {
    Rate bid;
    Rate ask;
    int64_t set_at_ms;
  };
  const Clock& clock_;
  mutable std::mutex mutex_;
  std::map<std::string, Entry, std::less<>> book_;
  bool running_ = true;
};

}  // namespace cambista::pricing
