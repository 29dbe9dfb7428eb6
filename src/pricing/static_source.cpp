#include "pricing/static_source.hpp"

namespace cambista::pricing {

Result<RateQuote, SourceError> StaticSource::Fetch(const Pair& pair) {
  const auto it = prices_.find(pair.Text());
  if (it == prices_.end()) {
    return Failure{SourceError{SourceError::Kind::kUnknownPair,
                               "no [pricing.static] entry for " + pair.Text()}};
  }
  return RateQuote{it->second.bid, it->second.ask, clock_.NowMs()};
}

}  // namespace cambista::pricing
