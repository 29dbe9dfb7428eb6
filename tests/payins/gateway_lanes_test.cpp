// GatewayLanes on their own: each gateway's bounded lane (a full one refuses at once, the others
// carry on; Stop finishes what was queued), and each (tenant, gateway) circuit breaker on a manual
// clock: outages open it, answers do not count, one trial call goes through after the pause.
#include "payins/gateway_lanes.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <stdexcept>
#include <string>

#include "core/clock.hpp"

namespace cambista::payins {
namespace {

using Kind = GatewayError::Kind;

// A task that holds its lane's thread until Open().
class Gate {
 public:
  std::function<void()> Task() {
    return [this] {
      entered_.set_value();
      opened_.wait();
    };
  }
  void WaitEntered() { entered_future_.wait(); }
  void Open() { open_.set_value(); }

 private:
  std::promise<void> entered_;
  std::future<void> entered_future_ = entered_.get_future();
  std::promise<void> open_;
  std::shared_future<void> opened_ = open_.get_future().share();
};

TEST(GatewayLanesTest, AFullLaneRefusesAtOnceAndTheOtherLanesCarryOn) {
  ManualClock clock;
  GatewayLanes lanes(clock, GatewayLaneOptions{.threads_per_gateway = 1, .queue_max = 2});
  Gate gate;
  std::atomic<int> ran{0};
  ASSERT_TRUE(lanes.Post("syncpay", gate.Task()));
  gate.WaitEntered();  // the lane's only thread is busy
  EXPECT_TRUE(lanes.Post("syncpay", [&ran] { ++ran; }));
  EXPECT_TRUE(lanes.Post("syncpay", [&ran] { ++ran; }));
  EXPECT_FALSE(lanes.Post("syncpay", [&ran] { ran += 100; }));  // refused, never run
  // Another gateway's lane is not held up by this one.
  std::promise<void> other;
  ASSERT_TRUE(lanes.Post("paradise", [&other] { other.set_value(); }));
  EXPECT_EQ(other.get_future().wait_for(std::chrono::seconds(20)), std::future_status::ready);
  gate.Open();
  lanes.Stop();
  EXPECT_EQ(ran.load(), 2);
  EXPECT_FALSE(lanes.Post("syncpay", [] {}));  // stopped
  EXPECT_FALSE(lanes.Post("wiinpay", [] {}));
}

TEST(GatewayLanesTest, StopFinishesWhatWasQueuedBeforeItReturns) {
  ManualClock clock;
  GatewayLanes lanes(clock, GatewayLaneOptions{.threads_per_gateway = 2, .queue_max = 100});
  Gate gate;
  std::atomic<int> ran{0};
  ASSERT_TRUE(lanes.Post("pushinpay", gate.Task()));
  gate.WaitEntered();
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(lanes.Post("pushinpay", [&ran] { ++ran; }));
  auto stopped = std::async(std::launch::async, [&lanes] { lanes.Stop(); });
  // Stop waits for the task still running ...
  EXPECT_EQ(stopped.wait_for(std::chrono::milliseconds(50)), std::future_status::timeout);
  gate.Open();
  ASSERT_EQ(stopped.wait_for(std::chrono::seconds(20)), std::future_status::ready);
  EXPECT_EQ(ran.load(), 20);  // ... and for every one queued
  lanes.Stop();               // idempotent
}

class BreakerTest : public ::testing::Test {
 protected:
  static constexpr int kFailures = 3;
  static constexpr int64_t kOpenMs = 1'000;

  // One call for `tenant` at `gateway` that fails with `kind` (or succeeds when nullopt); whether
  // the lanes let it run.
  bool CallWith(std::optional<Kind> kind, std::string_view tenant = "acme",
                std::string_view gateway = "paradise") {
    bool ran = false;
    auto result = lanes_.Call<int>(tenant, gateway, [&]() -> Result<int, GatewayError> {
      ran = true;
      if (kind) return Failure(GatewayError{*kind, "down"});
      return 1;
    });
    last_ = result.ok() ? std::nullopt : std::optional(result.error());
    return ran;
  }
  BreakerState State(std::string_view tenant = "acme") { return lanes_.State(tenant, "paradise"); }

  ManualClock clock_;
  GatewayLanes lanes_{
      clock_, GatewayLaneOptions{.breaker_failures = kFailures, .breaker_open_ms = kOpenMs}};
  std::optional<GatewayError> last_;
};

TEST_F(BreakerTest, AnswersDoNotCountOnlyOutagesInARowDo) {
  for (int i = 0; i < 10; ++i) {
    for (Kind answer : {Kind::kAuth, Kind::kRejected, Kind::kRateLimited, Kind::kInvalidRequest}) {
      EXPECT_TRUE(CallWith(answer));
    }
  }
  EXPECT_EQ(State(), BreakerState::kClosed);
  // Two outages, then a success: the count starts again.
  EXPECT_TRUE(CallWith(Kind::kUnavailable));
  EXPECT_TRUE(CallWith(Kind::kBadResponse));
  EXPECT_TRUE(CallWith(std::nullopt));
  EXPECT_TRUE(CallWith(Kind::kUnavailable));
  EXPECT_TRUE(CallWith(Kind::kUnavailable));
  EXPECT_TRUE(CallWith(Kind::kRejected));  // an answer: the gateway is up
  EXPECT_TRUE(CallWith(Kind::kUnavailable));
  EXPECT_TRUE(CallWith(Kind::kUnavailable));
  EXPECT_EQ(State(), BreakerState::kClosed);
  EXPECT_TRUE(lanes_.OpenBreakers().empty());
}

TEST_F(BreakerTest, OutagesOpenItAndAfterThePauseOneTrialDecides) {
  for (int i = 0; i < kFailures; ++i) EXPECT_TRUE(CallWith(Kind::kUnavailable));
  EXPECT_EQ(State(), BreakerState::kOpen);
  // Open: refused at once without calling, with the time left.
  EXPECT_FALSE(CallWith(std::nullopt));
  ASSERT_TRUE(last_.has_value());
  EXPECT_EQ(last_->kind, Kind::kUnavailable);
  EXPECT_EQ(last_->retry_after_ms, kOpenMs);
  EXPECT_NE(last_->message.find("circuit open"), std::string::npos);
  EXPECT_EQ(
      lanes_.CallChecking("acme", "paradise", [] { return std::optional<GatewayError>(); })->kind,
      Kind::kUnavailable);
  // Per tenant and per gateway.
  EXPECT_TRUE(CallWith(std::nullopt, "other-tenant"));
  EXPECT_TRUE(CallWith(std::nullopt, "acme", "syncpay"));
  const auto open = lanes_.OpenBreakers();
  ASSERT_EQ(open.size(), 1u);
  EXPECT_EQ(open[0],
            std::make_tuple(std::string("acme"), std::string("paradise"), BreakerState::kOpen));

  clock_.AdvanceMs(kOpenMs - 1);
  EXPECT_FALSE(CallWith(std::nullopt));
  EXPECT_EQ(last_->retry_after_ms, 1);
  clock_.AdvanceMs(1);
  EXPECT_EQ(State(), BreakerState::kHalfOpen);
  // One trial goes through; while it runs, the others are still refused. It fails: open again.
  bool nested_ran = true;
  auto trial = lanes_.Call<int>("acme", "paradise", [&]() -> Result<int, GatewayError> {
    nested_ran = CallWith(std::nullopt);
    return Failure(GatewayError{Kind::kUnavailable, "still down"});
  });
  EXPECT_FALSE(trial.ok());
  EXPECT_FALSE(nested_ran);
  EXPECT_EQ(State(), BreakerState::kOpen);
  EXPECT_FALSE(CallWith(std::nullopt));
  EXPECT_EQ(last_->retry_after_ms, kOpenMs);

  clock_.AdvanceMs(kOpenMs);
  EXPECT_TRUE(CallWith(std::nullopt));  // the trial succeeds: closed
  EXPECT_EQ(State(), BreakerState::kClosed);
  EXPECT_TRUE(CallWith(std::nullopt));
  EXPECT_TRUE(lanes_.OpenBreakers().empty());
}

TEST_F(BreakerTest, ATrialThatThrowsDoesNotLeaveTheBreakerShut) {
  for (int i = 0; i < kFailures; ++i) EXPECT_TRUE(CallWith(Kind::kUnavailable));
  clock_.AdvanceMs(kOpenMs);
  EXPECT_THROW(lanes_.Call<int>(
                   "acme", "paradise",
                   []() -> Result<int, GatewayError> { throw std::runtime_error("adapter bug"); }),
               std::runtime_error);
  // The throw counts as an outage: open for another pause, then a trial again.
  EXPECT_EQ(State(), BreakerState::kOpen);
  clock_.AdvanceMs(kOpenMs);
  EXPECT_TRUE(CallWith(std::nullopt));
  EXPECT_EQ(State(), BreakerState::kClosed);
}

}  // namespace
}  // namespace cambista::payins
