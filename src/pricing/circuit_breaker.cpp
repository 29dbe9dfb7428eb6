#include "pricing/circuit_breaker.hpp"

namespace cambista::pricing {

std::string_view BreakerStateName(BreakerState state) {
  switch (state) {
    case BreakerState::kClosed:
      return "closed";
    case BreakerState::kOpen:
      return "open";
    case BreakerState::kHalfOpen:
      return "half_open";
  }
  return "closed";
}

bool CircuitBreaker::Allow() {
  std::lock_guard lock(mutex_);
  switch (state_) {
    case BreakerState::kClosed:
      return true;
    case BreakerState::kOpen:
      if (clock_.NowMs() - opened_at_ms_ < options_.cooldown_ms) return false;
      state_ = BreakerState::kHalfOpen;
      probing_ = true;
      return true;
    case BreakerState::kHalfOpen:
      if (probing_) return false;
      probing_ = true;
      return true;
  }
  return false;
}

void CircuitBreaker::RecordSuccess() {
  std::lock_guard lock(mutex_);
  state_ = BreakerState::kClosed;
  failures_ = 0;
  probing_ = false;
}

void CircuitBreaker::RecordFailure() {
  std::lock_guard lock(mutex_);
  ++failures_;
  probing_ = false;
  if (state_ == BreakerState::kHalfOpen || failures_ >= options_.failures_max) {
    state_ = BreakerState::kOpen;
    opened_at_ms_ = clock_.NowMs();
  }
}

BreakerState CircuitBreaker::state() const {
  std::lock_guard lock(mutex_);
  if (state_ == BreakerState::kOpen && clock_.NowMs() - opened_at_ms_ >= options_.cooldown_ms) {
    return BreakerState::kHalfOpen;
  }
  return state_;
}

int64_t CircuitBreaker::consecutive_failures() const {
  std::lock_guard lock(mutex_);
  return failures_;
}

}  // namespace cambista::pricing
