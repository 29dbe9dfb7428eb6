#include "pricing/sandbox_feed.hpp"

#include "core/assert.hpp"

namespace cambista::pricing {

SandboxFeed::SandboxFeed(const Clock& clock) : clock_(clock) {
  for (const SandboxPrice& price : SandboxStartingPrices()) {
    const auto pair = ParsePair(price.pair);
    CAMBISTA_CHECK(pair.has_value());
    Set(*pair, ParseProviderRate(price.bid).value(), ParseProviderRate(price.ask).value());
  }
}

bool SandboxFeed::Covers(const Pair& pair) const {
  std::lock_guard lock(mutex_);
  return book_.contains(pair.Text());
}

Result<RateQuote, SourceError> SandboxFeed::Fetch(const Pair& pair) {
  std::lock_guard lock(mutex_);
  if (!running_) {
    return Failure{SourceError{SourceError::Kind::kUnavailable, "the sandbox feed is stopped"}};
  }
  const auto it = book_.find(pair.Text());
  if (it == book_.end()) {
    return Failure{SourceError{SourceError::Kind::kUnknownPair,
                               "the sandbox feed has no price for " + pair.Text()}};
  }
  // Observed now: a feed that answers is as fresh as its answer.
  return RateQuote{it->second.bid, it->second.ask, clock_.NowMs()};
}

void SandboxFeed::Set(const Pair& pair, const Rate& bid, const Rate& ask) {
  CAMBISTA_CHECK(ask.units() > bid.units());
  std::lock_guard lock(mutex_);
  book_.insert_or_assign(pair.Text(), Entry{bid, ask, clock_.NowMs()});
}

void SandboxFeed::SetRunning(bool running) {
  std::lock_guard lock(mutex_);
  running_ = running;
}

bool SandboxFeed::running() const {
  std::lock_guard lock(mutex_);
  return running_;
}

std::optional<RateQuote> SandboxFeed::Held(const Pair& pair) const {
  std::lock_guard lock(mutex_);
  const auto it = book_.find(pair.Text());
  if (it == book_.end()) return std::nullopt;
  return RateQuote{it->second.bid, it->second.ask, it->second.set_at_ms};
}

}  // namespace cambista::pricing
