// The `static` source: bid and ask per pair from the configuration ([pricing.static.USDT_BRL]
// bid = "5.40", ask = "5.46"), observed "now" at every fetch. For a desk that sets its own prices,
// or as one voice among live sources (then the band drops it once the market moves away). A pair
// without an entry is not covered: the static source has no opinion on it.
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "core/clock.hpp"
#include "pricing/rate_source.hpp"

namespace cambista::pricing {

class StaticSource final : public RateSource {
 public:
  static constexpr std::string_view kName = "static";
  struct Entry {
    Rate bid;
    Rate ask;
  };
  // `prices` by pair text ("USDT/BRL"); each entry's ask must exceed its bid (checked at
  // configuration).
  StaticSource(const Clock& clock, std::map<std::string, Entry, std::less<>> prices)
      : clock_(clock), prices_(std::move(prices)) {}

  std::string_view name() const override { return kName; }
  bool Covers(const Pair& pair) const override { return prices_.contains(pair.Text()); }
  Result<RateQuote, SourceError> Fetch(const Pair& pair) override;

 private:
  const Clock& clock_;
  const std::map<std::string, Entry, std::less<>> prices_;
};

}  // namespace cambista::pricing
