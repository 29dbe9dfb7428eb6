#include "security/token_bucket.hpp"

#include "core/assert.hpp"

namespace cambista {

TokenBucketLimiter::TokenBucketLimiter(const Clock& clock, TokenBucketOptions options)
    : clock_(clock),
      options_(options),
      capacity_milli_tokens_(options.capacity_tokens * kMilliTokensPerToken) {
  // Bounds keep every product below 2^63: capacity and rate at most a billion tokens.
  CAMBISTA_CHECK(options.capacity_tokens >= 1 && options.capacity_tokens <= 1'000'000'000);
  CAMBISTA_CHECK(options.refill_tokens_per_second >= 1 &&
                 options.refill_tokens_per_second <= 1'000'000'000);
  CAMBISTA_CHECK(options.buckets_max >= 1);
}

void TokenBucketLimiter::Refill(Bucket& bucket, int64_t now_ms) const {
  // A clock that steps back never refills and never moves the mark back.
  if (now_ms <= bucket.refilled_at_ms) return;
  // refill_tokens_per_second tokens per second == that many milli-tokens per millisecond.
  const int64_t rate = options_.refill_tokens_per_second;
  const int64_t missing = capacity_milli_tokens_ - bucket.milli_tokens;
  const int64_t elapsed_ms = now_ms - bucket.refilled_at_ms;
  // Compare before multiplying: a bucket idle for years must not overflow.
  if (elapsed_ms >= (missing + rate - 1) / rate) {
    bucket.milli_tokens = capacity_milli_tokens_;
  } else {
    bucket.milli_tokens += elapsed_ms * rate;
  }
  bucket.refilled_at_ms = now_ms;
}

RateDecision TokenBucketLimiter::TryAcquire(std::string_view key, int64_t cost_tokens) {
  CAMBISTA_CHECK(cost_tokens >= 1);
  const int64_t now_ms = clock_.NowMs();
  std::lock_guard lock(mutex_);

  auto found = index_.find(key);
  if (found == index_.end()) {
    if (buckets_.size() >= options_.buckets_max) {
      index_.erase(buckets_.back().key);
      buckets_.pop_back();
    }
    buckets_.push_front(Bucket{std::string(key), capacity_milli_tokens_, now_ms});
    found = index_.emplace(buckets_.front().key, buckets_.begin()).first;
  } else {
    buckets_.splice(buckets_.begin(), buckets_, found->second);
  }
  Bucket& bucket = *found->second;
  Refill(bucket, now_ms);

  if (cost_tokens > options_.capacity_tokens) return RateDecision{false, kRetryNever};
  const int64_t cost_milli_tokens = cost_tokens * kMilliTokensPerToken;
  if (bucket.milli_tokens >= cost_milli_tokens) {
    bucket.milli_tokens -= cost_milli_tokens;
    return RateDecision{true, 0};
  }
  const int64_t deficit = cost_milli_tokens - bucket.milli_tokens;
  const int64_t rate = options_.refill_tokens_per_second;
  return RateDecision{false, (deficit + rate - 1) / rate};
}

size_t TokenBucketLimiter::BucketCount() const {
  std::lock_guard lock(mutex_);
  return buckets_.size();
}

}  // namespace cambista
