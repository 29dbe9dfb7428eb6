#include "jobs/backoff.hpp"

#include <gtest/gtest.h>

#include <set>

namespace cambista::jobs {
namespace {

TEST(BackoffTest, DoublesFromBaseUpToTheCap) {
  Backoff backoff({.base_ms = 1'000, .max_ms = 10'000, .jitter_fraction = 0.0, .seed = 1});
  EXPECT_EQ(backoff.DelayMs(1), 1'000);
  EXPECT_EQ(backoff.DelayMs(2), 2'000);
  EXPECT_EQ(backoff.DelayMs(3), 4'000);
  EXPECT_EQ(backoff.DelayMs(4), 8'000);
  EXPECT_EQ(backoff.DelayMs(5), 10'000);
  EXPECT_EQ(backoff.DelayMs(1'000'000), 10'000);  // no overflow however many attempts
}

TEST(BackoffTest, JitterStaysWithinItsFractionAndTheCap) {
  Backoff backoff({.base_ms = 1'000, .max_ms = 5'000, .jitter_fraction = 0.5, .seed = 42});
  std::set<int64_t> seen;
  for (int i = 0; i < 500; ++i) {
    const int64_t first = backoff.DelayMs(1);
    EXPECT_GE(first, 500);
    EXPECT_LE(first, 1'500);
    seen.insert(first);
    const int64_t capped = backoff.DelayMs(30);
    EXPECT_GE(capped, 2'500);
    EXPECT_LE(capped, 5'000);
  }
  EXPECT_GT(seen.size(), 50u);  // actually spread, not one value
}

TEST(BackoffTest, FullJitterIsNeverNegative) {
  Backoff backoff({.base_ms = 10, .max_ms = 100, .jitter_fraction = 1.0, .seed = 7});
  for (int i = 0; i < 1'000; ++i) {
    const int64_t delay = backoff.DelayMs(1 + i % 6);
    EXPECT_GE(delay, 0);
    EXPECT_LE(delay, 100);
  }
}

TEST(BackoffTest, SameSeedSameDelays) {
  Backoff a({.base_ms = 1'000, .max_ms = 60'000, .jitter_fraction = 0.3, .seed = 99});
  Backoff b({.base_ms = 1'000, .max_ms = 60'000, .jitter_fraction = 0.3, .seed = 99});
  for (int attempt = 1; attempt < 10; ++attempt) EXPECT_EQ(a.DelayMs(attempt), b.DelayMs(attempt));
}

}  // namespace
}  // namespace cambista::jobs
