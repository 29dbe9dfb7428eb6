// A circuit breaker per rate source: after `failures_max` fetches in a row have failed, the source
// is open (skipped, no call made) for `cooldown_ms` on the injected clock; then it is half-open and
// one fetch goes through as a probe: its success closes the breaker, its failure opens it for
// another cooldown. So a dead provider costs one probe per cooldown instead of a timeout per pair
// and poll. Thread-safe.
#pragma once

#include <cstdint>
#include <mutex>
#include <string_view>

#include "core/clock.hpp"

namespace cambista::pricing {

enum class BreakerState : uint8_t { kClosed = 0, kOpen = 1, kHalfOpen = 2 };  // numbers: metrics

std::string_view BreakerStateName(BreakerState state);  // "closed", "open", "half_open"

struct BreakerOptions {
  int64_t failures_max = 3;      // failures in a row that open it
  int64_t cooldown_ms = 60'000;  // how long it stays open before a probe
};

class CircuitBreaker {
 public:
  CircuitBreaker(const Clock& clock, BreakerOptions options) : clock_(clock), options_(options) {}

  // Whether a fetch may go now. An open breaker whose cooldown has passed becomes half-open and
  // lets exactly this one call through (the probe); further calls wait for its outcome.
  bool Allow();
  void RecordSuccess();
  void RecordFailure();

  // As a reader should see it: an open breaker whose cooldown has passed reads half_open (its
  // next call is the probe).
  BreakerState state() const;
  int64_t consecutive_failures() const;

 private:
  const Clock& clock_;
  const BreakerOptions options_;
  mutable std::mutex mutex_;
  BreakerState state_ = BreakerState::kClosed;
  int64_t failures_ = 0;
  int64_t opened_at_ms_ = 0;
  bool probing_ = false;
};

}  // namespace cambista::pricing
