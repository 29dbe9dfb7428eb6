// Retry delays for failed jobs: exponential in the attempt number, capped, with jitter so that jobs
// that failed together (a provider outage) do not all come back in the same millisecond.
#pragma once

#include <cstdint>
#include <mutex>
#include <random>

namespace cambista::jobs {

struct BackoffOptions {
  int64_t base_ms = 1'000;       // delay after the first failed attempt
  int64_t max_ms = 3'600'000;    // cap, jitter included
  double jitter_fraction = 0.2;  // delay * (1 +- jitter_fraction), uniform; 0 for exact delays
  uint64_t seed = 0;             // 0: seeded from std::random_device
};

// Thread-safe.
class Backoff {
 public:
  explicit Backoff(const BackoffOptions& options);

  // Delay before the next run after `attempts` failed attempts (>= 1):
  // min(max_ms, base_ms * 2^(attempts-1)), jittered, then kept within [0, max_ms].
  int64_t DelayMs(int attempts);

  // The same without jitter: the centre of the range DelayMs draws from.
  int64_t NominalDelayMs(int attempts) const;

 private:
  BackoffOptions options_;
  std::mutex mutex_;
  std::mt19937_64 random_;
};

}  // namespace cambista::jobs
