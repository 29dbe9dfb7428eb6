// The payout state machine: every name round-trips, the transitions are exactly the documented
// ones, and nothing leaves a final state.
#include "payouts/model.hpp"

#include <gtest/gtest.h>

#include <cctype>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace cambista::payouts {
namespace {

using S = PayoutStatus;

std::vector<PayoutStatus> AllStatuses() {
  std::vector<PayoutStatus> all;
  for (int i = 0; i < kPayoutStatusCount; ++i) all.push_back(static_cast<PayoutStatus>(i));
  return all;
}

TEST(PayoutModelTest, EveryStatusNameRoundTripsAndCaseDoesNotMatter) {
  std::set<std::string_view> names;
  for (PayoutStatus status : AllStatuses()) {
    const std::string_view name = PayoutStatusName(status);
    EXPECT_TRUE(names.insert(name).second) << name;
    EXPECT_EQ(ParsePayoutStatus(name), status);
    std::string lower(name);
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    EXPECT_EQ(ParsePayoutStatus(lower), status);
  }
  EXPECT_EQ(PayoutStatusName(S::kAwaitingApproval), "AWAITING_APPROVAL");
  EXPECT_FALSE(ParsePayoutStatus("PAID"));
  EXPECT_FALSE(ParsePayoutStatus(""));
  EXPECT_FALSE(ParsePayoutStatus("REQUESTED "));
}

TEST(PayoutModelTest, TheTransitionsAreExactlyTheDocumentedOnes) {
  const std::set<std::pair<S, S>> documented = {
      {S::kRequested, S::kAwaitingApproval}, {S::kAwaitingApproval, S::kRequested},
      {S::kAwaitingApproval, S::kRejected},  {S::kAwaitingApproval, S::kCancelled},
      {S::kRequested, S::kSubmitted},        {S::kRequested, S::kUnknown},
      {S::kRequested, S::kFailed},           {S::kRequested, S::kCancelled},
      {S::kSubmitted, S::kConfirmed},        {S::kSubmitted, S::kFailed},
      {S::kSubmitted, S::kCancelled},        {S::kUnknown, S::kSubmitted},
      {S::kUnknown, S::kConfirmed},          {S::kUnknown, S::kFailed},
      {S::kUnknown, S::kCancelled},          {S::kUnknown, S::kManualReview},
      {S::kManualReview, S::kConfirmed},     {S::kManualReview, S::kFailed},
      {S::kSubmitted, S::kManualReview},
  };
  for (PayoutStatus from : AllStatuses()) {
    for (PayoutStatus to : AllStatuses()) {
      EXPECT_EQ(TransitionAllowed(from, to), documented.contains({from, to}))
          << PayoutStatusName(from) << " -> " << PayoutStatusName(to);
    }
  }
}

TEST(PayoutModelTest, NothingLeavesAFinalStateAndUnknownNeverGoesBackToRequested) {
  for (PayoutStatus from : AllStatuses()) {
    if (!IsFinal(from)) continue;
    for (PayoutStatus to : AllStatuses()) EXPECT_FALSE(TransitionAllowed(from, to));
  }
  EXPECT_TRUE(IsFinal(S::kConfirmed) && IsFinal(S::kFailed) && IsFinal(S::kCancelled) &&
              IsFinal(S::kRejected));
  EXPECT_FALSE(IsFinal(S::kUnknown) || IsFinal(S::kManualReview) || IsFinal(S::kSubmitted));
  // At most once: a payout whose answer was lost is never queued to be sent again.
  EXPECT_FALSE(TransitionAllowed(S::kUnknown, S::kRequested));
  EXPECT_FALSE(TransitionAllowed(S::kManualReview, S::kRequested));
  EXPECT_FALSE(TransitionAllowed(S::kSubmitted, S::kRequested));
}

TEST(PayoutModelTest, OriginsAreTheApisExactNames) {
  EXPECT_EQ(ParsePayoutOrigin("manual"), PayoutOrigin::kManual);
  EXPECT_EQ(ParsePayoutOrigin("scheduled"), PayoutOrigin::kScheduled);
  EXPECT_EQ(ParsePayoutOrigin("bonus"), PayoutOrigin::kBonus);
  EXPECT_EQ(ParsePayoutOrigin("trade"), PayoutOrigin::kTrade);
  EXPECT_EQ(PayoutOriginName(PayoutOrigin::kTrade), "trade");
  EXPECT_EQ(ParsePayoutOrigin("sweep"), PayoutOrigin::kSweep);  // the treasury's; routes refuse it
  EXPECT_EQ(PayoutOriginName(PayoutOrigin::kSweep), "sweep");
  EXPECT_EQ(ParsePayoutOrigin("refund"), PayoutOrigin::kRefund);  // trading's; routes refuse it
  EXPECT_FALSE(ParsePayoutOrigin("Manual"));
  EXPECT_FALSE(ParsePayoutOrigin("refunds"));
}

}  // namespace
}  // namespace cambista::payouts
