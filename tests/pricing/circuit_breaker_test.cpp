// A source's circuit breaker on a manual clock: it opens after the failures in a row, skips the
// source for the cooldown, then lets one probe through, which closes or reopens it.
#include <gtest/gtest.h>

#include "pricing/circuit_breaker.hpp"

namespace cambista::pricing {
namespace {

TEST(CircuitBreakerTest, OpensAfterFailuresInARowAndSkips) {
  ManualClock clock;
  CircuitBreaker breaker(clock, {.failures_max = 3, .cooldown_ms = 60'000});
  for (int i = 0; i < 2; ++i) {
    ASSERT_TRUE(breaker.Allow());
    breaker.RecordFailure();
    EXPECT_EQ(breaker.state(), BreakerState::kClosed);
  }
  breaker.RecordSuccess();  // a success ends the streak
  EXPECT_EQ(breaker.consecutive_failures(), 0);
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(breaker.Allow());
    breaker.RecordFailure();
  }
  EXPECT_EQ(breaker.state(), BreakerState::kOpen);
  EXPECT_EQ(breaker.consecutive_failures(), 3);
  EXPECT_FALSE(breaker.Allow());
  clock.AdvanceMs(59'999);
  EXPECT_FALSE(breaker.Allow());
  EXPECT_EQ(breaker.state(), BreakerState::kOpen);
}

TEST(CircuitBreakerTest, HalfOpenLetsOneProbeThatClosesIt) {
  ManualClock clock;
  CircuitBreaker breaker(clock, {.failures_max = 3, .cooldown_ms = 60'000});
  for (int i = 0; i < 3; ++i) breaker.RecordFailure();
  clock.AdvanceMs(60'000);
  EXPECT_EQ(breaker.state(), BreakerState::kHalfOpen);
  EXPECT_TRUE(breaker.Allow());   // the probe
  EXPECT_FALSE(breaker.Allow());  // nobody else while it is out
  breaker.RecordSuccess();
  EXPECT_EQ(breaker.state(), BreakerState::kClosed);
  EXPECT_TRUE(breaker.Allow());
}

TEST(CircuitBreakerTest, AFailedProbeOpensItForAnotherCooldown) {
  ManualClock clock;
  CircuitBreaker breaker(clock, {.failures_max = 3, .cooldown_ms = 60'000});
  for (int i = 0; i < 3; ++i) breaker.RecordFailure();
  clock.AdvanceMs(60'000);
  ASSERT_TRUE(breaker.Allow());
  breaker.RecordFailure();
  EXPECT_EQ(breaker.state(), BreakerState::kOpen);
  EXPECT_FALSE(breaker.Allow());
  clock.AdvanceMs(60'000);
  EXPECT_TRUE(breaker.Allow());
}

}  // namespace
}  // namespace cambista::pricing
