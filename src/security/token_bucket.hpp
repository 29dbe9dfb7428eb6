// TokenBucketLimiter: per-key rate limiting (API key prefix, client IP, user id for TOTP attempts).
//
// Each key has a bucket of `capacity_tokens` that refills at `refill_tokens_per_second`; a request
// takes one token (or `cost_tokens`) or is refused with the time until enough tokens are back,
// which the API sends as Retry-After. Tokens are counted in milli-tokens and time in whole
// milliseconds of the injected Clock, so one token per second is exactly one milli-token per
// millisecond: refill is integer arithmetic with no remainder to lose and no floating point, and
// tests drive a ManualClock instead of sleeping. Memory is bounded: at most `buckets_max` buckets
// are kept, and a new key beyond that evicts the least recently used one. Evicting a bucket that
// had refilled to full loses nothing (a new bucket starts full); evicting a partly drained one
// forgives its debt, so `buckets_max` must be well above the number of keys active within one
// refill period (a flood of distinct keys, e.g. spoofed IPs, can otherwise reset other keys'
// buckets). Keys are stored as given: callers pass short keys (a prefix, an IP), never raw request
// text. One mutex guards all buckets; a request does one hash lookup under it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <list>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/clock.hpp"

namespace cambista {

struct TokenBucketOptions {
  int64_t capacity_tokens = 60;          // burst size, >= 1
  int64_t refill_tokens_per_second = 1;  // >= 1
  size_t buckets_max = 100'000;          // >= 1
};

struct RateDecision {
  bool allowed = false;
  // 0 when allowed; otherwise milliseconds until the request would be allowed (>= 1). Never
  // retryable (capacity below cost): kRetryNever.
  int64_t retry_after_ms = 0;
};

class TokenBucketLimiter {
 public:
  static constexpr int64_t kMilliTokensPerToken = 1000;
  static constexpr int64_t kRetryNever = INT64_MAX;

  // Options are configuration: out-of-range values fail a CAMBISTA_CHECK.
  TokenBucketLimiter(const Clock& clock, TokenBucketOptions options);

  RateDecision TryAcquire(std::string_view key, int64_t cost_tokens = 1);

  size_t BucketCount() const;

 private:
  struct Bucket {
    std::string key;
    int64_t milli_tokens = 0;
    int64_t refilled_at_ms = 0;
  };
  using BucketList = std::list<Bucket>;  // most recently used first

  struct KeyHash {
    using is_transparent = void;
    size_t operator()(std::string_view key) const { return std::hash<std::string_view>{}(key); }
  };

  void Refill(Bucket& bucket, int64_t now_ms) const;

  const Clock& clock_;
  const TokenBucketOptions options_;
  const int64_t capacity_milli_tokens_;
  mutable std::mutex mutex_;
  BucketList buckets_;
  std::unordered_map<std::string, BucketList::iterator, KeyHash, std::equal_to<>> index_;
};

}  // namespace cambista
