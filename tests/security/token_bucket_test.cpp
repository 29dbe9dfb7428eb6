#include "security/token_bucket.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

namespace cambista {
namespace {

TEST(TokenBucketLimiter, BurstThenRefuseWithRetryAfter) {
  ManualClock clock;
  TokenBucketLimiter limiter(clock, {.capacity_tokens = 3, .refill_tokens_per_second = 1});
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(limiter.TryAcquire("k").allowed);
  const RateDecision refused = limiter.TryAcquire("k");
  EXPECT_FALSE(refused.allowed);
  EXPECT_EQ(refused.retry_after_ms, 1000);
  // Refusals take nothing.
  EXPECT_EQ(limiter.TryAcquire("k").retry_after_ms, 1000);
}

TEST(TokenBucketLimiter, RefillIsExact) {
  ManualClock clock;
  TokenBucketLimiter limiter(clock, {.capacity_tokens = 2, .refill_tokens_per_second = 1});
  EXPECT_TRUE(limiter.TryAcquire("k").allowed);
  EXPECT_TRUE(limiter.TryAcquire("k").allowed);
  clock.AdvanceMs(999);
  const RateDecision early = limiter.TryAcquire("k");
  EXPECT_FALSE(early.allowed);
  EXPECT_EQ(early.retry_after_ms, 1);
  clock.AdvanceMs(1);
  EXPECT_TRUE(limiter.TryAcquire("k").allowed);
  EXPECT_FALSE(limiter.TryAcquire("k").allowed);
}

TEST(TokenBucketLimiter, ManySmallStepsAddUpExactly) {
  ManualClock clock;
  TokenBucketLimiter limiter(clock, {.capacity_tokens = 1, .refill_tokens_per_second = 3});
  EXPECT_TRUE(limiter.TryAcquire("k").allowed);
  // 3 tokens/s: one token every 333.33 ms. Probe in steps of 0.1 ms; no remainder may be lost.
  int64_t waited_us = 0;
  while (!limiter.TryAcquire("k").allowed) {
    clock.AdvanceNs(100'000);
    waited_us += 100;
  }
  EXPECT_EQ(waited_us, 334'000);  // ceil(1000 / 3) whole milliseconds
}

TEST(TokenBucketLimiter, RetryAfterWithFastRefill) {
  ManualClock clock;
  TokenBucketLimiter limiter(clock, {.capacity_tokens = 10, .refill_tokens_per_second = 1000});
  for (int i = 0; i < 10; ++i) EXPECT_TRUE(limiter.TryAcquire("k").allowed);
  EXPECT_EQ(limiter.TryAcquire("k").retry_after_ms, 1);
  clock.AdvanceMs(1);
  EXPECT_TRUE(limiter.TryAcquire("k").allowed);
}

TEST(TokenBucketLimiter, NeverExceedsCapacityAfterLongIdle) {
  ManualClock clock;
  TokenBucketLimiter limiter(clock, {.capacity_tokens = 2, .refill_tokens_per_second = 1'000'000});
  EXPECT_TRUE(limiter.TryAcquire("k").allowed);
  clock.AdvanceMs(int64_t{100} * 365 * 24 * 3600 * 1000);  // a century: no overflow
  EXPECT_TRUE(limiter.TryAcquire("k").allowed);
  EXPECT_TRUE(limiter.TryAcquire("k").allowed);
  EXPECT_FALSE(limiter.TryAcquire("k").allowed);
}

TEST(TokenBucketLimiter, ClockGoingBackwardsDoesNotRefill) {
  ManualClock clock;
  TokenBucketLimiter limiter(clock, {.capacity_tokens = 1, .refill_tokens_per_second = 1});
  EXPECT_TRUE(limiter.TryAcquire("k").allowed);
  clock.AdvanceMs(-10'000);
  EXPECT_FALSE(limiter.TryAcquire("k").allowed);
  clock.AdvanceMs(10'999);
  EXPECT_FALSE(limiter.TryAcquire("k").allowed);
  clock.AdvanceMs(1);
  EXPECT_TRUE(limiter.TryAcquire("k").allowed);
}

TEST(TokenBucketLimiter, KeysAreIndependent) {
  ManualClock clock;
  TokenBucketLimiter limiter(clock, {.capacity_tokens = 1, .refill_tokens_per_second = 1});
  EXPECT_TRUE(limiter.TryAcquire("a").allowed);
  EXPECT_FALSE(limiter.TryAcquire("a").allowed);
  EXPECT_TRUE(limiter.TryAcquire("b").allowed);
  EXPECT_TRUE(limiter.TryAcquire("").allowed);  // the empty key is a key like any other
}

TEST(TokenBucketLimiter, CostAboveOne) {
  ManualClock clock;
  TokenBucketLimiter limiter(clock, {.capacity_tokens = 5, .refill_tokens_per_second = 2});
  EXPECT_TRUE(limiter.TryAcquire("k", 4).allowed);
  const RateDecision refused = limiter.TryAcquire("k", 3);
  EXPECT_FALSE(refused.allowed);
  EXPECT_EQ(refused.retry_after_ms, 1000);  // 2 tokens missing at 2 tokens/s
  EXPECT_EQ(limiter.TryAcquire("k", 6).retry_after_ms, TokenBucketLimiter::kRetryNever);
}

TEST(TokenBucketLimiter, EvictsLeastRecentlyUsed) {
  ManualClock clock;
  TokenBucketLimiter limiter(
      clock, {.capacity_tokens = 1, .refill_tokens_per_second = 1, .buckets_max = 2});
  EXPECT_TRUE(limiter.TryAcquire("a").allowed);
  EXPECT_TRUE(limiter.TryAcquire("b").allowed);
  EXPECT_FALSE(limiter.TryAcquire("a").allowed);  // touches "a": "b" is now least recent
  EXPECT_EQ(limiter.BucketCount(), 2U);
  EXPECT_TRUE(limiter.TryAcquire("c").allowed);  // evicts "b"
  EXPECT_EQ(limiter.BucketCount(), 2U);
  EXPECT_FALSE(limiter.TryAcquire("a").allowed);  // "a" kept its (empty) bucket
  EXPECT_TRUE(limiter.TryAcquire("b").allowed);   // "b" starts again full (evicts "c")
  EXPECT_EQ(limiter.BucketCount(), 2U);
}

TEST(TokenBucketLimiter, MemoryStaysBounded) {
  ManualClock clock;
  TokenBucketLimiter limiter(
      clock, {.capacity_tokens = 1, .refill_tokens_per_second = 1, .buckets_max = 100});
  for (int i = 0; i < 10'000; ++i) EXPECT_TRUE(limiter.TryAcquire(std::to_string(i)).allowed);
  EXPECT_EQ(limiter.BucketCount(), 100U);
}

TEST(TokenBucketLimiter, ConcurrentCallersNeverGetMoreThanCapacity) {
  ManualClock clock;
  TokenBucketLimiter limiter(clock, {.capacity_tokens = 1000, .refill_tokens_per_second = 1});
  std::atomic<int> allowed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 500; ++i) {
        if (limiter.TryAcquire("shared").allowed) allowed.fetch_add(1);
        limiter.TryAcquire("own" + std::to_string(i % 7));
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(allowed.load(), 1000);
}

}  // namespace
}  // namespace cambista
