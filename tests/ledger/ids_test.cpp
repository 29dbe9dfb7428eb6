#include "ledger/ids.hpp"

#include <gtest/gtest.h>

#include <set>

namespace cambista::ledger {
namespace {

TEST(TimeOrderedIdTest, StartsWithTheMillisecondAndOnlyGrows) {
  ManualClock clock(1'700'000'000'123'000'000);  // ms = 1'700'000'000'123
  std::set<u128> seen;
  u128 previous = 0;
  for (int i = 0; i < 10'000; ++i) {  // all within one millisecond
    const u128 id = TimeOrderedId(clock);
    EXPECT_GT(id, previous);
    EXPECT_NE(id, kU128Max);
    previous = id;
    seen.insert(id);
  }
  EXPECT_EQ(seen.size(), 10'000u);
  EXPECT_EQ(static_cast<uint64_t>(previous >> 80), 1'700'000'000'123u);
  clock.AdvanceMs(1);
  const u128 later = TimeOrderedId(clock);
  EXPECT_EQ(static_cast<uint64_t>(later >> 80), 1'700'000'000'124u);
  clock.AdvanceMs(-50);  // a clock stepping back never makes ids go back
  EXPECT_GT(TimeOrderedId(clock), later);
}

}  // namespace
}  // namespace cambista::ledger
