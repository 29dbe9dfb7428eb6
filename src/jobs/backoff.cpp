#include "jobs/backoff.hpp"

#include <algorithm>
#include <cmath>

#include "core/assert.hpp"

namespace cambista::jobs {
namespace {

uint64_t SeedFrom(uint64_t seed) {
  if (seed != 0) return seed;
  std::random_device device;
  return (static_cast<uint64_t>(device()) << 32) ^ device();
}

}  // namespace

Backoff::Backoff(const BackoffOptions& options)
    : options_(options), random_(SeedFrom(options.seed)) {
  CAMBISTA_CHECK(options_.base_ms >= 0);
  CAMBISTA_CHECK(options_.max_ms >= options_.base_ms);
  CAMBISTA_CHECK(options_.jitter_fraction >= 0.0 && options_.jitter_fraction <= 1.0);
}

int64_t Backoff::NominalDelayMs(int attempts) const {
  const int doublings = std::max(attempts, 1) - 1;
  int64_t delay_ms = options_.base_ms;
  // Doubling stops at the cap, so it cannot overflow whatever the attempt count.
  for (int i = 0; i < doublings && delay_ms < options_.max_ms; ++i) delay_ms *= 2;
  return std::min(delay_ms, options_.max_ms);
}

int64_t Backoff::DelayMs(int attempts) {
  const int64_t nominal_ms = NominalDelayMs(attempts);
  if (options_.jitter_fraction == 0.0 || nominal_ms == 0) return nominal_ms;
  double factor = 1.0;
  {
    std::lock_guard lock(mutex_);
    std::uniform_real_distribution<double> spread(-options_.jitter_fraction,
                                                  options_.jitter_fraction);
    factor += spread(random_);
  }
  const auto jittered_ms =
      static_cast<int64_t>(std::llround(static_cast<double>(nominal_ms) * factor));
  return std::clamp<int64_t>(jittered_ms, 0, options_.max_ms);
}

}  // namespace cambista::jobs
